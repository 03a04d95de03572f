package storetest

import (
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

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/store"
)

// Dist is a dist directory of release files for tests.
type Dist struct {
	Dir       string
	Artifacts []shipline.Artifact
}

// MustDist writes files (path to content) into a new directory and returns
// them as artifacts with their digests.
func MustDist(tb testing.TB, files map[string]string) Dist {
	tb.Helper()
	d := Dist{Dir: tb.TempDir()}
	for p, content := range files {
		name := filepath.Join(d.Dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256([]byte(content))
		kind := shipline.KindArchive
		if p == "checksums.txt" {
			kind = shipline.KindChecksums
		}
		d.Artifacts = append(d.Artifacts, shipline.Artifact{Name: filepath.Base(name), Path: p, Kind: kind, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))})
	}
	slices.SortFunc(d.Artifacts, func(a, b shipline.Artifact) int { return strings.Compare(a.Path, b.Path) })
	return d
}

func release(module, version string, d Dist) store.Release {
	return store.Release{Module: module, Version: version, Commit: strings.Repeat("cd", 20), Time: t1, Artifacts: d.Artifacts}
}

func testRelease(t *testing.T, s *store.Store) {
	ctx := context.Background()
	d := MustDist(t, map[string]string{
		"app_linux_amd64.tar.gz": "linux archive",
		"app_windows_arm64.zip":  "windows archive",
		"app_linux_amd64/app":    "binary",
		"checksums.txt":          "sums",
	})
	res, err := s.PublishRelease(ctx, release("example.com/App", "v1.0.0", d), d.Dir)
	if err != nil {
		t.Fatalf("PublishRelease: %v", err)
	}
	if !res.Created || len(res.Objects) != 5 {
		t.Fatalf("PublishRelease = %+v; want created, 5 objects", res)
	}
	wantKeys := []string{
		"_releases/example.com/!app/@v/v1.0.0.shipline.json",
		"_releases/example.com/!app/@v/v1.0.0/app_linux_amd64.tar.gz",
		"_releases/example.com/!app/@v/v1.0.0/app_linux_amd64/app",
		"_releases/example.com/!app/@v/v1.0.0/app_windows_arm64.zip",
		"_releases/example.com/!app/@v/v1.0.0/artifacts.json",
		"_releases/example.com/!app/@v/v1.0.0/checksums.txt",
		"_releases/index.json",
	}
	if got := keys(t, s); !slices.Equal(got, wantKeys) {
		t.Fatalf("objects:\n got %q\nwant %q", got, wantKeys)
	}
	rel, err := s.ReadRelease(ctx, "example.com/App", "v1.0.0")
	if err != nil || len(rel.Artifacts) != 4 || !rel.Time.Equal(t1) {
		t.Fatalf("ReadRelease = %+v, %v", rel, err)
	}
	rc, err := s.OpenArtifact(ctx, "example.com/App", "v1.0.0", "app_linux_amd64/app")
	if err != nil {
		t.Fatalf("OpenArtifact: %v", err)
	}
	data, _ := io.ReadAll(rc)
	_ = rc.Close() // a reader: nothing to learn from its Close
	if string(data) != "binary" {
		t.Errorf("OpenArtifact = %q", data)
	}
	if _, err := s.OpenArtifact(ctx, "example.com/App", "v1.0.0", "nope"); shipline.ErrorCode(err) != shipline.ENOTFOUND {
		t.Errorf("OpenArtifact(unlisted path): %v; want ENOTFOUND", err)
	}
	if _, err := s.ReadRelease(ctx, "example.com/App", "v2.0.0+incompatible"); shipline.ErrorCode(err) != shipline.ENOTFOUND {
		t.Errorf("ReadRelease(missing): %v; want ENOTFOUND", err)
	}
	d2 := MustDist(t, map[string]string{"app.tar.gz": "v1.1.0"})
	if _, err := s.PublishRelease(ctx, release("example.com/App", "v1.1.0", d2), d2.Dir); err != nil {
		t.Fatal(err)
	}
	rels, err := s.Releases(ctx)
	if err != nil || len(rels) != 2 || rels[0].Version != "v1.0.0" || rels[0].Artifacts != 4 || rels[1].Version != "v1.1.0" {
		t.Fatalf("Releases = %+v, %v", rels, err)
	}
	index := string(object(t, s, store.IndexKey))
	for _, want := range []string{`"module": "example.com/App"`, `"version": "v1.1.0"`, `"artifacts": 4`, `"key": "_releases/example.com/!app/@v/v1.0.0/artifacts.json"`} {
		if !strings.Contains(index, want) {
			t.Errorf("index.json lacks %s:\n%s", want, index)
		}
	}
	// The same files again: a no-op. Other files: a conflict naming one.
	if res, err := s.PublishRelease(ctx, release("example.com/App", "v1.0.0", d), d.Dir); err != nil || res.Created {
		t.Errorf("publishing the same release again: %+v, %v; want a no-op", res, err)
	}
	changed := MustDist(t, map[string]string{
		"app_linux_amd64.tar.gz": "linux archive, rebuilt",
		"app_windows_arm64.zip":  "windows archive",
		"app_linux_amd64/app":    "binary",
		"checksums.txt":          "sums",
	})
	_, err = s.PublishRelease(ctx, release("example.com/App", "v1.0.0", changed), changed.Dir)
	if shipline.ErrorCode(err) != shipline.ECONFLICT || !strings.Contains(err.Error(), "app_linux_amd64.tar.gz") ||
		!strings.Contains(err.Error(), d.Artifacts[0].SHA256) || !strings.Contains(err.Error(), changed.Artifacts[0].SHA256) {
		t.Errorf("publishing other files: %v; want ECONFLICT naming the file and both hashes", err)
	}
	mustVerify(t, s)
}

func testCrashRelease(t *testing.T, open Opener) {
	ctx := context.Background()
	d := MustDist(t, map[string]string{"a.tar.gz": "a", "b.zip": "b"})
	rel := release("example.com/rel", "v1.0.0", d)
	// The writes: manifest, a.tar.gz, b.zip, artifacts.json, index.json.
	for n := 0; n < 5; n++ {
		s := mustOpen(t, open)
		var written []string
		s.Fault = faultAt(n, &written)
		_, err := s.PublishRelease(ctx, rel, d.Dir)
		s.Fault = nil
		if !errors.Is(err, errInjected) {
			t.Fatalf("write #%d failing: %v", n, err)
		}
		committed := slices.Contains(written, "_releases/example.com/rel/@v/v1.0.0/artifacts.json")
		_, rerr := s.ReadRelease(ctx, "example.com/rel", "v1.0.0")
		rels, err := s.Releases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if (rerr == nil) != committed || (len(rels) == 1) != committed {
			t.Fatalf("after a failure at write #%d (written %v): ReadRelease %v, Releases %v; want visible = %v", n, written, rerr, rels, committed)
		}
		if res, err := s.PublishRelease(ctx, rel, d.Dir); err != nil || res.Created == committed {
			t.Fatalf("publish after a failure at write #%d: %+v, %v", n, res, err)
		}
		mustVerify(t, s)
	}
}
