package build

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shipline-ci/shipline"
)

// State is where the build of one target is.
type State int

// The states of a target's build, in the order they happen.
const (
	Queued State = iota
	Building
	Verifying
	Sealing
	Archiving
	Done
	Failed
	Canceled
)

// String returns the state's name, such as "building".
func (s State) String() string {
	switch s {
	case Queued:
		return "queued"
	case Building:
		return "building"
	case Verifying:
		return "verifying"
	case Sealing:
		return "sealing"
	case Archiving:
		return "archiving"
	case Done:
		return "done"
	case Failed:
		return "failed"
	case Canceled:
		return "canceled"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Event is a change of state of one target's build.
type Event struct {
	Label   string          // what to call the job: "linux/arm64", or "app linux/arm64" when there are several builds
	Build   string          // the build's id
	Target  shipline.Target //
	State   State           //
	Size    int64           // Done: the binary's size in bytes
	Elapsed time.Duration   // Done, Failed, Canceled: time since the build of the target started
	Err     error           // Failed: why
}

// String describes the event in one line, such as
// "linux/arm64: done 2.1 MB in 3.2s".
func (e Event) String() string {
	return e.Label + ": " + e.status()
}

// status is the event without its label.
func (e Event) status() string {
	switch e.State {
	case Done:
		return fmt.Sprintf("done %s in %s", Size(e.Size), seconds(e.Elapsed))
	case Failed:
		return "failed after " + seconds(e.Elapsed)
	}
	return e.State.String()
}

// Size formats a number of bytes for a person: "812 B", "14.2 kB", "2.1 MB".
func Size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// LogProgress returns a progress function for a log or a pipe: one line
// per state change after the first ("linux/arm64: building", then
// "linux/arm64: done 2.1 MB in 3.2s").
func LogProgress(w io.Writer) func(Event) {
	return func(e Event) {
		if e.State != Queued {
			fmt.Fprintln(w, e)
		}
	}
}

// Live shows one line per target on a terminal, redrawn in place with
// ANSI escapes as the targets move from queued to done.
type Live struct {
	w      io.Writer
	width  int      // terminal columns; lines are cut to fit, 0 for no limit
	labels []string // in the order first seen
	lines  map[string]Event
	drawn  int // lines drawn so far, to move back over
}

// NewLive returns a Live that draws on w, a terminal width columns wide
// (0 if unknown). Its Event method is the progress function.
func NewLive(w io.Writer, width int) *Live {
	return &Live{w: w, width: width, lines: map[string]Event{}}
}

// Event records e and redraws every line.
func (l *Live) Event(e Event) {
	if _, ok := l.lines[e.Label]; !ok {
		l.labels = append(l.labels, e.Label)
	}
	l.lines[e.Label] = e
	pad := 0
	for _, label := range l.labels {
		pad = max(pad, len(label))
	}
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dF", l.drawn) // to the start of the first line drawn
	}
	for _, label := range l.labels {
		line := fmt.Sprintf("%-*s  %s", pad, label, l.lines[label].status())
		if l.width > 0 && len(line) >= l.width {
			line = line[:l.width-1]
		}
		b.WriteString("\x1b[2K" + line + "\n") // clear the line, then write it
	}
	l.drawn = len(l.labels)
	_, _ = io.WriteString(l.w, b.String()) // progress is best effort: a terminal that fails to show it must not fail the build
}
