// Package storetest is the conformance suite of package store: the same
// checks run against every backend (file, mem, s3, gs, azblob), so that a
// store behaves the same whatever it is kept in.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/modzip"
	"github.com/shipline-ci/shipline/store"
)

// Opener returns a new, empty store for a test; the suite closes it.
type Opener func(t *testing.T) *store.Store

// RunConformance runs the conformance suite against the stores open
// returns, each subtest with a store of its own:
//
//   - Layout: the exact object names of a module version (escaped path
//     and version), the content of list, .info, .mod, .zip and @latest;
//   - Readers: Versions, Modules, ReadInfo, ReadMod, OpenZip, Latest,
//     OpenProxyFile, and ENOTFOUND for what is not there;
//   - Immutable: the same content again is a no-op, other content is an
//     ECONFLICT error naming both hashes and changes nothing;
//   - Latest: releases over pre-releases, retractions of the latest
//     version's go.mod;
//   - CrashModule, CrashRelease: a failure injected at every write of a
//     publish leaves the version wholly visible or not at all, and the
//     next publish completes it; Verify agrees at every step;
//   - ReplaceUnfinished: an unfinished publish of other content holds the
//     version for the lease, then is replaced;
//   - CommitRace: when another publish commits the version between the
//     last check and the commit marker, the marker's create-if-absent
//     decides: the same content is a no-op, other content an ECONFLICT
//     error, and the store holds the winner's version whole;
//   - Release: PublishRelease, ReadRelease, OpenArtifact, Releases and
//     index.json, immutability;
//   - BadInput: invalid paths, versions, zips and artifacts are EINVALID
//     errors that write nothing;
//   - Verify: a clean store passes; a corrupt, missing, stale or stray
//     object is reported with its name.
func RunConformance(t *testing.T, open Opener) {
	t.Run("Layout", func(t *testing.T) { testLayout(t, mustOpen(t, open)) })
	t.Run("Readers", func(t *testing.T) { testReaders(t, mustOpen(t, open)) })
	t.Run("Immutable", func(t *testing.T) { testImmutable(t, mustOpen(t, open)) })
	t.Run("Latest", func(t *testing.T) { testLatest(t, mustOpen(t, open)) })
	t.Run("CrashModule", func(t *testing.T) { testCrashModule(t, open) })
	t.Run("ReplaceUnfinished", func(t *testing.T) { testReplaceUnfinished(t, mustOpen(t, open)) })
	t.Run("CommitRace", func(t *testing.T) { testCommitRace(t, mustOpen(t, open)) })
	t.Run("Release", func(t *testing.T) { testRelease(t, mustOpen(t, open)) })
	t.Run("CrashRelease", func(t *testing.T) { testCrashRelease(t, open) })
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, mustOpen(t, open)) })
	t.Run("Verify", func(t *testing.T) { testVerify(t, mustOpen(t, open)) })
}

func mustOpen(t *testing.T, open Opener) *store.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store %s: %v", s.URL, err)
		}
	})
	return s
}

// Fixture times: the commit times of the versions.
var (
	t1 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t2 = t1.Add(time.Hour)
)

// MustModule makes the module zip of path@version from files (name to
// content; a go.mod is added when files has none) and returns it ready to
// publish, with the hashes modzip computed.
func MustModule(tb testing.TB, path, version string, files map[string]string) (store.ModuleVersion, *modzip.Zip) {
	tb.Helper()
	dir := tb.TempDir()
	src := filepath.Join(dir, "src")
	if _, ok := files["go.mod"]; !ok {
		files = mapWith(files, "go.mod", "module "+path+"\n\ngo 1.21\n")
	}
	for name, content := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	z, err := modzip.Create(src, path, version, filepath.Join(dir, "mod.zip"), modzip.Options{})
	if err != nil {
		tb.Fatalf("modzip.Create(%s@%s): %v", path, version, err)
	}
	return store.ModuleVersion{Path: path, Version: version, Mod: z.Mod, Zip: z.File, Time: t1,
		Origin: &store.Origin{VCS: "git", URL: "https://example.com/repo.git", Hash: strings.Repeat("ab", 20), Ref: "refs/tags/" + version}}, z
}

func mapWith(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}

func hello(pkg string) map[string]string {
	return map[string]string{"hello.go": "package " + pkg + "\n\nfunc Hello() string { return \"hello\" }\n"}
}

func publish(t *testing.T, s *store.Store, mv store.ModuleVersion) *store.Published {
	t.Helper()
	res, err := s.PublishModule(context.Background(), mv)
	if err != nil {
		t.Fatalf("PublishModule(%s@%s): %v", mv.Path, mv.Version, err)
	}
	return res
}

// object returns the raw content of key, or nil when it does not exist.
func object(t *testing.T, s *store.Store, key string) []byte {
	t.Helper()
	rc, err := s.OpenObject(context.Background(), key)
	if shipline.ErrorCode(err) == shipline.ENOTFOUND {
		return nil
	}
	if err != nil {
		t.Fatalf("OpenObject(%s): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// keys lists every object of the store.
func keys(t *testing.T, s *store.Store) []string {
	t.Helper()
	var out []string
	if err := s.List(context.Background(), "", func(o store.Object) error {
		out = append(out, o.Key)
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	slices.Sort(out)
	return out
}

func testLayout(t *testing.T, s *store.Store) {
	mv, z := MustModule(t, "example.com/Fixture", "v1.2.0-RC.1", hello("fixture"))
	res := publish(t, s, mv)
	if !res.Created || res.ZipHash != z.Hash || res.ModHash != z.ModHash {
		t.Fatalf("Published = %+v; want created, zip %s, mod %s", res, z.Hash, z.ModHash)
	}
	want := []string{
		"example.com/!fixture/@latest",
		"example.com/!fixture/@v/list",
		"example.com/!fixture/@v/v1.2.0-!r!c.1.info",
		"example.com/!fixture/@v/v1.2.0-!r!c.1.mod",
		"example.com/!fixture/@v/v1.2.0-!r!c.1.shipline.json",
		"example.com/!fixture/@v/v1.2.0-!r!c.1.zip",
	}
	if got := keys(t, s); !slices.Equal(got, want) {
		t.Fatalf("objects:\n got %q\nwant %q", got, want)
	}
	info := `{"Version":"v1.2.0-RC.1","Time":"2026-01-02T03:04:05Z","Origin":{"VCS":"git","URL":"https://example.com/repo.git","Hash":"` + strings.Repeat("ab", 20) + `","Ref":"refs/tags/v1.2.0-RC.1"}}` + "\n"
	for key, want := range map[string]string{
		"example.com/!fixture/@v/list":               "v1.2.0-RC.1\n",
		"example.com/!fixture/@latest":               info,
		"example.com/!fixture/@v/v1.2.0-!r!c.1.info": info,
		"example.com/!fixture/@v/v1.2.0-!r!c.1.mod":  string(mv.Mod),
	} {
		if got := string(object(t, s, key)); got != want {
			t.Errorf("%s = %q; want %q", key, got, want)
		}
	}
	zipData, err := os.ReadFile(mv.Zip)
	if err != nil {
		t.Fatal(err)
	}
	if got := object(t, s, "example.com/!fixture/@v/v1.2.0-!r!c.1.zip"); !bytes.Equal(got, zipData) {
		t.Errorf("the stored zip differs from the published one")
	}
	if len(res.Objects) != 3 {
		t.Errorf("Published.Objects = %v; want the .info, .mod and .zip", res.Objects)
	}
	for _, o := range res.Objects {
		sum := sha256.Sum256(object(t, s, o.Key))
		if hex.EncodeToString(sum[:]) != o.SHA256 {
			t.Errorf("%s: sha256 differs from the manifest's", o.Key)
		}
	}
}

func testReaders(t *testing.T, s *store.Store) {
	ctx := context.Background()
	a, _ := MustModule(t, "example.com/a", "v1.0.0", hello("a"))
	b, _ := MustModule(t, "example.com/a", "v1.1.0", hello("a"))
	b.Time = t2
	c, _ := MustModule(t, "example.com/Other/v2", "v2.0.0", hello("other"))
	for _, mv := range []store.ModuleVersion{b, a, c} {
		publish(t, s, mv)
	}
	if got, err := s.Versions(ctx, "example.com/a"); err != nil || !slices.Equal(got, []string{"v1.0.0", "v1.1.0"}) {
		t.Errorf("Versions = %v, %v; want [v1.0.0 v1.1.0]", got, err)
	}
	if got, err := s.Versions(ctx, "example.com/none"); err != nil || len(got) != 0 {
		t.Errorf("Versions(unknown module) = %v, %v; want none", got, err)
	}
	if got, err := s.Modules(ctx); err != nil || !slices.Equal(got, []string{"example.com/Other/v2", "example.com/a"}) {
		t.Errorf("Modules = %v, %v", got, err)
	}
	info, err := s.ReadInfo(ctx, "example.com/a", "v1.1.0")
	if err != nil || info.Version != "v1.1.0" || !info.Time.Equal(t2) || info.Origin == nil || info.Origin.Ref != "refs/tags/v1.1.0" {
		t.Errorf("ReadInfo = %+v, %v", info, err)
	}
	mod, err := s.ReadMod(ctx, "example.com/Other/v2", "v2.0.0")
	if err != nil || !bytes.Equal(mod, c.Mod) {
		t.Errorf("ReadMod = %q, %v; want %q", mod, err, c.Mod)
	}
	rc, err := s.OpenZip(ctx, "example.com/a", "v1.0.0")
	if err != nil {
		t.Fatalf("OpenZip: %v", err)
	}
	got, _ := io.ReadAll(rc)
	_ = rc.Close() // a reader: nothing to learn from its Close
	if want, _ := os.ReadFile(a.Zip); !bytes.Equal(got, want) {
		t.Errorf("OpenZip: content differs")
	}
	if l, err := s.Latest(ctx, "example.com/a"); err != nil || l.Version != "v1.1.0" {
		t.Errorf("Latest = %+v, %v; want v1.1.0", l, err)
	}
	for name, f := range map[string]func() error{
		"ReadInfo": func() error { _, err := s.ReadInfo(ctx, "example.com/a", "v1.2.0"); return err },
		"ReadMod":  func() error { _, err := s.ReadMod(ctx, "example.com/a", "v1.2.0"); return err },
		"OpenZip":  func() error { _, err := s.OpenZip(ctx, "example.com/b", "v1.0.0"); return err },
		"Latest":   func() error { _, err := s.Latest(ctx, "example.com/b"); return err },
		"OpenProxyFile manifest": func() error {
			_, err := s.OpenProxyFile(ctx, "example.com/a/@v/v1.0.0.shipline.json")
			return err
		},
		"OpenProxyFile missing": func() error { _, err := s.OpenProxyFile(ctx, "example.com/a/@v/v1.2.0.zip"); return err },
	} {
		if code := shipline.ErrorCode(f()); code != shipline.ENOTFOUND {
			t.Errorf("%s of a missing version: code %q; want %q", name, code, shipline.ENOTFOUND)
		}
	}
	for _, name := range []string{"example.com/!other/v2/@v/list", "example.com/!other/v2/@latest", "example.com/!other/v2/@v/v2.0.0.zip"} {
		rc, err := s.OpenProxyFile(ctx, name)
		if err != nil {
			t.Errorf("OpenProxyFile(%s): %v", name, err)
			continue
		}
		_ = rc.Close() // a reader: nothing to learn from its Close
	}
}

func testImmutable(t *testing.T, s *store.Store) {
	ctx := context.Background()
	mv, z := MustModule(t, "example.com/m", "v1.0.0", hello("m"))
	publish(t, s, mv)
	before := snapshot(t, s)

	again, _ := MustModule(t, "example.com/m", "v1.0.0", hello("m"))
	res := publish(t, s, again)
	if res.Created || res.ZipHash != z.Hash {
		t.Errorf("publishing the same content again: %+v; want not created, same hash", res)
	}
	other, oz := MustModule(t, "example.com/m", "v1.0.0", hello("changed"))
	_, err := s.PublishModule(ctx, other)
	if code := shipline.ErrorCode(err); code != shipline.ECONFLICT {
		t.Fatalf("publishing other content: error %v (code %q); want %q", err, code, shipline.ECONFLICT)
	}
	for _, h := range []string{z.Hash, oz.Hash} {
		if !strings.Contains(err.Error(), h) {
			t.Errorf("conflict error %q does not name hash %s", err, h)
		}
	}
	if after := snapshot(t, s); !equalSnapshots(before, after) {
		t.Errorf("a refused publish changed the store:\nbefore %v\nafter  %v", before, after)
	}
}

// snapshot maps every object to its SHA-256.
func snapshot(t *testing.T, s *store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range keys(t, s) {
		sum := sha256.Sum256(object(t, s, k))
		out[k] = hex.EncodeToString(sum[:8])
	}
	return out
}

func equalSnapshots(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func testLatest(t *testing.T, s *store.Store) {
	ctx := context.Background()
	const path = "example.com/latest"
	latest := func(want string) {
		t.Helper()
		info, err := s.Latest(ctx, path)
		if err != nil || info.Version != want {
			t.Fatalf("Latest = %+v, %v; want %s", info, err, want)
		}
		at := object(t, s, "example.com/latest/@latest")
		if !strings.Contains(string(at), `"Version":"`+want+`"`) {
			t.Fatalf("@latest = %s; want the .info of %s", at, want)
		}
	}
	pre, _ := MustModule(t, path, "v1.0.0-rc.1", hello("latest"))
	publish(t, s, pre)
	latest("v1.0.0-rc.1") // only pre-releases: the highest
	for _, v := range []string{"v1.0.0", "v1.1.0"} {
		mv, _ := MustModule(t, path, v, hello("latest"))
		publish(t, s, mv)
	}
	pre2, _ := MustModule(t, path, "v1.2.0-beta.1", hello("latest"))
	publish(t, s, pre2)
	latest("v1.1.0") // a release wins over a higher pre-release
	retract, _ := MustModule(t, path, "v1.3.0", map[string]string{
		"go.mod":   "module " + path + "\n\ngo 1.21\n\nretract (\n\tv1.3.0 // published by mistake\n\t[v1.1.0, v1.2.0-beta.1]\n)\n",
		"hello.go": "package latest\n",
	})
	publish(t, s, retract)
	latest("v1.0.0") // the latest version's go.mod retracts itself, v1.1.0 and the beta
	if got := string(object(t, s, "example.com/latest/@v/list")); got != "v1.0.0-rc.1\nv1.0.0\nv1.1.0\nv1.2.0-beta.1\nv1.3.0\n" {
		t.Errorf("list = %q; want every version, retracted ones too", got)
	}
}

// faultAt returns a Store.Fault that fails the nth write (from 0) and
// records the names written before it.
func faultAt(n int, written *[]string) func(op, key string) error {
	i := 0
	return func(op, key string) error {
		if op != "write" {
			return nil
		}
		defer func() { i++ }()
		if i == n {
			return errInjected
		}
		*written = append(*written, key)
		return nil
	}
}

var errInjected = errors.New("injected failure")

// visible reports what readers see of path@version: whether it is listed
// and readable, and checks that they agree.
func visible(t *testing.T, s *store.Store, path, version string) bool {
	t.Helper()
	ctx := context.Background()
	versions, err := s.Versions(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	listed := slices.Contains(versions, version)
	_, infoErr := s.ReadInfo(ctx, path, version)
	_, modErr := s.ReadMod(ctx, path, version)
	zr, zipErr := s.OpenZip(ctx, path, version)
	if zipErr == nil {
		_ = zr.Close() // a reader: nothing to learn from its Close
	}
	readable := infoErr == nil && modErr == nil && zipErr == nil
	unreadable := shipline.ErrorCode(infoErr) == shipline.ENOTFOUND && shipline.ErrorCode(modErr) == shipline.ENOTFOUND && shipline.ErrorCode(zipErr) == shipline.ENOTFOUND
	if listed != readable || readable == unreadable {
		t.Fatalf("%s@%s half visible: listed %v, .info %v, .mod %v, .zip %v", path, version, listed, infoErr, modErr, zipErr)
	}
	return listed
}

func testCrashModule(t *testing.T, open Opener) {
	ctx := context.Background()
	const path = "example.com/Crash"
	base, _ := MustModule(t, path, "v1.0.0", hello("crash"))
	mv, _ := MustModule(t, path, "v1.1.0", hello("crash"))
	// The writes of a publish: manifest, .mod, .zip, .info, list, @latest.
	for n := 0; ; n++ {
		s := mustOpen(t, open)
		publish(t, s, base)
		var written []string
		s.Fault = faultAt(n, &written)
		_, err := s.PublishModule(ctx, mv)
		s.Fault = nil
		if err == nil {
			if n < 6 {
				t.Fatalf("a publish with its write #%d failing succeeded; wrote %v", n, written)
			}
			break // every write has been failed once
		}
		if !errors.Is(err, errInjected) {
			t.Fatalf("write #%d failed: error %v does not wrap the injected failure", n, err)
		}
		committed := slices.Contains(written, "example.com/!crash/@v/v1.1.0.info")
		if got := visible(t, s, path, "v1.1.0"); got != committed {
			t.Fatalf("after a failure at write #%d (written: %v): visible = %v; want %v", n, written, got, committed)
		}
		if !committed {
			if l, err := s.Latest(ctx, path); err != nil || l.Version != "v1.0.0" {
				t.Fatalf("after a failure at write #%d: Latest = %+v, %v; want v1.0.0", n, l, err)
			}
			if list := string(object(t, s, "example.com/!crash/@v/list")); list != "v1.0.0\n" {
				t.Fatalf("after a failure at write #%d: list = %q", n, list)
			}
		}
		rep, err := s.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if committed == rep.OK() && n >= 4 {
			// A crash after the commit leaves list and @latest stale,
			// which Verify reports until the next publish.
			t.Logf("after a failure at write #%d: verify OK = %v: %+v", n, rep.OK(), rep.Problems)
		}
		if !committed && !rep.OK() {
			t.Fatalf("after a failure at write #%d, before the commit: Verify: %+v", n, rep.Problems)
		}
		res := publish(t, s, mv) // the next publish completes it
		if !visible(t, s, path, "v1.1.0") {
			t.Fatalf("publish after a failure at write #%d: not visible", n)
		}
		if committed == res.Created {
			t.Errorf("publish after a failure at write #%d: Created = %v; want %v", n, res.Created, !committed)
		}
		if l, err := s.Latest(ctx, path); err != nil || l.Version != "v1.1.0" {
			t.Fatalf("publish after a failure at write #%d: Latest = %+v, %v", n, l, err)
		}
		mustVerify(t, s)
	}
}

func mustVerify(t *testing.T, s *store.Store) *store.Report {
	t.Helper()
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	for _, p := range rep.Problems {
		t.Errorf("Verify: %s %s %s: %s", p.Severity, p.Kind, p.Key, p.Message)
	}
	return rep
}

func testReplaceUnfinished(t *testing.T, s *store.Store) {
	ctx := context.Background()
	now := t1
	s.Now = func() time.Time { return now }
	s.Lease = 10 * time.Minute
	const path = "example.com/replace"
	a, _ := MustModule(t, path, "v1.0.0", hello("a"))
	b, bz := MustModule(t, path, "v1.0.0", hello("b"))

	// A publish of a dies after its .zip.
	var written []string
	s.Fault = faultAt(3, &written)
	if _, err := s.PublishModule(ctx, a); !errors.Is(err, errInjected) {
		t.Fatalf("PublishModule with a failing .info: %v", err)
	}
	s.Fault = nil
	// Other content within the lease: refused, nothing changes.
	now = now.Add(time.Minute)
	_, err := s.PublishModule(ctx, b)
	if shipline.ErrorCode(err) != shipline.ECONFLICT || !strings.Contains(err.Error(), "has not finished") {
		t.Fatalf("publishing other content during another's lease: %v; want ECONFLICT, not finished", err)
	}
	if visible(t, s, path, "v1.0.0") {
		t.Fatal("the unfinished publish became visible")
	}
	// After the lease: replaced.
	now = now.Add(10 * time.Minute)
	res := publish(t, s, b)
	if !res.Created || !res.Replaced || res.ZipHash != bz.Hash {
		t.Fatalf("publish after the lease: %+v; want created, replaced, zip %s", res, bz.Hash)
	}
	mustVerify(t, s)

	// An unfinished publish of the same content is completed at once.
	c, _ := MustModule(t, path, "v1.1.0", hello("c"))
	written = nil
	s.Fault = faultAt(2, &written)
	if _, err := s.PublishModule(ctx, c); !errors.Is(err, errInjected) {
		t.Fatalf("PublishModule with a failing .zip: %v", err)
	}
	s.Fault = nil
	if res := publish(t, s, c); !res.Created || !res.Resumed {
		t.Fatalf("publishing the same content again: %+v; want created, resumed", res)
	}
	mustVerify(t, s)
}

func testCommitRace(t *testing.T, s *store.Store) {
	ctx := context.Background()
	now := t1
	s.Now = func() time.Time { return now }
	const path = "example.com/race"
	// raceAt publishes other, as another publisher would, just before
	// this store writes the .info of mv.
	raceAt := func(mv, other store.ModuleVersion) (*store.Published, error) {
		var otherErr error
		s.Fault = func(op, key string) error {
			if op == "write" && strings.HasSuffix(key, ".info") {
				s.Fault = nil
				now = now.Add(time.Hour) // past the lease of mv's unfinished publish
				_, otherErr = s.PublishModule(ctx, other)
			}
			return nil
		}
		res, err := s.PublishModule(ctx, mv)
		s.Fault = nil
		if otherErr != nil {
			t.Fatalf("the other publish: %v", otherErr)
		}
		return res, err
	}
	a, _ := MustModule(t, path, "v1.0.0", hello("a"))
	same, _ := MustModule(t, path, "v1.0.0", hello("a"))
	res, err := raceAt(a, same)
	if err != nil || res.Created {
		t.Fatalf("losing the race to the same content: %+v, %v; want a no-op", res, err)
	}
	b, _ := MustModule(t, path, "v1.1.0", hello("b"))
	other, oz := MustModule(t, path, "v1.1.0", hello("other"))
	_, err = raceAt(b, other)
	if shipline.ErrorCode(err) != shipline.ECONFLICT || !strings.Contains(err.Error(), oz.Hash) {
		t.Fatalf("losing the race to other content: %v; want ECONFLICT naming %s", err, oz.Hash)
	}
	if !visible(t, s, path, "v1.1.0") {
		t.Fatal("the winner's version is not visible")
	}
	rc, err := s.OpenZip(ctx, path, "v1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	_ = rc.Close() // a reader: nothing to learn from its Close
	if want, _ := os.ReadFile(other.Zip); !bytes.Equal(got, want) {
		t.Error("the store holds the loser's zip")
	}
	mustVerify(t, s)
}

func testBadInput(t *testing.T, s *store.Store) {
	ctx := context.Background()
	good, _ := MustModule(t, "example.com/good", "v1.0.0", hello("good"))
	v2, _ := MustModule(t, "example.com/good/v2", "v2.0.0", hello("good"))
	bad := func(name string, mv store.ModuleVersion, want string) {
		t.Helper()
		_, err := s.PublishModule(ctx, mv)
		if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v; want EINVALID containing %q", name, err, want)
		}
	}
	with := func(f func(*store.ModuleVersion)) store.ModuleVersion {
		mv := good
		f(&mv)
		return mv
	}
	bad("no dot", with(func(m *store.ModuleVersion) { m.Path = "good" }), "invalid module path")
	bad("not canonical", with(func(m *store.ModuleVersion) { m.Version = "v1.0" }), "v1.0")
	bad("no v", with(func(m *store.ModuleVersion) { m.Version = "1.0.0" }), "invalid module version")
	bad("major without /vN", with(func(m *store.ModuleVersion) { m.Version = "v2.0.0" }), "invalid module version")
	bad("go.mod of another module", with(func(m *store.ModuleVersion) { m.Mod = v2.Mod }), "go.mod says module")
	bad("zip of another version", with(func(m *store.ModuleVersion) { m.Version = "v1.0.1" }), "not a valid module zip")
	notZip := filepath.Join(t.TempDir(), "x.zip")
	if err := os.WriteFile(notZip, []byte("not a zip"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad("not a zip", with(func(m *store.ModuleVersion) { m.Zip = notZip }), "not a valid module zip")

	d := MustDist(t, map[string]string{"a.tar.gz": "a"})
	badRel := func(name string, rel store.Release, want string) {
		t.Helper()
		_, err := s.PublishRelease(ctx, rel, d.Dir)
		if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v; want EINVALID containing %q", name, err, want)
		}
	}
	arts := func(f func(*shipline.Artifact)) store.Release {
		r := release("example.com/good", "v1.0.0", d)
		r.Artifacts = slices.Clone(d.Artifacts)
		f(&r.Artifacts[0])
		return r
	}
	badRel("escaping path", arts(func(a *shipline.Artifact) { a.Path = "../a.tar.gz" }), "clean slash path")
	badRel("absolute path", arts(func(a *shipline.Artifact) { a.Path = "/etc/passwd" }), "clean slash path")
	badRel("reserved name", arts(func(a *shipline.Artifact) { a.Path = "artifacts.json" }), "the store's own release file")
	badRel("missing file", arts(func(a *shipline.Artifact) { a.Path = "b.tar.gz" }), "no such file")
	badRel("wrong size", arts(func(a *shipline.Artifact) { a.Size = 2 }), "not the 2 recorded")
	badRel("bad version", store.Release{Module: "example.com/good", Version: "latest", Time: t1}, "invalid module version")
	// A file whose content is not what was hashed: the upload is refused.
	_, err := s.PublishRelease(ctx, arts(func(a *shipline.Artifact) { a.SHA256 = strings.Repeat("0", 64) }), d.Dir)
	if err == nil || !strings.Contains(err.Error(), "changed after it was hashed") {
		t.Errorf("a file that does not match its sha256: %v", err)
	}
	if got := keys(t, s); slices.ContainsFunc(got, func(k string) bool { return strings.HasSuffix(k, ".tar.gz") || strings.HasSuffix(k, ".zip") }) {
		t.Errorf("refused publishes left files: %q", got)
	}
	if _, err := s.Releases(ctx); err != nil {
		t.Errorf("Releases: %v", err)
	}
	if _, err := s.Versions(ctx, "Example.com/x"); shipline.ErrorCode(err) != shipline.EINVALID {
		t.Errorf("Versions(invalid path): %v; want EINVALID", err)
	}
}

func testVerify(t *testing.T, s *store.Store) {
	ctx := context.Background()
	mv, _ := MustModule(t, "example.com/v", "v1.0.0", hello("v"))
	publish(t, s, mv)
	mv2, _ := MustModule(t, "example.com/v", "v1.1.0", hello("v"))
	publish(t, s, mv2)
	d := MustDist(t, map[string]string{"a.tar.gz": "a"})
	if _, err := s.PublishRelease(ctx, release("example.com/v", "v1.0.0", d), d.Dir); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, s)
	if rep.Modules != 2 || rep.Releases != 1 || rep.Objects != 8 {
		t.Errorf("Verify counted %d module versions, %d releases, %d objects; want 2, 1, 8", rep.Modules, rep.Releases, rep.Objects)
	}
	raw := s.Bucket()
	put := func(key, content string) {
		t.Helper()
		if err := raw.WriteAll(ctx, key, []byte(content), nil); err != nil {
			t.Fatal(err)
		}
	}
	put("example.com/v/@v/v1.0.0.zip", "corrupted")
	put("_releases/example.com/v/@v/v1.0.0/a.tar.gz", "b")
	put("example.com/v/@v/list", "v1.0.0\n")
	put("example.com/v/@v/v1.1.0.mod.tmp", "stray")
	if err := raw.Delete(ctx, "example.com/v/@v/v1.1.0.mod"); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"example.com/v/@v/v1.0.0.zip":                "error corrupt",
		"_releases/example.com/v/@v/v1.0.0/a.tar.gz": "error corrupt",
		"example.com/v/@v/list":                      "error stale",
		"example.com/v/@v/v1.1.0.mod.tmp":            "warning stray",
		"example.com/v/@v/v1.1.0.mod":                "error missing",
	}
	got := map[string]string{}
	for _, p := range rep.Problems {
		got[p.Key] = p.Severity + " " + p.Kind
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("Verify: %s: got %q; want %q (all: %+v)", k, got[k], w, rep.Problems)
		}
	}
	if rep.OK() || shipline.ErrorCode(rep.Err()) != shipline.EINVALID {
		t.Errorf("Verify of a damaged store: OK %v, Err %v", rep.OK(), rep.Err())
	}
	if len(rep.Problems) != len(want) {
		t.Errorf("Verify found %d problems; want %d: %+v", len(rep.Problems), len(want), rep.Problems)
	}
}
