package release

import (
	"context"
	"time"
)

// Runner runs the steps of a release in order over a State, and records
// each in a Journal written to Path before and after every step.
//
// A step the journal records as done is not run again (unless it is
// Always): a Resumer checks that its outputs still hold, and the run goes
// on with them. A step Skip names, and a step whose Run returns a
// *SkipError, is recorded as skipped with the reason. The first step that
// fails stops the run, recorded as failed (or interrupted, when ctx was
// cancelled) with its error; the next run starts again at that step.
type Runner struct {
	Steps   []Step
	Journal *Journal
	Path    string            // the journal's file
	Skip    map[string]string // steps not to run, with why (such as "--skip"); Mandatory steps run anyway
	DryRun  bool              // recorded in the records of the steps this run starts
	Now     func() time.Time  // nil means time.Now
}

// StepError is the error of a release that stopped at a step.
type StepError struct {
	Step string
	Err  error
	// Interrupted is set when the step stopped because the run's context
	// was cancelled (such as by SIGINT) rather than failing.
	Interrupted bool
}

// Error returns the step's name and its error.
func (e *StepError) Error() string {
	if e.Interrupted {
		return e.Step + ": interrupted: " + e.Err.Error()
	}
	return e.Step + ": " + e.Err.Error()
}

// Unwrap returns the step's error.
func (e *StepError) Unwrap() error { return e.Err }

// Run runs the steps over st, starting from the outputs the journal holds.
// It returns a *StepError for the step that failed or was interrupted, and
// the error of writing the journal, which stops the run too: a step whose
// outcome cannot be recorded must not be followed by another.
func (r *Runner) Run(ctx context.Context, st *State) error {
	j := r.Journal
	j.Runs++
	st.Outputs = j.Outputs
	st.todo = nil
	for _, s := range r.Steps {
		if r.skipped(s) || (j.Done(s.Name()) && !isAlways(s)) {
			continue
		}
		st.todo = append(st.todo, s)
	}
	if err := r.write(st); err != nil {
		return err
	}
	defer func() { st.step = "" }()

	for _, s := range r.Steps {
		name := s.Name()
		st.step = name
		if r.skipped(s) {
			rec := j.record(name)
			now := r.now()
			*rec = Record{Step: name, Status: StatusSkipped, Reason: r.Skip[name], Started: now, Finished: now, Attempts: rec.Attempts, DryRun: r.DryRun}
			if err := r.write(st); err != nil {
				return err
			}
			st.Logf("skipped: %s", r.Skip[name])
			continue
		}
		if j.Done(name) && !isAlways(s) {
			if res, ok := s.(Resumer); ok {
				if err := res.Resume(ctx, st); err != nil {
					return &StepError{Step: name, Err: err}
				}
			}
			st.Logf("done in an earlier run")
			continue
		}
		if err := ctx.Err(); err != nil {
			return &StepError{Step: name, Err: err, Interrupted: true}
		}

		rec := j.record(name)
		rec.Status, rec.Reason, rec.Error = StatusRunning, "", ""
		rec.Started, rec.Finished = r.now(), time.Time{}
		rec.Attempts++
		rec.DryRun = r.DryRun
		if err := r.write(st); err != nil {
			return err
		}

		err := s.Run(ctx, st)

		rec = j.record(name)
		rec.Finished = r.now()
		var stop *StepError
		if reason, ok := IsSkip(err); ok {
			rec.Status, rec.Reason = StatusSkipped, reason
		} else if err != nil {
			stop = &StepError{Step: name, Err: err, Interrupted: ctx.Err() != nil}
			rec.Status, rec.Error = StatusFailed, err.Error()
			if stop.Interrupted {
				rec.Status = StatusInterrupted
			}
		} else {
			rec.Status = StatusDone
		}
		if werr := r.write(st); werr != nil {
			if stop != nil {
				return stop // the step's error says more; the journal still says running
			}
			return werr
		}
		if stop != nil {
			return stop
		}
		if rec.Status == StatusSkipped {
			st.Logf("skipped: %s", rec.Reason)
		}
	}
	return nil
}

// skipped reports whether s is not to run in this run.
func (r *Runner) skipped(s Step) bool {
	_, ok := r.Skip[s.Name()]
	return ok && !isMandatory(s)
}

// write records the outputs of st in the journal and writes it.
func (r *Runner) write(st *State) error {
	r.Journal.Outputs = st.Outputs
	r.Journal.Updated = r.now()
	return r.Journal.Write(r.Path)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}
