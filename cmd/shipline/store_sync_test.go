package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipline-ci/shipline/internal/s3test"
	"github.com/shipline-ci/shipline/store"
	"github.com/shipline-ci/shipline/store/storetest"
	"github.com/shipline-ci/shipline/storesync"
)

func mustPublished(t *testing.T, url string, versions ...string) *store.Store {
	t.Helper()
	st, err := store.Create(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, v := range versions {
		mv, _ := storetest.MustModule(t, "example.com/Synced", v, map[string]string{"s.go": "package s\n\n// " + v + "\n" + strings.Repeat("// padding\n", 5000)})
		if _, err := st.PublishModule(context.Background(), mv); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// TestStoreSyncWatch runs 'shipline store sync --watch' in process: it
// copies what appears at the source, serves metrics, writes one JSON
// object a pass, and stops cleanly when its context ends.
func TestStoreSyncWatch(t *testing.T) {
	dir := t.TempDir()
	src := mustPublished(t, filepath.Join(dir, "src"), "v1.0.0")
	dst := filepath.Join(dir, "dst")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Dir: dir}
	done := make(chan int, 1)
	go func() {
		done <- m.Run(ctx, []string{"store", "sync", "src", "dst", "--watch", "50ms", "--metrics-addr", "127.0.0.1:0", "--json"})
	}()
	re := regexp.MustCompile(`metrics on (http://\S+/metrics)`)
	var metricsURL string
	waitFor(t, "the metrics address", func() bool {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			metricsURL = m[1]
			return true
		}
		return false
	})
	has := func(version string) func() bool {
		return func() bool {
			st, err := store.Open(context.Background(), dst)
			if err != nil {
				return false
			}
			defer st.Close()
			_, err = st.ReadInfo(context.Background(), "example.com/Synced", version)
			return err == nil
		}
	}
	waitFor(t, "v1.0.0 at the destination", has("v1.0.0"))
	mv, _ := storetest.MustModule(t, "example.com/Synced", "v1.1.0", map[string]string{"s.go": "package s\n"})
	if _, err := src.PublishModule(context.Background(), mv); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "v1.1.0 at the destination", has("v1.1.0"))

	var metrics string
	waitFor(t, "metrics of a pass with nothing left", func() bool {
		resp, err := http.Get(metricsURL)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		metrics = string(b)
		return strings.Contains(metrics, "shipline_sync_copied_versions_total 2\n") && strings.Contains(metrics, "shipline_sync_lag_versions 0\n")
	})
	for _, want := range []string{"# TYPE shipline_sync_lag_seconds gauge\n", `shipline_sync_passes_total{result="failed"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit status %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("store sync --watch did not stop when its context ended")
	}
	// One JSON object a line, a pass each.
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("stdout has %d line(s); want one a pass", len(lines))
	}
	var copied int
	for _, l := range lines {
		var rep storesync.Report
		if err := json.Unmarshal([]byte(l), &rep); err != nil {
			t.Fatalf("not a JSON report: %q: %v", l, err)
		}
		copied += len(rep.Copied)
	}
	if copied != 2 {
		t.Errorf("the passes copied %d versions in all; want 2", copied)
	}
}

// TestStoreSyncKilled kills a real 'shipline store sync' process (SIGKILL)
// while the S3 server holds the PUT of a zip, then syncs again: the
// destination is complete and verified, and nothing the killed sync
// stored is written again.
func TestStoreSyncKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server and a shipline process")
	}
	srv := s3test.StartServer(t, s3test.Options{Hang: "v1.1.0.zip"})
	dir := t.TempDir()
	src := mustPublished(t, filepath.Join(dir, "src"), "v1.0.0", "v1.1.0", "v1.2.0")
	cmd := exec.Command(shiplineBinary(t), "store", "sync", src.URL, srv.URL(""), "--jobs", "1")
	cmd.Env = gitEnv(dir)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	kill := func() { once.Do(func() { cmd.Process.Kill(); cmd.Wait() }) }
	defer kill()
	srv.WaitHang(t, time.Minute)
	kill()

	dst, err := store.Open(context.Background(), srv.URL(""))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	before := map[string]bool{}
	dst.List(context.Background(), "", func(o store.Object) error { before[o.Key] = true; return nil })
	if before["example.com/!synced/@v/v1.1.0.zip"] || before["example.com/!synced/@v/v1.1.0.info"] {
		t.Fatalf("the killed sync stored the hung version: %v", before)
	}
	if !before["example.com/!synced/@v/v1.0.0.info"] || !before["example.com/!synced/@v/v1.1.0.shipline.json"] {
		t.Fatalf("the killed sync did not get as far as expected (v1.0.0 copied, v1.1.0 begun): %v\n%s", before, out.String())
	}

	written := map[string]int{}
	var mu sync.Mutex
	dst.Fault = func(op, key string) error {
		mu.Lock()
		written[key]++
		mu.Unlock()
		return nil
	}
	rep, err := storesync.Sync(context.Background(), src, dst, storesync.Options{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("sync after the kill: %v, %v", err, rep.Err())
	}
	if len(rep.Copied) != 2 {
		t.Errorf("copied %v; want v1.1.0 and v1.2.0", rep.Copied)
	}
	for key, n := range written {
		derived := strings.HasSuffix(key, "/@v/list") || strings.HasSuffix(key, "/@latest")
		if before[key] && !derived || n > 1 {
			t.Errorf("%s written %d time(s) after the kill (stored before it: %v)", key, n, before[key])
		}
	}
	vr, err := dst.Verify(context.Background())
	if err != nil || !vr.OK() || len(vr.Problems) > 0 {
		t.Fatalf("Verify: %v %+v", err, vr)
	}
}
