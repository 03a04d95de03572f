package build

import (
	"errors"
	"fmt"
	gobuild "go/build"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

// ResolveOptions are the inputs of Resolve.
type ResolveOptions struct {
	Dir        string         // module root
	ModulePath string         // module path from go.mod
	Builds     []config.Build // the builds: of the config; empty finds the main packages (MainPackages)
	Targets    []string       // when not empty (--targets), the targets of every build, replacing its targets and exclude
	Toolchain  *Toolchain     // the targets it supports, its host and C compiler
	ConfigFile string         // where Builds came from, for messages; "" for .shipline.yaml
}

// Resolve turns the configured builds into Builds, with every default
// filled in:
//
//   - main: the module root if it is package main, else the only main
//     package in cmd/NAME (several are an error that lists them);
//   - binary: the main package's directory name, or for the module root
//     the last element of the module path (before any /vN);
//   - id: the binary name;
//   - targets: the matrix of Matrix over targets and exclude (or
//     opts.Targets), checked against the toolchain;
//   - ldflags: DefaultLdflags;
//   - for a cgo build, a C compiler per target: the config's compilers
//     entry for it (a GOOS/GOARCH entry covers its variants), else
//     DefaultCC.
//
// With no builds configured, there is one build per main package of
// MainPackages. Resolve checks everything it can without building and
// returns one EINVALID error listing every problem, each after the key
// path it is about (builds[1].targets: ...): a main directory that is not
// a main package, ids or binary names used twice, malformed env entries,
// env or flags that would override what Shipline sets, templates that do
// not parse, unknown targets, and cgo targets with no known C compiler.
func Resolve(opts ResolveOptions) ([]Build, error) {
	file := opts.ConfigFile
	if file == "" {
		file = config.FileName
	}
	cfgs := opts.Builds
	fromConfig := len(cfgs) > 0
	if !fromConfig {
		mains, err := MainPackages(opts.Dir)
		if err != nil {
			return nil, err
		}
		for _, m := range mains {
			cfgs = append(cfgs, config.Build{Main: m})
		}
	}

	var override []shipline.Target
	if len(opts.Targets) > 0 {
		var err error
		override, err = Matrix(opts.Targets, nil, opts.Toolchain.Targets)
		if err != nil {
			return nil, shipline.Errorf(shipline.EINVALID, "--targets: %s", strings.ReplaceAll(err.Error(), "\n", "\n--targets: "))
		}
	}

	var problems []string
	var builds []Build
	ids, binaries := map[string]string{}, map[string]string{}
	for i, cb := range cfgs {
		key, sep := fmt.Sprintf("%s: builds[%d]", file, i), "."
		if !fromConfig {
			key, sep = "build "+cb.Main, ": "
		}
		add := func(field, format string, args ...any) {
			p := key
			if field != "" {
				p += sep + field
			}
			for _, line := range strings.Split(fmt.Sprintf(format, args...), "\n") {
				problems = append(problems, p+": "+line)
			}
		}
		b, ok := resolveBuild(cb, opts, override, add)
		if !ok {
			continue
		}
		if prev, dup := ids[b.ID]; dup {
			add("id", "id %q is also the id of %s; give each build its own id", b.ID, prev)
		}
		if prev, dup := binaries[b.Binary]; dup {
			add("binary", "binary %q is also built by %s; archives are named after the binary, so give each build its own", b.Binary, prev)
		}
		ids[b.ID], binaries[b.Binary] = key, key
		builds = append(builds, b)
	}
	if len(problems) > 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "%s", strings.Join(problems, "\n"))
	}
	return builds, nil
}

// resolveBuild fills in and checks one build, reporting problems to add.
func resolveBuild(cb config.Build, opts ResolveOptions, override []shipline.Target, add func(field, format string, args ...any)) (Build, bool) {
	ok := true
	fail := func(field, format string, args ...any) {
		add(field, format, args...)
		ok = false
	}
	b := Build{
		ID:      cb.ID,
		Binary:  cb.Binary,
		Env:     cb.Env,
		Flags:   cb.Flags,
		Tags:    cb.Tags,
		Ldflags: cb.Ldflags,
		CGO:     cb.CGO,
	}

	// main and the names that follow from it
	main := cb.Main
	if main == "" {
		mains, err := MainPackages(opts.Dir)
		switch {
		case err != nil:
			fail("main", "%v", err)
		case len(mains) > 1:
			fail("main", "no main given and the module has several main packages (%s): name one, such as main: %s", strings.Join(mains, ", "), mains[0])
		default:
			main = mains[0]
		}
	}
	if main != "" {
		m, err := checkMain(opts.Dir, main)
		if err != nil {
			fail("main", "%v", err)
		}
		b.Main = m
	}
	if b.Binary == "" && b.Main != "" {
		b.Binary = defaultBinary(b.Main, opts.ModulePath, opts.Dir)
	}
	if !validName.MatchString(b.Binary) && b.Binary != "" {
		fail("binary", "%q is not a file name: use letters, digits, '.', '-' and '_'", b.Binary)
	}
	if b.ID == "" {
		b.ID = b.Binary
	}
	if !validName.MatchString(b.ID) && b.ID != "" {
		fail("id", "%q: use letters, digits, '.', '-' and '_'", b.ID)
	}

	// targets
	targets := override
	if targets == nil {
		var err error
		targets, err = Matrix(cb.Targets, cb.Exclude, opts.Toolchain.Targets)
		if err != nil {
			fail("targets", "%s", err.Error())
		}
	}
	b.Targets = targets

	// the command line and environment of go build
	for _, e := range cb.Env {
		k, _, found := strings.Cut(e, "=")
		switch {
		case !found || k == "":
			fail("env", "%q: want KEY=VALUE", e)
		case k == "GOOS" || k == "GOARCH" || slices.Contains(variantVars, k):
			fail("env", "%s comes from targets (GOOS/GOARCH/VARIANT): remove it from env", k)
		case k == "CGO_ENABLED":
			fail("env", "CGO_ENABLED comes from cgo: remove it from env and set cgo: true for a cgo build")
		case k == "CC":
			fail("env", "CC comes from compilers: remove it from env")
		}
	}
	for _, f := range cb.Flags {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch {
		case !strings.HasPrefix(f, "-"):
			fail("flags", "%q is not a flag: the main package is set by main", f)
		case name == "o" || name == "ldflags" || name == "tags":
			fail("flags", "%s is set by shipline: use %s", f, map[string]string{"o": "binary and --dist", "ldflags": "ldflags", "tags": "tags"}[name])
		case name == "trimpath" || name == "buildvcs":
			fail("flags", "%s: builds are always -trimpath -buildvcs=false, so that they are reproducible", f)
		}
	}
	for _, t := range cb.Tags {
		if t == "" || strings.ContainsAny(t, ", \t") {
			fail("tags", "%q: a build tag is one word", t)
		}
	}
	if b.Ldflags == nil {
		b.Ldflags = DefaultLdflags
	}
	for _, s := range b.Ldflags {
		t, err := template.New("ldflags").Option("missingkey=error").Parse(s)
		if err == nil {
			err = t.Execute(io.Discard, TemplateData{})
		}
		if err != nil {
			fail("ldflags", "%q: %v", s, err)
		}
	}

	// C compilers
	if cb.CGO {
		b.CC = map[shipline.Target]string{}
		configured := map[string]string{}
		for i, c := range cb.Compilers {
			t, err := shipline.ParseTarget(c.Target)
			if err != nil {
				fail(fmt.Sprintf("compilers[%d].target", i), "%v", err)
				continue
			}
			if strings.TrimSpace(c.CC) == "" {
				fail(fmt.Sprintf("compilers[%d].cc", i), "name the C compiler for %s", t)
				continue
			}
			configured[t.String()] = c.CC
		}
		var none []string
		for _, t := range targets {
			cc := configured[t.String()]
			if cc == "" {
				cc = configured[t.OS+"/"+t.Arch]
			}
			if cc == "" {
				cc = DefaultCC(t, opts.Toolchain.Host, opts.Toolchain.CC)
			}
			if cc == "" {
				none = append(none, t.String())
			}
			b.CC[t] = cc
		}
		if len(none) > 0 {
			fail("compilers", "no C compiler is known for %s: add compilers: [{target: %s, cc: COMPILER}]", strings.Join(none, ", "), none[0])
		}
	} else if len(cb.Compilers) > 0 {
		fail("compilers", "compilers are for cgo builds: set cgo: true, or remove them")
	}
	return b, ok
}

// validName is what an id or binary name may be: a plain file name.
var validName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)

// MainPackages returns the main packages that a module with no builds:
// configured builds, as go build names them: "." when the module root in
// dir is package main, else "./cmd/NAME" for every main package in a
// direct subdirectory of cmd (not in a nested module), sorted. Finding
// none is an EINVALID error that shows the builds: to write.
func MainPackages(dir string) ([]string, error) {
	if name, _ := packageName(dir); name == "main" {
		return []string{"."}, nil
	}
	var mains []string
	entries, err := os.ReadDir(filepath.Join(dir, "cmd"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		sub := filepath.Join(dir, "cmd", e.Name())
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(sub, "go.mod")); err == nil {
			continue // a module of its own
		}
		if name, _ := packageName(sub); name == "main" {
			mains = append(mains, "./cmd/"+e.Name())
		}
	}
	if len(mains) == 0 {
		return nil, shipline.Errorf(shipline.EINVALID,
			"nothing to build: the module root %s is not package main and cmd/ holds no main package; name the main package in %s:\n\nbuilds:\n  - main: ./path/to/main\n", dir, config.FileName)
	}
	return mains, nil
}

// packageName returns the name of the Go package in dir, for the host's
// build constraints.
func packageName(dir string) (string, error) {
	pkg, err := gobuild.Default.ImportDir(dir, 0)
	if err != nil {
		return "", err
	}
	return pkg.Name, nil
}

// checkMain checks that main, a directory relative to the module root dir,
// is inside the module and holds a main package, and returns it in go
// build's form ("." or "./cmd/app").
func checkMain(dir, main string) (string, error) {
	rel := filepath.Clean(filepath.FromSlash(main))
	if !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("%q is not a directory inside the module", main)
	}
	name, err := packageName(filepath.Join(dir, rel))
	var noGo *gobuild.NoGoError
	switch {
	case errors.As(err, &noGo):
		return "", fmt.Errorf("%s has no Go files", main)
	case err != nil:
		if _, serr := os.Stat(filepath.Join(dir, rel)); serr != nil {
			return "", fmt.Errorf("%s: no such directory in the module", main)
		}
		return "", fmt.Errorf("%s: %v", main, err)
	case name != "main":
		return "", fmt.Errorf("%s is package %s, not a main package", main, name)
	}
	if rel == "." {
		return ".", nil
	}
	return "./" + filepath.ToSlash(rel), nil
}

// majorSuffix matches a major version path element, v2 and up.
var majorSuffix = regexp.MustCompile(`^v[2-9][0-9]*$|^v[1-9][0-9]+$`)

// defaultBinary is the binary name of a main package: its directory's
// name, or for the module root the module path's last element before any
// /vN (the directory's name when there is no module path).
func defaultBinary(main, modulePath, dir string) string {
	if main != "." {
		return path.Base(main)
	}
	if modulePath == "" {
		return filepath.Base(dir)
	}
	name := path.Base(modulePath)
	if majorSuffix.MatchString(name) && path.Dir(modulePath) != "." {
		name = path.Base(path.Dir(modulePath))
	}
	return name
}
