package gate

import (
	"context"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shipline-ci/shipline"
)

// Summary is the outcome of running gates over a module.
type Summary struct {
	Module   string        `json:"module"`  // module path
	Dir      string        `json:"dir"`     // absolute path of the module root
	Passed   bool          `json:"passed"`  // every gate passed
	Reports  []*Report     `json:"reports"` // one per gate, in the order given to Run
	Duration time.Duration `json:"duration_ns"`
}

// Failed returns the reports of the gates that did not pass.
func (s *Summary) Failed() []*Report {
	var out []*Report
	for _, r := range s.Reports {
		if !r.Passed {
			out = append(out, r)
		}
	}
	return out
}

// Report returns the report of the gate named name, or nil.
func (s *Summary) Report(name string) *Report {
	for _, r := range s.Reports {
		if r.Gate == name {
			return r
		}
	}
	return nil
}

// Only returns a summary of the one gate named name, for per-gate files.
func (s *Summary) Only(name string) *Summary {
	out := *s
	out.Reports = nil
	if r := s.Report(name); r != nil {
		out.Reports = []*Report{r}
		out.Passed = r.Passed
		out.Duration = r.Duration
	}
	return &out
}

// maxListed is how many blocking findings of a gate Err lists.
const maxListed = 10

// Err returns nil when every gate passed, and otherwise an ECONFLICT
// *shipline.Error naming every failed gate with its blocking findings (ID,
// package and where it is reached; the first ten of a gate, and how many
// more) or why it could not decide.
func (s *Summary) Err() error {
	failed := s.Failed()
	if len(failed) == 0 {
		return nil
	}
	var b strings.Builder
	names := make([]string, len(failed))
	for i, r := range failed {
		names[i] = r.Gate
	}
	fmt.Fprintf(&b, "blocked by %d gate(s): %s", len(failed), strings.Join(names, ", "))
	for _, r := range failed {
		if r.Error != "" {
			fmt.Fprintf(&b, "\n%s: could not decide: %s", r.Gate, r.Error)
			continue
		}
		blocking := r.Blocking()
		for i, f := range blocking {
			if i == maxListed {
				fmt.Fprintf(&b, "\n%s: ... and %d more blocking finding(s): see the gate's report", r.Gate, len(blocking)-maxListed)
				break
			}
			fmt.Fprintf(&b, "\n%s: %s", r.Gate, oneLine(&f))
		}
	}
	return &shipline.Error{Code: shipline.ECONFLICT, Message: b.String()}
}

// oneLine describes a finding in one line: its ID, package (or module),
// and where it is reached.
func oneLine(f *Finding) string {
	s := f.ID
	switch {
	case f.Package != "":
		s += " in " + f.Package
	case f.Module != "":
		s += " in " + f.Module
	}
	if f.Location != nil {
		s += " at " + f.Location.String()
	}
	if len(f.Trace) > 0 {
		s += " via " + strings.Join(f.Trace, " -> ")
	}
	return s
}

// namePattern is the form of a gate's name.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// Run runs gates over module m and returns what each found, in the order
// of gates. Gates run concurrently, except those that implement Exclusive,
// which run one at a time after the others.
//
// A gate that returns an error, or panics, has not passed: its report
// carries the error and the summary is blocked. Run itself returns an
// error only for bad input (no module, no gates, a gate with a bad or
// duplicate name) and when ctx is done before every gate finished: then
// the summary holds the reports of the gates that did finish, and the
// error, an EINVALID *shipline.Error wrapping ctx.Err(), says the run was
// interrupted.
func Run(ctx context.Context, m *Module, gates []Gate) (*Summary, error) {
	if m == nil || m.Dir == "" {
		return nil, shipline.Errorf(shipline.EINVALID, "gate: no module to check")
	}
	if len(gates) == 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "gate: no gates to run")
	}
	seen := map[string]bool{}
	for _, g := range gates {
		name := g.Name()
		if !namePattern.MatchString(name) {
			return nil, shipline.Errorf(shipline.EINVALID, "gate: bad gate name %q: use lowercase letters, digits and '-'", name)
		}
		if seen[name] {
			return nil, shipline.Errorf(shipline.EINVALID, "gate: gate %s is listed twice", name)
		}
		seen[name] = true
	}

	start := time.Now()
	reports := make([]*Report, len(gates))
	var together, alone []int
	for i, g := range gates {
		if x, ok := g.(Exclusive); ok && x.Exclusive() {
			alone = append(alone, i)
		} else {
			together = append(together, i)
		}
	}
	var wg sync.WaitGroup
	for _, i := range together {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i] = runOne(ctx, m, gates[i])
		}()
	}
	wg.Wait()
	for _, i := range alone {
		if ctx.Err() != nil {
			break
		}
		reports[i] = runOne(ctx, m, gates[i])
	}

	s := &Summary{Module: m.Path, Dir: m.Dir, Passed: true, Duration: time.Since(start)}
	for _, r := range reports {
		if r == nil {
			continue // not started: interrupted
		}
		s.Reports = append(s.Reports, r)
		s.Passed = s.Passed && r.Passed
	}
	if err := ctx.Err(); err != nil {
		s.Passed = false
		var done []string
		for _, r := range s.Reports {
			done = append(done, r.Gate)
		}
		sort.Strings(done)
		msg := "gate run interrupted"
		if len(done) > 0 {
			msg += " (finished: " + strings.Join(done, ", ") + ")"
		}
		return s, &shipline.Error{Code: shipline.EINVALID, Message: msg + ": " + err.Error(), Err: err}
	}
	return s, nil
}

// runOne runs one gate, turning an error or a panic into a failed report,
// and fills in what the gate may leave out: its name, its duration and
// whether it passed.
func runOne(ctx context.Context, m *Module, g Gate) (rep *Report) {
	start := time.Now()
	name := g.Name()
	defer func() {
		if p := recover(); p != nil {
			rep = &Report{Gate: name, Error: fmt.Sprintf("internal error: %v\n%s", p, debug.Stack())}
		}
		rep.Duration = time.Since(start)
		if rep.Findings == nil {
			rep.Findings = []Finding{}
		}
	}()
	if err := ctx.Err(); err != nil {
		return &Report{Gate: name, Error: "not run: " + err.Error()}
	}
	rep, err := g.Run(ctx, m)
	if rep == nil {
		rep = &Report{}
	}
	rep.Gate = name
	for i := range rep.Findings {
		if rep.Findings[i].Gate == "" {
			rep.Findings[i].Gate = name
		}
	}
	switch {
	case err != nil && ctx.Err() != nil:
		rep.Error = "interrupted: " + ctx.Err().Error()
	case err != nil:
		rep.Error = err.Error()
	}
	rep.Passed = rep.Error == "" && len(rep.Blocking()) == 0
	return rep
}
