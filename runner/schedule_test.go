package runner_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/runner"
)

// waitForFile is a shell loop that waits, at most about 30 s, for a file.
func waitForFile(name string) string {
	return `i=0; while [ ! -e ` + name + ` ]; do i=$((i+1)); [ $i -lt 3000 ] || { echo "no ` + name + `" >&2; exit 1; }; sleep 0.01; done`
}

// TestParallel proves that independent steps run at once: each waits for a
// file the other writes, so run one after the other they would fail.
func TestParallel(t *testing.T) {
	t.Parallel()
	r, _ := testRunner(t)
	r.Parallelism = 2
	dir := t.TempDir()
	res := mustRun(t, r, runner.Job{Name: "parallel", Dir: dir, Steps: []runner.Step{
		{Name: "a", Script: []string{"touch a.ready", waitForFile("b.ready")}},
		{Name: "b", Script: []string{"touch b.ready", waitForFile("a.ready")}},
		{Name: "c", DependsOn: []string{"a", "b"}, Script: []string{"test -e a.ready && test -e b.ready"}},
	}})
	for _, s := range []string{"a", "b", "c"} {
		wantStatus(t, res, s, runner.StatusSuccess)
	}
	if res.Failed() {
		t.Errorf("Failed() = true, want false")
	}
}

// TestParallelismBound checks that no more than Parallelism steps run at
// once: each step counts the steps running as it runs.
func TestParallelismBound(t *testing.T) {
	t.Parallel()
	r, _ := testRunner(t)
	r.Parallelism = 2
	dir := t.TempDir()
	var steps []runner.Step
	for i := range 6 {
		steps = append(steps, runner.Step{Name: "s" + strconv.Itoa(i), Script: []string{
			`touch running.$SHIPLINE_STEP`,
			`ls running.* | wc -l > count.$SHIPLINE_STEP`,
			`sleep 0.05`,
			`rm running.$SHIPLINE_STEP`,
		}})
	}
	res := mustRun(t, r, runner.Job{Name: "bound", Dir: dir, Steps: steps})
	for _, s := range steps {
		wantStatus(t, res, s.Name, runner.StatusSuccess)
		b, err := os.ReadFile(filepath.Join(dir, "count."+s.Name))
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n < 1 || n > 2 {
			t.Errorf("step %s saw %d steps running, want 1 or 2", s.Name, n)
		}
	}
}

func TestFailureSkipsDependants(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	res := mustRun(t, r, runner.Job{Name: "fail", Dir: t.TempDir(), Steps: []runner.Step{
		{Name: "build", Script: []string{"echo building", "exit 3", "echo not reached"}},
		{Name: "test", DependsOn: []string{"build"}, Script: []string{"echo testing"}},
		{Name: "package", DependsOn: []string{"test"}, Script: []string{"echo packaging"}},
		{Name: "report", DependsOn: []string{"test"}, Status: []string{"always"}, Script: []string{"echo report"}},
		{Name: "notify", DependsOn: []string{"package"}, Status: []string{"failure"}, Script: []string{"echo notify"}},
		{Name: "lint", Script: []string{"echo lint"}},
		{Name: "lint-alarm", DependsOn: []string{"lint"}, Status: []string{"failure"}, Script: []string{"echo alarm"}},
		{Name: "lint-done", DependsOn: []string{"lint"}, Status: []string{"success", "failure"}, Script: []string{"true"}},
	}})
	build := wantStatus(t, res, "build", runner.StatusFailure)
	if build.ExitCode != 3 || build.Reason != "exit status 3" || build.Attempts != 1 {
		t.Errorf("build: exit code %d, reason %q, attempts %d; want 3, \"exit status 3\", 1", build.ExitCode, build.Reason, build.Attempts)
	}
	if got := rec.Output("build"); got != "building\n" {
		t.Errorf("build printed %q, want %q", got, "building\n")
	}
	test := wantStatus(t, res, "test", runner.StatusSkipped)
	if test.Reason != "dependency build failed" || test.Attempts != 0 || test.ExitCode != -1 {
		t.Errorf("test: reason %q, attempts %d, exit code %d", test.Reason, test.Attempts, test.ExitCode)
	}
	if s := wantStatus(t, res, "package", runner.StatusSkipped); s.Reason != "dependency test was skipped" {
		t.Errorf("package: reason %q", s.Reason)
	}
	wantStatus(t, res, "report", runner.StatusSuccess)
	wantStatus(t, res, "notify", runner.StatusSuccess) // build failed, two steps up
	wantStatus(t, res, "lint", runner.StatusSuccess)
	if s := wantStatus(t, res, "lint-alarm", runner.StatusSkipped); s.Reason != "no step it depends on failed" {
		t.Errorf("lint-alarm: reason %q", s.Reason)
	}
	wantStatus(t, res, "lint-done", runner.StatusSuccess)
	if !res.Failed() {
		t.Errorf("Failed() = false, want true")
	}
	if got, want := len(rec.Finished()), len(res.Steps); got != want {
		t.Errorf("StepFinished called %d times, want %d", got, want)
	}
	var order []string
	for _, s := range res.Steps {
		order = append(order, s.Name)
	}
	if want := []string{"build", "test", "package", "report", "notify", "lint", "lint-alarm", "lint-done"}; !slices.Equal(order, want) {
		t.Errorf("result order %v, want declaration order %v", order, want)
	}
}

func TestInvalidJob(t *testing.T) {
	t.Parallel()
	ok := runner.Step{Name: "ok", Script: []string{"touch ran"}}
	tests := []struct {
		name  string
		job   func(j *runner.Job)
		error string
	}{
		{"cycle", func(j *runner.Job) {
			j.Steps = append(j.Steps,
				runner.Step{Name: "a", DependsOn: []string{"c"}, Script: []string{"true"}},
				runner.Step{Name: "b", DependsOn: []string{"a"}, Script: []string{"true"}},
				runner.Step{Name: "c", DependsOn: []string{"b"}, Script: []string{"true"}})
		}, "cycle: a -> c -> b -> a"},
		{"self", func(j *runner.Job) { j.Steps[0].DependsOn = []string{"ok"} }, `step "ok" depends on itself`},
		{"unknown dependency", func(j *runner.Job) { j.Steps[0].DependsOn = []string{"nope"} }, `depends on unknown step "nope"`},
		{"duplicate", func(j *runner.Job) { j.Steps = append(j.Steps, ok) }, `two steps are named "ok"`},
		{"no command", func(j *runner.Job) { j.Steps[0].Script = nil }, "neither a script nor a command"},
		{"both", func(j *runner.Job) { j.Steps[0].Argv = []string{"true"} }, "both a script and a command"},
		{"status", func(j *runner.Job) { j.Steps[0].Status = []string{"sometimes"} }, `status "sometimes"`},
		{"secret name", func(j *runner.Job) { j.Steps[0].Secrets = []string{"A-B"} }, `secret "A-B" is not a variable name`},
		{"reserved env", func(j *runner.Job) { j.Env = map[string]string{"SHIPLINE_JOB": "x"} }, "set by Shipline"},
		{"go", func(j *runner.Job) { j.Go = "go1.26" }, `go "go1.26" is not a Go release`},
		{"toolchain twice", func(j *runner.Job) { j.Go = "1.26.8"; j.Env = map[string]string{"GOTOOLCHAIN": "local"} }, "GOTOOLCHAIN conflicts"},
		{"dir", func(j *runner.Job) { j.Steps[0].Dir = "../elsewhere" }, "not a relative path inside the workspace"},
		{"artifact", func(j *runner.Job) { j.Steps[0].Artifacts = []string{"/etc/passwd"} }, "artifact pattern"},
		{"failure without dependencies", func(j *runner.Job) { j.Steps[0].Status = []string{"failure"} }, "would never run"},
		{"negative", func(j *runner.Job) { j.Steps[0].Retry = -1 }, "retry -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			job := runner.Job{Name: "bad", Dir: dir, Steps: []runner.Step{ok}}
			tt.job(&job)
			r, _ := testRunner(t)
			res, err := r.Run(t.Context(), job, runner.RunOptions{})
			if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), tt.error) {
				t.Errorf("Run: error %v (code %q), want EINVALID containing %q", err, shipline.ErrorCode(err), tt.error)
			}
			if res != nil {
				t.Errorf("Run returned a result with its error")
			}
			if exists(dir, "ran") {
				t.Errorf("a step ran")
			}
		})
	}
}

func TestMissingWorkspace(t *testing.T) {
	t.Parallel()
	r, _ := testRunner(t)
	_, err := r.Run(t.Context(), runner.Job{Name: "j", Dir: filepath.Join(t.TempDir(), "nope"), Steps: []runner.Step{{Name: "s", Script: []string{"true"}}}}, runner.RunOptions{})
	if shipline.ErrorCode(err) != shipline.ENOTFOUND {
		t.Errorf("Run: %v, want ENOTFOUND", err)
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	counter := `n=$(cat count.$SHIPLINE_STEP 2>/dev/null || echo 0); n=$((n+1)); echo $n > count.$SHIPLINE_STEP; echo "try $n"`
	res := mustRun(t, r, runner.Job{Name: "retry", Dir: t.TempDir(), Steps: []runner.Step{
		{Name: "flaky", Retry: 3, Script: []string{counter, `[ $n -ge 3 ]`}},
		{Name: "broken", Retry: 1, Script: []string{counter, "exit 7"}},
	}})
	flaky := wantStatus(t, res, "flaky", runner.StatusSuccess)
	if flaky.Attempts != 3 || len(flaky.History) != 3 {
		t.Fatalf("flaky: %d attempts, history %+v; want 3", flaky.Attempts, flaky.History)
	}
	for i, want := range []runner.Status{runner.StatusFailure, runner.StatusFailure, runner.StatusSuccess} {
		if a := flaky.History[i]; a.Status != want {
			t.Errorf("flaky attempt %d: %s (%s), want %s", i+1, a.Status, a.Reason, want)
		}
	}
	if got, want := rec.Output("flaky"), "try 1\ntry 2\ntry 3\n"; got != want {
		t.Errorf("flaky printed %q, want %q", got, want)
	}
	if !strings.Contains(systemLines(rec, "flaky"), "retrying: attempt 3 of 4") {
		t.Errorf("no retry line in %q", systemLines(rec, "flaky"))
	}
	var attempts []int
	for _, s := range rec.Started() {
		if s.Step == "flaky" {
			attempts = append(attempts, s.Attempt)
		}
	}
	if !slices.Equal(attempts, []int{1, 2, 3}) {
		t.Errorf("StepStarted attempts %v, want [1 2 3]", attempts)
	}
	broken := wantStatus(t, res, "broken", runner.StatusFailure)
	if broken.Attempts != 2 || broken.ExitCode != 7 {
		t.Errorf("broken: %d attempts, exit code %d; want 2, 7", broken.Attempts, broken.ExitCode)
	}
}

func TestArtifacts(t *testing.T) {
	t.Parallel()
	r, _ := testRunner(t)
	res := mustRun(t, r, runner.Job{Name: "artifacts", Dir: t.TempDir(), Steps: []runner.Step{
		{Name: "dist", Script: []string{"mkdir -p dist", "touch dist/a.tar.gz dist/b.tar.gz dist/notes.txt"}, Artifacts: []string{"dist/*.tar.gz", "dist/a.*"}},
		{Name: "missing", Script: []string{"true"}, Artifacts: []string{"out/*.zip"}},
	}})
	dist := wantStatus(t, res, "dist", runner.StatusSuccess)
	if want := []string{"dist/a.tar.gz", "dist/b.tar.gz"}; !slices.Equal(dist.Artifacts, want) {
		t.Errorf("artifacts %v, want %v", dist.Artifacts, want)
	}
	if m := wantStatus(t, res, "missing", runner.StatusFailure); m.Reason != `artifact "out/*.zip": no such file` {
		t.Errorf("missing: reason %q", m.Reason)
	}
}

func TestStepDirAndArgv(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	r.ShiplineBinary = "/bin/echo"
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, r, runner.Job{Name: "argv", Dir: dir, Steps: []runner.Step{
		{Name: "pwd", Dir: "sub", Argv: []string{"pwd"}},
		{Name: "builtin", Argv: []string{"shipline", "release", "--dry-run"}},
		{Name: "nope", Argv: []string{"no-such-command-anywhere"}},
		{Name: "nodir", Dir: "missing", Script: []string{"true"}},
	}})
	wantStatus(t, res, "pwd", runner.StatusSuccess)
	if got, want := rec.Output("pwd"), filepath.Join(dir, "sub")+"\n"; got != want {
		t.Errorf("pwd printed %q, want %q", got, want)
	}
	wantStatus(t, res, "builtin", runner.StatusSuccess)
	if got, want := rec.Output("builtin"), "release --dry-run\n"; got != want {
		t.Errorf("shipline step printed %q, want %q", got, want)
	}
	if s := wantStatus(t, res, "nope", runner.StatusFailure); !strings.Contains(s.Reason, "no-such-command-anywhere not found") {
		t.Errorf("nope: reason %q", s.Reason)
	}
	if s := wantStatus(t, res, "nodir", runner.StatusFailure); !strings.HasPrefix(s.Reason, "start: ") {
		t.Errorf("nodir: reason %q", s.Reason)
	}
}
