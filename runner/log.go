package runner

import (
	"context"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shipline-ci/shipline/runner/mask"
)

// The streams of a LogLine.
const (
	Stdout = "stdout" // the step's standard output
	Stderr = "stderr" // the step's standard error
	System = "system" // the runner, about the step: retries, timeouts, exit statuses
)

// MaxLineBytes bounds the Text of a LogLine. A longer line is cut into
// several, each but the last marked Continued.
const MaxLineBytes = 64 << 10

// LogLine is one line of a step's log.
type LogLine struct {
	Job, Step string
	// Seq numbers the lines of a step, all streams and attempts together,
	// from 1 and without gaps.
	Seq  int64
	Time time.Time // when the runner read the line's end
	// Stream is Stdout, Stderr or System.
	Stream string
	// Text is the line without its "\n" (or "\r\n"), with secrets masked
	// and as valid UTF-8: each byte that is not part of a valid encoding
	// is replaced by one U+FFFD. At most MaxLineBytes bytes.
	Text string
	// Continued is set when the line was cut at MaxLineBytes: the next
	// line of the same stream carries on with it.
	Continued bool
}

// LogSink receives the logs of jobs and the progress of their steps. The
// runner calls it from one goroutine at a time per job, but several jobs may
// share a sink. Its errors do not stop a job: Run reports the first one.
// A sink should not block for long: a step's output waits for it.
//
// ctx is the job's context. Once it is cancelled the runner still reports
// the last lines and results of the job with it, so a sink that must
// deliver them should not give up on ctx alone.
type LogSink interface {
	// StepStarted is called before each attempt of a step.
	StepStarted(ctx context.Context, job, step string, attempt int, t time.Time) error
	// Line is called for each line, in Seq order within a step.
	Line(ctx context.Context, l LogLine) error
	// StepFinished is called once per step when it has finished, or has
	// been settled without running (skipped or cancelled).
	StepFinished(ctx context.Context, job string, r StepResult) error
}

// jobLog serializes the calls of one job to its sink.
type jobLog struct {
	mu     sync.Mutex
	sink   LogSink
	job    string
	now    func() time.Time
	masker *mask.Set
	err    error // the sink's first error
}

func (j *jobLog) fail(err error) {
	if err != nil && j.err == nil {
		j.err = err
	}
}

func (j *jobLog) started(ctx context.Context, step string, attempt int, t time.Time) {
	if j.sink == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fail(j.sink.StepStarted(ctx, j.job, step, attempt, t))
}

func (j *jobLog) finished(ctx context.Context, r StepResult) {
	if j.sink == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fail(j.sink.StepFinished(ctx, j.job, r))
}

// step returns the log of one step.
func (j *jobLog) step(name string) *stepLog { return &stepLog{job: j, name: name} }

// stepLog numbers the lines of one step.
type stepLog struct {
	job  *jobLog
	name string
	seq  int64 // guarded by job.mu
}

func (s *stepLog) line(ctx context.Context, stream, text string, continued bool) {
	j := s.job
	j.mu.Lock()
	defer j.mu.Unlock()
	s.seq++
	if j.sink == nil {
		return
	}
	j.fail(j.sink.Line(ctx, LogLine{
		Job: j.job, Step: s.name, Seq: s.seq, Time: j.now(),
		Stream: stream, Text: text, Continued: continued,
	}))
}

// system logs a line of the runner's own, masked like the rest.
func (s *stepLog) system(ctx context.Context, text string) {
	s.line(ctx, System, s.job.masker.String(text), false)
}

// lineWriter cuts a stream into LogLines: at "\n" (dropping a "\r" before
// it) and at max bytes, turning each invalid byte into U+FFFD. It holds at
// most max bytes of text and 3 bytes of an unfinished UTF-8 sequence.
type lineWriter struct {
	max   int
	emit  func(text string, continued bool)
	buf   []byte // the current line: valid UTF-8, at most max bytes
	carry []byte // the start of a UTF-8 sequence the next write may finish
	raw   []byte
}

// Write implements io.Writer; it never fails.
func (l *lineWriter) Write(p []byte) (int, error) {
	data := p
	if len(l.carry) > 0 {
		l.raw = append(append(l.raw[:0], l.carry...), p...)
		data = l.raw
		l.carry = l.carry[:0]
	}
	l.process(data, false)
	return len(p), nil
}

// Flush emits what is left of the last line, if anything.
func (l *lineWriter) Flush() {
	if len(l.carry) > 0 {
		c := append([]byte(nil), l.carry...)
		l.carry = l.carry[:0]
		l.process(c, true)
	}
	if len(l.buf) > 0 {
		l.emit(string(l.buf), false)
		l.buf = l.buf[:0]
	}
}

func (l *lineWriter) process(data []byte, final bool) {
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n':
			text := l.buf
			if n := len(text); n > 0 && text[n-1] == '\r' {
				text = text[:n-1]
			}
			l.emit(string(text), false)
			l.buf = l.buf[:0]
			i++
		case c < utf8.RuneSelf:
			// A run of ASCII up to the next newline or non-ASCII byte.
			j := i + 1
			for j < len(data) && data[j] < utf8.RuneSelf && data[j] != '\n' {
				j++
			}
			l.appendASCII(data[i:j])
			i = j
		case !final && !utf8.FullRune(data[i:]):
			l.carry = append(l.carry, data[i:]...)
			return
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				l.appendRune("\uFFFD")
			} else {
				l.appendRune(string(data[i : i+size]))
			}
			i += size
		}
	}
}

func (l *lineWriter) appendASCII(b []byte) {
	for len(l.buf)+len(b) > l.max {
		n := l.max - len(l.buf)
		l.buf = append(l.buf, b[:n]...)
		b = b[n:]
		l.cut()
	}
	l.buf = append(l.buf, b...)
}

func (l *lineWriter) appendRune(r string) {
	if len(l.buf)+len(r) > l.max {
		l.cut()
	}
	l.buf = append(l.buf, r...)
}

// cut emits the full buffer as a continued line.
func (l *lineWriter) cut() {
	l.emit(string(l.buf), true)
	l.buf = l.buf[:0]
}
