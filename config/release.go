package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// ReleaseSteps are the steps of 'shipline release' that release.skip (and
// --skip) may name, in the order a release runs them. preflight always
// runs.
var ReleaseSteps = []string{"test", "gates", "version", "build", "changelog", "tag", "publish"}

// Release configures 'shipline release': where it works, where it
// publishes, and what its steps check.
type Release struct {
	Dist      string  `yaml:"dist" doc:"Directory, relative to the module root, for everything a release makes: the coverage profile, gate reports, binaries, archives, checksums, release notes, the module zip, and the journal release.json that lets an interrupted release resume. Keep it out of version control."`
	Store     string  `yaml:"store" doc:"Where releases are published (a Go module proxy layout plus each release's files): a directory, or a URL such as file:///srv/store, s3://BUCKET?region=REGION, gs://BUCKET or azblob://CONTAINER. --store overrides it. Default: the directory shipline/store in $XDG_DATA_HOME (~/.local/share)."`
	Coverage  int     `yaml:"coverage" doc:"Fail the test step when total statement coverage is below this percentage, 0 to 100; 0 checks nothing."`
	TestFlags Strings `yaml:"test-flags" doc:"Extra flags for the go test of the test step, such as -short, -race or -count=1. The step always adds -coverprofile."`
	Skip      Strings `yaml:"skip" doc:"Steps a release does not run (like --skip)." enum:"test,gates,version,build,changelog,tag,publish"`
	Push      bool    `yaml:"push" doc:"Push the release tag to the remote changelog.remote.name names; false keeps it local."`
}

// DefaultRelease returns the release configuration used when the file
// gives none: dist as the dist directory, the default store, no coverage
// floor, every step, and the tag pushed.
func DefaultRelease() Release {
	return Release{Dist: "dist", Push: true}
}

// checkRelease checks what the release section gives beyond types and
// choices: a dist directory inside the module, a coverage percentage, and
// test flags that are flags.
func (d *decoder) checkRelease(cfg *Config) {
	r := &cfg.Release
	if n := d.given("release.dist"); n != nil {
		if p := filepath.FromSlash(r.Dist); !filepath.IsLocal(p) {
			d.addAt(n, "release.dist", "%s is not a directory inside the module: give a relative path such as dist", quote(r.Dist))
		}
	}
	if n := d.given("release.coverage"); n != nil && (r.Coverage < 0 || r.Coverage > 100) {
		d.addAt(n, "release.coverage", "must be a percentage from 0 to 100, found %d", r.Coverage)
	}
	if d.given("release.test-flags") != nil {
		for i, f := range r.TestFlags {
			p := fmt.Sprintf("release.test-flags[%d]", i)
			n := d.given(p)
			if n == nil {
				n = d.given("release.test-flags")
			}
			switch {
			case !strings.HasPrefix(f, "-"):
				d.addAt(n, p, "%s is not a go test flag: flags start with -, such as -short", quote(f))
			case strings.HasPrefix(strings.TrimLeft(f, "-"), "coverprofile"):
				d.addAt(n, p, "the test step writes the coverage profile itself (into the dist directory): remove %s", quote(f))
			}
		}
	}
}
