package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/pipeline"
)

func (m *Main) pipelineCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pipeline",
		Short: "Check the pipelines of .shipline.yaml and see what an event would run",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return shipline.Errorf(shipline.EUSAGE, "pipeline needs a subcommand: lint")
		},
	}
	cmd.AddCommand(m.pipelineLintCommand())
	return cmd
}

// pipelineLintFlags are the flags of 'shipline pipeline lint'.
type pipelineLintFlags struct {
	event   string
	ref     string
	changed []string
	// changedSet says that --changed was given, if empty: no file changed
	// rather than unknown.
	changedSet bool
}

func (m *Main) pipelineLintCommand() *cobra.Command {
	var f pipelineLintFlags
	cmd := &cobra.Command{
		Use:   "lint [--event EVENT --ref REF [--changed FILE,...]]",
		Short: "Check the pipelines and show which pipelines, jobs and steps an event runs",
		Long: `Check .shipline.yaml, its pipelines included, and report every problem with
its position (FILE:LINE:COL).

Given an event (--event push, tag, manual or cron, and --ref), show what it
would run: the pipelines it triggers, their jobs (one per matrix
combination) with their Go toolchain, and each job's steps in order with
their command lines; and the pipelines and steps it skips, with the when
condition that does not hold. Nothing runs.

--ref takes a full ref (refs/heads/main, refs/tags/v1.2.0) or a short one:
a tag name for a tag event, else a branch name. --changed lists the files
the event changed, for when.paths; without it the changed files are unknown
and path conditions hold.

Exit status: 0 when the config is valid (whatever the event triggers), 1
when it has problems, 2 for a usage error.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.changedSet = cmd.Flags().Changed("changed")
			return m.runPipelineLint(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.event, "event", "", "evaluate the when conditions for an event of `KIND`: "+strings.Join(pipeline.Kinds, ", "))
	fl.StringVar(&f.ref, "ref", "", "the event's `REF`, such as refs/heads/main, main, refs/tags/v1.2.0 or v1.2.0")
	fl.StringSliceVar(&f.changed, "changed", nil, "the files the event changed, comma-separated `FILES` relative to the repository root")
	m.jsonFlag(cmd)
	return cmd
}

// toEvent turns the flags into the event to evaluate; nil when there is
// none. Errors are usage errors.
func (f pipelineLintFlags) toEvent() (*pipeline.Event, error) {
	switch {
	case f.event == "" && (f.ref != "" || f.changedSet):
		return nil, shipline.Errorf(shipline.EUSAGE, "--ref and --changed describe an event: give --event too")
	case f.event == "":
		return nil, nil
	case !slices.Contains(pipeline.Kinds, f.event):
		return nil, shipline.Errorf(shipline.EUSAGE, "--event %q: want one of %s", f.event, strings.Join(pipeline.Kinds, ", "))
	case f.ref == "":
		return nil, shipline.Errorf(shipline.EUSAGE, "--event needs --ref, such as --ref main or --ref v1.2.0")
	}
	ev := &pipeline.Event{Kind: f.event, Ref: f.ref}
	if !strings.HasPrefix(ev.Ref, "refs/") {
		if ev.Kind == pipeline.Tag {
			ev.Ref = "refs/tags/" + ev.Ref
		} else {
			ev.Ref = "refs/heads/" + ev.Ref
		}
	}
	if f.changedSet {
		ev.ChangedFiles = []string{}
		for _, c := range f.changed {
			if c = strings.TrimSpace(c); c != "" {
				ev.ChangedFiles = append(ev.ChangedFiles, c)
			}
		}
	}
	if err := ev.Validate(); err != nil {
		return nil, &shipline.Error{Code: shipline.EUSAGE, Message: err.Error(), Err: err}
	}
	return ev, nil
}

// pipelineLintReport is what 'shipline pipeline lint --json' writes.
type pipelineLintReport struct {
	File      string            `json:"file"` // "" when there is no config file
	Valid     bool              `json:"valid"`
	Problems  []config.Problem  `json:"problems"`
	Pipelines []pipelineSummary `json:"pipelines,omitempty"` // without an event
	Event     *pipelineEvent    `json:"event,omitempty"`
	Plans     []pipelinePlan    `json:"plans,omitempty"` // with an event
}

type pipelineSummary struct {
	Name   string `json:"name"`
	Jobs   int    `json:"jobs"`
	Stages int    `json:"stages"`
	Steps  int    `json:"steps"`
}

type pipelineEvent struct {
	Kind         string   `json:"kind"`
	Ref          string   `json:"ref"`
	Branch       string   `json:"branch,omitempty"`
	Tag          string   `json:"tag,omitempty"`
	ChangedFiles []string `json:"changed_files"` // null: unknown
}

type pipelinePlan struct {
	Pipeline  string        `json:"pipeline"`
	Triggered bool          `json:"triggered"`
	Skip      string        `json:"skip,omitempty"`
	Jobs      []pipelineJob `json:"jobs,omitempty"`
}

type pipelineJob struct {
	Name      string            `json:"name"`
	Matrix    map[string]string `json:"matrix,omitempty"`
	Go        string            `json:"go,omitempty"`
	Toolchain string            `json:"toolchain,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	Steps     []pipelineStep    `json:"steps"`
	Skipped   []pipelineSkipped `json:"skipped,omitempty"`
}

type pipelineStep struct {
	Name      string            `json:"name"`
	Stage     string            `json:"stage"`
	Kind      string            `json:"kind"`
	Argv      []string          `json:"argv,omitempty"`
	Script    []string          `json:"script,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	Secrets   []string          `json:"secrets,omitempty"`
	Timeout   string            `json:"timeout,omitempty"`
	Retry     int               `json:"retry,omitempty"`
	DependsOn []string          `json:"depends_on"`
	Status    []string          `json:"status"`
	Artifacts []string          `json:"artifacts,omitempty"`
}

type pipelineSkipped struct {
	Name   string `json:"name"`
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
}

func (m *Main) runPipelineLint(ctx context.Context, f pipelineLintFlags) error {
	ev, err := f.toEvent()
	if err != nil {
		return err
	}
	ws, err := m.open(ctx)
	probs := config.Problems(err)
	if err != nil && probs == nil {
		return err
	}
	rep := pipelineLintReport{Valid: err == nil, Problems: probs}
	switch {
	case ws != nil:
		rep.File = ws.cfgPath
	case len(probs) > 0:
		rep.File = probs[0].File
	}
	if err != nil {
		if m.json {
			if werr := writeJSON(m.Stdout, rep); werr != nil {
				return werr
			}
		}
		return m.reported(err)
	}
	if rep.Problems == nil {
		rep.Problems = []config.Problem{}
	}
	cfg := ws.cfg
	if ev == nil {
		for _, name := range slices.Sorted(maps.Keys(cfg.Pipelines)) {
			rep.Pipelines = append(rep.Pipelines, summarizePipeline(name, cfg.Pipelines[name]))
		}
	} else {
		plans, err := pipeline.Evaluate(cfg, *ev)
		if err != nil {
			return err
		}
		rep.Event = &pipelineEvent{Kind: ev.Kind, Ref: ev.Ref, Branch: ev.Branch(), Tag: ev.TagName(), ChangedFiles: ev.ChangedFiles}
		for _, p := range plans {
			rep.Plans = append(rep.Plans, pipelinePlanReport(p))
		}
	}
	if m.json {
		return writeJSON(m.Stdout, rep)
	}
	writePipelineLint(m.Stdout, rep)
	return nil
}

// summarizePipeline describes a pipeline without an event.
func summarizePipeline(name string, p config.Pipeline) pipelineSummary {
	s := pipelineSummary{Name: name, Jobs: 1, Stages: len(p.Stages), Steps: len(p.StepIDs())}
	if combos, err := p.Matrix.Combinations(); err == nil && combos != nil {
		s.Jobs = len(combos)
	}
	return s
}

func pipelinePlanReport(p pipeline.Plan) pipelinePlan {
	lp := pipelinePlan{Pipeline: p.Pipeline, Triggered: p.Skip == "", Skip: p.Skip}
	for _, j := range p.Jobs {
		lj := pipelineJob{Name: j.Name, Matrix: j.Matrix, Go: j.Go, Toolchain: j.Toolchain, Env: j.Env, Labels: j.Labels, Steps: []pipelineStep{}}
		for _, s := range j.Steps {
			ls := pipelineStep{Name: s.Name, Stage: s.Stage, Kind: s.Kind, Argv: s.Argv, Script: s.Script, Env: s.Env,
				Secrets: s.Secrets, Retry: s.Retry, DependsOn: s.DependsOn, Status: s.Status, Artifacts: s.Artifacts}
			if ls.DependsOn == nil {
				ls.DependsOn = []string{}
			}
			if s.Timeout > 0 {
				ls.Timeout = s.Timeout.String()
			}
			lj.Steps = append(lj.Steps, ls)
		}
		for _, s := range j.Skipped {
			lj.Skipped = append(lj.Skipped, pipelineSkipped(s))
		}
		lp.Jobs = append(lp.Jobs, lj)
	}
	return lp
}

// writePipelineLint writes the report of a valid config for a person.
func writePipelineLint(w io.Writer, rep pipelineLintReport) {
	file := rep.File
	if file == "" {
		file = "no " + config.FileName
	}
	n := len(rep.Pipelines) + len(rep.Plans)
	fmt.Fprintf(w, "%s: valid, %s\n", file, countOf(n, "pipeline"))
	for _, p := range rep.Pipelines {
		fmt.Fprintf(w, "pipeline %s: %s, %s, %s\n", p.Name, countOf(p.Jobs, "job"), countOf(p.Stages, "stage"), countOf(p.Steps, "step"))
	}
	if rep.Event == nil {
		return
	}
	ev := rep.Event
	changed := "changed files unknown"
	if ev.ChangedFiles != nil {
		changed = "changed: " + strings.Join(ev.ChangedFiles, ", ")
		if len(ev.ChangedFiles) == 0 {
			changed = "no file changed"
		}
	}
	fmt.Fprintf(w, "event %s on %s (%s)\n", ev.Kind, ev.Ref, changed)
	for _, p := range rep.Plans {
		if !p.Triggered {
			fmt.Fprintf(w, "pipeline %s: skipped: %s\n", p.Pipeline, p.Skip)
			continue
		}
		fmt.Fprintf(w, "pipeline %s: %s\n", p.Pipeline, countOf(len(p.Jobs), "job"))
		for _, j := range p.Jobs {
			var about []string
			switch {
			case j.Toolchain != "":
				about = append(about, "GOTOOLCHAIN="+j.Toolchain)
			case j.Go != "":
				about = append(about, fmt.Sprintf("go %s (its newest release)", j.Go))
			}
			if len(j.Labels) > 0 {
				var ls []string
				for _, k := range slices.Sorted(maps.Keys(j.Labels)) {
					ls = append(ls, k+"="+j.Labels[k])
				}
				about = append(about, "labels "+strings.Join(ls, " "))
			}
			fmt.Fprintf(w, "  job %s", j.Name)
			if len(about) > 0 {
				fmt.Fprintf(w, ": %s", strings.Join(about, "; "))
			}
			fmt.Fprintln(w)
			for _, s := range j.Steps {
				what := strings.Join(s.Argv, " ")
				if s.Kind == "run" {
					what = "run: " + strings.Join(s.Script, "; ")
				}
				fmt.Fprintf(w, "    step %s [%s]: %s", s.Name, s.Stage, what)
				if len(s.DependsOn) > 0 {
					fmt.Fprintf(w, "; after %s", strings.Join(s.DependsOn, ", "))
				}
				switch {
				case len(s.Status) == 2:
					fmt.Fprint(w, "; runs whatever happened before")
				case s.Status[0] == "failure":
					fmt.Fprint(w, "; runs only after a failure")
				}
				fmt.Fprintln(w)
			}
			for _, s := range j.Skipped {
				fmt.Fprintf(w, "    skip %s [%s]: %s\n", s.Name, s.Stage, s.Reason)
			}
		}
	}
}

// countOf returns "1 job" or "N jobs".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
