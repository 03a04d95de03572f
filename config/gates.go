package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// GateNames are the gates 'shipline gate' knows, in the order it runs
// and reports them; gates.skip names some of them.
var GateNames = []string{"vuln", "license", "gosec", "commits"}

// Gates configures 'shipline gate' and the gates a release runs.
type Gates struct {
	Skip    Strings     `yaml:"skip" doc:"Gates not to run." enum:"vuln,license,gosec,commits"`
	Vuln    VulnGate    `yaml:"vuln" doc:"The vulnerability gate: govulncheck over the module's source (and, in a release, its binaries)."`
	License LicenseGate `yaml:"license" doc:"The license gate: the licenses of the module's dependencies."`
	Gosec   GosecGate   `yaml:"gosec" doc:"The static analysis gate: gosec's security rules over the module's code."`
	Commits CommitsGate `yaml:"commits" doc:"The commit gate: commits since the last release tag that are not Conventional Commits."`
}

// VulnGate configures the vulnerability gate.
type VulnGate struct {
	DB     string        `yaml:"db" doc:"Vulnerability database: an https:// or file:// URL of a database in the v1 format, or a directory (relative to the repository root) holding one, or holding OSV files such as the data/osv directory of the golang.org/x/vulndb module. Default: golang.org/x/vulndb from the Go module cache."`
	FailOn string        `yaml:"fail-on" doc:"Which vulnerabilities block: reachable (the module's code calls a vulnerable function), imported (it imports a vulnerable package, called or not) or any (a vulnerable module version is required)." enum:"reachable,imported,any"`
	Ignore []IgnoreEntry `yaml:"ignore" doc:"Vulnerabilities that do not block until a date, each with the reason."`
}

// IgnoreEntry accepts a finding until it expires.
type IgnoreEntry struct {
	ID      string `yaml:"id" doc:"ID of the finding, or one of its aliases: GO-2024-1234, CVE-2024-1234, GHSA-xxxx-xxxx-xxxx."`
	Reason  string `yaml:"reason" doc:"Why the finding is accepted for now."`
	Expires Date   `yaml:"expires" doc:"The date (YYYY-MM-DD, UTC) from which the entry no longer applies and the finding blocks again."`
}

// LicenseGate configures the license gate.
type LicenseGate struct {
	Allow   []string `yaml:"allow" doc:"SPDX license identifiers allowed; empty allows every license not denied."`
	Deny    []string `yaml:"deny" doc:"SPDX license identifiers that block a release."`
	Unknown string   `yaml:"unknown" doc:"What a dependency whose license cannot be identified does: fail the gate, or warn." enum:"fail,warn"`
}

// GosecGate configures the static analysis gate.
type GosecGate struct {
	Severity string   `yaml:"severity" doc:"Lowest severity of an issue that blocks; issues below it are reported only." enum:"low,medium,high"`
	Include  []string `yaml:"include" doc:"Rules to run, such as G101; empty runs every rule."`
	Exclude  []string `yaml:"exclude" doc:"Rules not to run, such as G104."`
}

// CommitsGate configures the commit gate.
type CommitsGate struct {
	Fail bool `yaml:"fail" doc:"Block when a commit since the last release tag is not a Conventional Commit; by default they are only reported."`
}

// Date is a calendar date, written YYYY-MM-DD (quoted or not). Its Time is
// the start of the day in UTC; the zero Date means none was given.
type Date struct {
	time.Time
}

// String returns the date as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// MarshalYAML writes the date as YYYY-MM-DD.
func (d Date) MarshalYAML() (any, error) { return d.String(), nil }

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("invalid date %s: want YYYY-MM-DD, such as 2026-12-31", quote(s))
	}
	return Date{t}, nil
}

// Patterns of the gates' values, shared by the schema and the checks.
const (
	// datePattern is the form of a Date.
	datePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	// spdxPattern is the form of an SPDX license identifier or
	// expression operand, such as MIT, Apache-2.0, GPL-2.0-or-later or
	// LicenseRef-Custom.
	spdxPattern = `^[A-Za-z0-9][A-Za-z0-9.+-]*$`
	// gosecRulePattern is the form of a gosec rule ID.
	gosecRulePattern = `^G[0-9]{3}$`
)

var (
	spdxRE      = lazyRegexp(spdxPattern)
	gosecRuleRE = lazyRegexp(gosecRulePattern)
)

// date decodes a Date from a YAML timestamp or string holding only a
// date, such as 2026-12-31.
func (d *decoder) date(at, n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!timestamp") {
		d.wrongType(at, n, path, v.Type(), nil)
		return
	}
	dt, err := ParseDate(n.Value)
	if err != nil {
		d.addAt(at, path, "%v", err)
		d.bad[path] = true
		return
	}
	v.Set(reflect.ValueOf(dt))
}

// checkGates checks what the gates section gives beyond types and
// choices: complete ignore entries, well-formed license and rule IDs, and
// no license both allowed and denied.
func (d *decoder) checkGates(cfg *Config) {
	g := &cfg.Gates
	for i, e := range g.Vuln.Ignore {
		p := fmt.Sprintf("gates.vuln.ignore[%d]", i)
		at := d.given(p)
		if at == nil {
			continue
		}
		if tp := p + ".id"; !d.bad[tp] && strings.TrimSpace(e.ID) == "" {
			d.addAt(orNode(d.nodes[tp], at), tp, "an ignore entry needs the id of a finding, such as GO-2024-1234")
		}
		if tp := p + ".reason"; !d.bad[tp] && strings.TrimSpace(e.Reason) == "" {
			d.addAt(orNode(d.nodes[tp], at), tp, "an ignore entry needs a reason: say why the finding is accepted for now")
		}
		if tp := p + ".expires"; !d.bad[tp] && e.Expires.IsZero() {
			d.addAt(orNode(d.nodes[tp], at), tp, "an ignore entry needs an expiry date (YYYY-MM-DD): the day the finding blocks again unless it is looked at")
		}
	}
	for _, list := range []struct {
		key string
		ids []string
	}{{"gates.license.allow", g.License.Allow}, {"gates.license.deny", g.License.Deny}} {
		if d.given(list.key) == nil {
			continue
		}
		for i, id := range list.ids {
			p := fmt.Sprintf("%s[%d]", list.key, i)
			if n := d.given(p); n != nil && !spdxRE().MatchString(id) {
				d.addAt(n, p, "%s is not an SPDX license identifier such as MIT or Apache-2.0", quote(id))
			}
		}
	}
	if d.given("gates.license.deny") != nil {
		for i, id := range g.License.Deny {
			p := fmt.Sprintf("gates.license.deny[%d]", i)
			if n := d.given(p); n != nil && containsFold(g.License.Allow, id) {
				d.addAt(n, p, "%s is both allowed and denied; remove it from one list", quote(id))
			}
		}
	}
	for _, list := range []struct {
		key string
		ids []string
	}{{"gates.gosec.include", g.Gosec.Include}, {"gates.gosec.exclude", g.Gosec.Exclude}} {
		for i, id := range list.ids {
			p := fmt.Sprintf("%s[%d]", list.key, i)
			if n := d.given(p); n != nil && !gosecRuleRE().MatchString(id) {
				d.addAt(n, p, "%s is not a gosec rule ID such as G101", quote(id))
			}
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// DefaultGates returns the gates configuration used when the file gives
// none: block on reachable vulnerabilities and on gosec issues of medium
// severity or more, warn about unidentified licenses, report commits that
// are not Conventional Commits without blocking.
func DefaultGates() Gates {
	return Gates{
		Vuln:    VulnGate{FailOn: "reachable"},
		License: LicenseGate{Unknown: "fail"},
		Gosec:   GosecGate{Severity: "medium"},
	}
}
