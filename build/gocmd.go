package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/shipline-ci/shipline"
)

// This file is the only place that runs the go command.

// Toolchain is the Go toolchain that builds run with, as `go env` and
// `go tool dist list` describe it.
type Toolchain struct {
	Go      string            // the go command; "go" is looked up on PATH
	Version string            // GOVERSION, such as go1.26.8
	Host    shipline.Target   // GOHOSTOS/GOHOSTARCH
	CC      string            // go env CC: the C compiler for the host
	Targets []shipline.Target // every GOOS/GOARCH pair of `go tool dist list`
}

// LookupToolchain asks the go command goCmd ("" for "go"), run in the
// module root dir so that a toolchain line in go.mod is honoured, for its
// version, host, C compiler and the targets it supports. It returns an
// EINTERNAL error when go cannot be run.
//
// It runs `go env` and `go tool dist list` at once. Each takes a few
// milliseconds; caching the list (by GOROOT and version) would save one of
// them on the next build at the risk of a stale list, and is not done.
func LookupToolchain(ctx context.Context, goCmd, dir string) (*Toolchain, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	tc := &Toolchain{Go: goCmd}
	var (
		list    []byte
		listErr error
		listed  = make(chan struct{})
	)
	go func() {
		defer close(listed)
		list, listErr = tc.output(ctx, dir, "tool", "dist", "list", "-json")
	}()
	out, err := tc.output(ctx, dir, "env", "-json", "GOVERSION", "GOHOSTOS", "GOHOSTARCH", "CC")
	<-listed
	if err != nil {
		return nil, err
	}
	var env struct{ GOVERSION, GOHOSTOS, GOHOSTARCH, CC string }
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, shipline.Errorf(shipline.EINTERNAL, "go env -json: %v", err)
	}
	tc.Version, tc.CC = env.GOVERSION, env.CC
	tc.Host = shipline.Target{OS: env.GOHOSTOS, Arch: env.GOHOSTARCH}

	if listErr != nil {
		return nil, listErr
	}
	var pairs []struct{ GOOS, GOARCH string }
	if err := json.Unmarshal(list, &pairs); err != nil {
		return nil, shipline.Errorf(shipline.EINTERNAL, "go tool dist list -json: %v", err)
	}
	for _, p := range pairs {
		tc.Targets = append(tc.Targets, shipline.Target{OS: p.GOOS, Arch: p.GOARCH})
	}
	if len(tc.Targets) == 0 {
		return nil, shipline.Errorf(shipline.EINTERNAL, "go tool dist list printed no targets")
	}
	return tc, nil
}

// output runs go with args in dir and returns its standard output.
func (tc *Toolchain) output(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, tc.Go, args...) // #nosec G204 -- the go command with the arguments of this file, run without a shell
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, shipline.Errorf(shipline.EINTERNAL, "%s is not installed or not on PATH: install Go from https://go.dev/dl/", tc.Go)
		}
		return nil, shipline.Errorf(shipline.EINTERNAL, "%s %s: %v: %s", tc.Go, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// variantVars are the environment variables that select a target variant.
// Each build sets the one of its target and clears the others, so that a
// value in the caller's environment cannot change a binary.
var variantVars = []string{"GOARM", "GOAMD64", "GOMIPS", "GOMIPS64", "GO386", "GOPPC64", "GORISCV64", "GOARM64"}

// buildEnv is the environment of go build for one job: the process's,
// variant variables cleared, its share of the CPUs (GOMAXPROCS, see
// buildProcs), then the build's env, then the target's
// GOOS, GOARCH, variant, CGO_ENABLED and, for cgo, CC. Later entries win.
func buildEnv(j *job) []string {
	env := os.Environ()
	for _, v := range variantVars {
		env = append(env, v+"=")
	}
	if j.procs > 0 {
		env = append(env, "GOMAXPROCS="+strconv.Itoa(j.procs)) // a build's own env may set another
	}
	env = append(env, j.build.Env...)
	env = append(env, "GOOS="+j.target.OS, "GOARCH="+j.target.Arch)
	if v := j.target.VariantEnv(); v != "" {
		env = append(env, v)
	}
	if j.build.CGO {
		env = append(env, "CGO_ENABLED=1", "CC="+j.cc)
	} else {
		env = append(env, "CGO_ENABLED=0")
	}
	return env
}

// buildArgs are the arguments of go build for one job, writing the binary
// to out. Every build is -trimpath and -buildvcs=false, so that neither the
// directory nor the state of the work tree gets into the binary, and
// -buildid= so that the linker's build ID does not either.
func buildArgs(j *job, out string) []string {
	args := []string{"build", "-trimpath", "-buildvcs=false"}
	if len(j.build.Tags) > 0 {
		args = append(args, "-tags", strings.Join(j.build.Tags, ","))
	}
	args = append(args, j.build.Flags...)
	args = append(args, "-ldflags", j.ldflags, "-o", out, j.build.Main)
	return args
}

// goBuild runs go build for j in the module root dir, writing the binary
// to out. A failure is an EINVALID error with the end of go's output.
func goBuild(ctx context.Context, tc *Toolchain, dir string, j *job, out string) error {
	cmd := exec.CommandContext(ctx, tc.Go, buildArgs(j, out)...) // #nosec G204 -- go build with the arguments of buildArgs (flags checked by Resolve), run without a shell
	cmd.Dir = dir
	cmd.Env = buildEnv(j)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return shipline.Errorf(shipline.EINVALID, "go build failed (%v):\n%s", err, tail(output.String(), 40))
	}
	return nil
}

// tail returns the last n lines of s, trimmed.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
