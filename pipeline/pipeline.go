// Package pipeline decides what the pipelines of .shipline.yaml do for an
// event: which pipelines it triggers (their when conditions), the jobs each
// expands to (its matrix), and for each job the steps to run, in an order
// that respects stages and depends-on, with their command lines,
// environment, limits and run-time status conditions, and the steps the
// event skips and why.
//
// It decides and runs nothing: the engine (package runner) runs the jobs a
// Plan lists. The format itself, its parsing and its checks with positions
// are package config's (config.Pipeline); Evaluate expects a config that
// config.Parse accepted, and returns an EINVALID error where a config built
// in code breaks a rule Parse enforces.
package pipeline

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

// Plan is what one pipeline does for an event.
type Plan struct {
	Pipeline string
	// Skip says why the event does not trigger the pipeline, such as
	// "when.event: tag is not push"; "" when it does.
	Skip string
	Jobs []Job // the jobs to run, in matrix order; nil when skipped
}

// Job is one run of a pipeline: with one combination of its matrix values,
// or the only one when it has no matrix. Jobs of a plan may run at once.
type Job struct {
	Pipeline string
	// Name is the pipeline's name, followed for a matrix job by its
	// values: "ci (arch=amd64, go=1.26)".
	Name   string
	Index  int               // position among the jobs of the plan, from 0
	Matrix map[string]string // matrix values by axis name; nil without a matrix
	// Go is the pipeline's go: version for this job ("" when not set): a
	// release such as 1.26.8, or a language version such as 1.26, meaning
	// its newest release. Toolchain is the GOTOOLCHAIN value of a release
	// (go1.26.8), also in Env; it is "" for a language version, which the
	// engine resolves to the newest release (go1.26.N) and sets itself.
	Go        string
	Toolchain string
	// Env is the job's environment: the pipeline's env, MATRIX_NAME for
	// each matrix value (NAME in upper case) and GOTOOLCHAIN.
	Env    map[string]string
	Labels map[string]string // labels an agent must have to run the job
	// Steps are the steps to run, each after its DependsOn, listed in an
	// order that respects them (stage order, then file order).
	Steps []PlannedStep
	// Skipped are the steps the event skips, by their when conditions.
	Skipped []SkippedStep
}

// PlannedStep is one step of a job, ready to run.
type PlannedStep struct {
	Name  string // unique in the job
	Stage string
	Kind  string // "run", or the built-in command: "test", "build", ...
	// Argv is the command line of a built-in step, starting with
	// "shipline" (see Command); Script the shell commands of a run step,
	// each to run with sh -c, in order, stopping at the first failure.
	Argv   []string
	Script []string
	// Env is the step's whole environment beyond the engine's own: the
	// job's Env with the step's env over it.
	Env map[string]string
	// Secrets are the names of the secrets the step may read, to give it
	// as environment variables of the same names.
	Secrets []string
	Timeout time.Duration // 0: no limit of the step's own
	Retry   int           // runs after a failed one, at most
	// DependsOn are the steps of the job that must have finished (in any
	// way) before this one starts: its depends-on and the steps before it
	// by stage order, with skipped steps replaced by what they waited for.
	DependsOn []string
	// Status lists when the step runs, given whether a step it waits for,
	// directly or not, failed: "success" (none failed), "failure" (one
	// did), or both. See ShouldRun.
	Status    []string
	Artifacts []string // globs of the files the job keeps, relative to the repository root
}

// SkippedStep is a step the event skips.
type SkippedStep struct {
	Name   string
	Stage  string
	Reason string // such as "when.branch: dev matches none of main"
}

// ShouldRun reports whether the step runs once the steps it waits for
// have finished, given whether any of them failed (Job.Upstream lists them
// all): with status success (the default) only when none did, with failure
// only when one did, with both (or always) either way. A step that does not
// run counts as neither failed nor succeeded for the steps after it.
func (s PlannedStep) ShouldRun(failedSoFar bool) bool {
	if failedSoFar {
		return slices.Contains(s.Status, "failure")
	}
	return slices.Contains(s.Status, "success")
}

// Upstream returns the names of every step that the named step waits for,
// directly or through others, in the order of j.Steps.
func (j Job) Upstream(name string) []string {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		for _, s := range j.Steps {
			if s.Name == n {
				for _, d := range s.DependsOn {
					if !seen[d] {
						seen[d] = true
						visit(d)
					}
				}
			}
		}
	}
	visit(name)
	var out []string
	for _, s := range j.Steps {
		if seen[s.Name] {
			out = append(out, s.Name)
		}
	}
	return out
}

// Triggered returns the plans of the pipelines that ev triggers, by
// pipeline name. See Evaluate for the errors.
func Triggered(cfg *config.Config, ev Event) ([]Plan, error) {
	plans, err := Evaluate(cfg, ev)
	return slices.DeleteFunc(plans, func(p Plan) bool { return p.Skip != "" }), err
}

// Evaluate returns the plan of every pipeline of cfg for ev, by pipeline
// name; those that ev does not trigger have Skip set and no jobs. It is an
// EINVALID error when ev is not valid (Event.Validate), or when the
// pipelines break a rule config.Parse enforces: then err says which
// pipeline and rule, and no plans are returned.
func Evaluate(cfg *config.Config, ev Event) ([]Plan, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, nil
	}
	var plans []Plan
	for _, name := range slices.Sorted(maps.Keys(cfg.Pipelines)) {
		plan, err := evaluate(name, cfg.Pipelines[name], ev)
		if err != nil {
			return nil, shipline.Errorf(shipline.EINVALID, "pipeline %s: %v", name, err)
		}
		plans = append(plans, plan)
	}
	return plans, nil
}

func evaluate(name string, p config.Pipeline, ev Event) (Plan, error) {
	plan := Plan{Pipeline: name}
	skip, err := check(p.When, ev, "when")
	if err != nil || skip != "" {
		plan.Skip = skip
		return plan, err
	}
	if err := checkSteps(p); err != nil {
		return plan, err
	}
	combos, err := p.Matrix.Combinations()
	if err != nil {
		return plan, fmt.Errorf("matrix: %w", err)
	}
	if combos == nil {
		combos = []map[string]string{nil}
	}
	for i, vars := range combos {
		job, err := planJob(name, p, i, vars, ev)
		if err != nil {
			return plan, err
		}
		plan.Jobs = append(plan.Jobs, job)
	}
	return plan, nil
}

// checkSteps checks what a planned job relies on: unique step names,
// depends-on naming steps, and no cycle.
func checkSteps(p config.Pipeline) error {
	ids := p.StepIDs()
	for i, id := range ids {
		if id == "" {
			return fmt.Errorf("step %d has no kind", i+1)
		}
		if slices.Index(ids, id) < i {
			return fmt.Errorf("two steps are named %s", id)
		}
	}
	deps := p.Dependencies()
	for _, id := range ids {
		for _, d := range deps[id] {
			if !slices.Contains(ids, d) {
				return fmt.Errorf("step %s: depends-on: no step named %s", id, d)
			}
		}
	}
	if c := config.Cycle(deps, ids); c != nil {
		return fmt.Errorf("depends-on makes a cycle: %s", strings.Join(c, " -> "))
	}
	return nil
}

// planJob plans the job of pipeline p with matrix values vars (nil without
// a matrix), the index-th of its plan.
func planJob(name string, p config.Pipeline, index int, vars map[string]string, ev Event) (Job, error) {
	job := Job{Pipeline: name, Name: name, Index: index, Matrix: vars, Env: map[string]string{}}
	if vars != nil {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			parts = append(parts, k+"="+vars[k])
		}
		job.Name += " (" + strings.Join(parts, ", ") + ")"
	}
	var err error
	sub := func(s string) string {
		if err == nil {
			s, err = config.Substitute(s, vars)
		}
		return s
	}
	for k, v := range p.Env {
		job.Env[k] = sub(v)
	}
	for k, v := range vars {
		job.Env["MATRIX_"+strings.ToUpper(k)] = v
	}
	if p.Labels != nil {
		job.Labels = map[string]string{}
		for k, v := range p.Labels {
			job.Labels[k] = sub(v)
		}
	}
	if job.Go = sub(p.Go); job.Go != "" && err == nil {
		tc, exact, terr := config.Toolchain(job.Go)
		if err = terr; exact {
			job.Toolchain = tc
			job.Env["GOTOOLCHAIN"] = tc
		}
	}
	if err != nil {
		return job, fmt.Errorf("job %s: %w", job.Name, err)
	}

	deps := p.Dependencies()
	kept := map[string]bool{}
	var steps []PlannedStep
	for _, st := range p.Stages {
		for _, s := range st.Steps {
			reason, err := check(s.When, ev, "when")
			if err != nil {
				return job, fmt.Errorf("step %s: %w", s.ID(), err)
			}
			if reason != "" {
				job.Skipped = append(job.Skipped, SkippedStep{Name: s.ID(), Stage: st.Name, Reason: reason})
				continue
			}
			ps, err := planStep(s, st.Name, vars, job.Env)
			if err != nil {
				return job, fmt.Errorf("job %s: step %s: %w", job.Name, s.ID(), err)
			}
			kept[ps.Name] = true
			steps = append(steps, ps)
		}
	}
	// A skipped step passes its own waits on to those that waited for it.
	var resolve func(id string) []string
	resolve = func(id string) []string {
		var out []string
		for _, d := range deps[id] {
			if kept[d] {
				out = append(out, d)
			} else {
				out = append(out, resolve(d)...)
			}
		}
		return out
	}
	for i := range steps {
		var ds []string
		for _, d := range resolve(steps[i].Name) {
			if !slices.Contains(ds, d) {
				ds = append(ds, d)
			}
		}
		steps[i].DependsOn = ds
	}
	job.Steps = order(steps)
	return job, nil
}

// planStep plans step s of stage, with matrix values vars and the job's
// environment env.
func planStep(s config.Step, stage string, vars, env map[string]string) (PlannedStep, error) {
	s, err := s.WithMatrix(vars)
	if err != nil {
		return PlannedStep{}, err
	}
	ps := PlannedStep{
		Name:      s.ID(),
		Stage:     stage,
		Kind:      s.Kind(),
		Env:       maps.Clone(env),
		Secrets:   slices.Clone(s.Secrets),
		Timeout:   s.Timeout,
		Retry:     s.Retry,
		Artifacts: slices.Clone(s.Artifacts),
		Status:    status(s.When.Status),
	}
	maps.Copy(ps.Env, s.Env)
	if ps.Kind == "run" {
		ps.Script = slices.Clone(s.Run)
	} else if ps.Argv, err = Command(s); err != nil {
		return PlannedStep{}, err
	}
	return ps, nil
}

// status returns the status conditions of a step in a fixed form:
// "success", "failure" or both, in that order.
func status(list []string) []string {
	if len(list) == 0 {
		return []string{"success"}
	}
	var out []string
	for _, s := range []string{"success", "failure"} {
		if slices.Contains(list, s) || slices.Contains(list, "always") {
			out = append(out, s)
		}
	}
	return out
}

// order sorts steps so that each comes after the steps it waits for,
// keeping the given order where it may (Kahn's algorithm, taking the first
// ready step each time).
func order(steps []PlannedStep) []PlannedStep {
	done := map[string]bool{}
	out := make([]PlannedStep, 0, len(steps))
	left := slices.Clone(steps)
	for len(left) > 0 {
		i := slices.IndexFunc(left, func(s PlannedStep) bool {
			return !slices.ContainsFunc(s.DependsOn, func(d string) bool { return !done[d] })
		})
		if i < 0 {
			// Not reached: checkSteps found no cycle.
			return append(out, left...)
		}
		done[left[i].Name] = true
		out = append(out, left[i])
		left = slices.Delete(left, i, i+1)
	}
	return out
}
