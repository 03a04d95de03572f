package logs_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline/runner"
	"github.com/shipline-ci/shipline/runner/logs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

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

// feed sends a small job's events to a sink.
func feed(tb testing.TB, s runner.LogSink) {
	tb.Helper()
	ctx := tb.Context()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	line := func(step, stream, text string, sec int) runner.LogLine {
		return runner.LogLine{Job: "ci", Step: step, Time: t0.Add(time.Duration(sec) * time.Second), Stream: stream, Text: text}
	}
	check := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	check(s.StepStarted(ctx, "ci", "build", 1, t0))
	check(s.Line(ctx, line("build", runner.Stdout, "go build ./...", 1)))
	check(s.Line(ctx, line("build", runner.Stderr, "warning: ***", 2)))
	check(s.StepFinished(ctx, "ci", runner.StepResult{Name: "build", Status: runner.StatusSuccess, Attempts: 1, Start: t0, End: t0.Add(2500 * time.Millisecond)}))
	check(s.StepStarted(ctx, "ci", "test", 2, t0.Add(3*time.Second)))
	check(s.Line(ctx, line("test", runner.System, "exit status 1", 4)))
	check(s.StepFinished(ctx, "ci", runner.StepResult{Name: "test", Status: runner.StatusFailure, ExitCode: 1, Attempts: 2, Start: t0, End: t0.Add(4 * time.Second), Reason: "exit status 1"}))
	check(s.StepFinished(ctx, "ci", runner.StepResult{Name: "publish", Status: runner.StatusSkipped, ExitCode: -1, Reason: "dependency test failed"}))
}

func TestPrinterPlain(t *testing.T) {
	var b bytes.Buffer
	p := logs.NewPrinter(&b)
	if p.Color {
		t.Fatalf("colours on a bytes.Buffer")
	}
	feed(t, p)
	golden(t, "plain.golden", b.Bytes())

	b.Reset()
	p.Times = true
	feed(t, p)
	if !strings.HasPrefix(b.String(), "03:04:05.000 [build] ==> started\n") || !strings.Contains(b.String(), "\n"+strings.Repeat(" ", 13)+"[publish] ==> skipped") {
		t.Errorf("with times:\n%s", b.String())
	}
}

func TestPrinterColor(t *testing.T) {
	var b bytes.Buffer
	p := &logs.Printer{W: &b, Color: true}
	feed(t, p)
	golden(t, "color.golden", b.Bytes())
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if logs.IsTerminal(f) || logs.IsTerminal(&bytes.Buffer{}) {
		t.Errorf("a file or a buffer is taken for a terminal")
	}
}

func TestRecorder(t *testing.T) {
	r := &logs.Recorder{}
	feed(t, r)
	if got := r.Output("build"); got != "go build ./...\nwarning: ***\n" {
		t.Errorf("Output(build) = %q", got)
	}
	if got := r.Output("build", runner.Stderr); got != "warning: ***\n" {
		t.Errorf("Output(build, stderr) = %q", got)
	}
	if n := len(r.Lines("")); n != 3 {
		t.Errorf("%d lines, want 3", n)
	}
	if s := r.Started(); len(s) != 2 || s[1].Attempt != 2 {
		t.Errorf("Started() = %+v", s)
	}
	if f := r.Finished(); len(f) != 3 || f[2].Status != runner.StatusSkipped {
		t.Errorf("Finished() = %+v", f)
	}
}
