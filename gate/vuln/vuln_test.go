package vuln

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gate"
	"github.com/shipline-ci/shipline/gate/vuln/vulntest"
)

// world is the offline fixture: the modules of testdata/fixture.txtar,
// their proxy and module cache, and the v1 database built from its osv/
// files.
type world struct {
	dir   string
	env   []string
	db    string // v1 database directory
	cache string
}

// newWorld makes a world in dir.
func newWorld(dir string) (*world, error) {
	fx, err := vulntest.NewFixture("testdata/fixture.txtar", dir)
	if err != nil {
		return nil, err
	}
	w := &world{dir: dir, env: fx.Env, db: filepath.Join(dir, "db"), cache: filepath.Join(dir, "cache")}
	if _, err := BuildDB(context.Background(), filepath.Join(dir, "osv"), w.db, BuildOptions{}); err != nil {
		return nil, err
	}
	return w, nil
}

// mustWorld returns a new world in a temporary directory.
func mustWorld(tb testing.TB) *world {
	tb.Helper()
	w, err := newWorld(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

func (w *world) module(name, path string) *gate.Module {
	return &gate.Module{Dir: filepath.Join(w.dir, name), Path: path}
}

func (w *world) gate() *Gate {
	return &Gate{DB: w.db, CacheDir: w.cache, Env: w.env, Now: fixedNow}
}

// fixedNow is the clock of the tests: 2026-06-15.
func fixedNow() time.Time { return time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC) }

// slow skips a test that runs govulncheck under -short.
func slow(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("runs govulncheck (slow); skipped with -short")
	}
}

// appScan is one govulncheck run over the fixture's app module, shared by
// the tests that apply policies to it.
var appScan = sync.OnceValues(func() (*appResult, error) {
	dir, err := os.MkdirTemp("", "vuln-app-")
	if err != nil {
		return nil, err
	}
	appScanDir = dir
	w, err := newWorld(dir)
	if err != nil {
		return nil, err
	}
	db, err := OpenDB(context.Background(), w.db, w.cache, w.env)
	if err != nil {
		return nil, err
	}
	m := w.module("app", "example.com/app")
	res, err := govulncheck(context.Background(), w.env, db, "-C", m.Dir, "./...")
	return &appResult{res: res, db: db, m: m}, err
})

type appResult struct {
	res *result
	db  *DB
	m   *gate.Module
}

// appScanDir is the directory of appScan's world, "" until it runs.
var appScanDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if appScanDir != "" {
		os.RemoveAll(appScanDir)
	}
	os.Exit(code)
}

func mustAppScan(t *testing.T) *appResult {
	t.Helper()
	slow(t)
	r, err := appScan()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func byID(rep *gate.Report) map[string]gate.Finding {
	out := map[string]gate.Finding{}
	for _, f := range rep.Findings {
		out[f.ID] = f
	}
	return out
}

func TestReachableBlocks(t *testing.T) {
	r := mustAppScan(t)
	rep := (&Gate{Now: fixedNow}).report(r.res, r.m, r.db)
	if rep.Passed {
		t.Error("Passed = true, want the reachable GO-9999-0001 to block")
	}
	fs := byID(rep)
	if len(rep.Findings) != 3 {
		t.Fatalf("findings = %+v, want GO-9999-0001, 0002 and 0003 once each", rep.Findings)
	}

	f := fs["GO-9999-0001"]
	if !f.Blocking || f.Severity != gate.SeverityHigh || f.Package != "example.com/vulnlib" || f.Module != "example.com/vulnlib@v1.0.0" {
		t.Errorf("GO-9999-0001 = %+v, want a blocking high finding in example.com/vulnlib@v1.0.0", f)
	}
	if got := f.Location.String(); got != "main.go:14:22" {
		t.Errorf("GO-9999-0001 at %s, want main.go:14:22, the call of vulnlib.Parse", got)
	}
	wantTrace := []string{
		"example.com/app.main (main.go:10:19)",
		"example.com/app.greet (main.go:14:22)",
		"example.com/vulnlib.Parse (example.com/vulnlib@v1.0.0/vulnlib.go:9:6)",
	}
	if !slices.Equal(f.Trace, wantTrace) {
		t.Errorf("trace =\n%s\nwant\n%s", strings.Join(f.Trace, "\n"), strings.Join(wantTrace, "\n"))
	}
	if len(f.Stack) != 3 || f.Stack[2].Location != nil || f.Stack[2].Module != "example.com/vulnlib@v1.0.0" || f.Stack[0].Location.String() != "main.go:10:19" {
		t.Errorf("stack = %+v", f.Stack)
	}
	for _, want := range []string{"Crafted input makes Parse misbehave", "calls example.com/vulnlib.Parse of example.com/vulnlib@v1.0.0", "Fixed in v1.0.1: go get example.com/vulnlib@v1.0.1"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
	if f.URL != "https://pkg.go.dev/vuln/GO-9999-0001" || !slices.Equal(f.Aliases, []string{"CVE-9999-0001", "GHSA-xxxx-yyyy-zzzz"}) {
		t.Errorf("URL %s, aliases %v", f.URL, f.Aliases)
	}

	// Imported but not called: reported, not blocking.
	f = fs["GO-9999-0002"]
	if f.Blocking || f.Severity != gate.SeverityMedium || len(f.Trace) != 0 || !strings.Contains(f.Message, "imports example.com/vulnlib of example.com/vulnlib@v1.0.0 but does not call its vulnerable functions (Unused)") || !strings.Contains(f.Message, "No fixed version yet") {
		t.Errorf("GO-9999-0002 = %+v, want a non-blocking imported finding", f)
	}
	if got := f.Location.String(); got != "go.mod:5:1" {
		t.Errorf("GO-9999-0002 at %s, want the require in go.mod:5:1", got)
	}
	// Required only.
	f = fs["GO-9999-0003"]
	if f.Blocking || f.Severity != gate.SeverityLow || f.Package != "" || !strings.Contains(f.Message, "requires example.com/vulnlib@v1.0.0 but does not import its vulnerable packages (example.com/vulnlib/extra)") {
		t.Errorf("GO-9999-0003 = %+v, want a non-blocking required finding", f)
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool {
		return n == "policy fail-on reachable: 1 reachable, 1 imported but not called, 1 required but not imported"
	}) {
		t.Errorf("notes = %q", rep.Notes)
	}
}

func TestPolicies(t *testing.T) {
	r := mustAppScan(t)
	for _, tt := range []struct {
		failOn string
		want   []string // blocking IDs
	}{
		{"", []string{"GO-9999-0001"}},
		{FailReachable, []string{"GO-9999-0001"}},
		{FailImported, []string{"GO-9999-0001", "GO-9999-0002"}},
		{FailAny, []string{"GO-9999-0001", "GO-9999-0002", "GO-9999-0003"}},
	} {
		rep := (&Gate{FailOn: tt.failOn, Now: fixedNow}).report(r.res, r.m, r.db)
		var got []string
		for _, f := range rep.Blocking() {
			got = append(got, f.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("fail-on %q blocks %v, want %v", tt.failOn, got, tt.want)
		}
	}
}

func TestIgnore(t *testing.T) {
	r := mustAppScan(t)
	date := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }

	// An entry in force, by alias, suppresses the finding.
	g := &Gate{Now: fixedNow, Ignore: []gate.Ignore{
		{ID: "CVE-9999-0001", Reason: "only reads trusted input", Expires: date("2026-07-01")},
		{ID: "GO-2000-0000", Reason: "stale", Expires: date("2027-01-01")},
	}}
	rep := g.report(r.res, r.m, r.db)
	f := byID(rep)["GO-9999-0001"]
	if !rep.Passed || f.Blocking || f.Suppressed != "ignored until 2026-07-01: only reads trusted input" {
		t.Errorf("with a valid ignore entry: passed %v, finding %+v", rep.Passed, f)
	}
	if !slices.Contains(rep.Notes, "ignore entry GO-2000-0000 matches no finding: remove it") {
		t.Errorf("notes = %q, want one about the stale entry", rep.Notes)
	}

	// Expired (on its date, UTC): the finding blocks again and says so.
	for _, expires := range []string{"2026-06-15", "2026-01-31"} {
		g = &Gate{Now: fixedNow, Ignore: []gate.Ignore{{ID: "GO-9999-0001", Reason: "only reads trusted input", Expires: date(expires)}}}
		rep = g.report(r.res, r.m, r.db)
		f = byID(rep)["GO-9999-0001"]
		if rep.Passed || !f.Blocking || f.Suppressed != "" || !strings.Contains(f.Message, "the ignore entry for GO-9999-0001 expired on "+expires) {
			t.Errorf("expired %s: passed %v, finding %+v", expires, rep.Passed, f)
		}
	}

	// Every entry needs a reason and an expiry.
	for _, ig := range []gate.Ignore{{ID: "GO-9999-0001", Expires: date("2027-01-01")}, {ID: "GO-9999-0001", Reason: "r"}} {
		_, err := (&Gate{Ignore: []gate.Ignore{ig}}).Run(context.Background(), r.m)
		if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "ignore entry GO-9999-0001 needs") {
			t.Errorf("entry %+v: error = %v, want invalid", ig, err)
		}
	}
}

// TestRun runs the gate end to end over the fixture's modules.
func TestRun(t *testing.T) {
	slow(t)
	w := mustWorld(t)
	ctx := context.Background()

	t.Run("imported only passes", func(t *testing.T) {
		t.Parallel()
		rep, err := w.gate().Run(ctx, w.module("imports", "example.com/imports"))
		if err != nil {
			t.Fatal(err)
		}
		fs := byID(rep)
		if !rep.Passed || len(rep.Findings) != 3 || fs["GO-9999-0001"].Severity != gate.SeverityMedium || fs["GO-9999-0002"].Blocking {
			t.Errorf("report = %+v, want 2 imported and 1 required finding, none blocking", rep)
		}
	})

	t.Run("fixed version", func(t *testing.T) {
		t.Parallel()
		rep, err := w.gate().Run(ctx, w.module("fixed", "example.com/fixed"))
		if err != nil {
			t.Fatal(err)
		}
		fs := byID(rep)
		if _, ok := fs["GO-9999-0001"]; ok || !rep.Passed {
			t.Errorf("report = %+v, want GO-9999-0001 gone at v1.0.1", rep)
		}
	})

	t.Run("module does not build", func(t *testing.T) {
		t.Parallel()
		_, err := w.gate().Run(ctx, w.module("broken", "example.com/broken"))
		if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "the module does not build") || !strings.Contains(err.Error(), "main.go:3:15: undefined: undefined") {
			t.Errorf("error = %v, want invalid naming the compile error", err)
		}
	})

	t.Run("no go.mod", func(t *testing.T) {
		t.Parallel()
		_, err := w.gate().Run(ctx, &gate.Module{Dir: t.TempDir(), Path: "example.com/none"})
		if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "no go.mod file") {
			t.Errorf("error = %v, want invalid: no go.mod", err)
		}
	})

	t.Run("missing database", func(t *testing.T) {
		t.Parallel()
		g := w.gate()
		g.DB = filepath.Join(w.dir, "nodb")
		_, err := g.Run(ctx, w.module("app", "example.com/app"))
		if shipline.ErrorCode(err) != shipline.ENOTFOUND {
			t.Errorf("error = %v, want not_found", err)
		}
	})

	t.Run("interrupted", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := w.gate().Run(ctx, w.module("app", "example.com/app"))
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("error = %v, want context canceled", err)
		}
	})

	t.Run("OSV directory as the database", func(t *testing.T) {
		t.Parallel()
		g := w.gate()
		g.DB = filepath.Join(w.dir, "osv")
		rep, err := g.Run(ctx, w.module("app", "example.com/app"))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Passed || !byID(rep)["GO-9999-0001"].Blocking {
			t.Errorf("report = %+v, want GO-9999-0001 to block", rep)
		}
	})
}

func TestScanBinary(t *testing.T) {
	slow(t)
	w := mustWorld(t)
	bin := filepath.Join(t.TempDir(), "app")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = filepath.Join(w.dir, "app")
	cmd.Env = w.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	g := w.gate()
	rep, err := g.ScanBinary(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	f := byID(rep)["GO-9999-0001"]
	if rep.Passed || !f.Blocking || f.Location != nil || !strings.Contains(f.Message, "The binary holds example.com/vulnlib.Parse of example.com/vulnlib@v1.0.0") {
		t.Errorf("report = %+v, want GO-9999-0001 blocking, held by the binary", rep)
	}
	if rep.Notes[0] != "binary "+bin {
		t.Errorf("notes = %q", rep.Notes)
	}
	// The package function takes the database alone.
	if _, err := ScanBinary(context.Background(), filepath.Join(w.dir, "app", "main.go"), w.db); shipline.ErrorCode(err) != shipline.EINVALID {
		t.Errorf("ScanBinary(a source file): error = %v, want invalid", err)
	}
	if _, err := ScanBinary(context.Background(), filepath.Join(w.dir, "nope"), w.db); shipline.ErrorCode(err) != shipline.ENOTFOUND {
		t.Errorf("ScanBinary(missing): error = %v, want not_found", err)
	}
}
