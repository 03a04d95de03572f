package logs

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shipline-ci/shipline/runner"
)

// Recorder is a LogSink that keeps everything in memory, for tests and for
// callers that ship logs in batches. It is safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	lines    []runner.LogLine
	started  []Start
	finished []runner.StepResult
}

// Start records a StepStarted call.
type Start struct {
	Job, Step string
	Attempt   int
	Time      time.Time
}

// StepStarted implements runner.LogSink.
func (r *Recorder) StepStarted(_ context.Context, job, step string, attempt int, t time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, Start{job, step, attempt, t})
	return nil
}

// Line implements runner.LogSink.
func (r *Recorder) Line(_ context.Context, l runner.LogLine) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, l)
	return nil
}

// StepFinished implements runner.LogSink.
func (r *Recorder) StepFinished(_ context.Context, _ string, res runner.StepResult) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = append(r.finished, res)
	return nil
}

// Lines returns the lines of the named step in the order they came, or of
// every step for "".
func (r *Recorder) Lines(step string) []runner.LogLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runner.LogLine
	for _, l := range r.lines {
		if step == "" || l.Step == step {
			out = append(out, l)
		}
	}
	return out
}

// Output returns what the named step wrote to the given streams ("" for
// standard output and error), as text: lines joined with "\n", continued
// lines joined with nothing.
func (r *Recorder) Output(step string, streams ...string) string {
	var b strings.Builder
	for _, l := range r.Lines(step) {
		if l.Stream == runner.System {
			continue
		}
		if len(streams) > 0 && !slices.Contains(streams, l.Stream) {
			continue
		}
		b.WriteString(l.Text)
		if !l.Continued {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Started returns the StepStarted calls in order.
func (r *Recorder) Started() []Start {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Start(nil), r.started...)
}

// Finished returns the StepFinished calls in order.
func (r *Recorder) Finished() []runner.StepResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]runner.StepResult(nil), r.finished...)
}
