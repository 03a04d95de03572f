package main

import (
	"encoding/json"
	"github.com/shipline-ci/shipline/bench/internal/benchmd"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceSectionKeepsOthers(t *testing.T) {
	const section = "## Gates\n\nnew\n\n"
	for _, tt := range []struct{ name, old, want string }{
		{
			name: "between others",
			old:  "# Benchmarks\n\n## Versions (100k commits)\n\nkeep\n\n## Gates\n\nold\n\n## Builds\n\nkeep too\n",
			want: "# Benchmarks\n\n## Versions (100k commits)\n\nkeep\n\n" + section + "## Builds\n\nkeep too\n",
		},
		{
			name: "absent",
			old:  "# Benchmarks\n\n## Versions (100k commits)\n\nkeep\n",
			want: "# Benchmarks\n\n## Versions (100k commits)\n\nkeep\n\n" + section,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
			if err := os.WriteFile(path, []byte(tt.old), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := benchmd.ReplaceSection(path, "Gates", section); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// writeRun writes one run's directory as the script leaves it.
func writeRun(t *testing.T, runs, name string, tm timing, files map[string]string) {
	t.Helper()
	dir := filepath.Join(runs, name)
	if err := os.MkdirAll(filepath.Join(dir, "gates"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(tm)
	if err != nil {
		t.Fatal(err)
	}
	files["time.json"] = string(b)
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReport(t *testing.T) {
	runs := t.TempDir()
	const gosecJSON = `{"Golang errors": {}, "Issues": [
		{"severity": "HIGH", "rule_id": "G115", "file": "/src/mod/binverify/wasm.go", "line": "104"},
		{"severity": "LOW", "rule_id": "G104", "file": "/src/mod/main.go", "line": "12"}
	], "Stats": {"files": 2, "lines": 20, "nosec": 0, "found": 2}}`
	for _, r := range []struct {
		round                    int
		ship, vuln, gosec, licen float64
	}{
		{1, 60, 80, 16, 40},
		{2, 70, 90, 18, 44},
		{3, 62, 84, 15, 42},
	} {
		name := func(id string) string { return "r" + string(rune('0'+r.round)) + "-" + id }
		writeRun(t, runs, name(idShipline), timing{ID: idShipline, Round: r.round, Dir: "/src/mod", Wall: r.ship, User: 100, MaxRSS: 4 << 20, ExitCode: 1},
			map[string]string{shiplineSummary: shiplineSummaryJSON})
		writeRun(t, runs, name(idGovulncheck), timing{ID: idGovulncheck, Round: r.round, Dir: "/src/mod", Wall: r.vuln, User: 90, MaxRSS: 4 << 20, ExitCode: 3},
			map[string]string{"stdout": govulncheckVerbose})
		writeRun(t, runs, name(idGosec), timing{ID: idGosec, Round: r.round, Dir: "/src/mod", Wall: r.gosec, User: 20, MaxRSS: 100 << 10, ExitCode: 1},
			map[string]string{"stdout": gosecJSON})
		writeRun(t, runs, name(idGoLicenses), timing{ID: idGoLicenses, Round: r.round, Dir: "/src/mod", Wall: r.licen, User: 40, MaxRSS: 300 << 10},
			map[string]string{"stderr": ""})
	}
	writeRun(t, runs, "w-"+idLicenseReport, timing{ID: idLicenseReport, Dir: "/src/mod", Wall: 41},
		map[string]string{"stdout": "cel.dev/expr,Unknown,Apache-2.0\ngithub.com/a/b,Unknown,MIT\n"})

	res, err := readRuns(runs)
	if err != nil {
		t.Fatal(err)
	}
	// Sums per round: 136, 152, 141.
	if s := res.stats["sum"]; s.median != 141 || s.min != 136 || s.runs != 3 {
		t.Errorf("sum: got median %v, min %v, %d runs; want 141, 136, 3", s.median, s.min, s.runs)
	}
	if s := res.stats[idShipline]; s.median != 62 || s.min != 60 {
		t.Errorf("shipline: got median %v, min %v; want 62, 60", s.median, s.min)
	}
	f := readFindings(res)
	section := renderSection("Gates", map[string]string{"DATE": "2026-11-28"}, res, f)
	for _, want := range []string{
		"## Gates\n",
		"| `shipline gate` / the three | 0.44× | 0.44× | < 1× | met |",
		"| vulnerabilities the code calls | 2 | govulncheck: 2 | yes, the same IDs |",
		"| gosec issues | 2 (1 high, 1 low), and 1 suppressed by #nosec | gosec: 2 (1 high, 1 low), 0 #nosec | yes, the same issues (rule, file, line) |",
		"| vuln | 53.0 s | `govulncheck` | 84.0 s | 0.63× |",
		"go-licenses report (warm-up): 2 libraries: Apache-2.0 1, MIT 1",
		"| exit code | 1 | govulncheck 3, gosec 1, go-licenses 0 | |",
		// 53 s + 6.8 s of 60, 70 and 62 s.
		"In each run the slowest of the others plus gosec took 85–100 % of the run's wall time",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the section lacks %q:\n%s", want, section)
		}
	}
	if strings.Contains(section, "Notes:") {
		t.Errorf("the section has notes; every round found the same:\n%s", section)
	}
}

func TestCompareSets(t *testing.T) {
	for _, tt := range []struct {
		a, b []string
		want string
	}{
		{nil, nil, "yes, none"},
		{[]string{"x", "y"}, []string{"y", "x"}, "yes, the same IDs"},
		{[]string{"x", "y"}, []string{"y", "z"}, "**no**: only Shipline: x; only the tool: z"},
	} {
		if got := compareSets(tt.a, tt.b, "IDs"); got != tt.want {
			t.Errorf("compareSets(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}
