package store

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/modzip"
)

// Info is the .info file of a module version, as the GOPROXY protocol
// defines it.
type Info struct {
	Version string
	Time    time.Time
	Origin  *Origin `json:",omitempty"`
}

// Origin says where a module version came from, in the go command's terms
// (the Origin of 'go mod download -json').
type Origin struct {
	VCS    string `json:",omitempty"` // "git"
	URL    string `json:",omitempty"` // the repository's URL
	Subdir string `json:",omitempty"` // the module's directory in the repository
	Hash   string `json:",omitempty"` // the commit
	Ref    string `json:",omitempty"` // "refs/tags/v1.2.3"
}

// ModuleVersion is a module version to publish.
type ModuleVersion struct {
	Path    string    // module path, such as example.com/Mod/v2
	Version string    // canonical semantic version, such as v2.1.0
	Mod     []byte    // its go.mod file
	Zip     string    // path of its module zip file (see package modzip)
	Time    time.Time // the commit's time, for .info
	Origin  *Origin   // optional
}

// Published is what a publish did.
type Published struct {
	Module   string      `json:"module"`
	Version  string      `json:"version"`
	ZipHash  string      `json:"zip_hash,omitempty"` // "h1:" hash of the zip, as go.sum records it
	ModHash  string      `json:"mod_hash,omitempty"` // "h1:" hash of the go.mod, as go.sum's "/go.mod" line
	Created  bool        `json:"created"`            // false when the same content was already published: nothing changed
	Resumed  bool        `json:"resumed,omitempty"`  // an unfinished publish of the same content was completed
	Replaced bool        `json:"replaced,omitempty"` // an unfinished publish of other content was replaced
	Objects  []ObjectSum `json:"objects"`            // the version's objects, as its manifest records them
}

// PublishModule publishes a module version: .mod and .zip, then .info as
// the commit marker, then list and @latest. See the package documentation
// for what happens on a crash and on a second publish.
//
// Errors: EINVALID for an invalid path or version, a go.mod whose module
// line names another path, or a file that is not a module zip of
// path@version or whose go.mod differs from Mod; ECONFLICT when the
// version is published (or being published) with other content, naming
// both hashes; EUNAUTHORIZED for a store that may not be written; others
// from the backend. After an error nothing of the version is visible
// unless it was committed before, in full.
func (s *Store) PublishModule(ctx context.Context, mv ModuleVersion) (*Published, error) {
	if err := checkModuleVersion(mv.Path, mv.Version); err != nil {
		return nil, err
	}
	if got := modfile.ModulePath(mv.Mod); got != mv.Path {
		return nil, shipline.Errorf(shipline.EINVALID, "publish %s@%s: its go.mod says module %q", mv.Path, mv.Version, got)
	}
	if mv.Time.IsZero() {
		return nil, shipline.Errorf(shipline.EINTERNAL, "publish %s@%s: no time for its .info", mv.Path, mv.Version)
	}
	if err := modzip.CheckZip(mv.Path, mv.Version, mv.Zip); err != nil {
		return nil, err
	}
	if zmod, err := zipGoMod(mv.Zip, mv.Path, mv.Version); err != nil {
		return nil, err
	} else if !bytes.Equal(zmod, mv.Mod) {
		return nil, shipline.Errorf(shipline.EINVALID, "publish %s@%s: the go.mod in %s differs from the go.mod given", mv.Path, mv.Version, mv.Zip)
	}
	zipHash, err := modzip.HashZip(mv.Zip)
	if err != nil {
		return nil, err
	}
	modHash, err := modzip.HashMod(mv.Mod)
	if err != nil {
		return nil, err
	}
	zipFile, err := pendingFile(mv.Zip)
	if err != nil {
		return nil, err
	}
	info, err := json.Marshal(Info{Version: mv.Version, Time: mv.Time.UTC().Truncate(time.Second), Origin: mv.Origin})
	if err != nil {
		return nil, err
	}
	info = append(info, '\n')

	k := keysFor(mv.Path, mv.Version)
	zipFile.key = k.zip
	desc := mv.Path + "@" + mv.Version
	res, err := s.commit(ctx, versionSet{
		manifest:    &Manifest{Kind: KindModule, Module: mv.Path, Version: mv.Version, ZipHash: zipHash, ModHash: modHash},
		manifestKey: k.manifest,
		files:       []pending{pendingBytes(k.mod, mv.Mod), zipFile, pendingBytes(k.info, info)},
		describe:    desc,
		same: func(old *Manifest) error {
			if old.ZipHash == zipHash && old.ModHash == modHash {
				return nil
			}
			return shipline.Errorf(shipline.ECONFLICT, "%s is already published with other content: stored zip %s, go.mod %s; this zip %s, go.mod %s: a published version never changes; publish a new version",
				desc, old.ZipHash, old.ModHash, zipHash, modHash)
		},
	})
	if err != nil {
		return nil, err
	}
	out := &Published{Module: mv.Path, Version: mv.Version, ZipHash: zipHash, ModHash: modHash,
		Created: res.created, Resumed: res.resumed, Replaced: res.replaced, Objects: res.manifest.Objects}
	if err := s.refreshModule(ctx, mv.Path); err != nil {
		return out, fmt.Errorf("%s is published, but its module's list or @latest could not be updated; publish it again to retry: %w", desc, err)
	}
	return out, nil
}

// pendingFile hashes a file to publish.
func pendingFile(name string) (pending, error) {
	f, err := os.Open(name) // #nosec G304 -- name is the module zip the caller asked to publish (ModuleVersion.Zip): reading it is the publish
	if err != nil {
		return pending{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return pending{}, err
	}
	return pending{size: n, sha256: hex.EncodeToString(h.Sum(nil)),
		open: func() (io.ReadCloser, error) { return os.Open(name) }}, nil // #nosec G304 -- the same file, hashed above
}

// zipGoMod returns the go.mod file inside a module zip.
func zipGoMod(zipFile, path, version string) ([]byte, error) {
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "open module zip %s: %v", zipFile, err)
	}
	defer zr.Close()
	want := path + "@" + version + "/go.mod"
	for _, f := range zr.File {
		if f.Name == want {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(io.LimitReader(rc, 16<<20))
		}
	}
	return nil, shipline.Errorf(shipline.EINVALID, "module zip %s has no go.mod: publish a module with a go.mod file", zipFile)
}

// Versions returns the committed versions of a module, lowest first in
// semantic version order; none (and no error) for a module the store does
// not have. Its error is EINVALID for an invalid module path.
func (s *Store) Versions(ctx context.Context, path string) ([]string, error) {
	if err := checkModule(path); err != nil {
		return nil, err
	}
	k := keysFor(path, "v0.0.0")
	var versions []string
	err := s.List(ctx, k.dir, func(o Object) error {
		if mk, ok := ParseModuleKey(o.Key); ok && mk.Module == path && mk.File == "info" {
			versions = append(versions, mk.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	semver.Sort(versions)
	return versions, nil
}

// Modules returns the paths of the modules that have at least one
// committed version, sorted.
func (s *Store) Modules(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	err := s.List(ctx, "", func(o Object) error {
		if mk, ok := ParseModuleKey(o.Key); ok && mk.File == "info" {
			seen[mk.Module] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// ReadInfo returns the .info of a committed module version. Errors:
// EINVALID for an invalid path or version, ENOTFOUND for a version the
// store does not have (committed).
func (s *Store) ReadInfo(ctx context.Context, path, version string) (*Info, error) {
	data, err := s.ReadInfoFile(ctx, path, version)
	if err != nil {
		return nil, err
	}
	return parseInfo(keysFor(path, version).info, data)
}

// ReadInfoFile returns the .info file of a committed module version, byte
// for byte, as a GOPROXY serves it; errors as ReadInfo.
func (s *Store) ReadInfoFile(ctx context.Context, path, version string) ([]byte, error) {
	if err := checkModuleVersion(path, version); err != nil {
		return nil, err
	}
	data, err := s.read(ctx, keysFor(path, version).info)
	if shipline.ErrorCode(err) == shipline.ENOTFOUND {
		return nil, shipline.Errorf(shipline.ENOTFOUND, "store %s has no %s@%s", s.URL, path, version)
	}
	return data, err
}

// ReadMod returns the go.mod file of a committed module version; errors as
// ReadInfo.
func (s *Store) ReadMod(ctx context.Context, path, version string) ([]byte, error) {
	if err := s.committed(ctx, path, version); err != nil {
		return nil, err
	}
	return s.read(ctx, keysFor(path, version).mod)
}

// OpenZip opens the module zip of a committed module version; the caller
// closes it. Errors as ReadInfo.
func (s *Store) OpenZip(ctx context.Context, path, version string) (io.ReadCloser, error) {
	if err := s.committed(ctx, path, version); err != nil {
		return nil, err
	}
	k := keysFor(path, version).zip
	r, err := s.bucket.NewReader(ctx, k, nil)
	if err != nil {
		return nil, s.wrap(err, "read %s", k)
	}
	return r, nil
}

// committed returns nil when path@version is committed, else an EINVALID
// or ENOTFOUND error.
func (s *Store) committed(ctx context.Context, path, version string) error {
	if err := checkModuleVersion(path, version); err != nil {
		return err
	}
	ok, err := s.exists(ctx, keysFor(path, version).info)
	if err != nil {
		return err
	}
	if !ok {
		return shipline.Errorf(shipline.ENOTFOUND, "store %s has no %s@%s", s.URL, path, version)
	}
	return nil
}

// Latest returns the .info of the version the go command would pick as a
// module's latest: the highest release that its latest version's go.mod
// does not retract, else the highest such pre-release; when every version
// is retracted, the highest. Errors: EINVALID for an invalid path,
// ENOTFOUND for a module without versions.
func (s *Store) Latest(ctx context.Context, path string) (*Info, error) {
	v, err := s.latestVersion(ctx, path)
	if err != nil {
		return nil, err
	}
	return s.ReadInfo(ctx, path, v)
}

func (s *Store) latestVersion(ctx context.Context, path string) (string, error) {
	versions, err := s.Versions(ctx, path)
	if err != nil {
		return "", err
	}
	if len(versions) == 0 {
		return "", shipline.Errorf(shipline.ENOTFOUND, "store %s has no version of %s", s.URL, path)
	}
	top := latestOf(versions, nil)
	// A go.mod that is missing (Verify reports it) retracts nothing.
	mod, err := s.read(ctx, keysFor(path, top).mod)
	if err != nil && shipline.ErrorCode(err) != shipline.ENOTFOUND {
		return "", err
	}
	var retracted []modfile.VersionInterval
	if f, err := modfile.ParseLax("go.mod", mod, nil); err == nil {
		for _, r := range f.Retract {
			retracted = append(retracted, r.VersionInterval)
		}
	}
	if v := latestOf(versions, retracted); v != "" {
		return v, nil
	}
	return top, nil
}

// latestOf returns the highest release among versions that no interval
// retracts, else the highest such pre-release, else "". Versions are sorted
// lowest first.
func latestOf(versions []string, retracted []modfile.VersionInterval) string {
	isRetracted := func(v string) bool {
		for _, r := range retracted {
			if semver.Compare(r.Low, v) <= 0 && semver.Compare(v, r.High) <= 0 {
				return true
			}
		}
		return false
	}
	pre := ""
	for i := len(versions) - 1; i >= 0; i-- {
		v := versions[i]
		if isRetracted(v) {
			continue
		}
		if semver.Prerelease(v) == "" {
			return v
		}
		if pre == "" {
			pre = v
		}
	}
	return pre
}

// refreshModule rewrites a module's list and @latest from its committed
// versions, writing only what changed.
func (s *Store) refreshModule(ctx context.Context, path string) error {
	list, latest, err := s.derivedModule(ctx, path)
	if err != nil || list == nil {
		return err
	}
	k := keysFor(path, "v0.0.0")
	for key, want := range map[string][]byte{k.list: list, k.latest: latest} {
		if got, err := s.read(ctx, key); err == nil && bytes.Equal(got, want) {
			continue
		}
		if err := s.writeBytes(ctx, key, want, false); err != nil {
			return err
		}
	}
	return nil
}

// derivedModule computes what a module's list and @latest must hold; both
// are nil for a module without committed versions.
func (s *Store) derivedModule(ctx context.Context, path string) (list, latest []byte, err error) {
	versions, err := s.Versions(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	if len(versions) == 0 {
		return nil, nil, nil
	}
	list = []byte(strings.Join(versions, "\n") + "\n")
	v, err := s.latestVersion(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	latest, err = s.ReadInfoFile(ctx, path, v)
	return list, latest, err
}

// parseInfo decodes a .info file.
func parseInfo(key string, data []byte) (*Info, error) {
	var info Info
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "%s: %v", key, err)
	}
	if !semver.IsValid(info.Version) || module.CanonicalVersion(info.Version) != info.Version {
		return nil, shipline.Errorf(shipline.EINVALID, "%s: invalid Version %q", key, info.Version)
	}
	return &info, nil
}
