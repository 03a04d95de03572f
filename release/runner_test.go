package release

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/apicheck"
	"github.com/shipline-ci/shipline/store"
)

// fakeStep is a step that records its runs in a log and does what its
// fields say.
type fakeStep struct {
	name      string
	log       *[]string
	run       func(ctx context.Context, st *State) error
	check     error
	resume    error
	always    bool
	mandatory bool
}

func (f *fakeStep) Name() string    { return f.name }
func (f *fakeStep) Always() bool    { return f.always }
func (f *fakeStep) Mandatory() bool { return f.mandatory }

func (f *fakeStep) Run(ctx context.Context, st *State) error {
	*f.log = append(*f.log, "run "+f.name)
	if f.run != nil {
		return f.run(ctx, st)
	}
	return nil
}

func (f *fakeStep) Check(ctx context.Context, st *State) error {
	*f.log = append(*f.log, "check "+f.name)
	return f.check
}

func (f *fakeStep) Resume(ctx context.Context, st *State) error {
	*f.log = append(*f.log, "resume "+f.name)
	return f.resume
}

// fakeRun is a run of fake steps a, b, c, d over a journal in a temporary
// dist directory.
type fakeRun struct {
	steps map[string]*fakeStep
	order []string
	log   []string
	path  string
	plan  Plan
}

func newFakeRun(t *testing.T, names ...string) *fakeRun {
	t.Helper()
	fr := &fakeRun{
		steps: map[string]*fakeStep{},
		order: names,
		path:  filepath.Join(t.TempDir(), "dist", JournalFile),
		plan:  Plan{Module: "example.com/m", Dir: ".", Commit: strings.Repeat("a", 40), Tag: "v1.0.0", Version: "v1.0.0"},
	}
	for _, n := range names {
		fr.steps[n] = &fakeStep{name: n, log: &fr.log}
	}
	return fr
}

// run runs the steps once, over the journal on disk if there is one, and
// returns the runner's error and the journal as written.
func (fr *fakeRun) run(t *testing.T, ctx context.Context, skip map[string]string) (error, *Journal) {
	t.Helper()
	j, err := ReadJournal(fr.path)
	if shipline.ErrorCode(err) == shipline.ENOTFOUND {
		j = NewJournal(fr.plan, time.Now())
	} else if err != nil {
		t.Fatal(err)
	}
	var steps []Step
	for _, n := range fr.order {
		steps = append(steps, fr.steps[n])
	}
	r := &Runner{Steps: steps, Journal: j, Path: fr.path, Skip: skip}
	st := &State{Plan: fr.plan, Dist: filepath.Dir(fr.path)}
	runErr := r.Run(ctx, st)
	written, err := ReadJournal(fr.path)
	if err != nil {
		t.Fatalf("read the journal after the run: %v", err)
	}
	return runErr, written
}

func statuses(j *Journal) string {
	var s []string
	for _, r := range j.Steps {
		s = append(s, r.Step+"="+string(r.Status))
	}
	return strings.Join(s, " ")
}

func TestRunnerOrder(t *testing.T) {
	fr := newFakeRun(t, "a", "b", "c")
	err, j := fr.run(t, context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"run a", "run b", "run c"}; !slices.Equal(fr.log, want) {
		t.Errorf("log = %q, want %q", fr.log, want)
	}
	if got, want := statuses(j), "a=done b=done c=done"; got != want {
		t.Errorf("journal = %s, want %s", got, want)
	}
	for _, r := range j.Steps {
		if r.Attempts != 1 || r.Started.IsZero() || r.Finished.Before(r.Started) {
			t.Errorf("record %+v: want one attempt with start and finish times", r)
		}
	}
	if j.Runs != 1 || !j.Plan.Same(fr.plan) {
		t.Errorf("journal runs %d, plan %+v; want 1 and %+v", j.Runs, j.Plan, fr.plan)
	}
}

func TestRunnerSkip(t *testing.T) {
	fr := newFakeRun(t, "a", "b", "c", "d")
	fr.steps["a"].mandatory = true
	fr.steps["c"].run = func(ctx context.Context, st *State) error { return Skip("dry run: would do %s", "c") }
	err, j := fr.run(t, context.Background(), map[string]string{"a": "--skip a", "b": "--skip b"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"run a", "run c", "run d"}; !slices.Equal(fr.log, want) {
		t.Errorf("log = %q, want %q (a is mandatory, b skipped)", fr.log, want)
	}
	if got, want := statuses(j), "a=done b=skipped c=skipped d=done"; got != want {
		t.Errorf("journal = %s, want %s", got, want)
	}
	if r := j.Record("b"); r.Reason != "--skip b" || r.Attempts != 0 {
		t.Errorf("b = %+v, want reason --skip b and no attempt", r)
	}
	if r := j.Record("c"); r.Reason != "dry run: would do c" || r.Attempts != 1 {
		t.Errorf("c = %+v, want the step's own reason and one attempt", r)
	}

	// A skipped step runs again on a later run that does not skip it;
	// done steps do not.
	fr.steps["c"].run = nil
	fr.log = nil
	if err, j = fr.run(t, context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if want := []string{"resume a", "run b", "run c", "resume d"}; !slices.Equal(fr.log, want) {
		t.Errorf("second run log = %q, want %q", fr.log, want)
	}
	if got, want := statuses(j), "a=done b=done c=done d=done"; got != want {
		t.Errorf("journal = %s, want %s", got, want)
	}
}

func TestSkipError(t *testing.T) {
	err := Skip("snapshot: %s", "not tagged")
	wrapped := errors.Join(errors.New("context"), err)
	if reason, ok := IsSkip(wrapped); !ok || reason != "snapshot: not tagged" {
		t.Errorf("IsSkip(%v) = %q, %v; want the reason, true", wrapped, reason, ok)
	}
	if _, ok := IsSkip(errors.New("boom")); ok {
		t.Error("IsSkip of another error = true")
	}
	if _, ok := IsSkip(nil); ok {
		t.Error("IsSkip(nil) = true")
	}
}

// TestRunnerFailureResumes checks that a failing step stops the run, and
// that the next run starts again at it, without running the steps before
// it again, but with their outputs.
func TestRunnerFailureResumes(t *testing.T) {
	fr := newFakeRun(t, "a", "b", "c")
	fr.steps["a"].run = func(ctx context.Context, st *State) error {
		st.Test = &TestOutput{Coverage: Coverage{Statements: 10, Covered: 5, Percent: 50}}
		return nil
	}
	fail := true
	fr.steps["b"].run = func(ctx context.Context, st *State) error {
		if st.Test == nil || st.Test.Percent != 50 {
			t.Errorf("b sees test output %+v, want a's", st.Test)
		}
		st.Tag = &TagOutput{Name: "v1.0.0", Created: true} // partial output
		if fail {
			return shipline.Errorf(shipline.EINVALID, "push v1.0.0: remote hung up")
		}
		st.Tag.Pushed = true
		return nil
	}
	err, j := fr.run(t, context.Background(), nil)
	var se *StepError
	if !errors.As(err, &se) || se.Step != "b" || se.Interrupted || shipline.ErrorCode(err) != shipline.EINVALID {
		t.Fatalf("run = %v; want an EINVALID *StepError of b", err)
	}
	if got, want := err.Error(), "b: push v1.0.0: remote hung up"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if want := []string{"run a", "run b"}; !slices.Equal(fr.log, want) {
		t.Errorf("log = %q, want %q: c must not run after b failed", fr.log, want)
	}
	if got, want := statuses(j), "a=done b=failed"; got != want {
		t.Errorf("journal = %s, want %s", got, want)
	}
	if r := j.Record("b"); r.Error != "push v1.0.0: remote hung up" {
		t.Errorf("b's error = %q", r.Error)
	}
	if j.Outputs.Test == nil || j.Outputs.Tag == nil || !j.Outputs.Tag.Created {
		t.Errorf("outputs = %+v; want a's output and b's partial output", j.Outputs)
	}

	fail = false
	fr.log = nil
	if err, j = fr.run(t, context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if want := []string{"resume a", "run b", "run c"}; !slices.Equal(fr.log, want) {
		t.Errorf("second run log = %q, want %q", fr.log, want)
	}
	if got, want := statuses(j), "a=done b=done c=done"; got != want {
		t.Errorf("journal = %s, want %s", got, want)
	}
	if r := j.Record("b"); r.Attempts != 2 || r.Error != "" {
		t.Errorf("b = %+v, want 2 attempts and no error", r)
	}
	if j.Runs != 2 || !j.Outputs.Tag.Pushed {
		t.Errorf("journal runs %d, tag %+v; want 2 runs and the tag pushed", j.Runs, j.Outputs.Tag)
	}
}

// TestRunnerInterrupt checks that a step stopped by a cancelled context
// (SIGINT) is recorded as interrupted, and resumed by the next run.
func TestRunnerInterrupt(t *testing.T) {
	fr := newFakeRun(t, "a", "b", "c")
	ctx, cancel := context.WithCancel(context.Background())
	fr.steps["b"].run = func(ctx context.Context, st *State) error {
		cancel() // the signal arrives while b works
		<-ctx.Done()
		return ctx.Err()
	}
	err, j := fr.run(t, ctx, nil)
	var se *StepError
	if !errors.As(err, &se) || se.Step != "b" || !se.Interrupted || !errors.Is(err, context.Canceled) {
		t.Fatalf("run = %v; want b interrupted", err)
	}
	if got, want := statuses(j), "a=done b=interrupted"; got != want {
		t.Errorf("journal = %s, want %s", got, want)
	}

	fr.steps["b"].run = nil
	fr.log = nil
	if err, j = fr.run(t, context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if want := []string{"resume a", "run b", "run c"}; !slices.Equal(fr.log, want) {
		t.Errorf("second run log = %q, want %q", fr.log, want)
	}
	if got, want := statuses(j), "a=done b=done c=done"; got != want {
		t.Errorf("journal = %s, want %s", got, want)
	}
}

// TestRunnerInterruptBetweenSteps checks that a run whose context is
// cancelled between steps starts no further step.
func TestRunnerInterruptBetweenSteps(t *testing.T) {
	fr := newFakeRun(t, "a", "b")
	ctx, cancel := context.WithCancel(context.Background())
	fr.steps["a"].run = func(ctx context.Context, st *State) error { cancel(); return nil }
	err, j := fr.run(t, ctx, nil)
	var se *StepError
	if !errors.As(err, &se) || se.Step != "b" || !se.Interrupted {
		t.Fatalf("run = %v; want an interruption before b", err)
	}
	if got, want := statuses(j), "a=done"; got != want {
		t.Errorf("journal = %s, want %s", got, want)
	}
}

// TestRunnerResume checks the abilities on a resumed run: a done step is
// resumed (Resumer) instead of run, an Always step runs again, and a
// Resume error stops the run.
func TestRunnerResume(t *testing.T) {
	fr := newFakeRun(t, "pre", "a", "b")
	fr.steps["pre"].always = true
	if err, _ := fr.run(t, context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	fr.log = nil
	if err, _ := fr.run(t, context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if want := []string{"run pre", "resume a", "resume b"}; !slices.Equal(fr.log, want) {
		t.Errorf("log = %q, want %q", fr.log, want)
	}

	fr.steps["b"].resume = shipline.Errorf(shipline.ECONFLICT, "app.tar.gz changed since an earlier run made it")
	fr.log = nil
	err, _ := fr.run(t, context.Background(), nil)
	if shipline.ErrorCode(err) != shipline.ECONFLICT || !strings.HasPrefix(err.Error(), "b: app.tar.gz changed") {
		t.Errorf("run = %v; want b's ECONFLICT", err)
	}
}

// TestPreflight checks that preflight checks the steps still to run, and
// only them, and reports every problem at once.
func TestPreflight(t *testing.T) {
	fr := newFakeRun(t, "a", "b", "c", "d")
	fr.steps["b"].check = shipline.Errorf(shipline.ENOTFOUND, "no go command")
	fr.steps["d"].check = shipline.Errorf(shipline.EINVALID, "store down\nsecond line")
	j := NewJournal(fr.plan, time.Now())
	*j.record("a") = Record{Step: "a", Status: StatusDone}
	steps := []Step{preflightStep{}}
	for _, n := range fr.order {
		steps = append(steps, fr.steps[n])
	}
	r := &Runner{Steps: steps, Journal: j, Path: fr.path, Skip: map[string]string{"c": "--skip c"}}
	st := &State{Plan: Plan{Snapshot: true}, Dist: filepath.Dir(fr.path)}
	err := r.Run(context.Background(), st)
	if want := []string{"check b", "check d"}; !slices.Equal(fr.log, want) {
		t.Errorf("log = %q, want %q: preflight checks b and d, not a (done) nor c (skipped), and stops the run", fr.log, want)
	}
	want := "preflight: 2 problems found before any work:\n  b: no go command\n  d: store down\n    second line"
	if err == nil || err.Error() != want {
		t.Errorf("run = %v\nwant %s", err, want)
	}
	if shipline.ErrorCode(err) != shipline.ENOTFOUND {
		t.Errorf("code = %s, want the first problem's (not_found)", shipline.ErrorCode(err))
	}
	if st.Preflight == nil || !slices.Equal(st.Preflight.Checked, []string{"b", "d"}) {
		t.Errorf("preflight output = %+v, want checked b, d", st.Preflight)
	}
}

func TestJournalReadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadJournal(filepath.Join(dir, "none.json")); shipline.ErrorCode(err) != shipline.ENOTFOUND {
		t.Errorf("missing journal: %v, want ENOTFOUND", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"format": 1, "steps": [`), 0o644)
	if _, err := ReadJournal(bad); shipline.ErrorCode(err) != shipline.EINVALID {
		t.Errorf("damaged journal: %v, want EINVALID", err)
	}
	future := filepath.Join(dir, "future.json")
	os.WriteFile(future, []byte(`{"format": 99}`), 0o644)
	if _, err := ReadJournal(future); err == nil || !strings.Contains(err.Error(), "format 99") {
		t.Errorf("journal of another format: %v", err)
	}
}

// TestJournalAtomic writes a journal over and over while readers read it:
// a reader sees a whole journal every time, never part of one, and no
// temporary file is left behind.
func TestJournalAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, JournalFile)
	j := NewJournal(Plan{Module: "example.com/m", Version: "v1.0.0"}, time.Now())
	// A large journal, so that a write that is not atomic would be seen.
	for i := range 200 {
		j.Steps = append(j.Steps, Record{Step: strings.Repeat("s", 50), Status: StatusDone, Attempts: i})
	}
	if err := j.Write(path); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				var got Journal
				if err := json.Unmarshal(data, &got); err != nil {
					t.Errorf("a reader saw part of a journal (%d bytes): %v", len(data), err)
					return
				}
			}
		})
	}
	for i := range 50 {
		j.Runs = i
		if err := j.Write(path); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("dist holds %q, want only %s", names, JournalFile)
	}
	got, err := ReadJournal(path)
	if err != nil || got.Runs != 49 {
		t.Errorf("last journal: runs %v, %v; want 49", got.Runs, err)
	}
}

// TestJournalWriteFailureKeepsOld checks that a journal that cannot be
// written leaves the previous one whole.
func TestJournalWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, JournalFile)
	j := NewJournal(Plan{Version: "v1.0.0"}, time.Now())
	if err := j.Write(path); err != nil {
		t.Fatal(err)
	}
	j.Plan.Version = "v2.0.0"
	j.Outputs.Test = &TestOutput{Coverage: Coverage{Percent: 1}}
	// A value JSON cannot encode fails the write before anything is written.
	j.Outputs.Test.Coverage.Percent = inf()
	if err := j.Write(path); err == nil {
		t.Fatal("writing an unencodable journal succeeded")
	}
	got, err := ReadJournal(path)
	if err != nil || got.Plan.Version != "v1.0.0" {
		t.Errorf("journal after a failed write: %+v, %v; want the old one", got, err)
	}
}

func inf() float64 {
	var zero float64
	return 1 / zero
}

func TestPlanSame(t *testing.T) {
	p := Plan{Module: "example.com/m", Dir: ".", Commit: "abc", Tag: "v1.1.0", Version: "v1.1.0", Previous: "v1.0.0", Bump: shipline.BumpMinor}
	q := p
	q.Previous, q.Bump = "", shipline.BumpNone // as read once the tag exists
	if !p.Same(q) {
		t.Error("plans that differ in bump and previous tag only are not the same")
	}
	for _, change := range []func(*Plan){
		func(p *Plan) { p.Commit = "def" },
		func(p *Plan) { p.Version, p.Tag = "v1.2.0", "v1.2.0" },
		func(p *Plan) { p.Snapshot = true },
		func(p *Plan) { p.Dir = "api" },
	} {
		q := p
		change(&q)
		if p.Same(q) {
			t.Errorf("%+v and %+v are the same plan", p, q)
		}
	}
}

// TestJournalRoundTrip writes a journal with every output set and reads
// it back the same: a journal that does not read back cannot be resumed.
func TestJournalRoundTrip(t *testing.T) {
	art := func(p string, k shipline.ArtifactKind) shipline.Artifact {
		return shipline.Artifact{Name: filepath.Base(p), Path: p, Kind: k, SHA256: strings.Repeat("0", 64), Size: 3}
	}
	j := NewJournal(planA, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	j.Runs = 2
	*j.record(StepTest) = Record{Step: StepTest, Status: StatusDone, Started: j.Started, Finished: j.Started, Attempts: 1, DryRun: true}
	*j.record(StepPublish) = Record{Step: StepPublish, Status: StatusFailed, Error: "boom", Started: j.Started, Attempts: 2}
	j.Outputs = Outputs{
		Preflight: &PreflightOutput{Checked: []string{"test"}},
		Test:      &TestOutput{Coverage: Coverage{Statements: 4, Covered: 3, Percent: 75}, Threshold: 70, Flags: []string{"-short"}, Profile: art(CoverageFile, KindCoverage)},
		Gates:     &GatesOutput{Passed: true, Gates: []GateResult{{Name: "license", Passed: true, Findings: 1}}, Reports: []shipline.Artifact{art("gates/summary.json", KindReport)}},
		Version: &VersionOutput{Tag: "v1.1.0", Version: "v1.1.0", Previous: "v1.0.0", Bump: shipline.BumpMinor, API: &APICheck{
			Base: "v1.0.0", Required: shipline.BumpMinor, Claimed: shipline.BumpMinor,
			Verdict: apicheck.Verdict{Status: apicheck.StatusUnder, Needed: shipline.BumpMinor, Message: "m"},
			Report:  &apicheck.Report{Required: shipline.BumpMinor, Packages: []apicheck.PackageDiff{{Path: "example.com/m", Compatible: []string{"F: added"}}}},
		}},
		Build:     &BuildOutput{Toolchain: "go1.26.8", Targets: []string{"m linux/amd64"}, Artifacts: []shipline.Artifact{art("m_linux_amd64/m", shipline.KindBinary)}, Manifest: art("artifacts.json", KindManifest)},
		Changelog: &ChangelogOutput{Notes: art(NotesFile, KindNotes)},
		Tag:       &TagOutput{Name: "v1.1.0", Commit: planA.Commit, Created: true, Pushed: true, Remote: "origin"},
		Publish: &PublishOutput{Store: "file:///s", Zip: art(ModuleZipFile, KindModuleZip), ZipHash: "h1:x", ModHash: "h1:y",
			Module: &store.Published{Module: "example.com/m", Version: "v1.1.0", Created: true, Objects: []store.ObjectSum{{Key: "k", SHA256: "s", Size: 1}}}},
	}
	path := filepath.Join(t.TempDir(), JournalFile)
	if err := j.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		a, _ := json.MarshalIndent(got, "", " ")
		b, _ := json.MarshalIndent(j, "", " ")
		t.Errorf("read back\n%s\nwant\n%s", a, b)
	}
}

// FuzzReadJournal checks that any file where a journal should be is read
// without a panic, and that what reads as a journal writes and reads back.
func FuzzReadJournal(f *testing.F) {
	j := NewJournal(planA, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	*j.record(StepBuild) = Record{Step: StepBuild, Status: StatusDone, Attempts: 1}
	seed, _ := json.Marshal(j)
	f.Add(seed)
	f.Add([]byte(`{"format": 1, "steps": null, "outputs": {"version": {"bump": "major", "api": {"verdict": {"status": "under"}}}}}`))
	f.Add([]byte(`{"format": 1, "plan": {"bump": "sideways"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, JournalFile)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		j, err := ReadJournal(path)
		if err != nil {
			if c := shipline.ErrorCode(err); c != shipline.EINVALID {
				t.Fatalf("ReadJournal error %v has code %s, want invalid", err, c)
			}
			return
		}
		if err := j.Write(path); err != nil {
			return // values JSON cannot write back, such as NaN, are refused
		}
		if _, err := ReadJournal(path); err != nil {
			t.Fatalf("a journal written back does not read: %v", err)
		}
		j.Finished(StepNames())
		j.Marks()
		j.summary()
	})
}
