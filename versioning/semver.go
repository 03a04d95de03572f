package versioning

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
)

// IsReleaseTag reports whether v (without any module prefix) is a canonical
// Go semantic version tag, vMAJOR.MINOR.PATCH[-PRERELEASE]: no build
// metadata, no missing components, no leading zeros.
func IsReleaseTag(v string) bool {
	return semver.IsValid(v) && semver.Canonical(v) == v
}

// version is a parsed canonical semantic version.
type version struct {
	Major, Minor, Patch int
	Pre                 string // without the leading "-"
}

func parseVersion(v string) (version, error) {
	if !IsReleaseTag(v) {
		return version{}, shipline.Errorf(shipline.EINVALID, "%q is not a canonical semantic version such as v1.2.3", v)
	}
	core := strings.TrimPrefix(v, "v")
	var pre string
	if i := strings.IndexByte(core, '-'); i >= 0 {
		core, pre = core[:i], core[i+1:]
	}
	parts := strings.SplitN(core, ".", 3)
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil {
			return version{}, shipline.Errorf(shipline.EINVALID, "%q: version component %q is too large", v, p)
		}
		n[i] = x
	}
	return version{Major: n[0], Minor: n[1], Patch: n[2], Pre: pre}, nil
}

func (v version) String() string {
	s := fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// bump returns the stable version b above v. A bump of a pre-release of
// the same core promotes it (v1.0.0-rc.1 + patch is v1.0.0).
func (v version) bump(b shipline.Bump) version {
	switch b {
	case shipline.BumpMajor:
		return version{Major: v.Major + 1}
	case shipline.BumpMinor:
		return version{Major: v.Major, Minor: v.Minor + 1}
	case shipline.BumpPatch:
		return version{Major: v.Major, Minor: v.Minor, Patch: v.Patch + 1}
	}
	return v
}

// preNumber returns N when v's pre-release is "id.N", and false otherwise.
func (v version) preNumber(id string) (int, bool) {
	rest, ok := strings.CutPrefix(v.Pre, id+".")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || strconv.Itoa(n) != rest {
		return 0, false
	}
	return n, true
}

// ValidPreID reports an EUSAGE error unless id can be a pre-release
// identifier such as "rc", "beta" or "alpha.x".
func ValidPreID(id string) error {
	if id == "" || !IsReleaseTag("v1.0.0-"+id+".1") {
		return shipline.Errorf(shipline.EUSAGE, "invalid --pre %q: use dot-separated identifiers of letters, digits and hyphens, such as rc or beta", id)
	}
	return nil
}

// Major returns the major version number of a release tag, with or
// without a module prefix ("api/v2.1.0" is 2), and 0 for anything else.
func Major(tag string) int {
	if i := strings.LastIndexByte(tag, '/'); i >= 0 {
		tag = tag[i+1:]
	}
	v, err := parseVersion(tag)
	if err != nil {
		return 0
	}
	return v.Major
}
