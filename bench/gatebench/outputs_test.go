package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const govulncheckVerbose = `Fetching vulnerabilities from the database...

Checking the code against the vulnerabilities...

=== Symbol Results ===

Vulnerability #1: GO-2026-6809
    Distrust compromised intermediate certificates in crypto/x509
  More info: https://pkg.go.dev/vuln/GO-2026-6809
    Example traces found:
      #1: main.go:7:2: app.main calls x509.Certificate.Verify

Vulnerability #2: GO-2026-6617
    HTTP/2 server crash in net/http

=== Package Results ===

Vulnerability #1: GO-2026-6609
    Lack of limit on size of parsed Range headers in net/http

=== Module Results ===

Vulnerability #1: GO-2026-6866
    Check all ancestor namespace transitions when rendering raw text in html in
    golang.org/x/net

Vulnerability #2: GO-2026-5932
    The golang.org/x/crypto/openpgp package is unmaintained

Your code is affected by 2 vulnerabilities from the Go standard library.
This scan also found 1 vulnerability in packages you import and 2
vulnerabilities in modules you require, but your code doesn't appear to call
these vulnerabilities.
`

func TestParseGovulncheck(t *testing.T) {
	got, err := parseGovulncheck(strings.NewReader(govulncheckVerbose))
	if err != nil {
		t.Fatal(err)
	}
	want := vulnLevels{
		Reachable: []string{"GO-2026-6617", "GO-2026-6809"},
		Imported:  []string{"GO-2026-6609"},
		Required:  []string{"GO-2026-5932", "GO-2026-6866"},
	}
	if !slices.Equal(got.Reachable, want.Reachable) || !slices.Equal(got.Imported, want.Imported) || !slices.Equal(got.Required, want.Required) {
		t.Errorf("got %+v, want %+v", *got, want)
	}

	t.Run("nothing found", func(t *testing.T) {
		got, err := parseGovulncheck(strings.NewReader("Fetching vulnerabilities from the database...\n\nNo vulnerabilities found.\n"))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(got.all()); n != 0 {
			t.Errorf("got %d IDs, want 0", n)
		}
	})
	t.Run("not the verbose text", func(t *testing.T) {
		if _, err := parseGovulncheck(strings.NewReader(`{"config":{}}`)); err == nil {
			t.Error("got no error for JSON output")
		}
	})
}

func TestParseGosec(t *testing.T) {
	const report = `{
	"Golang errors": {},
	"Issues": [
		{"severity": "HIGH", "confidence": "MEDIUM", "rule_id": "G115", "file": "/src/mod/binverify/wasm.go", "line": "104", "column": "34"},
		{"severity": "LOW", "confidence": "HIGH", "rule_id": "G104", "file": "/src/mod/main.go", "line": "12-14", "column": "2"},
		{"severity": "MEDIUM", "confidence": "HIGH", "rule_id": "G304", "file": "/elsewhere/x.go", "line": "3", "column": "1"}
	],
	"Stats": {"files": 3, "lines": 300, "nosec": 1, "found": 3},
	"GosecVersion": "dev"
}`
	got, err := parseGosec(strings.NewReader(report), "/src/mod")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, is := range got.Issues {
		keys = append(keys, is.key()+" "+is.Severity)
	}
	want := []string{"G115 binverify/wasm.go:104 high", "G104 main.go:12 low", "G304 /elsewhere/x.go:3 medium"}
	if !slices.Equal(keys, want) {
		t.Errorf("got %q, want %q", keys, want)
	}
	if got.Files != 3 || got.Lines != 300 || got.Nosec != 1 {
		t.Errorf("got stats %d files, %d lines, %d nosec; want 3, 300, 1", got.Files, got.Lines, got.Nosec)
	}
	if _, err := parseGosec(strings.NewReader(`Results:`), "/src"); err == nil {
		t.Error("got no error for text output")
	}
}

// shiplineSummaryJSON is a summary.json of `shipline gate`, cut down.
const shiplineSummaryJSON = `{
  "module": "example.com/app", "dir": "/src/mod", "passed": false, "duration_ns": 60000000000,
  "reports": [
    {"gate": "vuln", "passed": false, "duration_ns": 53000000000, "findings": [
      {"gate": "vuln", "id": "GO-2026-6809", "severity": "high", "blocking": true, "location": {"file": "main.go", "line": 7}},
      {"gate": "vuln", "id": "GO-2026-6809", "severity": "high", "blocking": true, "location": {"file": "cmd.go", "line": 9}},
      {"gate": "vuln", "id": "GO-2026-6617", "severity": "high", "blocking": true},
      {"gate": "vuln", "id": "GO-2026-6609", "severity": "medium", "blocking": false},
      {"gate": "vuln", "id": "GO-2026-5932", "severity": "low", "blocking": false},
      {"gate": "vuln", "id": "GO-2026-6866", "severity": "low", "blocking": false}
    ]},
    {"gate": "license", "passed": true, "duration_ns": 4500000000, "findings": [],
     "notes": ["checked 92 modules linked into ./... (go list -deps)", "modules by license: Apache-2.0 60, BSD-2-Clause 1, BSD-3-Clause 28, MIT 12"]},
    {"gate": "commits", "passed": true, "duration_ns": 40000000, "findings": []},
    {"gate": "gosec", "passed": false, "duration_ns": 6800000000, "findings": [
      {"gate": "gosec", "id": "G115", "severity": "high", "blocking": true, "location": {"file": "binverify/wasm.go", "line": 104, "col": 34}},
      {"gate": "gosec", "id": "G104", "severity": "low", "blocking": false, "location": {"file": "main.go", "line": 12}},
      {"gate": "gosec", "id": "G304", "severity": "medium", "blocking": false, "suppressed": "#nosec without a reason", "location": {"file": "x.go", "line": 3}},
      {"gate": "gosec", "id": "nosec-without-reason", "severity": "low", "blocking": false, "location": {"file": "x.go", "line": 3}}
    ]}
  ]
}`

func TestParseShipline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.json")
	if err := os.WriteFile(path, []byte(shiplineSummaryJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := parseShipline(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := (vulnLevels{Reachable: []string{"GO-2026-6617", "GO-2026-6809"}, Imported: []string{"GO-2026-6609"}, Required: []string{"GO-2026-5932", "GO-2026-6866"}}); got.Vuln.String() != want.String() ||
		!slices.Equal(got.Vuln.Reachable, want.Reachable) || !slices.Equal(got.Vuln.Required, want.Required) {
		t.Errorf("vuln: got %+v, want %+v", got.Vuln, want)
	}
	var keys []string
	for _, is := range got.Gosec {
		keys = append(keys, is.key())
	}
	if want := []string{"G115 binverify/wasm.go:104", "G104 main.go:12"}; !slices.Equal(keys, want) {
		t.Errorf("gosec: got %q, want %q", keys, want)
	}
	if got.GosecSuppressed != 1 {
		t.Errorf("gosec: got %d suppressed, want 1", got.GosecSuppressed)
	}
	if got.LicenseModules != 92 || got.Licenses["Apache-2.0"] != 60 || got.Licenses["BSD-2-Clause"] != 1 || len(got.Licenses) != 4 {
		t.Errorf("license: got %d modules, %v", got.LicenseModules, got.Licenses)
	}
	if !slices.Equal(got.Gates, []string{"vuln", "license", "commits", "gosec"}) || got.Durations["gosec"] != 6.8 {
		t.Errorf("gates: got %v, %v", got.Gates, got.Durations)
	}
	if got.Blocking["vuln"] != 3 || got.Blocking["gosec"] != 1 {
		t.Errorf("blocking: got %v", got.Blocking)
	}
}

func TestParseGoLicenses(t *testing.T) {
	const stderr = `I1128 09:01:55.442762   18623 library.go:123] some progress
Unknown license type  found for library github.com/acme/nolicense
Forbidden license type AGPL-3.0 found for library github.com/acme/agpl
Not allowed license MPL-2.0 found for library github.com/acme/mpl
`
	got, err := parseGoLicensesCheck(strings.NewReader(stderr))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("got %d complaints, want 3: %q", len(got), got)
	}

	const csv = "cel.dev/expr,Unknown,Apache-2.0\ngithub.com/a/b,https://github.com/a/b/blob/v1/LICENSE,MIT\ngithub.com/c/d,Unknown,Apache-2.0\n"
	rep, err := parseGoLicensesReport(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Libraries != 3 || rep.Licenses["Apache-2.0"] != 2 || rep.Licenses["MIT"] != 1 {
		t.Errorf("got %d libraries, %v", rep.Libraries, rep.Licenses)
	}
	if _, err := parseGoLicensesReport(strings.NewReader("")); err == nil {
		t.Error("got no error for an empty report")
	}
}

func TestSummarizeExitCodes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stdout"), []byte(govulncheckVerbose), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stderr"), []byte("govulncheck: loading packages: boom\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		exit    int
		wantErr bool
	}{{0, false}, {3, false}, {1, true}} {
		_, err := summarize(runDir{Dir: dir, Timing: &timing{ID: idGovulncheck, ExitCode: tt.exit}})
		if (err != nil) != tt.wantErr {
			t.Errorf("exit %d: got error %v, want error: %v", tt.exit, err, tt.wantErr)
		}
	}
}

func TestSummarizeGateThatCouldNotDecide(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "gates"), 0o755); err != nil {
		t.Fatal(err)
	}
	const summary = `{"passed": false, "reports": [{"gate": "vuln", "passed": false, "error": "vulnerability database /x: no such directory", "findings": []}]}`
	if err := os.WriteFile(filepath.Join(dir, shiplineSummary), []byte(summary), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := summarize(runDir{Dir: dir, Timing: &timing{ID: idShipline, ExitCode: 1}})
	if err == nil || !strings.Contains(err.Error(), "no such directory") {
		t.Errorf("got %v, want the vuln gate's error", err)
	}
}
