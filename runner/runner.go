// Package runner is Shipline's step engine: it runs the steps of one job as
// local processes, in dependency order and in parallel, and reports what
// happened as a Result and a stream of log lines.
//
// # Workspace
//
// Steps run in Job.Dir, the workspace, or in a directory below it
// (Step.Dir). The runner neither copies nor checks out the source: whether
// the workspace is the developer's tree (shipline run), a fresh export or a
// git worktree is the caller's choice, made with package gitrepo, the only
// package that runs git. Per job, the runner makes a temporary directory
// holding the steps' HOME and removes it when the job ends.
//
// # Environment
//
// A step's environment is built from nothing; nothing of the runner's own
// environment leaks in. It holds exactly: PATH (Runner.GoBin, if any,
// followed by DefaultPath), HOME (the job's temporary home), the job's Env
// overlaid by the step's Env (either may override PATH and HOME), each secret
// the step names under its own name, GOTOOLCHAIN=go<Job.Go> when the job pins
// a Go toolchain, and SHIPLINE_VERSION, SHIPLINE_COMMIT, SHIPLINE_REF,
// SHIPLINE_BUILD_NUMBER (from RunOptions), SHIPLINE_JOB and SHIPLINE_STEP.
// A fresh HOME means Go's module and build caches start empty; set GOMODCACHE
// and GOCACHE in Job.Env to share them between runs.
//
// # Processes
//
// Each attempt of a step is one process: /bin/sh -e -c with the step's
// Script lines joined by newlines (so they share one shell: a cd or a
// variable carries over, and a failing command ends the step as set -e
// does), or Step.Argv run directly. Its standard input is /dev/null. The
// process leads a process group of its own, which is how the runner finds
// everything the step started:
//
//   - On a timeout or cancellation the group is sent SIGTERM and, if the
//     step's process has not exited after Runner.KillGrace, SIGKILL. A
//     process that survives SIGKILL for another KillGrace or 10 s, whichever
//     is longer (stuck in the kernel), is abandoned rather than waited for.
//   - When the step's process has exited, by itself or not, anything still
//     alive in its group (a daemon started with "&", say) is sent SIGTERM,
//     and SIGKILL as soon as KillGrace has passed without the group
//     emptying. Zombies do not count as alive: in a container, pid 1 may
//     never reap orphans.
//   - The runner then waits at most KillGrace more for end of file on the
//     output pipes, and closes them if a process that left the group
//     (setsid) still holds them open: such a process is not killed, but it
//     cannot hold the job up.
//
// The step's own exit status is recorded either way: a daemon it left
// behind does not change it.
//
// # Logs
//
// Standard output and standard error are masked (package mask: each secret
// of every step of the job, in its plain, base64, hex and escaped forms),
// then split into lines of at most MaxLineBytes bytes, made valid UTF-8 and
// handed to the LogSink with the runner's own "system" lines, numbered per
// step.
package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/runner/mask"
)

// Job is what the runner runs: named steps over one workspace.
type Job struct {
	Name  string            // shown in logs and SHIPLINE_JOB
	Dir   string            // the workspace: the source tree the steps run in
	Env   map[string]string // variables for every step
	Steps []Step            // in declaration order, which is also the order of the Result
	Go    string            // Go toolchain pin, such as "1.26.8": GOTOOLCHAIN=go1.26.8; "" for none
}

// Step is one command of a job.
type Step struct {
	Name string
	// Script is shell commands run in order by one /bin/sh -e -c.
	Script []string
	// Argv is a command run directly instead of Script. An Argv[0] of
	// "shipline" runs Runner.ShiplineBinary; a name without a slash is
	// looked up in the step's own PATH.
	Argv []string
	// Dir is the working directory relative to Job.Dir; "" for Job.Dir.
	Dir string
	// Env overrides Job.Env for this step.
	Env map[string]string
	// Secrets are names the SecretProvider is asked for; each is set in the
	// step's environment under its own name.
	Secrets []string
	// Timeout bounds each attempt; 0 for none.
	Timeout time.Duration
	// Retry is how many times a failed or timed-out step is run again.
	// A cancelled step is not.
	Retry int
	// DependsOn names the steps that must finish before this one starts.
	DependsOn []string
	// Status holds the conditions under which the step runs, once its
	// dependencies have finished; it runs when any holds. "success" (the
	// default): every dependency succeeded. "failure": a step it depends
	// on, directly or not, failed or timed out. "always": in any case.
	Status []string
	// Artifacts are filepath.Match patterns, relative to Job.Dir, of files
	// the step must produce: a pattern that matches nothing fails it.
	Artifacts []string
}

// RunOptions describe the build a job belongs to. Each is set in every
// step's environment, empty or not.
type RunOptions struct {
	Version     string // SHIPLINE_VERSION: the version being released
	Commit      string // SHIPLINE_COMMIT: the commit being built
	Ref         string // SHIPLINE_REF: the branch or tag
	BuildNumber int64  // SHIPLINE_BUILD_NUMBER; 0 for a local run

	// TempDir is where the job's temporary directory is made; "" for
	// os.TempDir().
	TempDir string
}

// DefaultPath is the PATH every step starts from.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// DefaultKillGrace is the KillGrace of a Runner that sets none.
const DefaultKillGrace = 10 * time.Second

// Runner runs jobs. Its fields are read by Run and must not change while a
// job runs; one Runner may run several jobs at once.
type Runner struct {
	// Secrets provides the secrets steps name; nil if no step names any.
	Secrets SecretProvider
	// Logs receives log lines and step events; nil discards them.
	Logs LogSink
	// Parallelism bounds how many steps of a job run at once; 0 for
	// runtime.GOMAXPROCS(0).
	Parallelism int
	// Now is the clock for log times and step times; nil for time.Now.
	// It is called from several goroutines at once.
	Now func() time.Time
	// AfterFunc starts the timer of a step's Timeout: it calls f once d has
	// passed, unless the returned stop is called first. nil for
	// time.AfterFunc; tests use it to time a step out on cue.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// KillGrace is how long a process group has between SIGTERM and
	// SIGKILL, and how long the runner waits for output pipes after a
	// step's process has exited; 0 for DefaultKillGrace.
	KillGrace time.Duration
	// ShiplineBinary is the program run for an Argv[0] of "shipline";
	// "" for this program (os.Executable).
	ShiplineBinary string
	// GoBin is the directory of the go command, put first in each step's
	// PATH; "" for the directory of the go found in this program's PATH,
	// if there is one.
	GoBin string
}

// Run runs job and returns what happened to each step.
//
// Run checks the whole job before running anything: an invalid job (a
// missing field, an unknown or cyclic dependency, a bad name or pattern) is
// an EINVALID error, a missing workspace ENOTFOUND, and a secret that cannot
// be had the provider's error (ENOTFOUND from the providers here); a secret
// shorter than mask.MinLen bytes is EINVALID, since it could not be masked.
// In those cases no step runs and the Result is nil.
//
// A step that fails is not an error: see Result.Failed. Run returns an error
// with a non-nil Result when cancelling ctx cancelled a step (the error
// wraps ctx's cause; the steps that were running are stopped and the rest
// are not started) or when the LogSink failed (EINTERNAL, the sink's first
// error; the job runs to the end regardless).
func (r *Runner) Run(ctx context.Context, job Job, opts RunOptions) (*Result, error) {
	steps, err := plan(job)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(job.Dir); err != nil || !fi.IsDir() {
		return nil, shipline.Errorf(shipline.ENOTFOUND, "job %q: workspace %s is not a directory", job.Name, job.Dir)
	}
	dir, err := filepath.Abs(job.Dir)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINTERNAL, "job %q: workspace: %w", job.Name, err)
	}
	secrets, err := r.secrets(ctx, job)
	if err != nil {
		return nil, err
	}
	values := make([]string, 0, len(secrets))
	for _, v := range secrets {
		values = append(values, v)
	}
	masker, err := mask.New(values...)
	if err != nil { // lengths were checked with names in r.secrets
		return nil, shipline.Errorf(shipline.EINTERNAL, "job %q: %w", job.Name, err)
	}
	tmp, err := os.MkdirTemp(opts.TempDir, "shipline-job-")
	if err != nil {
		return nil, shipline.Errorf(shipline.EINTERNAL, "job %q: temporary directory: %w", job.Name, err)
	}
	defer removeAll(tmp)
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return nil, shipline.Errorf(shipline.EINTERNAL, "job %q: home directory: %w", job.Name, err)
	}

	j := &jobRun{
		r:       r,
		job:     job,
		dir:     dir,
		home:    home,
		opts:    opts,
		secrets: secrets,
		masker:  masker,
		steps:   steps,
		now:     r.now(),
		grace:   r.KillGrace,
		goBin:   r.goBin(),
		log:     &jobLog{sink: r.Logs, job: job.Name, masker: masker},
	}
	if j.grace <= 0 {
		j.grace = DefaultKillGrace
	}
	j.log.now = j.now
	res := j.run(ctx)
	var errs []error
	if ctx.Err() != nil && slices.ContainsFunc(res.Steps, func(s StepResult) bool { return s.Status == StatusCancelled }) {
		errs = append(errs, fmt.Errorf("job %q cancelled: %w", job.Name, context.Cause(ctx)))
	}
	if err := j.log.err; err != nil {
		errs = append(errs, shipline.Errorf(shipline.EINTERNAL, "job %q: write log: %w", job.Name, err))
	}
	if len(errs) == 1 {
		return res, errs[0]
	}
	return res, errors.Join(errs...)
}

func (r *Runner) now() func() time.Time {
	if r.Now != nil {
		return r.Now
	}
	return time.Now
}

func (r *Runner) goBin() string {
	if r.GoBin != "" {
		return r.GoBin
	}
	if p, err := exec.LookPath("go"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return filepath.Dir(abs)
		}
	}
	return ""
}

// secrets asks the provider for every secret any step names.
func (r *Runner) secrets(ctx context.Context, job Job) (map[string]string, error) {
	var names []string
	for _, s := range job.Steps {
		names = append(names, s.Secrets...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return nil, nil
	}
	if r.Secrets == nil {
		return nil, shipline.Errorf(shipline.EINVALID, "job %q: steps need secrets (%s) but no secret provider is configured", job.Name, strings.Join(names, ", "))
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		v, err := r.Secrets.Secret(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("job %q: secret %s: %w", job.Name, name, context.Cause(ctx))
			}
			var e *shipline.Error
			if errors.As(err, &e) {
				return nil, err
			}
			return nil, shipline.Errorf(shipline.EINTERNAL, "job %q: secret %s: %w", job.Name, name, err)
		}
		if len(v) < mask.MinLen {
			return nil, shipline.Errorf(shipline.EINVALID, "job %q: secret %s is %d bytes long: secrets must be at least %d bytes, or they cannot be masked in logs", job.Name, name, len(v), mask.MinLen)
		}
		out[name] = v
	}
	return out, nil
}

// jobRun is one run of a job.
type jobRun struct {
	r       *Runner
	job     Job
	dir     string // absolute workspace
	home    string
	opts    RunOptions
	secrets map[string]string
	masker  *mask.Set
	steps   []*node
	now     func() time.Time
	grace   time.Duration
	goBin   string
	log     *jobLog
}

// run schedules the steps: each starts, in declaration order, as soon as
// its dependencies have finished and a slot is free, or is settled without
// running.
func (j *jobRun) run(ctx context.Context) *Result {
	limit := j.r.Parallelism
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	finished := make(chan *node)
	running := 0
	var wg sync.WaitGroup
	for {
		progress := true
		for progress {
			progress = false
			for _, n := range j.steps {
				if n.state != pending || !n.ready() {
					continue
				}
				if ctx.Err() != nil {
					n.settle(StepResult{Name: n.step.Name, Status: StatusCancelled, ExitCode: -1, Reason: "the job was cancelled before the step started"})
					j.log.finished(ctx, n.result)
					progress = true
					continue
				}
				if reason, ok := n.shouldRun(); !ok {
					n.settle(StepResult{Name: n.step.Name, Status: StatusSkipped, ExitCode: -1, Reason: reason})
					j.log.finished(ctx, n.result)
					progress = true
					continue
				}
				if running >= limit {
					continue
				}
				n.state = started
				running++
				wg.Add(1)
				go func() {
					defer wg.Done()
					n.result = j.runStep(ctx, n)
					finished <- n
				}()
			}
		}
		if running == 0 {
			break
		}
		n := <-finished
		running--
		n.state = done
		j.log.finished(ctx, n.result)
	}
	wg.Wait()
	res := &Result{Job: j.job.Name}
	for _, n := range j.steps {
		res.Steps = append(res.Steps, n.result)
	}
	return res
}

// runStep runs the attempts of one step.
func (j *jobRun) runStep(ctx context.Context, n *node) StepResult {
	st := n.step
	log := j.log.step(st.Name)
	res := StepResult{Name: st.Name, Start: j.now()}
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			log.system(ctx, fmt.Sprintf("retrying: attempt %d of %d", attempt, st.Retry+1))
		}
		j.log.started(ctx, st.Name, attempt, j.now())
		a, arts := j.attempt(ctx, st, log)
		res.History = append(res.History, a)
		res.Attempts = attempt
		res.Status, res.ExitCode, res.Signal, res.Reason, res.Artifacts = a.Status, a.ExitCode, a.Signal, a.Reason, arts
		if a.Status == StatusSuccess || a.Status == StatusCancelled || attempt > st.Retry || ctx.Err() != nil {
			break
		}
	}
	res.End = j.now()
	return res
}
