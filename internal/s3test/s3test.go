// Package s3test starts an S3 server for tests: the fakes3 program in this
// directory (gofakes3, in memory), built with the go command and run as a
// separate process on 127.0.0.1 with a random port.
package s3test

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

// Options adjust StartServer.
type Options struct {
	// Hang makes the first PUT of an object whose name ends in Hang wait
	// until its client goes away; Server.WaitHang tells when it started.
	Hang string
}

// Server is a running fakes3 process.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT

	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	once  sync.Once
}

// Start runs an S3 server for the test and returns its endpoint; the server
// stops when the test ends.
func Start(tb testing.TB) (endpoint string) {
	tb.Helper()
	return StartServer(tb, Options{}).Endpoint
}

// StartServer runs an S3 server with options for the test; it stops when
// the test ends, or on Stop.
func StartServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	bin := binary(tb)
	args := []string{"-buckets", Bucket}
	if opts.Hang != "" {
		args = append(args, "-hang", opts.Hang)
	}
	cmd := exec.Command(bin, args...) // #nosec G204 -- the fakes3 binary this package built, with flags it builds, for a test
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
		tb.Fatalf("start fakes3: %v", err)
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
	line := s.next(tb, "endpoint ", 30*time.Second)
	s.Endpoint = strings.TrimPrefix(line, "endpoint ")
	return s
}

// URL returns the store URL of bucket on the server, for gocloud.dev's
// s3blob: path-style requests to the endpoint, anonymous, so that no
// credentials are looked up.
func (s *Server) URL(prefix string) string {
	q := url.Values{}
	q.Set("endpoint", s.Endpoint)
	q.Set("use_path_style", "true")
	q.Set("region", "us-east-1")
	q.Set("anonymous", "true")
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	return "s3://" + Bucket + "?" + q.Encode()
}

// URL is Server.URL for a server started with Start.
func URL(endpoint, prefix string) string {
	return (&Server{Endpoint: endpoint}).URL(prefix)
}

// WaitHang waits until the server hangs a PUT (see Options.Hang) and
// returns the request's path.
func (s *Server) WaitHang(tb testing.TB, timeout time.Duration) string {
	tb.Helper()
	return strings.TrimPrefix(s.next(tb, "hang ", timeout), "hang ")
}

func (s *Server) next(tb testing.TB, prefix string, timeout time.Duration) string {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				tb.Fatalf("fakes3 exited before printing %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-deadline:
			tb.Fatalf("fakes3 did not print %q within %s", prefix, timeout)
		}
	}
}

// Stop stops the server; requests to its endpoint fail from then on.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.stdin.Close()
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
}

// sourceDir is the directory of this file, inside the module.
func sourceDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

var build struct {
	sync.Mutex
	dir   string
	users int
}

// binary builds the fakes3 program once while any test of the process
// uses it, and removes it when the last of those tests ends.
func binary(tb testing.TB) string {
	tb.Helper()
	build.Lock()
	defer build.Unlock()
	if build.users == 0 {
		dir, err := os.MkdirTemp("", "shipline-s3test-")
		if err != nil {
			tb.Fatal(err)
		}
		// #nosec G204 -- go build of this module's own fakes3 command into a MkdirTemp directory, for tests
		cmd := exec.Command("go", "build", "-o", dir, "github.com/shipline-ci/shipline/internal/s3test/fakes3")
		cmd.Dir = sourceDir()
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			tb.Fatalf("go build fakes3: %v\n%s", err, out)
		}
		build.dir = dir
	}
	build.users++
	tb.Cleanup(func() {
		build.Lock()
		defer build.Unlock()
		if build.users--; build.users == 0 {
			os.RemoveAll(build.dir)
		}
	})
	return filepath.Join(build.dir, "fakes3")
}
