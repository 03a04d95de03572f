package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	goversion "go/version"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
)

// pinGoToolchain makes the Go toolchain that the module in dir selects
// (by GOTOOLCHAIN, or a toolchain line in go.mod) the go command on PATH,
// with GOTOOLCHAIN=local, for this process and everything it starts, and
// returns its version.
//
// The gates load packages in-process with golang.org/x/tools/go/packages,
// which asks the go command for its version with GO111MODULE=off; that
// turns toolchain switching off, so it would read go1.27 sources as go1.26
// code and fail on the new language features (golang/go#68495). Pinning
// the selected toolchain avoids that.
//
// The analyses read code with the go/types of the Go that built Shipline:
// a toolchain of a newer language version than that is refused with an
// EINVALID error that says how to build a Shipline that can read it.
func pinGoToolchain(ctx context.Context, dir string) (string, error) {
	env, err := goEnv(ctx, dir, "GOROOT", "GOVERSION")
	if err != nil {
		return "", shipline.Errorf(shipline.EINVALID, "%v: the gates need the go command; install Go (or fix GOTOOLCHAIN)", err)
	}
	if err := checkToolchainLang(env["GOVERSION"], runtime.Version()); err != nil {
		return "", err
	}
	goBin := filepath.Join(env["GOROOT"], "bin")
	onPath, err := exec.LookPath("go")
	if err == nil {
		if p, err := filepath.EvalSymlinks(onPath); err == nil {
			onPath = p
		}
	}
	selected, _ := filepath.EvalSymlinks(filepath.Join(goBin, "go"))
	if selected != "" && selected != onPath {
		if err := os.Setenv("PATH", goBin+string(os.PathListSeparator)+os.Getenv("PATH")); err != nil {
			return "", err
		}
	}
	if err := os.Setenv("GOTOOLCHAIN", "local"); err != nil {
		return "", err
	}
	return env["GOVERSION"], nil
}

// checkToolchainLang returns an error when the go command's version
// (goVersion, such as go1.27.3) is of a newer language version than the
// Go that built Shipline (built, such as go1.26.8). Development versions
// ("devel ...") are let through.
func checkToolchainLang(goVersion, built string) error {
	if !goversion.IsValid(goVersion) || !goversion.IsValid(built) {
		return nil
	}
	if goversion.Compare(goversion.Lang(goVersion), goversion.Lang(built)) <= 0 {
		return nil
	}
	return shipline.Errorf(shipline.EINVALID,
		"the go command is %s, newer than the %s this shipline was built with: the gates read code with the Go they were built with, which cannot read %s code. "+
			"Build shipline with %s or newer (GOTOOLCHAIN=%s go install github.com/shipline-ci/shipline/cmd/shipline@latest; in Shipline's own repository: GOTOOLCHAIN=%s go run ./cmd/shipline ...)",
		goVersion, built, goversion.Lang(goVersion), goVersion, goVersion, goVersion)
}

// goEnv runs `go env -json VARS...` in dir ("" for the working
// directory) and returns the values; a failure carries what go printed.
func goEnv(ctx context.Context, dir string, vars ...string) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"env", "-json"}, vars...)...) // #nosec G204 -- the go command with fixed variable names
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("go env: %w", err)
	}
	env := map[string]string{}
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("go env -json: %w", err)
	}
	return env, nil
}

// loadsPackages reports whether any of the named gates loads the module's
// packages with the go command (every gate but commits does).
func loadsPackages(names []string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return n != "commits" })
}
