package versioning

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gitrepo"
)

// Module is the unit that is versioned: a Go module (a directory with a
// go.mod) or, in a repository without one, the whole repository.
type Module struct {
	Dir       string   // slash path relative to the top of the work tree; "" for the top
	Path      string   // module path from go.mod; "" when there is no go.mod
	TagPrefix string   // Go's tag prefix for the module: "" or "dir/"
	Nested    []string // directories of modules nested inside this one
}

// FindModule describes the module in dir, a slash path relative to the top
// of the work tree ("" for the top). A dir other than the top must hold a
// go.mod; the error for one that does not lists the modules there are.
func FindModule(ctx context.Context, repo *gitrepo.Repo, dir string) (*Module, error) {
	dir = strings.Trim(path.Clean("/"+dir), "/")
	dirs, err := repo.ModuleDirs(ctx)
	if err != nil {
		return nil, err
	}
	m := &Module{Dir: dir}
	data, err := os.ReadFile(filepath.Join(repo.Dir, filepath.FromSlash(dir), "go.mod"))
	switch {
	case err == nil:
		m.Path = modfile.ModulePath(data)
		if m.Path == "" {
			return nil, shipline.Errorf(shipline.EINVALID, "%s: no module line: add one such as \"module example.com/name\"", path.Join(dir, "go.mod"))
		}
	case errors.Is(err, fs.ErrNotExist):
		if dir != "" {
			return nil, shipline.Errorf(shipline.EINVALID, "--module %s: no go.mod in that directory; modules in this repository: %s", dir, listModules(dirs))
		}
	default:
		return nil, err
	}
	for _, d := range dirs {
		if d != dir && (dir == "" || strings.HasPrefix(d, dir+"/")) {
			m.Nested = append(m.Nested, d)
		}
	}
	m.TagPrefix = tagPrefix(dir, m.Path)
	return m, nil
}

// tagPrefix returns Go's tag prefix for a module in dir with the given
// module path: a module whose code sits in a major version subdirectory
// (dir "api/v2" for path ".../api/v2") is tagged "api/v2.x.y", like one
// in "api".
func tagPrefix(dir, modPath string) string {
	if dir == "" {
		return ""
	}
	if _, pathMajor, ok := module.SplitPathVersion(modPath); ok && strings.HasPrefix(pathMajor, "/") {
		major := pathMajor[1:] // "v2"
		if dir == major {
			return ""
		}
		dir = strings.TrimSuffix(dir, "/"+major)
	}
	return dir + "/"
}

func listModules(dirs []string) string {
	if len(dirs) == 0 {
		return "none"
	}
	names := make([]string, len(dirs))
	for i, d := range dirs {
		if d == "" {
			d = "."
		}
		names[i] = d
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// logOptions returns the log filter that selects the commits of m: those
// that touch its files but not only files of modules nested inside it.
func (m *Module) logOptions(rng string) gitrepo.LogOptions {
	opts := gitrepo.LogOptions{Range: rng, Exclude: m.Nested}
	if m.Dir != "" {
		opts.Paths = []string{m.Dir}
	}
	return opts
}

// checkPathMajor returns a message for a person when version v cannot be
// a version of a module with path modPath by Go's rules (v2 and up need a
// /vN suffix), and "" when it can.
func checkPathMajor(modPath, v string) string {
	if modPath == "" || v == "" {
		return ""
	}
	prefix, pathMajor, ok := module.SplitPathVersion(modPath)
	if !ok {
		return ""
	}
	if module.CheckPathMajor(v, pathMajor) == nil {
		return ""
	}
	major := semverMajor(v)
	if major == "v0" || major == "v1" {
		if strings.HasPrefix(pathMajor, ".") { // gopkg.in
			return "module path " + modPath + " does not match " + v + ": gopkg.in paths name their major version"
		}
		return "module path " + modPath + " ends in " + pathMajor + ", which only " + strings.TrimPrefix(pathMajor, "/") + ".x.y versions may use, not " + v
	}
	want := prefix + "/" + major
	if strings.HasPrefix(pathMajor, ".") { // gopkg.in/name.vN
		want = prefix + "." + major
	}
	return "module path " + modPath + " must end in /" + major + " for " + v + ": change the module line in go.mod to \"module " + want + "\" and update imports of its packages"
}

func semverMajor(v string) string {
	if i := strings.IndexByte(v, '.'); i >= 0 {
		return v[:i]
	}
	return v
}

// ownTags keeps the tags whose major version the module path allows, by
// Go's rules: a path ending in /vN (or .vN for gopkg.in) owns vN.x.y, any
// other path v0 and v1. In a repository without go.mod every tag counts.
func (m *Module) ownTags(tags []taggedVersion) []taggedVersion {
	if m.Path == "" {
		return tags
	}
	_, pathMajor, ok := module.SplitPathVersion(m.Path)
	if !ok {
		return tags
	}
	return tagsForMajor(tags, pathMajor)
}

func tagsForMajor(tags []taggedVersion, pathMajor string) []taggedVersion {
	var out []taggedVersion
	for _, t := range tags {
		if module.CheckPathMajor(t.v, pathMajor) == nil {
			out = append(out, t)
		}
	}
	return out
}

// lineageTags returns the tags of the module's whole line of releases:
// for a module that moved to /vN in place (the major branch layout) the
// tags of every major up to N, and otherwise the tags it owns.
func (m *Module) lineageTags(tags []taggedVersion) []taggedVersion {
	n := pathMajorNumber(m.Path)
	if !m.movedInPlace() {
		return m.ownTags(tags)
	}
	var out []taggedVersion
	for _, t := range tags {
		if v, err := parseVersion(t.v); err == nil && v.Major <= n {
			out = append(out, t)
		}
	}
	return out
}

// movedInPlace reports whether the module path ends in /vN (N >= 2) while
// the module stays in the directory of its earlier majors.
func (m *Module) movedInPlace() bool {
	n := pathMajorNumber(m.Path)
	if n < 2 || strings.HasPrefix(m.Path, "gopkg.in/") {
		return false
	}
	sub := fmt.Sprintf("v%d", n)
	return m.Dir != sub && !strings.HasSuffix(m.Dir, "/"+sub)
}

// previousMajorTags returns the tags of the major version before the
// module's, when the module moved to /vN (N >= 2) in the same directory
// (the major branch layout); nil otherwise. A module in a major version
// subdirectory (dir ".../v2") is a new directory with a history of its own.
func (m *Module) previousMajorTags(tags []taggedVersion) []taggedVersion {
	if !m.movedInPlace() {
		return nil
	}
	n := pathMajorNumber(m.Path)
	prev := ""
	if n > 2 {
		prev = fmt.Sprintf("/v%d", n-1)
	}
	return tagsForMajor(tags, prev)
}
