// Package logs holds LogSinks for the runner: a Printer that shows a job's
// logs to a person (shipline run) and a Recorder that keeps them in memory.
package logs

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/shipline-ci/shipline/runner"
)

// Printer writes log lines as text, each prefixed with its step's name.
// On a terminal (Color) the names are coloured and each step gets a header
// when it starts and a status line when it ends; otherwise lines are plain,
// and the runner's own lines and step events are marked "==>":
//
//	[build] ==> started
//	[build] go: downloading golang.org/x/term v0.48.0
//	[build] ==> success in 12.3s
//
// Printer is safe for concurrent use. A continued line (see
// runner.LogLine) is printed as a line of its own.
type Printer struct {
	W     io.Writer
	Color bool // ANSI colours and headers
	// Times prefixes each line with its time of day.
	Times bool

	mu sync.Mutex
}

// NewPrinter returns a Printer on w, with colours when w is a terminal,
// NO_COLOR is not set in this program's environment and TERM is not "dumb".
func NewPrinter(w io.Writer) *Printer {
	return &Printer{W: w, Color: IsTerminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"}
}

// IsTerminal reports whether w is a file open on a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

const (
	reset = "\x1b[0m"
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
	red   = "\x1b[31m"
	green = "\x1b[32m"
	amber = "\x1b[33m"
)

// palette colours step names; a name always gets the same colour.
var palette = [...]string{"\x1b[36m", "\x1b[35m", "\x1b[34m", "\x1b[96m", "\x1b[95m", "\x1b[94m"}

func (p *Printer) name(step string) string {
	if !p.Color {
		return "[" + step + "]"
	}
	h := fnv.New32a()
	h.Write([]byte(step))
	return palette[h.Sum32()%uint32(len(palette))] + step + reset
}

func (p *Printer) printf(t time.Time, format string, args ...any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Times {
		ts := "             "
		if !t.IsZero() {
			ts = t.Format("15:04:05.000 ")
		}
		if p.Color {
			ts = dim + ts + reset
		}
		if _, err := io.WriteString(p.W, ts); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(p.W, format, args...)
	return err
}

// StepStarted implements runner.LogSink.
func (p *Printer) StepStarted(_ context.Context, _, step string, attempt int, t time.Time) error {
	what := "started"
	if attempt > 1 {
		what = fmt.Sprintf("started, attempt %d", attempt)
	}
	if p.Color {
		return p.printf(t, "%s▶ %s%s %s(%s)%s\n", bold, p.name(step), reset, dim, what, reset)
	}
	return p.printf(t, "%s ==> %s\n", p.name(step), what)
}

// Line implements runner.LogSink.
func (p *Printer) Line(_ context.Context, l runner.LogLine) error {
	switch {
	case l.Stream == runner.System && p.Color:
		return p.printf(l.Time, "%s %s%s%s\n", p.name(l.Step), amber, l.Text, reset)
	case l.Stream == runner.System:
		return p.printf(l.Time, "%s ==> %s\n", p.name(l.Step), l.Text)
	case p.Color:
		return p.printf(l.Time, "%s %s│%s %s\n", p.name(l.Step), dim, reset, l.Text)
	}
	return p.printf(l.Time, "%s %s\n", p.name(l.Step), l.Text)
}

// StepFinished implements runner.LogSink.
func (p *Printer) StepFinished(_ context.Context, _ string, r runner.StepResult) error {
	what := string(r.Status)
	if r.Attempts > 0 {
		what += " in " + runner.FormatDuration(r.Duration())
	}
	if r.Status != runner.StatusSuccess && r.Reason != "" {
		what += ": " + r.Reason
	}
	if !p.Color {
		return p.printf(r.End, "%s ==> %s\n", p.name(r.Name), what)
	}
	mark, colour := "✔", green
	switch r.Status {
	case runner.StatusSkipped:
		mark, colour = "⊘", dim
	case runner.StatusFailure, runner.StatusTimeout, runner.StatusCancelled:
		mark, colour = "✘", red
	}
	return p.printf(r.End, "%s%s%s %s %s%s%s\n", colour, mark, reset, p.name(r.Name), colour, what, reset)
}
