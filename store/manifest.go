package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shipline-ci/shipline"
)

// Manifest kinds.
const (
	KindModule  = "module"
	KindRelease = "release"
)

// manifestFormat is the format number of manifests this package writes
// and reads.
const manifestFormat = 1

// Manifest records what one publish of a version wrote: each object with
// its SHA-256 and size. It is written before the objects, and so also
// claims the version for its publish while the version is not committed.
type Manifest struct {
	Format    int         `json:"format"`
	Kind      string      `json:"kind"` // KindModule or KindRelease
	Module    string      `json:"module"`
	Version   string      `json:"version"`
	Started   time.Time   `json:"started"`             // when the publish began; with Store.Lease, how long it holds the version
	Publisher string      `json:"publisher,omitempty"` // host and process, for messages
	ZipHash   string      `json:"zip_hash,omitempty"`  // module: "h1:" hash of the zip
	ModHash   string      `json:"mod_hash,omitempty"`  // module: "h1:" hash of the go.mod
	Objects   []ObjectSum `json:"objects"`             // sorted by name; the commit marker included
}

// ObjectSum is an object and its digest.
type ObjectSum struct {
	Key    string `json:"key"`
	SHA256 string `json:"sha256"` // hex
	Size   int64  `json:"size"`
}

// ParseManifest decodes and checks a manifest read from the object key.
// It accepts only a manifest whose kind, module and version match the key,
// whose objects are all objects of that version, and whose digests are
// well-formed; anything else is an EINVALID error naming key.
func ParseManifest(key string, data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "manifest %s: %v", key, err)
	}
	if dec.More() {
		return nil, shipline.Errorf(shipline.EINVALID, "manifest %s: data after the JSON object", key)
	}
	bad := func(format string, args ...any) error {
		return shipline.Errorf(shipline.EINVALID, "manifest %s: %s", key, fmt.Sprintf(format, args...))
	}
	if m.Format != manifestFormat {
		return nil, bad("format %d: this Shipline reads format %d", m.Format, manifestFormat)
	}
	if err := checkModuleVersion(m.Module, m.Version); err != nil {
		return nil, bad("%v", err)
	}
	var belongs func(string) bool
	var want string
	switch m.Kind {
	case KindModule:
		k := keysFor(m.Module, m.Version)
		want = k.manifest
		belongs = func(o string) bool { return o == k.info || o == k.mod || o == k.zip }
		if !strings.HasPrefix(m.ZipHash, "h1:") || !strings.HasPrefix(m.ModHash, "h1:") {
			return nil, bad("missing zip_hash or mod_hash")
		}
	case KindRelease:
		k := releaseKeysFor(m.Module, m.Version)
		want = k.manifest
		belongs = func(o string) bool {
			p, ok := strings.CutPrefix(o, k.dir)
			return ok && (p == ReleaseFile || checkArtifactPath(p) == nil)
		}
	default:
		return nil, bad("unknown kind %q", m.Kind)
	}
	if key != want {
		return nil, bad("it describes %s@%s, whose manifest is %s", m.Module, m.Version, want)
	}
	for i, o := range m.Objects {
		if !belongs(o.Key) {
			return nil, bad("object %q is not an object of %s@%s", o.Key, m.Module, m.Version)
		}
		if !isHexSHA256(o.SHA256) || o.Size < 0 {
			return nil, bad("object %s: bad sha256 %q or size %d", o.Key, o.SHA256, o.Size)
		}
		if i > 0 && m.Objects[i-1].Key >= o.Key {
			return nil, bad("objects not sorted by key, or listed twice, at %s", o.Key)
		}
	}
	return &m, nil
}

// object returns the entry of key, or nil.
func (m *Manifest) object(key string) *ObjectSum {
	i, ok := slices.BinarySearchFunc(m.Objects, key, func(o ObjectSum, k string) int { return strings.Compare(o.Key, k) })
	if !ok {
		return nil
	}
	return &m.Objects[i]
}

func (m *Manifest) encode() []byte {
	slices.SortFunc(m.Objects, func(a, b ObjectSum) int { return strings.Compare(a.Key, b.Key) })
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return append(data, '\n')
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
