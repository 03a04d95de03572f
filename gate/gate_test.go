package gate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xeipuuv/gojsonschema"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeGate is a gate that returns a fixed report or error.
type fakeGate struct {
	name      string
	rep       *gate.Report
	err       error
	panics    bool
	exclusive bool
	wait      chan struct{} // if not nil, Run waits for it or ctx
	running   *atomic.Int32 // counts gates running at once
	maxSeen   *atomic.Int32
}

func (g *fakeGate) Name() string    { return g.name }
func (g *fakeGate) Exclusive() bool { return g.exclusive }

func (g *fakeGate) Run(ctx context.Context, m *gate.Module) (*gate.Report, error) {
	if g.running != nil {
		n := g.running.Add(1)
		defer g.running.Add(-1)
		for {
			old := g.maxSeen.Load()
			if n <= old || g.maxSeen.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if g.panics {
		panic("boom")
	}
	if g.wait != nil {
		select {
		case <-g.wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if g.rep == nil {
		return &gate.Report{}, g.err
	}
	rep := *g.rep
	return &rep, g.err
}

var module = &gate.Module{Dir: "/src/app", Path: "example.com/app"}

// sample is a summary with one finding of every kind, for the writers.
func sample() *gate.Summary {
	return &gate.Summary{
		Module: "example.com/app",
		Dir:    "/src/app",
		Passed: false,
		Reports: []*gate.Report{
			{
				Gate:     "vuln",
				Passed:   false,
				Duration: 1500 * time.Millisecond,
				Notes:    []string{"database testdata/osv (4 entries, modified 2026-01-03)"},
				Findings: []gate.Finding{
					{
						Gate: "vuln", ID: "GO-9999-0001", Severity: gate.SeverityHigh,
						Module: "example.com/vulnlib@v1.0.0", Package: "example.com/vulnlib",
						Message:  "Crafted input makes Parse misbehave. The module calls example.com/vulnlib.Parse of example.com/vulnlib@v1.0.0. Fixed in v1.0.1: go get example.com/vulnlib@v1.0.1",
						Location: &gate.Location{File: "main.go", Line: 14, Col: 22},
						Trace:    []string{"example.com/app.main (main.go:10:19)", "example.com/vulnlib.Parse (example.com/vulnlib@v1.0.0/vulnlib.go:9:6)"},
						Stack: []gate.Frame{
							{Function: "example.com/app.main", Package: "example.com/app", Location: &gate.Location{File: "main.go", Line: 10, Col: 19}},
							{Function: "example.com/vulnlib.Parse", Package: "example.com/vulnlib", Module: "example.com/vulnlib@v1.0.0", File: "vulnlib.go:9:6"},
						},
						Blocking: true, Title: "Crafted input makes Parse misbehave", URL: "https://pkg.go.dev/vuln/GO-9999-0001",
						Aliases: []string{"CVE-9999-0001"},
					},
					{
						Gate: "vuln", ID: "GO-9999-0002", Severity: gate.SeverityMedium,
						Module: "example.com/vulnlib@v1.0.0", Package: "example.com/vulnlib",
						Message:  "The module imports example.com/vulnlib but does not call its vulnerable functions (Unused).",
						Location: &gate.Location{File: "go.mod", Line: 5, Col: 1},
					},
					{
						Gate: "vuln", ID: "GO-9999-0003", Severity: gate.SeverityLow, Module: "example.com/vulnlib@v1.0.0",
						Message:    "The module requires example.com/vulnlib@v1.0.0.",
						Suppressed: "ignored until 2026-07-01: not imported",
					},
				},
			},
			{
				Gate: "commits", Passed: true, Duration: 40 * time.Millisecond,
				Findings: []gate.Finding{{
					Gate: "commits", ID: "0123456789abcdef0123456789abcdef01234567", Rule: "conventional-commits/1",
					Severity: gate.SeverityLow, Title: "Commit message is not a Conventional Commit",
					Message: `0123456 "wip" is not a Conventional Commit: 1:1: missing type`,
				}},
			},
			{Gate: "license", Passed: false, Duration: 2 * time.Millisecond, Findings: []gate.Finding{}, Error: "go.mod: cannot read the build list"},
		},
		Duration: 1600 * time.Millisecond,
	}
}

// golden compares got with testdata/NAME, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; if the change is intended, run go test ./gate -update and review the diff\ngot:\n%s", path, got)
	}
}

func TestRunConcurrency(t *testing.T) {
	var running, maxSeen atomic.Int32
	var gates []gate.Gate
	for _, name := range []string{"a", "b", "c"} {
		gates = append(gates, &fakeGate{name: name, running: &running, maxSeen: &maxSeen})
	}
	var exRunning, exMax atomic.Int32
	gates = append(gates,
		&fakeGate{name: "x", exclusive: true, running: &exRunning, maxSeen: &exMax},
		&fakeGate{name: "y", exclusive: true, running: &exRunning, maxSeen: &exMax},
	)
	s, err := gate.Run(context.Background(), module, gates)
	if err != nil {
		t.Fatal(err)
	}
	if got := maxSeen.Load(); got < 2 {
		t.Errorf("at most %d gate(s) ran at once, want the non-exclusive ones together", got)
	}
	if got := exMax.Load(); got != 1 {
		t.Errorf("%d exclusive gates ran at once, want 1", got)
	}
	var names []string
	for _, r := range s.Reports {
		names = append(names, r.Gate)
	}
	if !slices.Equal(names, []string{"a", "b", "c", "x", "y"}) || !s.Passed || s.Err() != nil {
		t.Errorf("reports %v, passed %v, err %v; want all five in order, passed", names, s.Passed, s.Err())
	}
}

func TestRunVerdicts(t *testing.T) {
	blocking := &gate.Report{Findings: []gate.Finding{
		{ID: "GO-1", Package: "example.com/lib", Blocking: true, Location: &gate.Location{File: "main.go", Line: 3}, Trace: []string{"main", "lib.F"}},
		{ID: "GO-2", Blocking: false},
	}}
	s, err := gate.Run(context.Background(), module, []gate.Gate{
		&fakeGate{name: "vuln", rep: blocking},
		&fakeGate{name: "license", err: shipline.Errorf(shipline.EINVALID, "no go.sum")},
		&fakeGate{name: "gosec", panics: true},
		&fakeGate{name: "commits", rep: &gate.Report{Passed: false, Findings: []gate.Finding{{ID: "abc"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Passed {
		t.Error("Passed = true with a blocking finding, an error and a panic")
	}
	v, l, g, c := s.Report("vuln"), s.Report("license"), s.Report("gosec"), s.Report("commits")
	if v.Passed || v.Findings[0].Gate != "vuln" || v.Duration <= 0 {
		t.Errorf("vuln report = %+v, want failed, findings named after the gate, a duration", v)
	}
	if l.Passed || l.Error != "no go.sum" || l.Findings == nil {
		t.Errorf("license report = %+v, want failed with the error and an empty list of findings", l)
	}
	if g.Passed || !strings.HasPrefix(g.Error, "internal error: boom") {
		t.Errorf("gosec report = %+v, want the panic as an error", g)
	}
	// Passed is the runner's to decide: no blocking finding, no error.
	if !c.Passed {
		t.Errorf("commits report = %+v, want passed (nothing blocks)", c)
	}
	err = s.Err()
	if shipline.ErrorCode(err) != shipline.ECONFLICT {
		t.Fatalf("Err() = %v, want conflict", err)
	}
	want := "blocked by 3 gate(s): vuln, license, gosec\n" +
		"vuln: GO-1 in example.com/lib at main.go:3 via main -> lib.F\n" +
		"license: could not decide: no go.sum\n" +
		"gosec: could not decide: internal error: boom"
	if got := err.Error(); !strings.HasPrefix(got, want) {
		t.Errorf("Err() =\n%s\nwant\n%s", got, want)
	}
}

func TestRunBadInput(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		m     *gate.Module
		gates []gate.Gate
		want  string
	}{
		{"no module", nil, []gate.Gate{&fakeGate{name: "a"}}, "no module"},
		{"no gates", module, nil, "no gates"},
		{"twice", module, []gate.Gate{&fakeGate{name: "a"}, &fakeGate{name: "a"}}, "gate a is listed twice"},
		{"bad name", module, []gate.Gate{&fakeGate{name: "Vuln Gate"}}, `bad gate name "Vuln Gate"`},
	} {
		_, err := gate.Run(ctx, tt.m, tt.gates)
		if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want invalid: %s", tt.name, err, tt.want)
		}
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	wait := make(chan struct{})
	done := make(chan struct{})
	var s *gate.Summary
	var err error
	go func() {
		defer close(done)
		s, err = gate.Run(ctx, module, []gate.Gate{
			&fakeGate{name: "fast"},
			&fakeGate{name: "slow", wait: wait},
			&fakeGate{name: "later", exclusive: true},
		})
	}()
	// Wait until the fast gate is done, then interrupt.
	time.Sleep(10 * time.Millisecond)
	cancel()
	<-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "gate run interrupted") {
		t.Fatalf("error = %v, want an interruption wrapping context.Canceled", err)
	}
	if s == nil || s.Passed {
		t.Fatalf("summary = %+v, want one that did not pass", s)
	}
	if r := s.Report("slow"); r == nil || r.Passed || !strings.Contains(r.Error, "context canceled") {
		t.Errorf("slow report = %+v, want interrupted", r)
	}
	if s.Report("later") != nil {
		t.Error("an exclusive gate started after the interruption")
	}
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := gate.WriteText(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.txt", buf.Bytes())
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := gate.WriteJSON(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.json", buf.Bytes())
	var back gate.Summary
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Reports[0].Findings[0].Severity != gate.SeverityHigh || back.Reports[2].Error == "" {
		t.Errorf("JSON does not round-trip: %+v", back.Reports[0].Findings[0])
	}
}

// sarifSchema is the OASIS SARIF 2.1.0 JSON Schema (errata 01), in
// testdata: a copy of the one the Go module github.com/securego/gosec/v2
// (v2.30.0) ships in report/sarif/testdata.
func sarifSchema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(b))
	if err != nil {
		t.Fatalf("load the SARIF schema: %v", err)
	}
	return s
}

func TestWriteSARIF(t *testing.T) {
	var buf bytes.Buffer
	if err := gate.WriteSARIF(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.sarif", buf.Bytes())

	res, err := sarifSchema(t).Validate(gojsonschema.NewBytesLoader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors() {
		t.Errorf("SARIF 2.1.0 schema: %s", e)
	}
	// The schema does catch what code scanning would reject.
	bad, _ := sarifSchema(t).Validate(gojsonschema.NewStringLoader(`{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal", "message": {}}]}]}`))
	if bad.Valid() {
		t.Error("the SARIF schema accepts a driver without a name and a result with level fatal")
	}

	// The structure code scanning relies on.
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
			} `json:"invocations"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string } `json:"artifactLocation"`
						Region           struct{ StartLine, StartColumn int }
					} `json:"physicalLocation"`
				} `json:"locations"`
				CodeFlows []struct {
					ThreadFlows []struct {
						Locations []json.RawMessage `json:"locations"`
					} `json:"threadFlows"`
				} `json:"codeFlows"`
				Stacks       []struct{ Frames []json.RawMessage }
				Suppressions []struct{ Kind, Justification string }
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 3 {
		t.Fatalf("version %q with %d runs, want 2.1.0 with one run per gate", log.Version, len(log.Runs))
	}
	vuln := log.Runs[0]
	if vuln.Tool.Driver.Name != "shipline-vuln" || len(vuln.Tool.Driver.Rules) != 3 || vuln.Tool.Driver.Rules[0].HelpURI != "https://pkg.go.dev/vuln/GO-9999-0001" {
		t.Errorf("vuln driver = %+v", vuln.Tool.Driver)
	}
	r := vuln.Results[0]
	loc := r.Locations[0].PhysicalLocation
	if r.RuleID != "GO-9999-0001" || r.Level != "error" || loc.ArtifactLocation.URI != "main.go" || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" || loc.Region.StartLine != 14 || loc.Region.StartColumn != 22 {
		t.Errorf("first result = %+v", r)
	}
	if len(r.CodeFlows) != 1 || len(r.CodeFlows[0].ThreadFlows[0].Locations) != 2 || len(r.Stacks) != 1 || len(r.Stacks[0].Frames) != 2 {
		t.Errorf("trace of the first result: code flows %+v, stacks %+v", r.CodeFlows, r.Stacks)
	}
	if lv := []string{vuln.Results[1].Level, vuln.Results[2].Level}; !slices.Equal(lv, []string{"warning", "note"}) {
		t.Errorf("levels = %v, want warning (medium) and note (low)", lv)
	}
	if s := vuln.Results[2].Suppressions; len(s) != 1 || s[0].Kind != "external" || s[0].Justification != "ignored until 2026-07-01: not imported" {
		t.Errorf("suppressions = %+v", s)
	}
	if c := log.Runs[1].Results[0]; c.RuleID != "conventional-commits/1" || len(c.Locations) != 0 {
		t.Errorf("commits result = %+v, want rule conventional-commits/1 and no location", c)
	}
	if inv := log.Runs[2].Invocations[0]; inv.ExecutionSuccessful {
		t.Error("the license run that could not decide has a successful invocation")
	}
}

func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dist", "gates")
	paths, err := gate.WriteFiles(dir, sample())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	want := []string{"vuln.json", "vuln.sarif", "vuln.txt", "commits.json", "commits.sarif", "commits.txt",
		"license.json", "license.sarif", "license.txt", "summary.json", "gates.sarif", "summary.txt"}
	if !slices.Equal(names, want) {
		t.Errorf("wrote %v, want %v", names, want)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != len(want) {
		t.Errorf("the directory holds %d files, want %d (no temporary files)", len(des), len(want))
	}
	var one gate.Summary
	b, _ := os.ReadFile(filepath.Join(dir, "commits.json"))
	if err := json.Unmarshal(b, &one); err != nil || len(one.Reports) != 1 || !one.Passed {
		t.Errorf("commits.json = %s, want the commits report alone, passed", b)
	}
	s := sarifSchema(t)
	for _, name := range []string{"vuln.sarif", "gates.sarif"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		res, err := s.Validate(gojsonschema.NewBytesLoader(b))
		if err != nil || !res.Valid() {
			t.Errorf("%s is not valid SARIF: %v %v", name, err, res.Errors())
		}
	}
}

func TestApplyIgnores(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	now := time.Date(2026, 3, 10, 23, 59, 0, 0, time.UTC)
	rep := &gate.Report{Findings: []gate.Finding{
		{ID: "GO-1", Blocking: true, Message: "one"},
		{ID: "GO-2", Blocking: true, Message: "two", Aliases: []string{"CVE-2"}},
		{ID: "GO-3", Blocking: true, Message: "three"},
		{ID: "GO-4", Blocking: false, Message: "four"},
	}}
	gate.ApplyIgnores(rep, []gate.Ignore{
		{ID: "go-1", Reason: "test only", Expires: day("2026-03-11")},    // in force until tomorrow
		{ID: "CVE-2", Reason: "by alias", Expires: day("2026-04-01")},    // by alias
		{ID: "GO-3", Reason: "was fine", Expires: day("2026-03-10")},     // expires today: blocks
		{ID: "GO-9", Reason: "stale", Expires: day("2027-01-01")},        // matches nothing
		{ID: "GO-3", Reason: "renewed late", Expires: day("2026-03-01")}, // expired too
	}, now)
	f := rep.Findings
	if f[0].Blocking || f[0].Suppressed != "ignored until 2026-03-11: test only" {
		t.Errorf("GO-1 = %+v", f[0])
	}
	if f[1].Blocking || f[1].Suppressed != "ignored until 2026-04-01: by alias" {
		t.Errorf("GO-2 = %+v", f[1])
	}
	if !f[2].Blocking || f[2].Message != "three (the ignore entry for GO-3 expired on 2026-03-10; it said: was fine)" {
		t.Errorf("GO-3 = %+v", f[2])
	}
	if f[3].Blocking || f[3].Suppressed != "" {
		t.Errorf("GO-4 = %+v", f[3])
	}
	if rep.Passed || !slices.Equal(rep.Notes, []string{"ignore entry GO-9 matches no finding: remove it"}) {
		t.Errorf("passed %v, notes %q", rep.Passed, rep.Notes)
	}

	for _, tt := range []struct {
		ig   gate.Ignore
		want string
	}{
		{gate.Ignore{ID: "GO-1", Reason: "r", Expires: day("2026-01-01")}, ""},
		{gate.Ignore{ID: "GO-1", Expires: day("2026-01-01")}, "ignore entry GO-1 needs a reason"},
		{gate.Ignore{ID: "GO-1", Reason: "r"}, "ignore entry GO-1 needs an expiry date (expires: YYYY-MM-DD)"},
		{gate.Ignore{}, "ignore entry (no id) needs an id and a reason and an expiry date (expires: YYYY-MM-DD)"},
	} {
		err := tt.ig.Validate()
		if got := fmt.Sprint(err); (err == nil) != (tt.want == "") || (err != nil && got != tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.ig, err, tt.want)
		}
	}
}

func TestSeverity(t *testing.T) {
	for s := gate.SeverityInfo; s <= gate.SeverityCritical; s++ {
		got, err := gate.ParseSeverity(strings.ToUpper(s.String()))
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%s) = %v, %v", s, got, err)
		}
	}
	if _, err := gate.ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe) succeeded")
	}
}

func TestErrListsTen(t *testing.T) {
	var fs []gate.Finding
	for i := range 13 {
		fs = append(fs, gate.Finding{ID: fmt.Sprintf("G%d", i), Blocking: true})
	}
	s := &gate.Summary{Reports: []*gate.Report{{Gate: "gosec", Findings: fs}}}
	msg := s.Err().Error()
	if !strings.Contains(msg, "gosec: G9\ngosec: ... and 3 more blocking finding(s): see the gate's report") || strings.Contains(msg, "G10") {
		t.Errorf("Err() =\n%s\nwant ten findings and a count of the rest", msg)
	}
}
