package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline/runner"
)

// cueTimeouts makes r's step timeouts fire when the test says: each timer
// started is sent on the returned channel.
func cueTimeouts(r *runner.Runner) <-chan func() {
	timers := make(chan func(), 10)
	r.AfterFunc = func(d time.Duration, f func()) func() bool {
		timers <- f
		return func() bool { return true }
	}
	return timers
}

// TestTimeoutKillsGrandchild times out a step whose child and grandchild
// ignore SIGTERM: the step must end as timed out and SIGKILL must reach the
// grandchild.
func TestTimeoutKillsGrandchild(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	timers := cueTimeouts(r)
	dir := t.TempDir()
	go func() {
		fire := <-timers
		waitFor(t, "the grandchild", func() bool { return exists(dir, "grandchild.pid") })
		fire()
	}()
	res := mustRun(t, r, runner.Job{Name: "timeout", Dir: dir, Steps: []runner.Step{{
		Name:    "hang",
		Timeout: time.Hour,
		Script:  []string{`sh -c 'trap "" TERM; sleep 1000 & echo $! > grandchild.tmp && mv grandchild.tmp grandchild.pid; wait'`},
	}}})
	s := wantStatus(t, res, "hang", runner.StatusTimeout)
	if s.Reason != "timed out after 1h0m0s" {
		t.Errorf("reason %q", s.Reason)
	}
	wantGone(t, "the grandchild", readPid(t, filepath.Join(dir, "grandchild.pid")))
	sys := systemLines(rec, "hang")
	for _, want := range []string{"timed out: stopping", "left processes running"} {
		if !strings.Contains(sys, want) {
			t.Errorf("system lines %q do not say %q", sys, want)
		}
	}
}

// TestTimeout uses the real clock.
func TestTimeout(t *testing.T) {
	t.Parallel()
	r, _ := testRunner(t)
	res := mustRun(t, r, runner.Job{Name: "timeout", Dir: t.TempDir(), Steps: []runner.Step{
		{Name: "sleep", Timeout: 50 * time.Millisecond, Retry: 1, Script: []string{"sleep 1000"}},
		{Name: "quick", Timeout: time.Hour, Script: []string{"true"}},
	}})
	s := wantStatus(t, res, "sleep", runner.StatusTimeout)
	if s.Attempts != 2 {
		t.Errorf("%d attempts, want 2: a timed-out step is retried", s.Attempts)
	}
	wantStatus(t, res, "quick", runner.StatusSuccess)
}

// TestKillEscalates cancels a step that ignores SIGTERM: SIGKILL must
// follow after the grace period.
func TestKillEscalates(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		waitFor(t, "the step to ignore SIGTERM", func() bool { return exists(dir, "leader.pid") })
		cancel()
	}()
	res, _ := r.Run(ctx, runner.Job{Name: "kill", Dir: dir, Steps: []runner.Step{{
		Name:   "stubborn",
		Script: []string{`trap "" TERM`, `echo $$ > leader.tmp && mv leader.tmp leader.pid`, `while :; do sleep 1; done`},
	}}}, runner.RunOptions{TempDir: t.TempDir()})
	s := wantStatus(t, res, "stubborn", runner.StatusCancelled)
	if s.Signal != "killed" || s.ExitCode != -1 {
		t.Errorf("signal %q, exit code %d; want killed, -1", s.Signal, s.ExitCode)
	}
	if sys := systemLines(rec, "stubborn"); !strings.Contains(sys, "sending SIGKILL") {
		t.Errorf("system lines %q do not mention SIGKILL", sys)
	}
	wantGone(t, "the step", readPid(t, filepath.Join(dir, "leader.pid")))
}

func TestCancel(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		waitFor(t, "the step to start its child", func() bool { return exists(dir, "child.pid") })
		cancel()
	}()
	res, err := r.Run(ctx, runner.Job{Name: "cancel", Dir: dir, Steps: []runner.Step{
		{Name: "long", Retry: 2, Script: []string{`sleep 1000 & echo $! > child.tmp && mv child.tmp child.pid`, `wait`}},
		{Name: "after", DependsOn: []string{"long"}, Script: []string{"touch after.ran"}},
		{Name: "cleanup", DependsOn: []string{"long"}, Status: []string{"always"}, Script: []string{"touch cleanup.ran"}},
	}}, runner.RunOptions{TempDir: t.TempDir()})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	if res == nil {
		t.Fatal("Run returned no result")
	}
	long := wantStatus(t, res, "long", runner.StatusCancelled)
	if long.Attempts != 1 {
		t.Errorf("long: %d attempts, want 1 (no retry after cancel)", long.Attempts)
	}
	wantStatus(t, res, "after", runner.StatusCancelled)
	wantStatus(t, res, "cleanup", runner.StatusCancelled)
	if exists(dir, "after.ran") || exists(dir, "cleanup.ran") {
		t.Errorf("a step started after the job was cancelled")
	}
	wantGone(t, "the step's child", readPid(t, filepath.Join(dir, "child.pid")))
	if !res.Failed() {
		t.Errorf("Failed() = false, want true")
	}
	_ = rec
}

// TestDaemon runs a step that starts a daemon holding its output open: the
// step must succeed when its shell exits, and the daemon must be stopped.
func TestDaemon(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	dir := t.TempDir()
	res := mustRun(t, r, runner.Job{Name: "daemon", Dir: dir, Steps: []runner.Step{
		{Name: "start", Script: []string{`sleep 1000 & echo $! > daemon.pid`, `echo started`}},
		{Name: "next", DependsOn: []string{"start"}, Script: []string{"echo next"}},
	}})
	wantStatus(t, res, "start", runner.StatusSuccess)
	wantStatus(t, res, "next", runner.StatusSuccess)
	wantGone(t, "the daemon", readPid(t, filepath.Join(dir, "daemon.pid")))
	if sys := systemLines(rec, "start"); !strings.Contains(sys, "left processes running") {
		t.Errorf("system lines %q do not mention the daemon", sys)
	}
}

// TestEscapedDaemon runs a step whose daemon leaves the process group (and
// so is not killed) but holds the output open: the runner must not wait
// for it.
func TestEscapedDaemon(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	dir := t.TempDir()
	var pid int
	t.Cleanup(func() {
		if pid > 0 {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
	})
	res := mustRun(t, r, runner.Job{Name: "escaped", Dir: dir, Steps: []runner.Step{
		{Name: "start", Script: []string{
			`setsid sh -c 'echo $$ > daemon.tmp && mv daemon.tmp daemon.pid; exec sleep 1000' &`,
			waitForFile("daemon.pid"), // it has left the group
			`echo started`,
		}},
	}})
	pid = readPid(t, filepath.Join(dir, "daemon.pid"))
	wantStatus(t, res, "start", runner.StatusSuccess)
	if sys := systemLines(rec, "start"); !strings.Contains(sys, "holds its output open") {
		t.Errorf("system lines %q do not mention the escaped process", sys)
	}
}

// TestEnvironment checks that a step sees exactly the variables it should:
// nothing of the test program's environment leaks in.
func TestEnvironment(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	r.GoBin = "/opt/go/bin"
	r.Secrets = runner.EnvSecrets{}
	dir := t.TempDir()
	job := runner.Job{Name: "env", Dir: dir, Go: "1.26.8", Env: map[string]string{"JOBVAR": "job", "BOTH": "job"}, Steps: []runner.Step{
		{Name: "print", Argv: []string{"env"}, Env: map[string]string{"BOTH": "step"}, Secrets: []string{"FROM_ENV"}},
		{Name: "home", Script: []string{`test -d "$HOME" && test -w "$HOME"`, `echo "$HOME" > home.txt`}},
	}}
	res, err := r.Run(t.Context(), job, runner.RunOptions{Version: "v1.2.3", Commit: "abc123", Ref: "refs/tags/v1.2.3", BuildNumber: 42, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, res, "print", runner.StatusSuccess)
	wantStatus(t, res, "home", runner.StatusSuccess)
	got := map[string]string{}
	var names []string
	for line := range strings.SplitSeq(strings.TrimSpace(rec.Output("print")), "\n") {
		k, v, _ := strings.Cut(line, "=")
		got[k] = v
		names = append(names, k)
	}
	slices.Sort(names)
	want := []string{"BOTH", "FROM_ENV", "GOTOOLCHAIN", "HOME", "JOBVAR", "PATH", "SHIPLINE_BUILD_NUMBER", "SHIPLINE_COMMIT", "SHIPLINE_JOB", "SHIPLINE_REF", "SHIPLINE_STEP", "SHIPLINE_VERSION"}
	if !slices.Equal(names, want) {
		t.Errorf("variables %v, want exactly %v", names, want)
	}
	for k, v := range map[string]string{
		"BOTH": "step", "JOBVAR": "job", "GOTOOLCHAIN": "go1.26.8", "FROM_ENV": "***",
		"PATH":             "/opt/go/bin:" + runner.DefaultPath,
		"SHIPLINE_VERSION": "v1.2.3", "SHIPLINE_COMMIT": "abc123", "SHIPLINE_REF": "refs/tags/v1.2.3",
		"SHIPLINE_BUILD_NUMBER": "42", "SHIPLINE_JOB": "env", "SHIPLINE_STEP": "print",
	} {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	if _, ok := got[leakVar]; ok || os.Getenv(leakVar) == "" {
		t.Errorf("%s leaked into the step", leakVar)
	}
	home, _ := os.ReadFile(filepath.Join(dir, "home.txt"))
	if h := strings.TrimSpace(string(home)); h != got["HOME"] || h == os.Getenv("HOME") {
		t.Errorf("HOME %q in one step and %q in another, want one fresh home per job", h, got["HOME"])
	} else if _, err := os.Stat(h); err == nil {
		t.Errorf("the job's home %s is still there after the run", h)
	}
}

func TestSeqAndClock(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r.Now = clock.Now
	res := mustRun(t, r, runner.Job{Name: "seq", Dir: t.TempDir(), Steps: []runner.Step{
		{Name: "mixed", Retry: 1, Script: []string{
			`for i in 1 2 3 4 5 6 7 8 9 10; do echo out $i; echo err $i >&2; done`,
			`[ -e again ] || { touch again; exit 1; }`,
		}},
		{Name: "other", Script: []string{"echo a; echo b"}},
	}})
	wantStatus(t, res, "mixed", runner.StatusSuccess)
	for _, step := range []string{"mixed", "other"} {
		lines := rec.Lines(step)
		var last time.Time
		for i, l := range lines {
			if l.Seq != int64(i+1) {
				t.Fatalf("step %s line %d has Seq %d, want %d", step, i, l.Seq, i+1)
			}
			if l.Job != "seq" || l.Step != step {
				t.Errorf("line %d: job %q step %q", i, l.Job, l.Step)
			}
			if !l.Time.After(last) {
				t.Errorf("line %d: time %v not after %v", i, l.Time, last)
			}
			last = l.Time
		}
	}
	if got, want := len(rec.Lines("mixed")), 2*(20)+2; got != want { // two attempts' output, "exit status 1", "retrying"
		t.Errorf("mixed: %d lines, want %d", got, want)
	}
	if s := mustStep(t, res, "mixed"); !s.Start.After(clock.t.Add(-time.Hour)) || !s.End.After(s.Start) {
		t.Errorf("step times %v..%v are not from the injected clock", s.Start, s.End)
	}
}

// TestSinkError checks that a failing sink does not stop the job but is
// reported.
func TestSinkError(t *testing.T) {
	t.Parallel()
	r, _ := testRunner(t)
	r.Logs = failingSink{}
	res, err := r.Run(t.Context(), runner.Job{Name: "sink", Dir: t.TempDir(), Steps: []runner.Step{{Name: "s", Script: []string{"echo hi"}}}}, runner.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "write log: disk full") {
		t.Errorf("Run: %v, want the sink's error", err)
	}
	if res == nil || res.Failed() {
		t.Errorf("result %+v, want the step to succeed", res)
	}
}

type failingSink struct{}

func (failingSink) StepStarted(context.Context, string, string, int, time.Time) error { return nil }
func (failingSink) Line(context.Context, runner.LogLine) error                        { return errors.New("disk full") }
func (failingSink) StepFinished(context.Context, string, runner.StepResult) error     { return nil }

func TestSignalled(t *testing.T) {
	t.Parallel()
	r, _ := testRunner(t)
	res := mustRun(t, r, runner.Job{Name: "signal", Dir: t.TempDir(), Steps: []runner.Step{
		{Name: "suicide", Script: []string{"kill -KILL $$"}},
	}})
	s := wantStatus(t, res, "suicide", runner.StatusFailure)
	if s.Signal != "killed" || s.ExitCode != -1 || s.Reason != "killed by signal: killed" {
		t.Errorf("signal %q, exit code %d, reason %q", s.Signal, s.ExitCode, s.Reason)
	}
}
