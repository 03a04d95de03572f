// Package apicheck compares the exported API of a Go module between two trees.
//
// It backs `shipline version check`: Compare loads every public package of
// the module as it was at the last tag and as it is now and lists the API
// changes with golang.org/x/exp/apidiff; Judge weighs the bump those changes
// need against the bump the commits claim.
//
// This is the only package that loads Go packages or type-checks code.
package apicheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/exp/apidiff"
	"golang.org/x/tools/go/packages"

	"github.com/shipline-ci/shipline"
)

// Report is the result of Compare: the API changes of a module between two
// trees. It marshals to JSON with lower-case keys and bumps as words.
type Report struct {
	// Packages lists the packages whose exported API changed, sorted by
	// import path. Packages without changes are left out.
	Packages []PackageDiff `json:"packages"`

	// Required is the smallest bump the API changes need, before Go's v0
	// rule (see Judge): BumpMajor if any change is incompatible, BumpMinor
	// if there are only compatible changes, and BumpNone if the exported API
	// did not change. It is never BumpPatch, since whether a patch release is
	// needed depends on changes the API does not show.
	Required shipline.Bump `json:"required"`
}

// PackageDiff is the API change of one package.
type PackageDiff struct {
	// Path is the import path: in the new tree, or in the old one for a
	// package that was removed.
	Path string `json:"path"`

	// Incompatible and Compatible are apidiff's messages, sorted, such as
	// "Foo: removed" or "Bar: changed from func() to func(int)". A removed
	// package has the single incompatible message "package removed", a new
	// package the single compatible message "package added".
	Incompatible []string `json:"incompatible,omitempty"`
	Compatible   []string `json:"compatible,omitempty"`
}

// Messages for a package as a whole.
const (
	msgPackageRemoved = "package removed"
	msgPackageAdded   = "package added"
)

// maxErrors is how many load or type errors Compare quotes.
const maxErrors = 5

// Compare loads every package of the module rooted at oldDir and of the one
// rooted at newDir (two checkouts of the same module, such as the tree at the
// last tag extracted to a temporary directory and the work tree) and compares
// their exported APIs with golang.org/x/exp/apidiff.
//
// Packages are loaded as `go list ./...` in each directory finds them, with
// GOWORK=off and otherwise the process environment (GOFLAGS included), so
// testdata directories, directories starting with "." or "_" and nested
// modules (directories with their own go.mod) are not part of the module.
// Of those, main packages and packages with an "internal" element in their
// path are skipped: other modules cannot import them. Packages are matched by
// their path relative to the module path, so a module moved to a new major
// version path (example.com/m to example.com/m/v2) still compares package by
// package; a declaration that uses a type from another package of the module
// then shows as changed, as it is for a client. A package that disappeared is an incompatible change; a new one is
// a compatible change.
//
// The API compared is the one built for the GOOS, GOARCH and build tags of
// that environment: a file excluded by its build constraints does not count.
//
// Loading runs the go command, which compiles the packages for their export
// data; it needs the module's dependencies in the module cache or a module
// proxy to fetch them from, and none for a module without dependencies.
//
// Compare returns an EINVALID error if either directory has no go.mod or if
// a compared package of either tree does not load or type-check; the error
// names the tree and quotes the first errors. It returns other errors if the
// go command cannot run or ctx is done.
func Compare(ctx context.Context, oldDir, newDir string) (*Report, error) {
	var (
		oldPkgs, newPkgs map[string]*packages.Package
		oldErr, newErr   error
		wg               sync.WaitGroup
	)
	// The two go list runs are independent; overlapping them roughly halves
	// the wall time.
	wg.Go(func() { oldPkgs, oldErr = load(ctx, "old", oldDir) })
	newPkgs, newErr = load(ctx, "new", newDir)
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err := errors.Join(oldErr, newErr); err != nil {
		return nil, err
	}
	return diff(oldPkgs, newPkgs), nil
}

// diff compares two module trees loaded by load.
func diff(oldPkgs, newPkgs map[string]*packages.Package) *Report {
	r := &Report{Required: shipline.BumpNone}
	for rel, op := range oldPkgs {
		np, ok := newPkgs[rel]
		if !ok {
			r.Packages = append(r.Packages, PackageDiff{Path: op.PkgPath, Incompatible: []string{msgPackageRemoved}})
			continue
		}
		d := PackageDiff{Path: np.PkgPath}
		for _, c := range apidiff.Changes(op.Types, np.Types).Changes {
			if c.Compatible {
				d.Compatible = append(d.Compatible, c.Message)
			} else {
				d.Incompatible = append(d.Incompatible, c.Message)
			}
		}
		if len(d.Compatible)+len(d.Incompatible) > 0 {
			r.Packages = append(r.Packages, d)
		}
	}
	for rel, np := range newPkgs {
		if _, ok := oldPkgs[rel]; !ok {
			r.Packages = append(r.Packages, PackageDiff{Path: np.PkgPath, Compatible: []string{msgPackageAdded}})
		}
	}
	slices.SortFunc(r.Packages, func(a, b PackageDiff) int { return strings.Compare(a.Path, b.Path) })
	for _, d := range r.Packages {
		switch {
		case len(d.Incompatible) > 0:
			r.Required = shipline.BumpMajor
		case len(d.Compatible) > 0:
			r.Required = max(r.Required, shipline.BumpMinor)
		}
	}
	return r
}

// load loads the public packages of the module rooted at dir and returns
// them by their path relative to the module path ("" for the root package).
// side ("old" or "new") names the tree in errors.
func load(ctx context.Context, side, dir string) (map[string]*packages.Package, error) {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "%s tree %s: no Go module at its root: %w", side, dir, err)
	}
	cfg := &packages.Config{
		Context: ctx,
		Dir:     dir,
		// The module alone, as `go list` sees it: no go.work, and no
		// GOPACKAGESDRIVER standing in for the go command.
		Env: append(os.Environ(), "GOWORK=off", "GOPACKAGESDRIVER=off"),
		// NeedTypes without NeedSyntax makes go/packages read the types
		// from the compiler's export data, which `go list -export` builds
		// (and caches). That is cheaper than type-checking from source and
		// holds everything apidiff looks at.
		Mode: packages.NeedName | packages.NeedTypes | packages.NeedModule,
	}
	pkgs, err := packages.Load(cfg, "./...")
	if ctx.Err() != nil {
		// A canceled go command shows as load errors or as none at all.
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("load %s tree %s: %w", side, dir, err)
	}
	out := make(map[string]*packages.Package)
	var errs []string
	nerrs := 0
	for _, p := range pkgs {
		if p.Module == nil || !p.Module.Main || p.Name == "main" {
			continue
		}
		rel, ok := relPath(p.PkgPath, p.Module.Path)
		if !ok || isInternal(rel) {
			continue
		}
		for _, e := range p.Errors {
			nerrs++
			if len(errs) < maxErrors {
				errs = append(errs, e.Error())
			}
		}
		if len(p.Errors) == 0 && p.Types == nil {
			// Not expected from go/packages, but apidiff needs types.
			nerrs++
			errs = append(errs, p.PkgPath+": no type information")
		}
		out[rel] = p
	}
	if nerrs > 0 {
		more := ""
		if nerrs > len(errs) {
			more = fmt.Sprintf("\n\t(and %d more)", nerrs-len(errs))
		}
		return nil, shipline.Errorf(shipline.EINVALID, "%s tree %s does not type-check:\n\t%s%s",
			side, dir, strings.Join(errs, "\n\t"), more)
	}
	return out, nil
}

// relPath returns the path of the package pkgPath relative to its module
// modPath: "" for the module's root package, "a/b" for modPath+"/a/b".
func relPath(pkgPath, modPath string) (string, bool) {
	if pkgPath == modPath {
		return "", true
	}
	rel, ok := strings.CutPrefix(pkgPath, modPath+"/")
	return rel, ok
}

// isInternal reports whether the module-relative package path rel has an
// "internal" element, which makes the package importable only from within
// the module.
func isInternal(rel string) bool {
	return slices.Contains(strings.Split(rel, "/"), "internal")
}
