package build

import (
	"strings"
	"text/template"

	"github.com/shipline-ci/shipline"
)

// DefaultLdflags are the linker flags of a build whose config names none:
// a stripped binary that knows its version, commit and date.
var DefaultLdflags = []string{
	"-s -w",
	"-X main.version={{.Version}}",
	"-X main.commit={{.Commit}}",
	"-X main.date={{.Date}}",
}

// TemplateData is what ldflags templates see.
type TemplateData struct {
	Version     string          // the version built, such as v1.2.3 or v1.3.0-SNAPSHOT-abc1234
	Commit      string          // full hash of the commit built
	ShortCommit string          // its first 7 characters
	Date        string          // the commit's committer time, RFC 3339 in UTC
	Target      shipline.Target // {{.Target}} is linux/arm/v7; also .Target.OS, .Target.Arch, .Target.Variant
	ID          string          // the build's id
	Binary      string          // the binary's name, without .exe
}

// Ldflags renders the ldflags templates tmpls with data and joins them
// with spaces, then adds -buildid= so that the linker writes no build ID
// that could differ between two builds of the same source. A template that
// does not parse or execute (an unknown field, say) is an EINVALID error.
func Ldflags(tmpls []string, data TemplateData) (string, error) {
	var parts []string
	for _, s := range tmpls {
		t, err := template.New("ldflags").Option("missingkey=error").Parse(s)
		if err != nil {
			return "", shipline.Errorf(shipline.EINVALID, "ldflags %q: %v", s, err)
		}
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return "", shipline.Errorf(shipline.EINVALID, "ldflags %q: %v", s, err)
		}
		if p := strings.TrimSpace(b.String()); p != "" {
			parts = append(parts, p)
		}
	}
	parts = append(parts, "-buildid=")
	return strings.Join(parts, " "), nil
}
