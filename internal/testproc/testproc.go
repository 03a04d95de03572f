// Package testproc runs a program of this module as a separate process for
// tests, as the emulators in internal/s3test and internal/gcstest do: it
// builds the program's main package with the go command, once per test
// process, starts it, and reads what it prints, a line at a time.
package testproc

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Process is a running program.
type Process struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	once  sync.Once
}

// Start runs bin with args. Its standard error goes to the test process's,
// its standard output to Next; its standard input stays open until Stop,
// so a program can stop when it closes. The process is stopped when the
// test ends, or on Stop.
func Start(tb testing.TB, bin string, args ...string) *Process {
	tb.Helper()
	cmd := exec.Command(bin, args...) // #nosec G204 -- a program Build made from this module, with the arguments its test gives
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	p := &Process{name: filepath.Base(bin), cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", p.name, err)
	}
	tb.Cleanup(p.Stop)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p
}

// Next returns the next line the program prints that starts with prefix,
// skipping others; the test fails when the program exits first or prints
// none within timeout.
func (p *Process) Next(tb testing.TB, prefix string, timeout time.Duration) string {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				tb.Fatalf("%s exited before printing %q", p.name, prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-deadline:
			tb.Fatalf("%s did not print %q within %s", p.name, prefix, timeout)
		}
	}
}

// Stop stops the program (closes its standard input, kills it and waits).
func (p *Process) Stop() {
	p.once.Do(func() {
		_ = p.stdin.Close()
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
}

var built struct {
	sync.Mutex
	bins map[string]string
}

// Build builds the main package pkg of this module (an import path, such
// as github.com/shipline-ci/shipline/internal/s3test/fakes3) and returns
// the program's path. It builds once per test process, into the user's
// cache directory (a directory per test binary, so that the test
// processes go test runs at once do not write the same file); the go
// command relinks only when the sources changed, so later runs start at
// once.
//
// When the program cannot be built (no module proxy and no module cache
// that holds its dependencies) the test is skipped, except in CI (CI set),
// where it fails.
func Build(tb testing.TB, pkg string) string {
	tb.Helper()
	built.Lock()
	defer built.Unlock()
	if bin, ok := built.bins[pkg]; ok {
		return bin
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "shipline-testproc", filepath.Base(os.Args[0]))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, path.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg) // #nosec G204 G702 -- go build of a package of this module, into our own cache directory
	cmd.Dir = sourceDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("CI") == "" {
			tb.Skipf("cannot build %s, so this test does not run here (CI runs it): go build: %v\n%s", pkg, err, out)
		}
		tb.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	if built.bins == nil {
		built.bins = map[string]string{}
	}
	built.bins[pkg] = bin
	return bin
}

// sourceDir is the directory of this file, inside the module.
func sourceDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}
