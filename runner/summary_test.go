package runner_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipline-ci/shipline/runner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs (rerun with -update to accept):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestSummary(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := runner.Result{Job: "release", Steps: []runner.StepResult{
		{Name: "build", Status: runner.StatusSuccess, Attempts: 1, Start: t0, End: t0.Add(12340 * time.Millisecond)},
		{Name: "test", Status: runner.StatusFailure, ExitCode: 1, Attempts: 3, Start: t0, End: t0.Add(754 * time.Millisecond), Reason: "exit status 1"},
		{Name: "integration", Status: runner.StatusTimeout, ExitCode: -1, Signal: "killed", Attempts: 1, Start: t0, End: t0.Add(5*time.Minute + 3*time.Second), Reason: "timed out after 5m0s"},
		{Name: "publish", Status: runner.StatusSkipped, ExitCode: -1, Reason: "dependency test failed"},
		{Name: "notify", Status: runner.StatusSuccess, Attempts: 1, Start: t0, End: t0.Add(3 * time.Millisecond)},
	}}
	var b bytes.Buffer
	if err := res.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.golden", b.Bytes())
	if !res.Failed() {
		t.Errorf("Failed() = false")
	}
}
