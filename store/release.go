package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
)

// Release is a release's files, as the store keeps them in
// _releases/$module/@v/$version/artifacts.json.
type Release struct {
	Module    string              `json:"module"`
	Version   string              `json:"version"`
	Commit    string              `json:"commit,omitempty"` // the commit released
	Time      time.Time           `json:"time"`             // the commit's time
	Artifacts []shipline.Artifact `json:"artifacts"`        // sorted by path
}

// ReleaseSummary is one release in the store's index.
type ReleaseSummary struct {
	Module    string    `json:"module"`
	Version   string    `json:"version"`
	Time      time.Time `json:"time"`
	Artifacts int       `json:"artifacts"` // how many files
	Key       string    `json:"key"`       // the name of its artifacts.json
}

// ReleaseIndex is _releases/index.json: every committed release, sorted
// by module path, then version.
type ReleaseIndex struct {
	Releases []ReleaseSummary `json:"releases"`
}

// PublishRelease publishes the files of a release, read from dir (the
// dist directory) at each artifact's Path: the files first, each checked
// against its recorded SHA-256 and size as it is uploaded, then
// artifacts.json as the commit marker, then _releases/index.json. A
// release is immutable like a module version (see the package
// documentation).
//
// Errors: EINVALID for an invalid module path or version, an artifact
// path that is not a clean local path (or is artifacts.json itself), a
// path listed twice, a missing file, or a file whose size or SHA-256 is not
// the recorded one; ECONFLICT when the release is published with other
// files, naming a differing file and both hashes; others as PublishModule.
func (s *Store) PublishRelease(ctx context.Context, rel Release, dir string) (*Published, error) {
	if err := checkModuleVersion(rel.Module, rel.Version); err != nil {
		return nil, err
	}
	if rel.Time.IsZero() {
		return nil, shipline.Errorf(shipline.EINTERNAL, "publish the release of %s@%s: no time", rel.Module, rel.Version)
	}
	rel.Time = rel.Time.UTC().Truncate(time.Second)
	rel.Artifacts = slices.Clone(rel.Artifacts)
	slices.SortFunc(rel.Artifacts, func(a, b shipline.Artifact) int { return strings.Compare(a.Path, b.Path) })
	k := releaseKeysFor(rel.Module, rel.Version)
	var files []pending
	for i, a := range rel.Artifacts {
		if err := checkArtifactPath(a.Path); err != nil {
			return nil, err
		}
		if i > 0 && rel.Artifacts[i-1].Path == a.Path {
			return nil, shipline.Errorf(shipline.EINVALID, "artifact %s is listed twice", a.Path)
		}
		if !isHexSHA256(a.SHA256) {
			return nil, shipline.Errorf(shipline.EINVALID, "artifact %s: sha256 %q is not a hex SHA-256", a.Path, a.SHA256)
		}
		name := filepath.Join(dir, filepath.FromSlash(a.Path))
		fi, err := os.Stat(name)
		if err != nil {
			return nil, shipline.Errorf(shipline.EINVALID, "artifact %s: %v: publish the dist directory the artifacts were built into", a.Path, err)
		}
		if fi.Size() != a.Size {
			return nil, shipline.Errorf(shipline.EINVALID, "artifact %s is %d bytes, not the %d recorded: it changed after it was built; build again", a.Path, fi.Size(), a.Size)
		}
		files = append(files, pending{key: k.dir + a.Path, size: a.Size, sha256: a.SHA256,
			open: func() (io.ReadCloser, error) { return os.Open(name) }}) // #nosec G304 -- name is the caller's dist directory joined with a.Path, which checkArtifactPath accepted above: a clean relative slash path without ".."
	}
	doc, err := json.MarshalIndent(rel, "", "  ")
	if err != nil {
		return nil, err
	}
	files = append(files, pendingBytes(k.release, append(doc, '\n')))

	desc := "the release of " + rel.Module + "@" + rel.Version
	m := &Manifest{Kind: KindRelease, Module: rel.Module, Version: rel.Version}
	res, err := s.commit(ctx, versionSet{
		manifest:    m,
		manifestKey: k.manifest,
		files:       files,
		describe:    desc,
		same: func(old *Manifest) error {
			return sameFiles(desc, k.release, old.Objects, files)
		},
	})
	if err != nil {
		return nil, err
	}
	out := &Published{Module: rel.Module, Version: rel.Version,
		Created: res.created, Resumed: res.resumed, Replaced: res.replaced, Objects: res.manifest.Objects}
	if err := s.refreshIndex(ctx); err != nil {
		return out, fmt.Errorf("%s is published, but %s could not be updated; publish it again to retry: %w", desc, IndexKey, err)
	}
	return out, nil
}

// sameFiles returns nil when old and files hold the same objects with the
// same digests, leaving out the release file itself (it differs in time
// only when the same files are released again), and otherwise an
// ECONFLICT error naming the first difference.
func sameFiles(desc, releaseKey string, old []ObjectSum, files []pending) error {
	want := map[string]string{}
	for _, f := range files {
		if f.key != releaseKey {
			want[f.key] = f.sha256
		}
	}
	have := map[string]string{}
	for _, o := range old {
		if o.Key != releaseKey {
			have[o.Key] = o.SHA256
		}
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if have[k] != want[k] {
			return shipline.Errorf(shipline.ECONFLICT, "%s is already published with other files: %s is sha256 %s in the store, %s in this release: a published release never changes; publish a new version",
				desc, k, orDash(have[k]), orDash(want[k]))
		}
	}
	return nil
}

// ReadRelease returns a committed release. Errors: EINVALID for an invalid
// module path or version, or a damaged artifacts.json; ENOTFOUND when the
// store has no such release.
func (s *Store) ReadRelease(ctx context.Context, path, version string) (*Release, error) {
	if err := checkModuleVersion(path, version); err != nil {
		return nil, err
	}
	k := releaseKeysFor(path, version)
	data, err := s.read(ctx, k.release)
	if shipline.ErrorCode(err) == shipline.ENOTFOUND {
		return nil, shipline.Errorf(shipline.ENOTFOUND, "store %s has no release of %s@%s", s.URL, path, version)
	}
	if err != nil {
		return nil, err
	}
	return ParseRelease(k.release, data)
}

// OpenArtifact opens the file at artifact path p of a committed release;
// the caller closes it. Errors as ReadRelease, and ENOTFOUND for a path the
// release does not list.
func (s *Store) OpenArtifact(ctx context.Context, path, version, p string) (io.ReadCloser, error) {
	rel, err := s.ReadRelease(ctx, path, version)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(rel.Artifacts, func(a shipline.Artifact) bool { return a.Path == p }) {
		return nil, shipline.Errorf(shipline.ENOTFOUND, "the release of %s@%s has no file %s", path, version, p)
	}
	key := releaseKeysFor(path, version).dir + p
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, s.wrap(err, "read %s", key)
	}
	return r, nil
}

// Releases returns every committed release, sorted by module path, then
// version. It reads the releases themselves, not the index, so it is
// right even when the index is stale.
func (s *Store) Releases(ctx context.Context) ([]ReleaseSummary, error) {
	var keys []string
	err := s.List(ctx, ReleasesDir+"/", func(o Object) error {
		if rk, ok := ParseReleaseKey(o.Key); ok && rk.Path == ReleaseFile {
			keys = append(keys, o.Key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := []ReleaseSummary{}
	for _, key := range keys {
		data, err := s.read(ctx, key)
		if err != nil {
			return nil, err
		}
		rel, err := ParseRelease(key, data)
		if err != nil {
			return nil, err
		}
		out = append(out, ReleaseSummary{Module: rel.Module, Version: rel.Version, Time: rel.Time, Artifacts: len(rel.Artifacts), Key: key})
	}
	slices.SortFunc(out, func(a, b ReleaseSummary) int {
		if c := strings.Compare(a.Module, b.Module); c != 0 {
			return c
		}
		return semver.Compare(a.Version, b.Version)
	})
	return out, nil
}

// refreshIndex rewrites _releases/index.json from the committed releases
// when it differs.
func (s *Store) refreshIndex(ctx context.Context) error {
	want, err := s.derivedIndex(ctx)
	if err != nil {
		return err
	}
	if got, err := s.read(ctx, IndexKey); err == nil && bytes.Equal(got, want) {
		return nil
	}
	return s.writeBytes(ctx, IndexKey, want, false)
}

func (s *Store) derivedIndex(ctx context.Context) ([]byte, error) {
	rels, err := s.Releases(ctx)
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(ReleaseIndex{Releases: rels}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// ParseRelease decodes and checks an artifacts.json read from key: the
// module and version must be those of key, every artifact path clean,
// local and listed once, every digest well-formed. Anything else is an
// EINVALID error naming key.
func ParseRelease(key string, data []byte) (*Release, error) {
	var rel Release
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rel); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "%s: %v", key, err)
	}
	if dec.More() {
		return nil, shipline.Errorf(shipline.EINVALID, "%s: data after the JSON object", key)
	}
	if err := checkModuleVersion(rel.Module, rel.Version); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "%s: %v", key, err)
	}
	if want := releaseKeysFor(rel.Module, rel.Version).release; key != want {
		return nil, shipline.Errorf(shipline.EINVALID, "%s: it describes %s@%s, whose release file is %s", key, rel.Module, rel.Version, want)
	}
	for i, a := range rel.Artifacts {
		if err := checkArtifactPath(a.Path); err != nil {
			return nil, shipline.Errorf(shipline.EINVALID, "%s: %v", key, err)
		}
		if !isHexSHA256(a.SHA256) || a.Size < 0 {
			return nil, shipline.Errorf(shipline.EINVALID, "%s: artifact %s: bad sha256 %q or size %d", key, a.Path, a.SHA256, a.Size)
		}
		if i > 0 && rel.Artifacts[i-1].Path >= a.Path {
			return nil, shipline.Errorf(shipline.EINVALID, "%s: artifacts not sorted by path, or listed twice, at %s", key, a.Path)
		}
	}
	return &rel, nil
}
