package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/pipeline"
	"github.com/shipline-ci/shipline/runner"
	"github.com/shipline-ci/shipline/runner/logs"
	"github.com/shipline-ci/shipline/versioning"
)

func (m *Main) runCommand() *cobra.Command {
	var f pipelineLintFlags
	var parallelism int
	cmd := &cobra.Command{
		Use:   "run [PIPELINE]",
		Short: "Run pipelines of .shipline.yaml here, with the engine agents use",
		Long: `Run the pipelines an event triggers (all of them, or only PIPELINE) in this
work tree, with the same engine remote agents use: each step in its own
process group with a clean environment (its declared env, its secrets and
SHIPLINE_* variables), secrets masked in the log, timeouts and retries.

The event defaults to manual on the current branch; --event, --ref and
--changed describe another, as for 'shipline pipeline lint'. Secrets are
read from the environment as SHIPLINE_SECRET_<NAME>.

A summary table (step, status, duration) follows each job. The exit status
is 1 when a step that had to succeed failed.`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.changedSet = cmd.Flags().Changed("changed")
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return m.runPipelines(cmd.Context(), f, name, parallelism)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.event, "event", "", "run for an event of `KIND`: "+strings.Join(pipeline.Kinds, ", ")+" (default manual)")
	fl.StringVar(&f.ref, "ref", "", "the event's `REF` (default: the current branch)")
	fl.StringSliceVar(&f.changed, "changed", nil, "the files the event changed, comma-separated `FILES`")
	fl.IntVar(&parallelism, "parallelism", 0, "run at most `N` steps of a job at once (default: number of CPUs)")
	return cmd
}

func (m *Main) runPipelines(ctx context.Context, f pipelineLintFlags, name string, parallelism int) error {
	ws, err := m.open(ctx)
	if err != nil {
		return err
	}
	if len(ws.cfg.Pipelines) == 0 {
		return shipline.Errorf(shipline.EINVALID, "no pipelines in %s: add a pipelines: section (see 'shipline config schema')", orDefaults(ws.cfgPath))
	}
	if name != "" {
		if _, ok := ws.cfg.Pipelines[name]; !ok {
			return shipline.Errorf(shipline.EUSAGE, "no pipeline %q; pipelines: %s", name, strings.Join(sortedKeys(ws.cfg.Pipelines), ", "))
		}
	}
	if f.event == "" {
		f.event = pipeline.Manual
	}
	if f.ref == "" {
		ref, err := ws.repo.CurrentRef(ctx)
		if err != nil {
			return err
		}
		if ref == "" {
			return shipline.Errorf(shipline.EUSAGE, "HEAD is detached: give the event's ref with --ref")
		}
		f.ref = ref
	}
	ev, err := f.toEvent()
	if err != nil {
		return err
	}
	plans, err := pipeline.Evaluate(ws.cfg, *ev)
	if err != nil {
		return err
	}
	r := &runner.Runner{
		Secrets:        runner.EnvSecrets{},
		Logs:           logs.NewPrinter(m.Stderr),
		Parallelism:    parallelism,
		ShiplineBinary: selfPath(),
	}
	opts := runner.RunOptions{Commit: ws.repo.Head(), Ref: ev.Ref}
	if res, err := m.quietNext(ctx, ws); err == nil {
		opts.Version = res
	}
	caches := goCaches(ctx)
	// Steps find this shipline and this go first on their PATH, so a run:
	// command that calls shipline runs the same program as a built-in step.
	path := []string{}
	if r.ShiplineBinary != "" {
		path = append(path, filepath.Dir(r.ShiplineBinary))
	}
	if g, err := exec.LookPath("go"); err == nil {
		path = append(path, filepath.Dir(g))
	}
	caches["PATH"] = strings.Join(append(path, runner.DefaultPath), string(filepath.ListSeparator))
	ran, failed := 0, 0
	for _, p := range plans {
		if name != "" && p.Pipeline != name {
			continue
		}
		if p.Skip != "" {
			fmt.Fprintf(m.Stdout, "%s: skipped (%s)\n", p.Pipeline, p.Skip)
			continue
		}
		for _, j := range p.Jobs {
			job, err := runnerJob(ctx, ws.repo.Dir, j, caches)
			if err != nil {
				return err
			}
			ran++
			res, err := r.Run(ctx, job, opts)
			if res != nil {
				fmt.Fprintf(m.Stdout, "\n%s\n", j.Name)
				if werr := res.WriteSummary(m.Stdout); werr != nil {
					return werr
				}
				if res.Failed() {
					failed++
				}
			}
			if err != nil {
				return err
			}
		}
	}
	if ran == 0 {
		fmt.Fprintf(m.Stderr, "the %s event on %s triggers no pipeline\n", ev.Kind, ev.Ref)
		return nil
	}
	if failed > 0 {
		return shipline.Errorf(shipline.EINVALID, "%d of %d job(s) failed", failed, ran)
	}
	return nil
}

// runnerJob turns a planned job into the engine's job.
//
// base (GOCACHE and GOMODCACHE, so steps share this machine's Go caches
// instead of rebuilding everything in their clean home directory, and
// PATH) is given to every job that does not set its own.
func runnerJob(ctx context.Context, dir string, j pipeline.Job, base map[string]string) (runner.Job, error) {
	env := maps.Clone(j.Env)
	if env == nil {
		env = map[string]string{}
	}
	for k, v := range base {
		if _, set := env[k]; !set && v != "" {
			env[k] = v
		}
	}
	if j.Go != "" && j.Toolchain == "" {
		tc, err := localToolchain(ctx, j.Go)
		if err != nil {
			return runner.Job{}, err
		}
		env["GOTOOLCHAIN"] = tc
	}
	job := runner.Job{Name: j.Name, Dir: dir, Env: env}
	for _, s := range j.Steps {
		job.Steps = append(job.Steps, runner.Step{
			Name:      s.Name,
			Script:    s.Script,
			Argv:      s.Argv,
			Env:       s.Env,
			Secrets:   s.Secrets,
			Timeout:   s.Timeout,
			Retry:     s.Retry,
			DependsOn: s.DependsOn,
			Status:    s.Status,
		})
	}
	return job, nil
}

// goCaches returns the go command's build and module cache directories,
// or an empty map when there is no go command.
func goCaches(ctx context.Context) map[string]string {
	caches, err := goEnv(ctx, "", "GOCACHE", "GOMODCACHE")
	if err != nil {
		return map[string]string{}
	}
	return caches
}

// localToolchain resolves a language version such as 1.26 to the Go on
// this machine when it is a release of that version; the module proxy
// serves exact releases only, so any other needs an exact pin.
func localToolchain(ctx context.Context, lang string) (string, error) {
	env, err := goEnv(ctx, "", "GOVERSION")
	if err != nil {
		return "", shipline.Errorf(shipline.EINVALID, "go: %s needs the go command: install Go or pin an exact release such as %s.0", lang, lang)
	}
	have := env["GOVERSION"]
	if strings.HasPrefix(have, "go"+lang+".") || have == "go"+lang {
		return "local", nil
	}
	return "", shipline.Errorf(shipline.EINVALID, "go: %s asks for the newest Go %s.x, and this machine has %s: pin an exact release (go: %s.N), which GOTOOLCHAIN fetches from the module proxy", lang, lang, have, lang)
}

// quietNext returns the next version, for SHIPLINE_VERSION.
func (m *Main) quietNext(ctx context.Context, ws *workspace) (string, error) {
	res, err := versioning.Next(ctx, ws.repo, ws.versionOptions("", ""))
	if err != nil {
		return "", err
	}
	return res.Next, nil
}

func orDefaults(path string) string {
	if path == "" {
		return "the repository (no .shipline.yaml)"
	}
	return path
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// selfPath is the program to run for built-in steps: this one, by the
// name it was started with (so a multi-call binary keeps its name), made
// absolute since steps run in other directories; "" leaves the choice to
// the runner (os.Executable).
func selfPath() string {
	name := os.Args[0]
	if !strings.Contains(name, string(filepath.Separator)) {
		p, err := exec.LookPath(name)
		if err != nil {
			return ""
		}
		name = p
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return ""
	}
	return abs
}
