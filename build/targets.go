package build

import (
	"path"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
)

// DefaultTargets is the matrix of a build that names no targets: linux,
// darwin and windows on amd64 and arm64.
var DefaultTargets = []string{
	"darwin/amd64", "darwin/arm64",
	"linux/amd64", "linux/arm64",
	"windows/amd64", "windows/arm64",
}

// Matrix expands a build's targets and exclusions against known, the
// GOOS/GOARCH pairs of the Go toolchain in use (Toolchain.Targets).
//
// An include entry is a target, GOOS/GOARCH[/VARIANT], or a pattern of
// GOOS/GOARCH (path.Match syntax, such as linux/* or */arm64) that stands
// for every known pair it matches. An empty include list means
// DefaultTargets. An exclude entry is a target or pattern too; one without
// a variant also leaves out every variant of its pairs, so windows/* or
// linux/arm drop linux/arm/v7 and windows/amd64/v3 as well.
//
// Every entry is checked before anything is built: a malformed target, an
// unknown variant, a pair the toolchain does not know (with the nearest
// valid targets) or a pattern that matches nothing is an EINVALID error
// listing all such problems, and so is a matrix that exclusions leave
// empty. The result is sorted and has no duplicates.
func Matrix(include, exclude []string, known []shipline.Target) ([]shipline.Target, error) {
	if len(include) == 0 {
		include = DefaultTargets
	}
	var problems []string
	var out []shipline.Target
	for _, s := range include {
		ts, err := expand(s, known)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		out = append(out, ts...)
	}
	var drop []string
	for _, s := range exclude {
		if _, err := expand(s, known); err != nil {
			problems = append(problems, "exclude: "+err.Error())
			continue
		}
		drop = append(drop, strings.TrimSpace(s))
	}
	if len(problems) > 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "%s", strings.Join(problems, "\n"))
	}
	out = slices.DeleteFunc(out, func(t shipline.Target) bool {
		return slices.ContainsFunc(drop, func(p string) bool { return excludes(p, t) })
	})
	slices.SortFunc(out, compareTargets)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "exclude %s leaves no target of %s to build", strings.Join(exclude, ", "), strings.Join(include, ", "))
	}
	return out, nil
}

// expand returns the targets that the include entry s stands for.
func expand(s string, known []shipline.Target) ([]shipline.Target, error) {
	s = strings.TrimSpace(s)
	if isPattern(s) {
		if strings.Count(s, "/") != 1 {
			return nil, shipline.Errorf(shipline.EINVALID, "pattern %q: want GOOS/GOARCH with * or ?, such as linux/*; a variant cannot be a pattern", s)
		}
		if _, err := path.Match(s, ""); err != nil {
			return nil, shipline.Errorf(shipline.EINVALID, "pattern %q: %v", s, err)
		}
		var out []shipline.Target
		for _, k := range known {
			if ok, _ := path.Match(s, k.OS+"/"+k.Arch); ok {
				out = append(out, shipline.Target{OS: k.OS, Arch: k.Arch})
			}
		}
		if len(out) == 0 {
			return nil, shipline.Errorf(shipline.EINVALID, "pattern %q matches no target of 'go tool dist list'", s)
		}
		return out, nil
	}
	t, err := shipline.ParseTarget(s)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(known, func(k shipline.Target) bool { return k.OS == t.OS && k.Arch == t.Arch }) {
		return nil, shipline.Errorf(shipline.EINVALID, "unknown target %q: 'go tool dist list' has no %s/%s; nearest valid targets: %s",
			s, t.OS, t.Arch, strings.Join(Nearest(t.OS+"/"+t.Arch, known, 3), ", "))
	}
	return []shipline.Target{t}, nil
}

// excludes reports whether the exclude entry p (a valid target or pattern)
// leaves out t.
func excludes(p string, t shipline.Target) bool {
	pair := t.OS + "/" + t.Arch
	if isPattern(p) {
		ok, _ := path.Match(p, pair)
		return ok
	}
	return p == t.String() || p == pair
}

func isPattern(s string) bool { return strings.ContainsAny(s, "*?[") }

func compareTargets(a, b shipline.Target) int {
	return strings.Compare(a.OS+"\x00"+a.Arch+"\x00"+a.Variant, b.OS+"\x00"+b.Arch+"\x00"+b.Variant)
}

// Nearest returns up to n of the known GOOS/GOARCH pairs closest to s by
// edit distance (insertions, deletions, substitutions and swaps of
// adjacent characters), closest first and alphabetically among equals.
func Nearest(s string, known []shipline.Target, n int) []string {
	type scored struct {
		name string
		d    int
	}
	var all []scored
	seen := map[string]bool{}
	for _, k := range known {
		name := k.OS + "/" + k.Arch
		if seen[name] {
			continue
		}
		seen[name] = true
		all = append(all, scored{name, editDistance(strings.ToLower(s), name)})
	}
	slices.SortFunc(all, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, n)
	for _, c := range all[:min(n, len(all))] {
		out = append(out, c.name)
	}
	return out
}

// editDistance is the optimal string alignment distance between a and b.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// dirSuffix returns the target as it appears in file names:
// GOOS_GOARCH[_VARIANT], with any comma in the variant as '_'.
func dirSuffix(t shipline.Target) string {
	s := t.OS + "_" + t.Arch
	if t.Variant != "" {
		s += "_" + strings.ReplaceAll(t.Variant, ",", "_")
	}
	return s
}
