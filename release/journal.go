package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shipline-ci/shipline"
)

// journalFormat is the version of the journal's JSON format.
const journalFormat = 1

// Status is where a step of a release stands.
type Status string

// The statuses of a step in the journal.
const (
	StatusRunning     Status = "running"     // started and not finished: the process died, or is still running
	StatusDone        Status = "done"        // finished; a later run does not run it again
	StatusSkipped     Status = "skipped"     // not run, for Record.Reason; a later run decides again
	StatusFailed      Status = "failed"      // failed with Record.Error; a later run runs it again
	StatusInterrupted Status = "interrupted" // stopped by a signal (ctx cancelled); a later run runs it again
)

// Record is what the journal knows of one step.
type Record struct {
	Step     string    `json:"step"`
	Status   Status    `json:"status"`
	Reason   string    `json:"reason,omitempty"` // why it was skipped
	Error    string    `json:"error,omitempty"`  // why it failed or stopped
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Attempts int       `json:"attempts"` // how many runs started it
	DryRun   bool      `json:"dry_run,omitempty"`
}

// Journal is the record of one release in its dist directory
// (JournalFile): its plan, where each step stands, and the outputs of the
// steps, written after every step so that a run that stops, for any
// reason, can be resumed by the next.
type Journal struct {
	Format  int       `json:"format"`
	Plan    Plan      `json:"plan"`
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
	Runs    int       `json:"runs"`  // how many runs worked on it
	Steps   []Record  `json:"steps"` // in the order of the steps
	Outputs Outputs   `json:"outputs"`
}

// NewJournal returns the journal of a release of plan that has not started.
func NewJournal(plan Plan, now time.Time) *Journal {
	return &Journal{Format: journalFormat, Plan: plan, Started: now, Updated: now, Steps: []Record{}}
}

// ReadJournal reads the journal at path. It returns an ENOTFOUND error
// when there is none, and an EINVALID error when the file is not a journal
// this version of shipline reads.
func ReadJournal(path string) (*Journal, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- the journal of the dist directory the release uses (dist/release.json)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &shipline.Error{Code: shipline.ENOTFOUND, Message: "no release journal at " + path, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("read the release journal: %w", err)
	}
	var j Journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "%s is not a release journal: %v", path, err)
	}
	if j.Format != journalFormat {
		return nil, shipline.Errorf(shipline.EINVALID, "%s is a release journal of format %d; this shipline reads format %d", path, j.Format, journalFormat)
	}
	if j.Steps == nil {
		j.Steps = []Record{}
	}
	return &j, nil
}

// Write writes the journal to path atomically, creating its directory: to
// a temporary file in the same directory, synced, then renamed over path, and the directory synced,
// so that a reader (or a run after a crash) sees the previous journal or
// this one, never part of one. The file is readable by its owner only
// (journalMode): a step's error may quote what the step printed.
func (j *Journal) Write(path string) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	if err := mkdirDist(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write the release journal: %w", err)
	}
	if err := writeFileAtomic(path, append(data, '\n'), journalMode); err != nil {
		return fmt.Errorf("write the release journal: %w", err)
	}
	return nil
}

// Record returns the record of step, or nil when the journal has none.
func (j *Journal) Record(step string) *Record {
	for i := range j.Steps {
		if j.Steps[i].Step == step {
			return &j.Steps[i]
		}
	}
	return nil
}

// Done reports whether the journal records step as done.
func (j *Journal) Done(step string) bool {
	r := j.Record(step)
	return r != nil && r.Status == StatusDone
}

// record returns the record of step, appending a new one when there is
// none: the runner asks in step order, so records stay in that order.
func (j *Journal) record(step string) *Record {
	if r := j.Record(step); r != nil {
		return r
	}
	j.Steps = append(j.Steps, Record{Step: step})
	return &j.Steps[len(j.Steps)-1]
}

// Marks returns what the release recorded in the journal changed outside
// its dist directory, for a person: a tag created or pushed, a module or
// release published. A journal without marks can be set aside and its
// release started over at no cost.
func (j *Journal) Marks() []string {
	var marks []string
	if t := j.Outputs.Tag; t != nil {
		if t.Created {
			marks = append(marks, "created tag "+t.Name)
		}
		if t.Pushed {
			marks = append(marks, "pushed "+t.Name+" to "+t.Remote)
		}
	}
	if p := j.Outputs.Publish; p != nil {
		if p.Module != nil {
			marks = append(marks, fmt.Sprintf("published %s@%s to %s", p.Module.Module, p.Module.Version, p.Store))
		}
		if p.Release != nil {
			marks = append(marks, fmt.Sprintf("published the release files of %s@%s to %s", p.Release.Module, p.Release.Version, p.Store))
		}
	}
	return marks
}

// Finished reports whether the journal records every one of steps as done
// or skipped: the release it records is over.
func (j *Journal) Finished(steps []string) bool {
	for _, name := range steps {
		r := j.Record(name)
		if r == nil || (r.Status != StatusDone && r.Status != StatusSkipped) {
			return false
		}
	}
	return true
}

// summary describes where the journal's steps stand, such as "done:
// test, build; failed: publish".
func (j *Journal) summary() string {
	by := map[Status][]string{}
	for _, r := range j.Steps {
		by[r.Status] = append(by[r.Status], r.Step)
	}
	var parts []string
	for _, s := range []Status{StatusDone, StatusSkipped, StatusFailed, StatusInterrupted, StatusRunning} {
		if len(by[s]) > 0 {
			parts = append(parts, string(s)+": "+strings.Join(by[s], ", "))
		}
	}
	if len(parts) == 0 {
		return "no step started"
	}
	return strings.Join(parts, "; ")
}

// writeFileAtomic writes data to path with mode through a temporary file
// in the same directory, synced and renamed over path, then syncs the
// directory.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if serr := tmp.Sync(); err == nil {
		err = serr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, mode)
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	if d, err := os.Open(dir); err == nil { // #nosec G304 -- the directory of the file just written, opened to sync it
		d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
	return nil
}
