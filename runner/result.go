package runner

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is how a step ended.
type Status string

// The statuses of a step.
const (
	StatusSuccess   Status = "success"   // its process exited 0 and its artifacts exist
	StatusFailure   Status = "failure"   // it exited non-zero, was killed by a signal, could not start or lacks an artifact
	StatusSkipped   Status = "skipped"   // its Status condition did not hold; it never ran
	StatusCancelled Status = "cancelled" // the job was cancelled while it ran or before it started
	StatusTimeout   Status = "timeout"   // an attempt ran longer than its Timeout
)

// verb describes s after a step name: "failed", "was skipped", ...
func (s Status) verb() string {
	switch s {
	case StatusSuccess:
		return "succeeded"
	case StatusFailure:
		return "failed"
	case StatusSkipped:
		return "was skipped"
	case StatusCancelled:
		return "was cancelled"
	case StatusTimeout:
		return "timed out"
	}
	return string(s)
}

// Result is what happened to a job.
type Result struct {
	Job   string
	Steps []StepResult // in the job's declaration order
}

// Failed reports whether any step failed, timed out or was cancelled.
// Skipped steps do not count: a step is skipped because of another's
// failure or because its condition asked for it.
func (r Result) Failed() bool {
	for _, s := range r.Steps {
		switch s.Status {
		case StatusFailure, StatusTimeout, StatusCancelled:
			return true
		}
	}
	return false
}

// Step returns the result of the named step, and whether there is one.
func (r Result) Step(name string) (StepResult, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return StepResult{}, false
}

// StepResult is what happened to a step; for a step that ran it describes
// the last attempt, and History each one.
type StepResult struct {
	Name   string
	Status Status
	// ExitCode is the exit status of the process, or -1 when it was killed
	// by a signal, could not start or never ran.
	ExitCode int
	// Signal is the name of the signal that ended the process, such as
	// "killed"; "" if none did.
	Signal string
	// Attempts is how many times the step ran: 0 if it never did.
	Attempts int
	// Start and End bracket every attempt; zero if the step never ran.
	Start, End time.Time
	// Reason says why the step did not succeed: "exit status 2",
	// "dependency build failed", "timed out after 5m0s", ...
	Reason string
	// Artifacts are the files the Step.Artifacts patterns matched,
	// relative to the workspace, with forward slashes.
	Artifacts []string
	// History holds each attempt, first to last.
	History []Attempt
}

// Duration is End - Start, or 0 for a step that never ran.
func (s StepResult) Duration() time.Duration {
	if s.Start.IsZero() || s.End.IsZero() {
		return 0
	}
	return s.End.Sub(s.Start)
}

// Attempt is one run of a step's process.
type Attempt struct {
	Start, End time.Time
	Status     Status // success, failure, timeout or cancelled
	ExitCode   int    // as in StepResult
	Signal     string // as in StepResult
	Reason     string // as in StepResult
}

// WriteSummary writes a table of the steps to w: name, status, duration and,
// for a step that did not succeed or needed retries, why. It returns w's
// first error.
func (r Result) WriteSummary(w io.Writer) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATUS\tDURATION\tNOTE")
	for _, s := range r.Steps {
		dur := "-"
		if s.Attempts > 0 {
			dur = FormatDuration(s.Duration())
		}
		var note []string
		if s.Status != StatusSuccess && s.Reason != "" {
			note = append(note, s.Reason)
		}
		if s.Attempts > 1 {
			note = append(note, fmt.Sprintf("%d attempts", s.Attempts))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Status, dur, strings.Join(note, "; "))
	}
	tw.Flush()
	var out strings.Builder
	for line := range strings.Lines(b.String()) {
		out.WriteString(strings.TrimRight(line, " \n") + "\n")
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// FormatDuration formats d for people: "850ms", "12.3s", "4m05s".
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
