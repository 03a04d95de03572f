package store_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline/store"
	"github.com/shipline-ci/shipline/store/storetest"
)

// TestRefreshModule checks that RefreshModule writes what the store's own
// derivation (which Verify checks against) makes of a module: a retracted
// latest release, a pre-release, a list and @latest gone stale; on a
// local store (which it lists by directory) and in memory.
func TestRefreshModule(t *testing.T) {
	t.Run("file", func(t *testing.T) { testRefreshModule(t, mustOpen(t, filepath.Join(t.TempDir(), "store"))) })
	t.Run("mem", func(t *testing.T) { testRefreshModule(t, mustOpen(t, "mem://")) })
}

func testRefreshModule(t *testing.T, s *store.Store) {
	ctx := context.Background()
	defer s.Close()
	const path = "example.com/Refresh"
	for _, v := range []string{"v1.0.0", "v1.1.0", "v1.2.0-rc.1", "v1.2.0"} {
		files := map[string]string{"r.go": "package r\n"}
		if v == "v1.2.0" {
			files["go.mod"] = "module " + path + "\n\ngo 1.21\n\nretract v1.2.0 // oops\n"
		}
		mv, _ := storetest.MustModule(t, path, v, files)
		if _, err := s.PublishModule(ctx, mv); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{"example.com/!refresh/@v/list", "example.com/!refresh/@latest"} {
		if err := s.WriteObject(ctx, key, strings.NewReader(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0, false); err != nil {
			t.Fatal(err)
		}
	}
	if rep, _ := s.Verify(ctx); rep.OK() {
		t.Fatal("Verify does not see the emptied list and @latest")
	}
	if err := s.RefreshModule(ctx, path); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("Verify after RefreshModule: %v %+v", err, rep.Problems)
	}
	rc, _ := s.OpenObject(ctx, "example.com/!refresh/@latest")
	var latest bytes.Buffer
	latest.ReadFrom(rc)
	rc.Close()
	if !strings.Contains(latest.String(), `"Version":"v1.1.0"`) {
		t.Errorf("@latest = %s; want v1.1.0 (v1.2.0 retracts itself)", latest.String())
	}
}

// TestWriteObjectDigest checks that WriteObject stores nothing, and says
// ErrDigest, when the content is not what it was told.
func TestWriteObjectDigest(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, "mem://")
	defer s.Close()
	err := s.WriteObject(ctx, "k", strings.NewReader("hello"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 5, false)
	if !errors.Is(err, store.ErrDigest) {
		t.Fatalf("WriteObject with a wrong digest: %v; want ErrDigest", err)
	}
	if ok, _ := s.Bucket().Exists(ctx, "k"); ok {
		t.Error("the object was stored")
	}
	sum := "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" // sha256("hello")
	if err := s.WriteObject(ctx, "k", strings.NewReader("hello"), sum, 5, true); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteObject(ctx, "k", strings.NewReader("hello"), sum, 5, true); !errors.Is(err, store.ErrExists) {
		t.Errorf("WriteObject of an existing object with ifNotExist: %v; want ErrExists", err)
	}
}
