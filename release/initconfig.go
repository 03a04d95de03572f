package release

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/versioning"
)

// InitConfig is a configuration file written for a module by
// 'shipline init', and why it says what it says.
type InitConfig struct {
	Module  string   // module path
	Dir     string   // module directory relative to the top of the work tree, "." for the top
	Path    string   // where the file goes: config.FileName at the top of the work tree
	File    []byte   // the file, commented
	Choices []string // each choice the file makes and why, for a person
}

// NewInitConfig writes a commented configuration for the module in dir
// (relative to the top of the work tree, "" for the top) from what is
// there: its main packages (build.MainPackages), the nested modules it
// leaves out, its license and readme files, its release tags, and the git
// remote for tags. The file parses (config.Parse); a module without
// go.mod is an EINVALID error.
func NewInitConfig(ctx context.Context, repo *gitrepo.Repo, dir string) (*InitConfig, error) {
	mod, err := versioning.FindModule(ctx, repo, dir)
	if err != nil {
		return nil, err
	}
	if mod.Path == "" {
		return nil, shipline.Errorf(shipline.EINVALID, "%s has no go.mod: shipline init writes the configuration of a Go module; run it in one (or create one with go mod init)", repo.Dir)
	}
	modDir := filepath.Join(repo.Dir, filepath.FromSlash(mod.Dir))
	ic := &InitConfig{Module: mod.Path, Dir: mod.Dir, Path: filepath.Join(repo.Dir, config.FileName)}
	if ic.Dir == "" {
		ic.Dir = "."
	}
	var b bytes.Buffer
	choose := func(format string, args ...any) { ic.Choices = append(ic.Choices, fmt.Sprintf(format, args...)) }

	fmt.Fprintf(&b, "# Shipline configuration for %s, written by 'shipline init'.\n", mod.Path)
	fmt.Fprintf(&b, "# 'shipline config validate' checks it; 'shipline config schema' describes\n# every key. Keys left out get their defaults.\n")
	if ic.Dir != "." {
		fmt.Fprintf(&b, "#\n# The module is in %s/: release it with 'shipline release --module %s'.\n", ic.Dir, ic.Dir)
		fmt.Fprintf(&b, "# This file is the whole repository's: builds: below describe %s.\n", ic.Dir)
		choose("module %s in %s/: tags are %svX.Y.Z; release it with --module %s", mod.Path, ic.Dir, mod.TagPrefix, ic.Dir)
	}
	if len(mod.Nested) > 0 {
		fmt.Fprintf(&b, "#\n# Nested modules, left out of this module's zip and versioned with tags of\n# their own: %s. Release each with 'shipline release --module DIR'.\n", strings.Join(mod.Nested, ", "))
		choose("nested modules %s are left out: each has its own tags and releases (--module DIR)", strings.Join(mod.Nested, ", "))
	}
	b.WriteString("version: 1\n")

	// Versioning.
	res, err := versioning.Next(ctx, repo, versioning.Options{Module: mod.Dir, Config: config.Default().Versioning})
	initial := "v0.1.0"
	if err == nil && res.Current != "" {
		fmt.Fprintf(&b, "\nversioning:\n  # The last release is %s; the next is decided by the Conventional Commits\n  # since then (feat: minor, fix: patch, a breaking change: major, minor\n  # while the major version is 0). initial only matters without a tag.\n  initial: %s\n", res.Current, initial)
		choose("versioning: releases continue from %s", res.Current)
	} else {
		fmt.Fprintf(&b, "\nversioning:\n  # No release tag yet: the first release is this version (vN.0.0 for a\n  # module path ending in /vN), then the Conventional Commits decide.\n  initial: %s\n", initial)
		choose("versioning: no release tag yet, so the first release is %s (a module path ending in /vN starts at vN.0.0)", initial)
	}

	// Builds.
	mains, merr := build.MainPackages(modDir)
	library := merr != nil
	if library {
		b.WriteString("\n# No main package (the module root is not package main and cmd/ holds\n# none): a release publishes the module and builds nothing (release.skip).\n")
		choose("builds: none, no main package found: the build step is skipped (release.skip: [build])")
	} else {
		b.WriteString("\nbuilds:\n")
		var names []string
		for _, m := range mains {
			bin := binaryName(m, mod.Path)
			names = append(names, bin+" ("+m+")")
			where := "The module root is package main"
			if m != "." {
				where = m + " is a main package"
			}
			fmt.Fprintf(&b, "  # %s: binary %s.\n  - id: %s\n    main: %s\n    binary: %s\n", where, bin, quoteYAML(bin), quoteYAML(m), quoteYAML(bin))
			b.WriteString("    # Each target is built, verified, archived and checksummed; keep the\n    # ones you ship. linux/arm/v7, linux/amd64/v3 and patterns (linux/*) work too.\n    targets:\n")
			for _, t := range build.DefaultTargets {
				fmt.Fprintf(&b, "      - %s\n", t)
			}
		}
		choose("builds: %s for %s", strings.Join(names, ", "), strings.Join(build.DefaultTargets, ", "))
	}

	// Archives.
	docs := findFiles(modDir, isLicenseName)
	readmes := findFiles(modDir, func(n string) bool { return strings.HasPrefix(strings.ToUpper(n), "README") })
	if !library {
		b.WriteString("\narchive:\n")
		found := append(slices.Clone(docs), readmes...)
		if len(found) > 0 {
			fmt.Fprintf(&b, "  # Added to every archive beside the binary; found: %s.\n", strings.Join(found, ", "))
		} else {
			b.WriteString("  # Added to every archive beside the binary, when there are such files.\n")
		}
		b.WriteString("  files:\n")
		for _, p := range config.DefaultArchiveFiles() {
			fmt.Fprintf(&b, "    - %s\n", quoteYAML(p))
		}
	}
	if len(docs) > 0 {
		choose("license: %s goes into every archive and the module zip", strings.Join(docs, ", "))
	} else if ic.Dir != "." && len(findFiles(repo.Dir, isLicenseName)) > 0 {
		choose("license: the repository's LICENSE goes into the module zip, as the go command does for a module in a subdirectory")
	} else {
		choose("license: none found: add a LICENSE file, or others cannot use the module (the archives and the module zip will have none)")
	}

	// Gates.
	b.WriteString("\ngates:\n  # A release stops on reachable vulnerabilities and on gosec issues of\n  # medium severity or more; licenses that cannot be identified warn.\n  license:\n    unknown: warn\n")
	choose("gates: the defaults (vuln: reachable, gosec: medium, license: unknown licenses warn)")

	// Release.
	dist := "dist"
	b.WriteString("\nrelease:\n")
	fmt.Fprintf(&b, "  # Everything a release makes goes here, with its journal (release.json)\n  # that lets an interrupted release resume. Keep it out of git.\n  dist: %s\n", dist)
	if !ignored(repo.Dir, modDir, dist) {
		choose("release.dist: %s/ holds what a release makes; it is not in .gitignore: add /%s/ to it", dist, dist)
	} else {
		choose("release.dist: %s/ holds what a release makes (already in .gitignore)", dist)
	}
	b.WriteString("  # Fail the release when go test covers less of the statements (percent).\n  coverage: 0\n")
	if library {
		b.WriteString("  skip: [build]\n")
	}
	b.WriteString("  # Where releases are published: --store overrides it. Default: a local\n  # directory, ~/.local/share/shipline/store. For example:\n  # store: s3://BUCKET?region=us-east-1\n")
	remote := config.Default().Changelog.Remote.Name
	url, _ := repo.RemoteURL(ctx, remote)
	if url == "" {
		fmt.Fprintf(&b, "  # No git remote %q yet: tags stay local. Set push: true once there is one.\n  push: false\n", remote)
		choose("release.push: false, since there is no git remote %q to push tags to", remote)
	} else {
		fmt.Fprintf(&b, "  # Push the release tag (only it) to %s (%s).\n  push: true\n", remote, url)
		choose("release.push: tags are pushed to %s (%s)", remote, url)
	}

	ic.File = b.Bytes()
	if _, err := config.Parse(ic.Path, ic.File); err != nil {
		return nil, shipline.Errorf(shipline.EINTERNAL, "shipline init wrote a configuration that does not parse: %v", err)
	}
	return ic, nil
}

// binaryName is the default binary name of a main package, as package
// build names it: the directory's name, or for the module root the module
// path's last element before any /vN.
func binaryName(main, modulePath string) string {
	if main != "." {
		return path.Base(main)
	}
	name := path.Base(modulePath)
	if majorElem.MatchString(name) && path.Dir(modulePath) != "." {
		name = path.Base(path.Dir(modulePath))
	}
	return name
}

// isLicenseName reports whether a file name is a license's.
func isLicenseName(n string) bool {
	u := strings.ToUpper(n)
	return strings.HasPrefix(u, "LICENSE") || strings.HasPrefix(u, "LICENCE") || strings.HasPrefix(u, "COPYING")
}

// findFiles returns the names of the regular files in dir that match.
func findFiles(dir string, match func(string) bool) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && match(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// ignored reports whether a .gitignore at the top of the work tree or in
// the module names the dist directory. It reads the files' lines, not
// git's rules: a miss only adds a suggestion.
func ignored(top, modDir, dist string) bool {
	for _, dir := range []string{top, modDir} {
		f, err := os.Open(filepath.Join(dir, ".gitignore")) // #nosec G304 -- the .gitignore at the top of the work tree or of the module being configured
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.Trim(strings.TrimSpace(sc.Text()), "/")
			if line == dist || strings.HasSuffix(line, "/"+dist) {
				f.Close()
				return true
			}
		}
		f.Close()
	}
	return false
}

// plainYAML matches strings that YAML reads as themselves without quotes,
// but for the words and numbers quoteYAML checks.
var plainYAML = regexp.MustCompile(`^[A-Za-z0-9./_-][A-Za-z0-9./_*-]*$`)

// majorElem matches a major version path element such as v2.
var majorElem = regexp.MustCompile(`^v[0-9]+$`)

// quoteYAML returns s as a YAML scalar: plain when that reads back as the
// same string, double-quoted otherwise.
func quoteYAML(s string) string {
	_, numErr := strconv.ParseFloat(s, 64)
	if plainYAML.MatchString(s) && numErr != nil && !slices.Contains([]string{"true", "false", "null", "yes", "no", "on", "off"}, strings.ToLower(s)) {
		return s
	}
	return strconv.Quote(s)
}
