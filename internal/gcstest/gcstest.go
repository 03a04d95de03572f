// Package gcstest starts a Google Cloud Storage server for tests: the
// fakegcs program in this directory (fake-gcs-server, in memory), built
// with the go command (into the user's cache directory, so that only the
// first run of a test binary links it) and run as a separate process on
// 127.0.0.1 with a random port. Clients reach it as they reach any emulator, through
// STORAGE_EMULATOR_HOST (see Server.Setenv), or by its Endpoint.
package gcstest

import (
	"bufio"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bucket is the bucket every server starts with.
const Bucket = "shipline"

// Server is a running fakegcs process.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT

	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	once  sync.Once
}

// Start runs a Cloud Storage server for the test and returns it; the
// server stops when the test ends, or on Stop. The test fails when the
// server cannot be started; when it cannot be built (no module proxy, no
// module cache) the test is skipped, except in CI (CI set), where it
// fails.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := binary(tb)
	cmd := exec.Command(bin, "-buckets", Bucket) // #nosec G204 -- bin is the fakegcs program that binary just built from this module
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start fakegcs: %v", err)
	}
	s := &Server{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	tb.Cleanup(s.Stop)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	s.Endpoint = strings.TrimPrefix(s.next(tb, "endpoint ", 30*time.Second), "endpoint ")
	return s
}

// Host returns the server's HOST:PORT, the value of STORAGE_EMULATOR_HOST
// that sends a client to it.
func (s *Server) Host() string { return strings.TrimPrefix(s.Endpoint, "http://") }

// Setenv sets STORAGE_EMULATOR_HOST to the server for the rest of the test
// (see testing.T.Setenv: the test cannot be parallel).
func (s *Server) Setenv(t *testing.T) {
	t.Helper()
	t.Setenv("STORAGE_EMULATOR_HOST", s.Host())
}

// URL returns the gs:// URL of Bucket under prefix ("" for the whole
// bucket). It reaches the server only with STORAGE_EMULATOR_HOST set.
func (s *Server) URL(prefix string) string {
	u := "gs://" + Bucket
	if prefix != "" {
		u += "?" + url.Values{"prefix": {prefix}}.Encode()
	}
	return u
}

func (s *Server) next(tb testing.TB, prefix string, timeout time.Duration) string {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				tb.Fatalf("fakegcs exited before printing %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-deadline:
			tb.Fatalf("fakegcs did not print %q within %s", prefix, timeout)
		}
	}
}

// Stop stops the server; requests to its endpoint fail from then on.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.stdin.Close()
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
}

// sourceDir is the directory of this file, inside the module.
func sourceDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

var build struct {
	sync.Mutex
	bin string
}

// binary builds the fakegcs program, once per test process, into the
// user's cache directory (one per test binary, so that the test processes
// go test runs at once do not write the same file); the go command relinks
// it only when its sources changed, so later runs start at once.
func binary(tb testing.TB) string {
	tb.Helper()
	build.Lock()
	defer build.Unlock()
	if build.bin != "" {
		return build.bin
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "shipline-gcstest", filepath.Base(os.Args[0]))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, "fakegcs")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/shipline-ci/shipline/internal/gcstest/fakegcs") // #nosec G204 G702 -- a fixed command and package; only the output path varies, and it is ours
	cmd.Dir = sourceDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("CI") == "" {
			// Without the module proxy or a module cache that has
			// fake-gcs-server, a developer's machine cannot build it; CI
			// always can, and there this is a failure.
			tb.Skipf("cannot build the GCS emulator (fakegcs), so this test does not run here; CI runs it: go build: %v\n%s", err, out)
		}
		tb.Fatalf("go build fakegcs: %v\n%s", err, out)
	}
	build.bin = bin
	return bin
}
