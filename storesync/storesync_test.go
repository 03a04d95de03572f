package storesync_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/internal/s3test"
	"github.com/shipline-ci/shipline/store"
	"github.com/shipline-ci/shipline/store/storetest"
	"github.com/shipline-ci/shipline/storesync"
)

// backend makes empty stores of one kind.
type backend struct {
	name string
	open func(t *testing.T) *store.Store
}

func mustStore(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Create(context.Background(), url)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func fileBackend() backend {
	return backend{"file", func(t *testing.T) *store.Store { return mustStore(t, filepath.Join(t.TempDir(), "store")) }}
}

func memBackend() backend {
	return backend{"mem", func(t *testing.T) *store.Store { return mustStore(t, "mem://") }}
}

// s3Backend starts one S3 server (a separate process) for the test; each
// store is a prefix of its bucket.
func s3Backend(t *testing.T) backend {
	srv := s3test.StartServer(t, s3test.Options{})
	return backend{"s3", func(t *testing.T) *store.Store { return mustStore(t, srv.URL(randomPrefix())) }}
}

func randomPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "t-" + hex.EncodeToString(b) + "/"
}

// pairs returns the source and destination backends to test: file and
// mem always; with S3 (not in -short) file to S3 and S3 to file.
func pairs(t *testing.T) [][2]backend {
	out := [][2]backend{{fileBackend(), fileBackend()}, {memBackend(), fileBackend()}}
	if testing.Short() {
		return out
	}
	s3 := s3Backend(t)
	return append(out, [2]backend{fileBackend(), s3}, [2]backend{s3, fileBackend()})
}

var t1 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) // the versions' time (storetest.MustModule)

// fixture is what the tests publish: module versions and one release.
type fixture struct {
	modules  []store.ModuleVersion
	release  store.Release
	dist     string
	variants map[string]store.ModuleVersion // the same versions with other content
}

var (
	fixOnce sync.Once
	fix     fixture
)

// mustFixture builds the module zips once per test binary.
func mustFixture(t *testing.T) fixture {
	t.Helper()
	fixOnce.Do(func() {
		tb := &onceTB{TB: t}
		for _, mv := range []struct{ path, version string }{
			{"example.com/Alpha", "v1.0.0"}, {"example.com/Alpha", "v1.1.0"}, {"example.com/Alpha", "v1.2.0-RC.1"},
			{"example.com/beta", "v0.1.0"}, {"example.com/beta", "v0.2.0"},
			{"example.com/beta/v2", "v2.0.0"},
		} {
			m, _ := storetest.MustModule(tb, mv.path, mv.version, map[string]string{"a.go": "package a\n\n// " + mv.path + " " + mv.version + "\n"})
			fix.modules = append(fix.modules, m)
		}
		fix.variants = map[string]store.ModuleVersion{}
		for _, m := range fix.modules[:2] {
			other, _ := storetest.MustModule(tb, m.Path, m.Version, map[string]string{"a.go": "package a\n\n// other content, longer\n"})
			fix.variants[m.Path+"@"+m.Version] = other
		}
		d := storetest.MustDist(tb, map[string]string{"app_linux_amd64.tar.gz": "binary", "checksums.txt": "sums\n"})
		fix.dist = d.Dir
		fix.release = store.Release{Module: "example.com/Alpha", Version: "v1.1.0", Commit: strings.Repeat("ab", 20), Time: t1, Artifacts: d.Artifacts}
	})
	if fix.modules == nil {
		t.Fatal("the fixture could not be built")
	}
	return fix
}

// onceTB keeps the fixture's temporary files for the whole test binary.
type onceTB struct{ testing.TB }

func (o *onceTB) TempDir() string {
	dir, err := os.MkdirTemp("", "storesync-fixture-")
	if err != nil {
		o.Fatal(err)
	}
	return dir
}
func (o *onceTB) Cleanup(func()) {}

func publish(t *testing.T, st *store.Store, mvs ...store.ModuleVersion) {
	t.Helper()
	for _, mv := range mvs {
		if _, err := st.PublishModule(context.Background(), mv); err != nil {
			t.Fatalf("publish %s@%s: %v", mv.Path, mv.Version, err)
		}
	}
}

func publishRelease(t *testing.T, st *store.Store, f fixture) {
	t.Helper()
	if _, err := st.PublishRelease(context.Background(), f.release, f.dist); err != nil {
		t.Fatal(err)
	}
}

// objects returns every object of a store with its content.
func objects(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	err := st.List(ctx, "", func(o store.Object) error {
		rc, err := st.OpenObject(ctx, o.Key)
		if err != nil {
			return err
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		out[o.Key] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustVerify(t *testing.T, st *store.Store) {
	t.Helper()
	rep, err := st.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("Verify(%s): %+v", st.URL, rep.Problems)
	}
}

// writes counts the writes a store makes, by key, through its Fault hook.
type writes struct {
	mu   sync.Mutex
	keys map[string]int
	fail func(n int, key string) error // optional
	n    int
}

func countWrites(st *store.Store) *writes {
	w := &writes{keys: map[string]int{}}
	st.Fault = func(op, key string) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.fail != nil {
			if err := w.fail(w.n, key); err != nil {
				return err
			}
		}
		w.n++
		if op == "write" {
			w.keys[key]++
		}
		return nil
	}
	return w
}

// derived reports whether key is a derived object, which a sync may
// rewrite as versions arrive.
func derived(key string) bool {
	return strings.HasSuffix(key, "/@v/list") || strings.HasSuffix(key, "/@latest") || key == store.IndexKey
}

func TestSyncMissingOnly(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	for _, p := range pairs(t) {
		t.Run(p[0].name+"-to-"+p[1].name, func(t *testing.T) {
			src, dst := p[0].open(t), p[1].open(t)
			publish(t, src, f.modules...)
			publishRelease(t, src, f)
			// The destination has two of the versions already, published
			// on its own (other manifests, same content).
			publish(t, dst, f.modules[0], f.modules[3])
			before := objects(t, dst)
			w := countWrites(dst)

			rep, err := storesync.Sync(ctx, src, dst, storesync.Options{Jobs: 3})
			if err != nil || rep.Err() != nil {
				t.Fatalf("Sync: %v, %v; report %+v", err, rep.Err(), rep)
			}
			if got, want := rep.Modules, (storesync.Counts{Source: 6, Destination: 2, Missing: 4, Copied: 4}); got != want {
				t.Errorf("module versions = %+v; want %+v", got, want)
			}
			if got, want := rep.Releases, (storesync.Counts{Source: 1, Missing: 1, Copied: 1}); got != want {
				t.Errorf("releases = %+v; want %+v", got, want)
			}
			if rep.Before.Versions != 4 || rep.Before.Releases != 1 || rep.After != (storesync.Lag{}) {
				t.Errorf("lag before %+v, after %+v; want 4 and 1 before, nothing after", rep.Before, rep.After)
			}
			wantRefreshed := []string{"example.com/Alpha", "example.com/beta", "example.com/beta/v2", store.IndexKey}
			if !slices.Equal(rep.Refreshed, wantRefreshed) {
				t.Errorf("refreshed %q; want %q", rep.Refreshed, wantRefreshed)
			}
			// Nothing the destination had was written; nothing was written twice.
			for key, n := range w.keys {
				if _, had := before[key]; had && !derived(key) {
					t.Errorf("%s was there already, and written again", key)
				}
				if n > 1 {
					t.Errorf("%s written %d times", key, n)
				}
			}
			if rep.ObjectsCopied != 4*4+4 {
				t.Errorf("objects copied = %d; want 20 (4 module versions of 4 objects, a release of 4)", rep.ObjectsCopied)
			}
			mustVerify(t, dst)
			srcObjs, dstObjs := objects(t, src), objects(t, dst)
			for key, data := range srcObjs {
				if _, had := before[key]; had {
					continue // published on its own: its manifest and .info differ
				}
				if dstObjs[key] != data {
					t.Errorf("%s differs at the destination", key)
				}
			}
			for _, m := range []string{"example.com/!alpha", "example.com/beta", "example.com/beta/v2"} {
				for _, k := range []string{m + "/@v/list", m + "/@latest"} {
					if srcObjs[k] != dstObjs[k] {
						t.Errorf("%s = %q at the destination; want the source's %q", k, dstObjs[k], srcObjs[k])
					}
				}
			}

			// Again: nothing to do, nothing written.
			w.keys = map[string]int{}
			rep, err = storesync.Sync(ctx, src, dst, storesync.Options{})
			if err != nil || rep.Err() != nil || len(rep.Copied) != 0 || len(rep.Refreshed) != 0 || len(w.keys) != 0 {
				t.Errorf("second Sync: %v; copied %v, refreshed %v, wrote %v; want nothing", err, rep.Copied, rep.Refreshed, w.keys)
			}
			if got, want := rep.Modules, (storesync.Counts{Source: 6, Destination: 6}); got != want {
				t.Errorf("second Sync: module versions = %+v; want %+v", got, want)
			}
		})
	}
}

func TestSyncConflict(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	src, dst := mustStore(t, "mem://"), mustStore(t, filepath.Join(t.TempDir(), "dst"))
	publish(t, src, f.modules...)
	publish(t, dst, f.variants["example.com/Alpha@v1.0.0"], f.variants["example.com/Alpha@v1.1.0"])
	before := objects(t, dst)

	for _, deep := range []bool{false, true} {
		rep, err := storesync.Sync(ctx, src, dst, storesync.Options{Deep: deep})
		if err != nil {
			t.Fatal(err)
		}
		if deep {
			// A local listing has no sizes: only Deep compares the
			// versions both have.
			if len(rep.Conflicts) != 2 || shipline.ErrorCode(rep.Err()) != shipline.ECONFLICT {
				t.Fatalf("Deep: conflicts %+v, Err %v; want 2 and ECONFLICT", rep.Conflicts, rep.Err())
			}
			c := rep.Conflicts[0]
			if c.Module != "example.com/Alpha" || c.Version != "v1.0.0" || !strings.Contains(c.Message, "differs at the destination: zip h1:") {
				t.Errorf("conflict = %+v", c)
			}
		} else if len(rep.Copied) != 4 || rep.Err() != nil {
			t.Fatalf("Sync: copied %v, %v; want the 4 others", rep.Copied, rep.Err())
		}
	}
	after := objects(t, dst)
	for key, data := range before {
		if !derived(key) && after[key] != data {
			t.Errorf("%s was overwritten", key)
		}
	}

	// Listings with sizes (S3 here, mem below) show the difference
	// without Deep.
	src2 := mustStore(t, "mem://")
	publish(t, src2, f.modules[:2]...)
	dst2 := mustStore(t, "mem://")
	publish(t, dst2, f.variants["example.com/Alpha@v1.0.0"])
	rep, _ := storesync.Sync(ctx, src2, dst2, storesync.Options{})
	if len(rep.Conflicts) != 1 || len(rep.Copied) != 1 {
		t.Errorf("mem to mem: conflicts %+v, copied %v; want 1 and 1", rep.Conflicts, rep.Copied)
	}
}

// TestSyncResume fails the sync at each of its writes in turn, then runs
// it again: the result is complete and verified, and no object of a
// version is written twice over the two runs.
func TestSyncResume(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	src := mustStore(t, "mem://")
	publish(t, src, f.modules...)
	publishRelease(t, src, f)
	srcObjs := objects(t, src)

	// How many writes a clean sync makes.
	clean := mustStore(t, "mem://")
	w := countWrites(clean)
	if _, err := storesync.Sync(ctx, src, clean, storesync.Options{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	total := w.n
	if total < 20 {
		t.Fatalf("a clean sync made %d writes; want more", total)
	}
	for n := 0; n < total; n++ {
		t.Run(fmt.Sprint("fail-write-", n), func(t *testing.T) {
			dst := mustStore(t, filepath.Join(t.TempDir(), "dst"))
			w := countWrites(dst)
			w.fail = func(i int, key string) error {
				if i == n {
					return errors.New("injected failure")
				}
				return nil
			}
			rep, err := storesync.Sync(ctx, src, dst, storesync.Options{Jobs: 1})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Err() == nil {
				t.Fatalf("the injected failure at write %d was not reported", n)
			}
			first := w.keys
			w.keys, w.fail = map[string]int{}, nil
			rep, err = storesync.Sync(ctx, src, dst, storesync.Options{Jobs: 1})
			if err != nil || rep.Err() != nil {
				t.Fatalf("second Sync: %v, %v", err, rep.Err())
			}
			for key := range w.keys {
				if first[key] > 0 && !derived(key) {
					t.Errorf("%s was written by both runs", key)
				}
			}
			mustVerify(t, dst)
			dstObjs := objects(t, dst)
			for key, data := range srcObjs {
				if dstObjs[key] != data {
					t.Errorf("%s differs at the destination after the second sync", key)
				}
			}
		})
	}
}

// TestSyncKilledS3 stops a sync to S3 while the server holds the PUT of a
// zip, as a kill would, and syncs again: complete, nothing written twice.
func TestSyncKilledS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server process")
	}
	f := mustFixture(t)
	srv := s3test.StartServer(t, s3test.Options{Hang: "v0.2.0.zip"})
	src := mustStore(t, filepath.Join(t.TempDir(), "src"))
	publish(t, src, f.modules...)
	dst := mustStore(t, srv.URL(""))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := storesync.Sync(ctx, src, dst, storesync.Options{Jobs: 2})
		done <- err
	}()
	if got := srv.WaitHang(t, time.Minute); !strings.HasSuffix(got, "example.com/beta/@v/v0.2.0.zip") {
		t.Fatalf("hung %s", got)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Sync: %v; want context.Canceled", err)
	}
	after := objects(t, dst)
	if _, ok := after["example.com/beta/@v/v0.2.0.zip"]; ok {
		t.Fatal("the hung zip was stored")
	}
	w := countWrites(dst)
	rep, err := storesync.Sync(context.Background(), src, dst, storesync.Options{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("second Sync: %v, %v", err, rep.Err())
	}
	for key := range w.keys {
		if _, ok := after[key]; ok && !derived(key) {
			t.Errorf("%s was stored by the killed sync and written again", key)
		}
	}
	mustVerify(t, dst)
}

// TestSyncDerivedStale stops a sync between its commits and the rewrite
// of list and @latest: the next sync, with nothing to copy, rewrites them.
func TestSyncDerivedStale(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		b    backend
		fail string
	}{
		{"mem-latest", memBackend(), "/@latest"}, {"mem-list", memBackend(), "/@v/list"},
		{"file-latest", fileBackend(), "/@latest"}, {"file-list", fileBackend(), "/@v/list"}, // local to local: the paired walk
	} {
		fail := tc.fail
		t.Run(tc.name, func(t *testing.T) {
			// The mirror has Alpha's v1.0.0 and its list already: after
			// the failure, its list is there, but stale.
			src := tc.b.open(t)
			publish(t, src, f.modules[0])
			dst := mustStore(t, filepath.Join(t.TempDir(), "dst"))
			if rep, err := storesync.Sync(ctx, src, dst, storesync.Options{}); err != nil || rep.Err() != nil {
				t.Fatal(err, rep.Err())
			}
			publish(t, src, f.modules[1:]...)
			w := countWrites(dst)
			w.fail = func(_ int, key string) error {
				if strings.HasSuffix(key, fail) {
					return errors.New("injected failure")
				}
				return nil
			}
			rep, _ := storesync.Sync(ctx, src, dst, storesync.Options{})
			if len(rep.Copied) != 5 || rep.Err() == nil {
				t.Fatalf("first Sync: copied %d, %v; want 5 and an error", len(rep.Copied), rep.Err())
			}
			w.fail = nil
			rep, err := storesync.Sync(ctx, src, dst, storesync.Options{})
			if err != nil || rep.Err() != nil || len(rep.Copied) != 0 || len(rep.Refreshed) != 3 {
				t.Fatalf("second Sync: %v, %v; copied %v, refreshed %v; want nothing copied, 3 refreshed", err, rep.Err(), rep.Copied, rep.Refreshed)
			}
			mustVerify(t, dst)
		})
	}
}

func TestSyncLag(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	src, dst := mustStore(t, "mem://"), mustStore(t, "mem://")
	older := f.modules[3]
	older.Time = t1.Add(-time.Hour)
	publish(t, src, f.modules[0], f.modules[1], older)
	publishRelease(t, src, f)
	now := t1.Add(10 * time.Minute)
	rep, err := storesync.Sync(ctx, src, dst, storesync.Options{DryRun: true, Now: func() time.Time { return now }})
	if err != nil || rep.Err() != nil {
		t.Fatal(err, rep.Err())
	}
	want := storesync.Lag{Versions: 3, Releases: 1, Seconds: 70 * 60, Oldest: "example.com/beta@v0.1.0"}
	if rep.Before != want || rep.After != want {
		t.Errorf("dry run: lag before %+v, after %+v; want %+v", rep.Before, rep.After, want)
	}
	if len(objects(t, dst)) != 0 {
		t.Error("a dry run wrote to the destination")
	}
	if !slices.Equal(rep.Refreshed, []string{"example.com/Alpha", "example.com/beta", store.IndexKey}) {
		t.Errorf("dry run would refresh %q", rep.Refreshed)
	}
}

// TestSyncUnfinishedAtDestination: an unfinished publish of other content
// at the destination holds its version for its lease, then is replaced;
// one of the same content is completed.
func TestSyncUnfinishedAtDestination(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	src := mustStore(t, "mem://")
	publish(t, src, f.modules[:2]...)
	dst := mustStore(t, filepath.Join(t.TempDir(), "dst"))
	crash := func(mv store.ModuleVersion) {
		dst.Fault = func(op, key string) error {
			if strings.HasSuffix(key, ".info") {
				return errors.New("crash")
			}
			return nil
		}
		if _, err := dst.PublishModule(ctx, mv); err == nil {
			t.Fatal("no crash")
		}
		dst.Fault = nil
	}
	crash(f.variants["example.com/Alpha@v1.0.0"]) // other content
	crash(f.modules[1])                           // the same content
	started := time.Now()

	rep, _ := storesync.Sync(ctx, src, dst, storesync.Options{})
	if len(rep.Conflicts) != 1 || rep.Conflicts[0].Version != "v1.0.0" || !strings.Contains(rep.Conflicts[0].Message, "being published at the destination") {
		t.Fatalf("conflicts %+v; want v1.0.0 being published", rep.Conflicts)
	}
	if len(rep.Copied) != 1 || rep.Copied[0].Version != "v1.1.0" {
		t.Errorf("copied %v; want v1.1.0 completed", rep.Copied)
	}
	later := started.Add(store.DefaultLease + time.Minute)
	rep, _ = storesync.Sync(ctx, src, dst, storesync.Options{Now: func() time.Time { return later }})
	if rep.Err() != nil || len(rep.Copied) != 1 {
		t.Fatalf("after the lease: %v, copied %v; want v1.0.0 replaced", rep.Err(), rep.Copied)
	}
	mustVerify(t, dst)
}

// TestSyncSourceCorrupt: an object at the source that is not what its
// manifest says is not copied, and the others are.
func TestSyncSourceCorrupt(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "src")
	src := mustStore(t, dir)
	publish(t, src, f.modules[:3]...)
	zip := filepath.Join(dir, "example.com", "!alpha", "@v", "v1.1.0.zip")
	data, err := os.ReadFile(zip)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	os.WriteFile(zip, data, 0o644)
	os.Remove(filepath.Join(dir, "example.com", "!alpha", "@v", "v1.0.0.shipline.json"))

	dst := mustStore(t, "mem://")
	rep, err := storesync.Sync(ctx, src, dst, storesync.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 2 || len(rep.Copied) != 1 || shipline.ErrorCode(rep.Err()) != shipline.EINVALID {
		t.Fatalf("errors %+v, copied %v, Err %v; want 2 errors, 1 copied, EINVALID", rep.Errors, rep.Copied, rep.Err())
	}
	if !strings.Contains(rep.Errors[0].Message, "has no manifest at the source") || !strings.Contains(rep.Errors[1].Message, "is not what its manifest records") {
		t.Errorf("errors: %+v", rep.Errors)
	}
	objs := objects(t, dst)
	if _, ok := objs["example.com/!alpha/@v/v1.1.0.zip"]; ok {
		t.Error("the corrupt zip was stored")
	}
	if rep.After.Versions != 2 {
		t.Errorf("lag after %+v; want 2 versions", rep.After)
	}
}

func TestSyncDrain(t *testing.T) {
	f := mustFixture(t)
	src, dst := mustStore(t, "mem://"), mustStore(t, "mem://")
	publish(t, src, f.modules...)
	drain := make(chan struct{})
	close(drain)
	rep, err := storesync.Sync(context.Background(), src, dst, storesync.Options{Drain: drain})
	if err != nil || !rep.Interrupted || rep.After.Versions != 6 || shipline.ErrorCode(rep.Err()) != shipline.EINTERNAL {
		t.Fatalf("drained Sync: %v, interrupted %v, lag %+v, Err %v", err, rep.Interrupted, rep.After, rep.Err())
	}
	if !strings.Contains(rep.Err().Error(), "run the sync again") {
		t.Errorf("Err = %v", rep.Err())
	}
}

func TestSyncSameStore(t *testing.T) {
	st := mustStore(t, filepath.Join(t.TempDir(), "s"))
	if _, err := storesync.Sync(context.Background(), st, st, storesync.Options{}); shipline.ErrorCode(err) != shipline.EINVALID {
		t.Errorf("Sync to itself: %v; want EINVALID", err)
	}
}

func TestMetrics(t *testing.T) {
	var m storesync.Metrics
	clean := &storesync.Report{ObjectsCopied: 5, BytesCopied: 1234, Copied: make([]storesync.Ref, 2), Seconds: 1.5, Started: t1}
	m.Observe(clean, nil)
	behind := &storesync.Report{Started: t1.Add(time.Minute), After: storesync.Lag{Versions: 3, Releases: 1, Seconds: 42}, Conflicts: make([]storesync.Problem, 1)}
	m.Observe(behind, nil)
	m.Observe(&storesync.Report{Started: t1.Add(2 * time.Minute)}, errors.New("listing failed"))
	var buf bytes.Buffer
	m.WriteTo(&buf)
	for _, want := range []string{
		"# TYPE shipline_sync_lag_versions gauge\nshipline_sync_lag_versions 3\n",
		"shipline_sync_lag_releases 1\n",
		"shipline_sync_lag_seconds 42\n",
		"shipline_sync_conflicts 1\n",
		`shipline_sync_passes_total{result="ok"} 1` + "\n",
		`shipline_sync_passes_total{result="incomplete"} 1` + "\n",
		`shipline_sync_passes_total{result="failed"} 1` + "\n",
		"shipline_sync_copied_objects_total 5\n",
		"shipline_sync_copied_bytes_total 1234\n",
		"shipline_sync_copied_versions_total 2\n",
		"shipline_sync_last_success_timestamp_seconds 1.7673230465e+09\n",
		"shipline_sync_last_pass_timestamp_seconds 1.767323165e+09\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, buf.String())
		}
	}
}
