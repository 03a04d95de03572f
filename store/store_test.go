package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/internal/aztest"
	"github.com/shipline-ci/shipline/internal/gcstest"
	"github.com/shipline-ci/shipline/internal/s3test"
	"github.com/shipline-ci/shipline/store"
	"github.com/shipline-ci/shipline/store/storetest"
)

func mustOpen(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.Create(context.Background(), url)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return s
}

func TestConformanceFile(t *testing.T) {
	storetest.RunConformance(t, func(t *testing.T) *store.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "store"))
	})
}

func TestConformanceMem(t *testing.T) {
	storetest.RunConformance(t, func(t *testing.T) *store.Store { return mustOpen(t, "mem://") })
}

// TestConformanceS3 runs the suite against gofakes3, started as a separate
// process; each store is a prefix of its bucket.
func TestConformanceS3(t *testing.T) {
	srv := s3test.StartServer(t, s3test.Options{})
	storetest.RunConformance(t, func(t *testing.T) *store.Store {
		return mustOpen(t, srv.URL(randomPrefix(t)))
	})
}

// TestConformanceGCS runs the suite against fake-gcs-server, started as a
// separate process and reached through STORAGE_EMULATOR_HOST, each store a
// prefix of its bucket; or, with SHIPLINE_TEST_GS_URL=gs://BUCKET, against
// that bucket (a real one, with the machine's credentials).
func TestConformanceGCS(t *testing.T) {
	if os.Getenv("SHIPLINE_TEST_GS_URL") != "" {
		conformanceFromEnv(t, "SHIPLINE_TEST_GS_URL", "gs://BUCKET")
		return
	}
	srv := gcstest.Start(t)
	srv.Setenv(t)
	storetest.RunConformance(t, func(t *testing.T) *store.Store {
		return mustOpen(t, srv.URL(randomPrefix(t)))
	})
}

// TestConformanceAzure runs the suite against Azurite, started as a
// separate process and reached through AZURE_STORAGE_CONNECTION_STRING,
// each store a prefix of its container; or, with
// SHIPLINE_TEST_AZBLOB_URL=azblob://CONTAINER, against that container (a
// real one, with the machine's credentials).
func TestConformanceAzure(t *testing.T) {
	if os.Getenv("SHIPLINE_TEST_AZBLOB_URL") != "" {
		conformanceFromEnv(t, "SHIPLINE_TEST_AZBLOB_URL", "azblob://CONTAINER")
		return
	}
	srv := aztest.Start(t)
	srv.Setenv(t)
	storetest.RunConformance(t, func(t *testing.T) *store.Store {
		return mustOpen(t, srv.URL(randomPrefix(t)))
	})
}

func conformanceFromEnv(t *testing.T, env, example string) {
	base := os.Getenv(env)
	if base == "" {
		t.Skipf("no server for this backend here: set %s=%s (for an emulator, with its own environment variables) to run the suite against it", env, example)
	}
	storetest.RunConformance(t, func(t *testing.T) *store.Store {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		return mustOpen(t, base+sep+"prefix="+randomPrefix(t))
	})
}

func randomPrefix(t *testing.T) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "t-" + hex.EncodeToString(b) + "/"
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		url, code, want string
	}{
		{"ftp://host/store", shipline.EINVALID, `unknown scheme "ftp": supported: file, s3, gs, azblob, mem, or a directory path`},
		{"", shipline.EINVALID, "empty store URL"},
		{"file://host/dir", shipline.EINVALID, "a file URL names a local path"},
		{missing, shipline.ENOTFOUND, "store directory " + missing + " does not exist"},
		{"file://" + missing, shipline.ENOTFOUND, "does not exist"},
		{"mem://?bogus=1", shipline.EINVALID, "bogus"},
		{"gs://shipline?bogus=1", shipline.EINVALID, `unknown query parameter "bogus"`},
		{"gs://shipline?grpc=true", shipline.EINVALID, "grpc=true is not supported"},
		{"s3://shipline?endpoint=http://127.0.0.1:1&use_path_style=true&region=us-east-1&anonymous=true", shipline.EINVALID, "cannot be reached"},
	} {
		s, err := store.Open(ctx, tc.url)
		if err == nil {
			s.Close()
		}
		if shipline.ErrorCode(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v; want a %s error containing %q", tc.url, err, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("Open created %s", missing)
	}
}

// TestS3ServerDown checks that a store whose server goes away fails with a
// clear error and leaves nothing half-visible.
func TestS3ServerDown(t *testing.T) {
	srv := s3test.StartServer(t, s3test.Options{})
	s := mustOpen(t, srv.URL(""))
	defer s.Close()
	mv, _ := storetest.MustModule(t, "example.com/down", "v1.0.0", map[string]string{"a.go": "package down\n"})
	srv.Stop()
	_, err := s.PublishModule(context.Background(), mv)
	if err == nil || !strings.Contains(err.Error(), "cannot be reached") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("publish to a stopped server: %v; want cannot be reached, connection refused", err)
	}
}

// TestGCSServerDown is TestS3ServerDown for gs://.
func TestGCSServerDown(t *testing.T) {
	srv := gcstest.Start(t)
	srv.Setenv(t)
	s := mustOpen(t, srv.URL(""))
	defer s.Close()
	mv, _ := storetest.MustModule(t, "example.com/down", "v1.0.0", map[string]string{"a.go": "package down\n"})
	srv.Stop()
	_, err := s.PublishModule(context.Background(), mv)
	if err == nil || !strings.Contains(err.Error(), "cannot be reached") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("publish to a stopped server: %v; want cannot be reached, connection refused", err)
	}
}

// TestReadOnlyFileStore publishes to a store on a read-only file system
// (a read-only bind mount in a mount namespace of its own when running as
// root, whom permissions do not stop; read-only directories otherwise).
// The refusal is EUNAUTHORIZED and says so; publishing a version the store
// already has still succeeds, since it writes nothing.
func TestReadOnlyFileStore(t *testing.T) {
	if dir := os.Getenv("SHIPLINE_TEST_RO_STORE"); dir != "" {
		readOnlyChecks(t, dir)
		return
	}
	dir := filepath.Join(t.TempDir(), "store")
	s := mustOpen(t, dir)
	mv, _ := storetest.MustModule(t, "example.com/ro", "v1.0.0", map[string]string{"a.go": "package ro\n"})
	if _, err := s.PublishModule(context.Background(), mv); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if os.Geteuid() != 0 {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o555)
			}
			return nil
		})
		t.Cleanup(func() {
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					os.Chmod(p, 0o755)
				}
				return nil
			})
		})
		readOnlyChecks(t, dir)
		return
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("running as root without unshare(1): cannot make a read-only file system")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 99; shift; exec "$@"`
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", dir, self, "-test.run=^TestReadOnlyFileStore$", "-test.v")
	cmd.Env = append(os.Environ(), "SHIPLINE_TEST_RO_STORE="+dir)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 99 {
		t.Skipf("cannot mount a read-only file system here: %s", out)
	}
	if err != nil {
		t.Fatalf("in a mount namespace with %s read-only: %v\n%s", dir, err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestReadOnlyFileStore") {
		t.Fatalf("the read-only run did not pass:\n%s", out)
	}
}

func readOnlyChecks(t *testing.T, dir string) {
	ctx := context.Background()
	s, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mv, _ := storetest.MustModule(t, "example.com/ro", "v1.1.0", map[string]string{"a.go": "package ro\n"})
	_, err = s.PublishModule(ctx, mv)
	if shipline.ErrorCode(err) != shipline.EUNAUTHORIZED || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("publish to a read-only store: %v; want EUNAUTHORIZED, read-only", err)
	}
	if v, err := s.Versions(ctx, "example.com/ro"); err != nil || len(v) != 1 {
		t.Fatalf("Versions after the refused publish = %v, %v; want [v1.0.0]", v, err)
	}
	old, _ := storetest.MustModule(t, "example.com/ro", "v1.0.0", map[string]string{"a.go": "package ro\n"})
	if res, err := s.PublishModule(ctx, old); err != nil || res.Created {
		t.Fatalf("publishing a version the read-only store has: %+v, %v; want a no-op", res, err)
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.OK() || len(rep.Problems) != 0 {
		t.Fatalf("Verify of the read-only store: %+v, %v", rep, err)
	}
}
