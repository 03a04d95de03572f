package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func mustDate(tb testing.TB, s string) Date {
	tb.Helper()
	d, err := ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestGatesDefault(t *testing.T) {
	cfg, err := Parse("test.yaml", []byte("version: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Gates{Vuln: VulnGate{FailOn: "reachable"}, License: LicenseGate{Unknown: "fail"}, Gosec: GosecGate{Severity: "medium"}}
	if !reflect.DeepEqual(cfg.Gates, want) {
		t.Errorf("Gates = %+v, want %+v", cfg.Gates, want)
	}
}

func TestGatesParse(t *testing.T) {
	cfg, err := Parse("test.yaml", []byte(`version: 1
gates:
  skip: commits
  vuln:
    ignore:
      - {id: GO-2024-1234, reason: not reachable from the CLI, expires: 2026-02-28}
`))
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Gates
	if !slices.Equal(g.Skip, Strings{"commits"}) {
		t.Errorf("Skip = %q, want [commits]", g.Skip)
	}
	if g.Vuln.FailOn != "reachable" {
		t.Errorf("FailOn = %q, want the default reachable", g.Vuln.FailOn)
	}
	want := time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)
	if len(g.Vuln.Ignore) != 1 || !g.Vuln.Ignore[0].Expires.Equal(want) || g.Vuln.Ignore[0].Expires.String() != "2026-02-28" {
		t.Errorf("Ignore = %+v, want one entry expiring on 2026-02-28", g.Vuln.Ignore)
	}
}

// TestGateNamesEnum checks that gates.skip accepts exactly GateNames.
func TestGateNamesEnum(t *testing.T) {
	f, ok := reflect.TypeFor[Gates]().FieldByName("Skip")
	if !ok {
		t.Fatal("no Skip field")
	}
	if got := strings.Split(f.Tag.Get("enum"), ","); !slices.Equal(got, GateNames) {
		t.Errorf("gates.skip enum = %q, want GateNames %q", got, GateNames)
	}
}

var gateErrorTests = []struct {
	name          string
	yaml          string
	want          []string
	schemaRejects bool
}{
	{
		name:          "unknown gate",
		yaml:          "version: 1\ngates:\n  skip: [vuln, gosek]\n",
		want:          []string{`3:16: gates.skip[1]: invalid value "gosek"; valid values: vuln, license, gosec, commits; did you mean "gosec"?`},
		schemaRejects: true,
	},
	{
		name:          "unknown gate key",
		yaml:          "version: 1\ngates:\n  vulns: {}\n",
		want:          []string{`3:3: gates.vulns: unknown key "vulns"; valid keys in gates: skip, vuln, license, gosec, commits; did you mean "vuln"?`},
		schemaRejects: true,
	},
	{
		name:          "bad fail-on",
		yaml:          "version: 1\ngates:\n  vuln:\n    fail-on: called\n",
		want:          []string{`4:14: gates.vuln.fail-on: invalid value "called"; valid values: reachable, imported, any`},
		schemaRejects: true,
	},
	{
		name: "incomplete ignore entries",
		yaml: `version: 1
gates:
  vuln:
    ignore:
      - id: GO-2024-1234
      - id: GO-2024-1235
        reason: " "
        expires: 2026-01-01
      - reason: why
        expires: 2026-01-01
`,
		want: []string{
			`5:9: gates.vuln.ignore[0].reason: an ignore entry needs a reason: say why the finding is accepted for now`,
			`5:9: gates.vuln.ignore[0].expires: an ignore entry needs an expiry date (YYYY-MM-DD): the day the finding blocks again unless it is looked at`,
			`7:17: gates.vuln.ignore[1].reason: an ignore entry needs a reason: say why the finding is accepted for now`,
			`9:9: gates.vuln.ignore[2].id: an ignore entry needs the id of a finding, such as GO-2024-1234`,
		},
		schemaRejects: true,
	},
	{
		name: "bad expiry dates",
		yaml: `version: 1
gates:
  vuln:
    ignore:
      - {id: A, reason: r, expires: 2026-13-01}
      - {id: B, reason: r, expires: "next year"}
      - {id: C, reason: r, expires: 2026-01-02T10:00:00Z}
      - {id: D, reason: r, expires: 20260102}
`,
		want: []string{
			`5:37: gates.vuln.ignore[0].expires: invalid date "2026-13-01": want YYYY-MM-DD, such as 2026-12-31`,
			`6:37: gates.vuln.ignore[1].expires: invalid date "next year": want YYYY-MM-DD, such as 2026-12-31`,
			`7:37: gates.vuln.ignore[2].expires: invalid date "2026-01-02T10:00:00Z": want YYYY-MM-DD, such as 2026-12-31`,
			`8:37: gates.vuln.ignore[3].expires: expected a date such as 2026-12-31, found integer 20260102`,
		},
	},
	{
		name: "bad license and rule ids",
		yaml: `version: 1
gates:
  license:
    allow: [MIT, "GPL 2"]
    deny: [mit]
  gosec:
    exclude: [G1O4]
`,
		want: []string{
			`4:18: gates.license.allow[1]: "GPL 2" is not an SPDX license identifier such as MIT or Apache-2.0`,
			`5:12: gates.license.deny[0]: "mit" is both allowed and denied; remove it from one list`,
			`7:15: gates.gosec.exclude[0]: "G1O4" is not a gosec rule ID such as G101`,
		},
	},
	{
		name:          "bad severity and unknown",
		yaml:          "version: 1\ngates:\n  license: {unknown: ignore}\n  gosec: {severity: critical}\n",
		want:          []string{`3:22: gates.license.unknown: invalid value "ignore"; valid values: fail, warn`, `4:21: gates.gosec.severity: invalid value "critical"; valid values: low, medium, high`},
		schemaRejects: true,
	},
}

func TestGatesErrors(t *testing.T) {
	s := mustSchema(t)
	for _, tt := range gateErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want errors:\n%s", strings.Join(tt.want, "\n"))
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, "test.yaml:"+w)
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("error:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
			if !tt.schemaRejects {
				return
			}
			var doc any
			if err := yaml.Unmarshal([]byte(tt.yaml), &doc); err != nil {
				t.Fatal(err)
			}
			if errs := validate(s, doc, ""); len(errs) == 0 {
				t.Errorf("the schema accepts a file that Parse rejects:\n%s", tt.yaml)
			}
		})
	}
}
