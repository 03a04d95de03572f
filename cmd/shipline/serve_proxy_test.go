package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/store"
	"github.com/shipline-ci/shipline/store/storetest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// blockingServer serves a handler that holds each request until release
// is closed, and signals each arrival on started.
func blockingServer(t *testing.T) (srv *http.Server, ln net.Listener, started chan struct{}, release chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release = make(chan struct{}, 4), make(chan struct{})
	srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
		io.WriteString(w, "done\n")
	})}
	return srv, ln, started, release
}

// TestServeDrains: the first signal lets a request in flight finish and
// refuses new connections; the server then stops cleanly.
func TestServeDrains(t *testing.T) {
	srv, ln, started, release := blockingServer(t)
	drain := make(chan struct{})
	stop := &signalStopper{Drain: drain, Abort: context.Background()}
	var log syncBuffer
	errc := make(chan error, 1)
	go func() { errc <- serveUntilStopped(srv, ln, stop, time.Minute, &log, "test") }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	close(drain)
	waitFor(t, "the drain to begin", func() bool { return strings.Contains(log.String(), "finishing the requests in flight") })
	waitFor(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	close(release)
	if g := <-got; g != "done\n" {
		t.Errorf("the request in flight got %q; want it finished", g)
	}
	if err := <-errc; err != nil {
		t.Errorf("serveUntilStopped: %v", err)
	}
	if !strings.HasSuffix(log.String(), "test: stopped\n") {
		t.Errorf("log = %q", log.String())
	}
}

// TestServeAborts: a second signal stops at once, requests in flight or
// not.
func TestServeAborts(t *testing.T) {
	srv, ln, started, release := blockingServer(t)
	defer close(release)
	drain := make(chan struct{})
	abort, cancel := context.WithCancel(context.Background())
	stop := &signalStopper{Drain: drain, Abort: abort}
	errc := make(chan error, 1)
	go func() { errc <- serveUntilStopped(srv, ln, stop, time.Minute, io.Discard, "test") }()
	go http.Get("http://" + ln.Addr().String() + "/slow")
	<-started
	close(drain)
	cancel()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "interrupted again: stopped with requests in flight") {
			t.Errorf("serveUntilStopped = %v; want stopped with requests in flight", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a second signal did not stop the server")
	}
}

// TestServeProxyInProcess runs 'shipline serve-proxy' in process: it
// writes its address, serves, and stops cleanly when its context ends.
func TestServeProxyInProcess(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Create(context.Background(), filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	mv, _ := storetest.MustModule(t, "example.com/Served", "v1.0.0", map[string]string{"s.go": "package s\n"})
	if _, err := st.PublishModule(context.Background(), mv); err != nil {
		t.Fatal(err)
	}
	st.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr, Dir: dir}
	done := make(chan int, 1)
	go func() {
		done <- m.Run(ctx, []string{"serve-proxy", "--store", "store", "--addr", "127.0.0.1:0", "--addr-file", "addr", "--list-max-age", "5s"})
	}()
	var addr string
	waitFor(t, "the address file", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "addr"))
		addr = strings.TrimSpace(string(b))
		return err == nil && strings.HasSuffix(string(b), "\n")
	})
	resp, err := http.Get("http://" + addr + "/example.com/!served/@v/list")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "v1.0.0\n" || resp.Header.Get("Cache-Control") != "public, max-age=5" {
		t.Errorf("GET list: %d %q %q", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit status %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve-proxy did not stop when its context ended")
	}
	if !strings.Contains(stderr.String(), " GET /example.com/!served/@v/list 200 7B ") {
		t.Errorf("no access log line in:\n%s", stderr.String())
	}
}

func TestServeProxyUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve-proxy", "--store", dir, "--upstream", "proxy.golang.org"}, 2, "--upstream: upstream proxy \"proxy.golang.org\": want an http:// or https:// URL"},
		{[]string{"serve-proxy", "--store", dir, "--drain-timeout", "0s"}, 2, "--drain-timeout must be positive"},
		{[]string{"serve-proxy", "--store", filepath.Join(dir, "missing")}, 1, "does not exist"},
		{[]string{"serve-proxy", "--store", dir, "--addr", "256.0.0.1:0"}, 1, "--addr 256.0.0.1:0"},
	} {
		var stderr bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr, Dir: dir}
		if code := m.Run(context.Background(), tc.args); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("shipline %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, stderr.String(), tc.code, tc.want)
		}
	}
	if shipline.ExitCode(shipline.Errorf(shipline.EUSAGE, "x")) != 2 {
		t.Fatal("usage errors exit 2")
	}
}
