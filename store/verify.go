package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/modzip"
)

// Severities of a Problem.
const (
	SevError   = "error"   // the store is damaged or inconsistent: Verify fails
	SevWarning = "warning" // worth knowing, harmless to readers
)

// Kinds of Problem.
const (
	ProblemCorrupt    = "corrupt"    // an object's content is not what its manifest recorded
	ProblemMissing    = "missing"    // an object a committed version's manifest lists is gone
	ProblemInvalid    = "invalid"    // a manifest, .info or artifacts.json cannot be read
	ProblemUnverified = "unverified" // a committed version has no manifest to check it against
	ProblemStale      = "stale"      // list, @latest or index.json disagrees with what is committed
	ProblemIncomplete = "incomplete" // an unfinished publish: invisible, completed or replaced by the next publish
	ProblemStray      = "stray"      // an object that is no part of the layout
)

// Problem is one thing Verify found wrong.
type Problem struct {
	Severity string `json:"severity"` // SevError or SevWarning
	Kind     string `json:"kind"`     // Problem... constants
	Key      string `json:"key"`      // the object concerned
	Message  string `json:"message"`  // for a person: what is wrong and what to do
}

// Report is what Verify checked and found.
type Report struct {
	Store    string    `json:"store"`
	Modules  int       `json:"module_versions"` // committed module versions checked
	Releases int       `json:"releases"`        // committed releases checked
	Objects  int       `json:"objects"`         // objects re-hashed
	Bytes    int64     `json:"bytes"`           // bytes re-hashed
	Problems []Problem `json:"problems"`
}

// OK reports whether Verify found no error (warnings allowed).
func (r *Report) OK() bool {
	return !slices.ContainsFunc(r.Problems, func(p Problem) bool { return p.Severity == SevError })
}

// Err returns nil when the report is OK, and otherwise an EINVALID error
// that counts the errors and names the first.
func (r *Report) Err() error {
	var errs []Problem
	for _, p := range r.Problems {
		if p.Severity == SevError {
			errs = append(errs, p)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return shipline.Errorf(shipline.EINVALID, "store %s: %d problem(s), the first: %s: %s", r.Store, len(errs), errs[0].Key, errs[0].Message)
}

func (r *Report) add(sev, kind, key, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Severity: sev, Kind: kind, Key: key, Message: fmt.Sprintf(format, args...)})
}

// Verify reads every object of the store once and checks it:
//
//   - every object a committed version's manifest lists exists and has the
//     recorded SHA-256 and size; a module zip and go.mod also have the
//     recorded "h1:" hashes, and the zip is a valid module zip;
//   - every .info and artifacts.json parses, and every committed version
//     has a manifest;
//   - each module's list and @latest, and _releases/index.json, are what
//     the committed versions make them;
//   - unfinished publishes and objects outside the layout are reported as
//     warnings.
//
// Problems are in the Report; the error is for a store that cannot be
// listed or read at all.
func (s *Store) Verify(ctx context.Context) (*Report, error) {
	rep := &Report{Store: s.URL, Problems: []Problem{}}
	objects := map[string]int64{}
	var keys []string
	if err := s.List(ctx, "", func(o Object) error {
		objects[o.Key] = o.Size
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		return nil, err
	}
	described := map[string]bool{} // objects some manifest lists
	modules := map[string]bool{}
	releases := false
	for _, key := range keys {
		if mk, ok := ParseModuleKey(key); ok {
			modules[mk.Module] = true
			if mk.File == "manifest" {
				if err := s.verifyVersion(ctx, rep, key, objects, described); err != nil {
					return nil, err
				}
			}
			continue
		}
		if rk, ok := ParseReleaseKey(key); ok {
			releases = true
			if rk.Path == "" {
				if err := s.verifyVersion(ctx, rep, key, objects, described); err != nil {
					return nil, err
				}
			}
			continue
		}
		if key == IndexKey {
			releases = true
		}
	}
	for _, key := range keys {
		mk, isModule := ParseModuleKey(key)
		rk, isRelease := ParseReleaseKey(key)
		switch {
		case described[key] || key == IndexKey || isRelease && rk.Path == "":
		case isModule && (mk.File == listFile || mk.File == latestFile || mk.File == "manifest"):
		case isModule && mk.File == "info":
			rep.add(SevError, ProblemUnverified, key, "%s@%s is published but has no manifest, so its files cannot be checked: publish it again to record one", mk.Module, mk.Version)
		case isModule || isRelease:
			rep.add(SevWarning, ProblemIncomplete, key, "left by an unfinished publish; invisible to readers; the next publish of this version completes or replaces it")
		default:
			rep.add(SevWarning, ProblemStray, key, "not part of the store's layout (a temporary file of an interrupted write, or a file put there by hand); readers ignore it")
		}
	}
	var paths []string
	for p := range modules {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if err := s.verifyDerived(ctx, rep, p, objects); err != nil {
			return nil, err
		}
	}
	if releases {
		want, err := s.derivedIndex(ctx)
		if shipline.ErrorCode(err) == shipline.EINVALID {
			rep.add(SevError, ProblemInvalid, IndexKey, "cannot compute the index: %v", err)
		} else if err != nil {
			return nil, err
		} else if _, ok := objects[IndexKey]; ok || rep.Releases > 0 {
			got, err := s.read(ctx, IndexKey)
			if err != nil && shipline.ErrorCode(err) != shipline.ENOTFOUND {
				return nil, err
			}
			if !bytes.Equal(got, want) {
				rep.add(SevError, ProblemStale, IndexKey, "does not list exactly the committed releases: publish any release again to rewrite it")
			}
		}
	}
	return rep, nil
}

// verifyVersion checks the version whose manifest is key.
func (s *Store) verifyVersion(ctx context.Context, rep *Report, key string, objects map[string]int64, described map[string]bool) error {
	data, err := s.read(ctx, key)
	if err != nil {
		return err
	}
	m, err := ParseManifest(key, data)
	if err != nil {
		rep.add(SevError, ProblemInvalid, key, "%v", err)
		return nil
	}
	for _, o := range m.Objects {
		described[o.Key] = true
	}
	marker := keysFor(m.Module, m.Version).info
	if m.Kind == KindRelease {
		marker = releaseKeysFor(m.Module, m.Version).release
	}
	if _, ok := objects[marker]; !ok {
		rep.add(SevWarning, ProblemIncomplete, key, "an unfinished publish of %s@%s (started %s by %s); invisible to readers; the next publish of this version completes or replaces it",
			m.Module, m.Version, m.Started.Format("2006-01-02T15:04:05Z07:00"), orDash(m.Publisher))
		return nil
	}
	if m.Kind == KindModule {
		rep.Modules++
	} else {
		rep.Releases++
	}
	for _, o := range m.Objects {
		if _, ok := objects[o.Key]; !ok {
			rep.add(SevError, ProblemMissing, o.Key, "listed by %s but missing: restore it from a copy of the store", key)
			continue
		}
		if err := s.verifyObject(ctx, rep, m, o); err != nil {
			return err
		}
	}
	return nil
}

// verifyObject re-hashes one object.
func (s *Store) verifyObject(ctx context.Context, rep *Report, m *Manifest, o ObjectSum) error {
	r, err := s.bucket.NewReader(ctx, o.Key, nil)
	if err != nil {
		return s.wrap(err, "read %s", o.Key)
	}
	defer r.Close()
	h := sha256.New()
	var w io.Writer = h
	k := keysFor(m.Module, m.Version)
	var tmp *os.File
	var buf bytes.Buffer
	switch {
	case m.Kind == KindModule && o.Key == k.zip:
		if tmp, err = os.CreateTemp("", "shipline-verify-*.zip"); err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		w = io.MultiWriter(h, tmp)
	case m.Kind == KindModule && o.Key == k.mod, o.Key == k.info:
		w = io.MultiWriter(h, &buf)
	}
	n, err := io.Copy(w, r)
	if err != nil {
		return s.wrap(err, "read %s", o.Key)
	}
	rep.Objects++
	rep.Bytes += n
	if got := hex.EncodeToString(h.Sum(nil)); got != o.SHA256 || n != o.Size {
		rep.add(SevError, ProblemCorrupt, o.Key, "sha256 %s (%d bytes), but the %s manifest recorded %s (%d bytes): the object is corrupt; restore it from a backup or another copy of the store", got, n, m.Kind, o.SHA256, o.Size)
		return nil
	}
	switch {
	case m.Kind != KindModule:
	case o.Key == k.zip:
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := modzip.CheckZip(m.Module, m.Version, tmp.Name()); err != nil {
			rep.add(SevError, ProblemInvalid, o.Key, "%v", err)
		} else if h1, err := modzip.HashZip(tmp.Name()); err != nil || h1 != m.ZipHash {
			rep.add(SevError, ProblemCorrupt, o.Key, "hash %s, but the manifest records %s", h1, m.ZipHash)
		}
	case o.Key == k.mod:
		if h1, _ := modzip.HashMod(buf.Bytes()); h1 != m.ModHash {
			rep.add(SevError, ProblemCorrupt, o.Key, "hash %s, but the manifest records %s", h1, m.ModHash)
		}
	case o.Key == k.info:
		if info, err := parseInfo(o.Key, buf.Bytes()); err != nil {
			rep.add(SevError, ProblemInvalid, o.Key, "%v", err)
		} else if info.Version != m.Version {
			rep.add(SevError, ProblemInvalid, o.Key, "says Version %s, not %s", info.Version, m.Version)
		}
	}
	return nil
}

// verifyDerived checks a module's list and @latest.
func (s *Store) verifyDerived(ctx context.Context, rep *Report, path string, objects map[string]int64) error {
	k := keysFor(path, "v0.0.0")
	list, latest, err := s.derivedModule(ctx, path)
	switch shipline.ErrorCode(err) {
	case "":
	case shipline.EINVALID:
		rep.add(SevError, ProblemInvalid, k.dir, "%v", err)
		return nil
	default:
		return err
	}
	if list == nil {
		// No committed version: list and @latest must not claim one.
		for _, key := range []string{k.list, k.latest} {
			if _, ok := objects[key]; ok {
				rep.add(SevError, ProblemStale, key, "names versions of %s, which has none committed: delete it", path)
			}
		}
		return nil
	}
	for key, want := range map[string][]byte{k.list: list, k.latest: latest} {
		got, err := s.read(ctx, key)
		if err != nil && shipline.ErrorCode(err) != shipline.ENOTFOUND {
			return err
		}
		if !bytes.Equal(got, want) {
			rep.add(SevError, ProblemStale, key, "is %q, but the committed versions of %s make it %q: publish any version of %s again to rewrite it",
				strings.TrimSpace(string(got)), path, strings.TrimSpace(string(want)), path)
		}
	}
	return nil
}
