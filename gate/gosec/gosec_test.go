package gosec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/securego/gosec/v2/issue"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gate"
)

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		opts config.GosecGate
		want string
	}{
		{name: "severity", opts: config.GosecGate{Severity: "critical"}, want: `severity "critical" is not one of low, medium, high`},
		{name: "unknown include", opts: config.GosecGate{Include: []string{"G401", "G999"}}, want: "unknown rule G999"},
		{name: "unknown exclude", opts: config.GosecGate{Exclude: []string{"g401"}}, want: "unknown rule g401"},
		{name: "nothing left", opts: config.GosecGate{Include: []string{"G401"}, Exclude: []string{"G401"}}, want: "leave no rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{GosecGate: tt.opts})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
			if code := shipline.ErrorCode(err); code != shipline.EINVALID {
				t.Errorf("got code %q, want %q", code, shipline.EINVALID)
			}
		})
	}
}

func TestRules(t *testing.T) {
	got := Rules()
	for _, id := range []string{"G101", "G104", "G304", "G401", "G501", "G701"} {
		if !slices.Contains(got, id) {
			t.Errorf("Rules() lacks %s", id)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("Rules() is not sorted: %v", got)
	}
}

// TestVersion keeps Version in step with the gosec module go.mod requires.
func TestVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/securego/gosec/v2 " + Version; !strings.Contains(string(b), want) {
		t.Errorf("go.mod does not require %s: update Version", want)
	}
}

// short describes a finding in one line for comparisons:
// FILE:LINE ID SEVERITY [blocking] [suppressed: WHY].
func short(f gate.Finding) string {
	s := fmt.Sprintf("%s:%d %s %s", f.Location.File, f.Location.Line, f.ID, f.Severity)
	if f.Blocking {
		s += " blocking"
	}
	if f.Suppressed != "" {
		s += " suppressed: " + f.Suppressed
	}
	return s
}

func shorts(fs []gate.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, short(f))
	}
	return strings.Join(out, "\n")
}

// TestFindings checks the policy on issues as gosec reports them, without
// loading packages.
func TestFindings(t *testing.T) {
	root := filepath.FromSlash("/src/mod")
	md5 := func(line string, sup ...issue.SuppressionInfo) *issue.Issue {
		return &issue.Issue{RuleID: "G401", What: "Use of weak cryptographic primitive", Severity: issue.Medium, Confidence: issue.High,
			Cwe: issue.GetCweByRule("G401"), File: filepath.Join(root, "a", "a.go"), Line: line, Col: "9", Suppressions: sup}
	}
	unchecked := &issue.Issue{RuleID: "G104", What: "Errors unhandled", Severity: issue.Low, Confidence: issue.High,
		File: filepath.Join(root, "b.go"), Line: "3-5", Col: "2"}
	reason := issue.SuppressionInfo{Kind: "inSource", Justification: "cache key only"}
	bare := issue.SuppressionInfo{Kind: "inSource"}
	tests := []struct {
		name  string
		opts  Options
		issue *issue.Issue
		want  string
	}{
		{name: "medium at medium", issue: md5("7"), want: "a/a.go:7 G401 medium blocking"},
		{name: "medium at high", opts: Options{GosecGate: config.GosecGate{Severity: "high"}}, issue: md5("7"), want: "a/a.go:7 G401 medium"},
		{name: "low at medium", issue: unchecked, want: "b.go:3 G104 low"},
		{name: "low at low", opts: Options{GosecGate: config.GosecGate{Severity: "LOW"}}, issue: unchecked, want: "b.go:3 G104 low blocking"},
		{name: "suppressed with a reason", issue: md5("7", reason), want: "a/a.go:7 G401 medium suppressed: #nosec: cache key only"},
		{name: "suppressed without a reason", issue: md5("7", bare),
			want: "a/a.go:7 G401 medium suppressed: #nosec without a reason\na/a.go:7 nosec-without-reason low"},
		{name: "reason required", opts: Options{RequireReason: true}, issue: md5("7", bare), want: "a/a.go:7 G401 medium blocking"},
		{name: "reason required and given", opts: Options{RequireReason: true}, issue: md5("7", bare, reason),
			want: "a/a.go:7 G401 medium suppressed: #nosec: cache key only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			fs := g.findings("example.com/mod/a", root, tt.issue)
			if got := shorts(fs); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			f := fs[0]
			if f.Gate != Name || f.Package != "example.com/mod/a" || f.Title == "" {
				t.Errorf("got gate %q package %q title %q", f.Gate, f.Package, f.Title)
			}
			if f.ID == "G401" && (!strings.Contains(f.Message, "CWE-328") || !strings.Contains(f.Message, "confidence high") || f.URL == "") {
				t.Errorf("got message %q URL %q, want the CWE and confidence", f.Message, f.URL)
			}
		})
	}
}

// weakEnv is the go command's environment for the fixtures: offline.
var weakEnv = []string{"GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local"}

func mustRun(tb testing.TB, opts Options, dir string) *gate.Report {
	tb.Helper()
	opts.Env = weakEnv
	g, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	rep, err := g.Run(context.Background(), &gate.Module{Dir: abs, Path: "example.com/weak"})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// TestRun runs gosec over testdata/weak, whose comments say what each
// line should give.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks a module: slow with a cold build cache")
	}
	const (
		g304     = "store/store.go:8 G304 medium"
		g501     = "weak.go:5 G501 medium"
		g401     = "weak.go:11 G401 medium"
		reasoned = "weak.go:18 G401 medium suppressed: #nosec: cache key, not a security boundary"
		bare     = "weak.go:23 G401 medium suppressed: #nosec without a reason"
		ask      = "weak.go:23 nosec-without-reason low"
		g104     = "weak.go:28 G104 low"
	)
	tests := []struct {
		name   string
		opts   Options
		want   []string
		passed bool
	}{
		{name: "default threshold", want: []string{g304 + " blocking", g501 + " blocking", g401 + " blocking", reasoned, bare, ask, g104}},
		{name: "low", opts: Options{GosecGate: config.GosecGate{Severity: "low"}},
			want: []string{g304 + " blocking", g501 + " blocking", g401 + " blocking", reasoned, bare, ask, g104 + " blocking"}},
		{name: "high", opts: Options{GosecGate: config.GosecGate{Severity: "high"}},
			want: []string{g304, g501, g401, reasoned, bare, ask, g104}, passed: true},
		{name: "include", opts: Options{GosecGate: config.GosecGate{Include: []string{"G104", "G304"}}},
			want: []string{g304 + " blocking", g104}},
		{name: "exclude", opts: Options{GosecGate: config.GosecGate{Exclude: []string{"G304", "G401", "G501"}}},
			want: []string{g104}, passed: true},
		{name: "reason required", opts: Options{RequireReason: true},
			want: []string{g304 + " blocking", g501 + " blocking", g401 + " blocking", reasoned, "weak.go:23 G401 medium blocking", g104}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := mustRun(t, tt.opts, filepath.Join("testdata", "weak"))
			if got, want := shorts(rep.Findings), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if rep.Passed != tt.passed {
				t.Errorf("got passed %v, want %v", rep.Passed, tt.passed)
			}
			for _, f := range rep.Findings {
				if f.ID == "G304" && f.Package != "example.com/weak/store" {
					t.Errorf("G304: got package %q", f.Package)
				}
			}
			if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "2 packages") || !strings.Contains(rep.Notes[0], "2 #nosec") {
				t.Errorf("got notes %q", rep.Notes)
			}
		})
	}
}

func TestRunDoesNotBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks a module")
	}
	dir := t.TempDir()
	for name, text := range map[string]string{
		"go.mod": "module example.com/bad\n\ngo 1.26\n",
		"bad.go": "package bad\n\nfunc F() int { return \"one\" }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g, err := New(Options{Env: weakEnv})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Run(context.Background(), &gate.Module{Dir: dir, Path: "example.com/bad"})
	if err == nil || !strings.Contains(err.Error(), "bad.go:3:") || strings.Contains(err.Error(), dir) {
		t.Errorf("got error %v, want one naming bad.go:3 relative to the module", err)

	}
}

func TestRunCanceled(t *testing.T) {
	g, err := New(Options{Env: weakEnv})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir, _ := filepath.Abs(filepath.Join("testdata", "weak"))
	if _, err := g.Run(ctx, &gate.Module{Dir: dir}); !errors.Is(err, context.Canceled) {
		t.Errorf("got error %v, want context.Canceled", err)
	}
}

func BenchmarkRun(b *testing.B) {
	dir, err := filepath.Abs(filepath.Join("testdata", "weak"))
	if err != nil {
		b.Fatal(err)
	}
	g, err := New(Options{Env: weakEnv})
	if err != nil {
		b.Fatal(err)
	}
	m := &gate.Module{Dir: dir, Path: "example.com/weak"}
	for b.Loop() {
		if _, err := g.Run(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
}
