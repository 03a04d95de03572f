package runner_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipline-ci/shipline/runner"
	"github.com/shipline-ci/shipline/runner/logs"
)

// leakVar is set in this test program's environment; no step may see it.
const leakVar = "SHIPLINE_TEST_LEAK"

func TestMain(m *testing.M) {
	os.Setenv(leakVar, "leaked")
	os.Setenv("SHIPLINE_SECRET_FROM_ENV", "env-secret-value")
	os.Exit(m.Run())
}

// testRunner returns a Runner with a short kill grace that records its logs.
func testRunner(tb testing.TB) (*runner.Runner, *logs.Recorder) {
	tb.Helper()
	rec := &logs.Recorder{}
	return &runner.Runner{
		Logs:        rec,
		Parallelism: 4,
		KillGrace:   300 * time.Millisecond,
	}, rec
}

// mustRun runs job and fails the test on an error.
func mustRun(tb testing.TB, r *runner.Runner, job runner.Job) *runner.Result {
	tb.Helper()
	res, err := r.Run(tb.Context(), job, runner.RunOptions{TempDir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}

// mustStep returns the result of the named step.
func mustStep(tb testing.TB, res *runner.Result, name string) runner.StepResult {
	tb.Helper()
	s, ok := res.Step(name)
	if !ok {
		tb.Fatalf("no result for step %s in %+v", name, res)
	}
	return s
}

// wantStatus checks the status of a step.
func wantStatus(tb testing.TB, res *runner.Result, name string, want runner.Status) runner.StepResult {
	tb.Helper()
	s := mustStep(tb, res, name)
	if s.Status != want {
		tb.Errorf("step %s: status %s (%s), want %s", name, s.Status, s.Reason, want)
	}
	return s
}

// waitFor polls cond until it holds and reports whether it did; after a
// generous deadline it fails the test (with Errorf, so that other
// goroutines may call it).
func waitFor(tb testing.TB, what string, cond func() bool) bool {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Errorf("timed out waiting for %s", what)
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// readPid reads a pid a step wrote to a file.
func readPid(tb testing.TB, path string) int {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("the step did not write its pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		tb.Fatalf("pid file %s: %v", path, err)
	}
	return pid
}

// gone reports whether a process has ended: it no longer exists or is a
// zombie waiting for a parent (here pid 1 may not reap orphans).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) state ...: comm may hold spaces, so look after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || strings.HasPrefix(s[i+1:], " Z") || strings.HasPrefix(s[i+1:], " X")
}

// wantGone checks that a process ends soon: the runner has sent it
// SIGKILL when Run returns, but dying takes the kernel a moment. It kills
// the process if need be, so that a failing test leaves nothing behind.
func wantGone(tb testing.TB, what string, pid int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			tb.Errorf("%s (pid %d) is still running: %s", what, pid, stat)
			p, _ := os.FindProcess(pid)
			p.Kill()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakeClock is an injected clock that moves one millisecond per reading.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// systemLines returns the runner's own lines about a step.
func systemLines(rec *logs.Recorder, step string) string {
	var b strings.Builder
	for _, l := range rec.Lines(step) {
		if l.Stream == runner.System {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

// exists reports whether a file exists.
func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}
