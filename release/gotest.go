package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/tools/cover"

	"github.com/shipline-ci/shipline"
)

// TestOptions configure GoTest.
type TestOptions struct {
	Dir      string    // module root; go test runs here
	Packages []string  // package patterns; nil means ./...
	Flags    []string  // extra go test flags, such as -short or -race
	Profile  string    // the coverage profile to write (-coverprofile), absolute
	Go       string    // the go command; "" means go on PATH
	Output   io.Writer // where go test's output goes as it runs; nil discards it
}

// Coverage is the statement coverage of a coverage profile.
type Coverage struct {
	Statements int     `json:"statements"` // statements in the profile
	Covered    int     `json:"covered"`    // those run at least once
	Percent    float64 `json:"percent"`    // Covered of Statements, 0 to 100; 0 when there are none
}

// GoTest runs go test over the module in opts.Dir with a coverage profile
// and returns the total statement coverage it records.
//
// Failing tests, and packages that do not build, are an EINVALID error
// with the end of go test's output. When ctx is done, go test is
// interrupted (and killed if it lingers), and ctx's error returned.
func GoTest(ctx context.Context, opts TestOptions) (*Coverage, error) {
	goCmd := opts.Go
	if goCmd == "" {
		goCmd = "go"
	}
	pkgs := opts.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	args := append([]string{"test", "-coverprofile=" + opts.Profile}, opts.Flags...)
	args = append(args, pkgs...)
	// #nosec G204 -- the go command (opts.Go, or go on PATH) running the module's own tests with the flags of its .shipline.yaml, as argv without a shell; it runs the module's code anyway
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = opts.Dir
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var tail tailBuffer
	out := io.Writer(&tail)
	if opts.Output != nil {
		out = io.MultiWriter(opts.Output, &tail)
	}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, shipline.Errorf(shipline.EINVALID, "go test %s failed:\n%s", strings.Join(pkgs, " "), tail.String())
		}
		return nil, fmt.Errorf("run go test: %w", err)
	}
	return ReadCoverage(opts.Profile)
}

// ReadCoverage returns the total statement coverage of a coverage profile
// (go test -coverprofile). A block that several test binaries report is
// counted once, as covered when any of them ran it. A profile that cannot
// be parsed is an EINVALID error.
func ReadCoverage(profile string) (*Coverage, error) {
	profiles, err := cover.ParseProfiles(profile)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "read the coverage profile: %v", err)
	}
	c := &Coverage{}
	for _, p := range profiles {
		for _, b := range p.Blocks {
			c.Statements += b.NumStmt
			if b.Count > 0 {
				c.Covered += b.NumStmt
			}
		}
	}
	if c.Statements > 0 {
		c.Percent = 100 * float64(c.Covered) / float64(c.Statements)
	}
	return c, nil
}

// tailBuffer keeps the last lines written to it.
type tailBuffer struct {
	buf bytes.Buffer
}

// tailLines is how many lines of go test's output an error shows.
const tailLines = 30

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if t.buf.Len() > 1<<20 {
		b := t.buf.Bytes()
		t.buf = *bytes.NewBuffer(append([]byte(nil), b[len(b)-1<<19:]...))
	}
	return len(p), nil
}

// String returns the last tailLines lines, indented.
func (t *tailBuffer) String() string {
	lines := strings.Split(strings.TrimRight(t.buf.String(), "\n"), "\n")
	if len(lines) > tailLines {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-tailLines)}, lines[len(lines)-tailLines:]...)
	}
	return "    " + strings.Join(lines, "\n    ")
}
