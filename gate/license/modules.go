package license

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// goModule is a module as 'go list' and 'go mod download' describe it.
type goModule struct {
	Path    string
	Version string
	Main    bool
	Dir     string
	Replace *goModule
}

// String returns path@version, the module's name in findings.
func (m *goModule) String() string {
	if m.Version == "" {
		return m.Path
	}
	return m.Path + "@" + m.Version
}

// source returns the module whose files are used: the replacement, if
// any.
func (m *goModule) source() *goModule {
	if m.Replace != nil {
		return m.Replace
	}
	return m
}

// linkedModules returns the modules, other than the main ones, that
// provide packages linked into the packages of the module in dir: the
// Module of every package of 'go list -deps ./...'. Loading the packages
// downloads any module not yet in the module cache (or fails, offline).
func (g *Gate) linkedModules(ctx context.Context, dir string) ([]*goModule, error) {
	out, err := g.goCmd(ctx, dir, "list", "-e", "-deps", "-json=ImportPath,Module,Error", "./...")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var mods []*goModule
	var errs []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Module     *goModule
			Error      *struct{ Pos, Err string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read go list output: %w", err)
		}
		if p.Error != nil {
			e := "package " + p.ImportPath
			if p.Error.Pos != "" {
				e += " (imported at " + p.Error.Pos + ")"
			}
			errs = append(errs, e+": "+p.Error.Err)
		}
		if p.Module == nil || p.Module.Main || seen[p.Module.String()] {
			continue // standard library, main module, or seen
		}
		seen[p.Module.String()] = true
		mods = append(mods, p.Module)
	}
	if len(errs) > 0 {
		msg := strings.Join(errs, "\n")
		if offline(msg) {
			msg += "\n" + offlineHint
		}
		return nil, fmt.Errorf("the module's packages do not load:\n%s", msg)
	}
	return mods, nil
}

// fromVendor fills in the Dir of the modules that have none from the
// vendor directory of the main module in root, if it has one: in vendor
// mode the go command gives no module directories, and 'go mod vendor'
// copies each module's license files to vendor/MODULE/.
func fromVendor(root string, mods []*goModule) {
	if _, err := os.Stat(filepath.Join(root, "vendor", "modules.txt")); err != nil {
		return
	}
	for _, m := range mods {
		src := m.source()
		if src.Dir != "" {
			continue
		}
		dir := filepath.Join(root, "vendor", filepath.FromSlash(m.Path))
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			src.Dir = dir
		}
	}
}

// buildList returns every module of the build list but the main ones
// ('go list -m all'), downloading those not in the module cache.
func (g *Gate) buildList(ctx context.Context, dir string) ([]*goModule, error) {
	out, err := g.goCmd(ctx, dir, "list", "-m", "-json", "all")
	if err != nil {
		return nil, err
	}
	var mods []*goModule
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m goModule
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read go list output: %w", err)
		}
		if !m.Main {
			mods = append(mods, &m)
		}
	}
	return mods, g.download(ctx, dir, mods)
}

// download fills in the Dir of the modules that have none (not yet in
// the module cache) with one 'go mod download'. A module that cannot be
// downloaded is an error naming it.
func (g *Gate) download(ctx context.Context, dir string, mods []*goModule) error {
	want := map[string][]*goModule{}
	var args []string
	for _, m := range mods {
		src := m.source()
		if src.Dir != "" {
			continue
		}
		if src.Version == "" {
			return fmt.Errorf("module %s: replacement directory %s does not exist", m, src.Path)
		}
		key := src.String()
		if want[key] == nil {
			args = append(args, key)
		}
		want[key] = append(want[key], src)
	}
	if len(args) == 0 {
		return nil
	}
	sort.Strings(args)
	// go mod download exits non-zero when a module fails but still
	// describes every module; the descriptions say which failed.
	out, runErr := g.goCmd(ctx, dir, append([]string{"mod", "download", "-json"}, args...)...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var failed []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var d struct {
			Path, Version, Dir string
			Error              string
		}
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			if runErr != nil {
				return runErr
			}
			return fmt.Errorf("read go mod download output: %w", err)
		}
		key := d.Path + "@" + d.Version
		if d.Error != "" {
			failed = append(failed, fmt.Sprintf("%s: %s", key, d.Error))
			continue
		}
		for _, m := range want[key] {
			m.Dir = d.Dir
		}
		delete(want, key)
	}
	if len(failed) > 0 {
		return fmt.Errorf("not in the module cache and cannot be downloaded: %s", strings.Join(failed, "; "))
	}
	if len(want) > 0 {
		if runErr != nil {
			return runErr
		}
		var left []string
		for k := range want {
			left = append(left, k)
		}
		sort.Strings(left)
		return fmt.Errorf("go mod download did not describe %s", strings.Join(left, ", "))
	}
	return nil
}

// goCmd runs the go command in dir with the gate's environment and
// returns its standard output; a failure is an error quoting its
// standard error.
func (g *Gate) goCmd(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...) // #nosec G204 -- the go command with arguments this gate builds (list, mod download), run without a shell
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), g.opts.Env...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return stdout.Bytes(), ctx.Err()
		}
		msg := quiet(stderr.String())
		var ee *exec.ExitError
		if msg == "" || !errors.As(err, &ee) {
			msg = err.Error()
		}
		if offline(msg) {
			msg += "\n" + offlineHint
		}
		return stdout.Bytes(), fmt.Errorf("go %s: %s", strings.Join(args, " "), msg)
	}
	return stdout.Bytes(), nil
}

// quiet drops the go command's progress lines ("go: downloading M V")
// from its standard error.
func quiet(stderr string) string {
	var keep []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(line, "go: downloading ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// offlineHint says what to do when a module cannot be downloaded.
const offlineHint = "(a module missing from the module cache cannot be downloaded here: run 'go mod download' in the module where the module proxy is reachable, or set GOPROXY)"

// offline reports whether the go command failed for want of a module it
// could not download.
func offline(msg string) bool {
	for _, s := range []string{"module lookup disabled", "dial tcp", "no such host", "proxyconnect", "i/o timeout"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
