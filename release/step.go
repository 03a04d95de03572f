package release

import (
	"context"
	"errors"
	"fmt"
)

// Step is one step of a release. Run does the step's work over the run's
// state and records what it made in the state's field for the step, and
// nowhere else. An error stops the release; its message need not name the
// step, the runner adds it. Run must stop early, returning ctx's error,
// when ctx is done.
//
// What more a step can do, it says by implementing the small interfaces
// below (Checker, Resumer, Always, Mandatory), found by type assertion.
type Step interface {
	Name() string
	Run(ctx context.Context, st *State) error
}

// Checker is a step that can tell cheaply, before any step does its work,
// that it would fail: a missing tool, a tag that exists elsewhere, a store
// that cannot be reached. The preflight step calls Check on every step of
// the run that is still to run, and reports every problem at once. Check
// may keep what it finds in st for Run (a resolved build matrix), but
// changes nothing outside the process.
type Checker interface {
	Check(ctx context.Context, st *State) error
}

// Resumer is a step whose output, recorded in the journal by an earlier
// run, must still hold for a later run to build on it, such as files that
// must not have changed since they were hashed. For a step the journal
// says is done, the runner calls Resume instead of Run; an error stops the
// release.
type Resumer interface {
	Resume(ctx context.Context, st *State) error
}

// Always is a step that runs on every run, even when the journal says it
// is done, because what it checks is the present, such as preflight.
type Always interface {
	Always() bool
}

// Mandatory is a step that --skip and release.skip cannot name.
type Mandatory interface {
	Mandatory() bool
}

// SkipError says that a step did not do its work, and why: a dry run does
// not tag, a snapshot is not published, a step that --skip names does not
// run. It is not a failure: the runner records the step as skipped with
// the reason and goes on. A skipped step runs again on a later run, which
// may skip it again.
type SkipError struct {
	Reason string
}

// Error implements error.
func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns a *SkipError whose reason is formatted as fmt.Sprintf does.
func Skip(format string, args ...any) error {
	return &SkipError{Reason: fmt.Sprintf(format, args...)}
}

// IsSkip reports whether err is (or wraps) a *SkipError, and its reason.
func IsSkip(err error) (reason string, ok bool) {
	var s *SkipError
	if errors.As(err, &s) {
		return s.Reason, true
	}
	return "", false
}

// isAlways reports whether s runs on every run (see Always).
func isAlways(s Step) bool {
	a, ok := s.(Always)
	return ok && a.Always()
}

// isMandatory reports whether s cannot be skipped (see Mandatory).
func isMandatory(s Step) bool {
	m, ok := s.(Mandatory)
	return ok && m.Mandatory()
}
