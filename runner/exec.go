package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shipline-ci/shipline/runner/mask"
)

// abandonAfter is the least time the runner waits for a process to exit
// after SIGKILL before it gives up on it.
const abandonAfter = 10 * time.Second

// errTimeout is the cause of a step context that ran out of time.
var errTimeout = errors.New("step timed out")

// env returns the environment of a step, sorted.
func (j *jobRun) env(st Step) []string {
	m := map[string]string{
		"PATH": DefaultPath,
		"HOME": j.home,
	}
	if j.goBin != "" && !slices.Contains(filepath.SplitList(DefaultPath), j.goBin) {
		m["PATH"] = j.goBin + string(filepath.ListSeparator) + DefaultPath
	}
	if j.job.Go != "" {
		m["GOTOOLCHAIN"] = "go" + j.job.Go
	}
	for k, v := range j.job.Env {
		m[k] = v
	}
	for k, v := range st.Env {
		m[k] = v
	}
	for _, name := range st.Secrets {
		m[name] = j.secrets[name]
	}
	m["SHIPLINE_VERSION"] = j.opts.Version
	m["SHIPLINE_COMMIT"] = j.opts.Commit
	m["SHIPLINE_REF"] = j.opts.Ref
	m["SHIPLINE_BUILD_NUMBER"] = strconv.FormatInt(j.opts.BuildNumber, 10)
	m["SHIPLINE_JOB"] = j.job.Name
	m["SHIPLINE_STEP"] = st.Name
	env := make([]string, 0, len(m))
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

// command returns the program and arguments of a step, the program looked
// up in the step's own PATH.
func (j *jobRun) command(st Step, env []string, dir string) (string, []string, error) {
	if len(st.Script) > 0 {
		return "/bin/sh", []string{"sh", "-e", "-c", strings.Join(st.Script, "\n")}, nil
	}
	argv := slices.Clone(st.Argv)
	name := argv[0]
	switch {
	case name == "shipline":
		bin := j.r.ShiplineBinary
		if bin == "" {
			exe, err := os.Executable()
			if err != nil {
				return "", nil, fmt.Errorf("find the shipline binary: %w", err)
			}
			bin = exe
		}
		return bin, argv, nil
	case strings.Contains(name, "/"):
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		return name, argv, nil
	}
	var path string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if !filepath.IsAbs(d) {
			continue
		}
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, argv, nil
		}
	}
	return "", nil, fmt.Errorf("command %s not found in PATH %s", name, path)
}

// attempt runs a step's process once. It returns the attempt and, if it
// succeeded, the step's artifacts.
func (j *jobRun) attempt(ctx context.Context, st Step, log *stepLog) (Attempt, []string) {
	a := Attempt{Start: j.now(), ExitCode: -1}
	arts, err := j.execute(ctx, st, log, &a)
	if err != nil {
		a.Status, a.Reason = StatusFailure, err.Error()
	}
	a.End = j.now()
	if a.Status != StatusSuccess {
		log.system(ctx, a.Reason)
	}
	return a, arts
}

// execute runs the process of an attempt and records how it ended in a. A
// failure is an error, which becomes the reason.
func (j *jobRun) execute(ctx context.Context, st Step, log *stepLog, a *Attempt) ([]string, error) {
	dir := filepath.Join(j.dir, st.Dir)
	env := j.env(st)
	path, argv, err := j.command(st, env, dir)
	if err != nil {
		return nil, err
	}
	stepCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if st.Timeout > 0 {
		after := j.r.AfterFunc
		if after == nil {
			after = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
		}
		stop := after(st.Timeout, func() { cancel(errTimeout) })
		defer stop()
	}
	p := &proc{grace: j.grace, log: log}
	cmd := &exec.Cmd{
		Path:        path,
		Args:        argv,
		Env:         env,
		Dir:         dir,
		SysProcAttr: groupAttr(),
	}
	if err := p.start(ctx, cmd, j.masker); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	stopped, waitErr := p.wait(ctx, stepCtx)
	var exitErr *exec.ExitError
	switch {
	case waitErr == nil:
		a.ExitCode = 0
	case errors.As(waitErr, &exitErr):
		if a.Signal = exitSignal(exitErr); a.Signal == "" {
			a.ExitCode = exitErr.ExitCode()
		}
	case !stopped:
		return nil, fmt.Errorf("wait: %w", waitErr)
	}
	switch {
	case stopped && errors.Is(context.Cause(stepCtx), errTimeout) && ctx.Err() == nil:
		a.Status, a.Reason = StatusTimeout, "timed out after "+st.Timeout.String()
		return nil, nil
	case stopped:
		a.Status, a.Reason = StatusCancelled, "cancelled"
		return nil, nil
	case a.Signal != "":
		return nil, fmt.Errorf("killed by signal: %s", a.Signal)
	case a.ExitCode != 0:
		return nil, fmt.Errorf("exit status %d", a.ExitCode)
	}
	arts, err := j.artifacts(st)
	if err != nil {
		return nil, err
	}
	a.Status = StatusSuccess
	return arts, nil
}

// artifacts returns the files a step's Artifacts patterns match.
func (j *jobRun) artifacts(st Step) ([]string, error) {
	var out []string
	for _, p := range st.Artifacts {
		matches, err := filepath.Glob(filepath.Join(j.dir, p))
		if err != nil {
			return nil, fmt.Errorf("artifact %q: %w", p, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("artifact %q: no such file", p)
		}
		for _, m := range matches {
			rel, err := filepath.Rel(j.dir, m)
			if err != nil {
				return nil, fmt.Errorf("artifact %q: %w", p, err)
			}
			out = append(out, filepath.ToSlash(rel))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// proc is a running step process, leader of its own process group, and the
// readers of its output.
type proc struct {
	grace   time.Duration
	log     *stepLog
	cmd     *exec.Cmd
	pipes   []*os.File // read ends of standard output and error
	readers sync.WaitGroup
	eof     chan struct{} // closed when both readers are done
}

// start starts cmd with its output going, masked, to the step's log.
func (p *proc) start(ctx context.Context, cmd *exec.Cmd, masker *mask.Set) error {
	var writeEnds []*os.File
	closeAll := func() {
		for _, f := range append(writeEnds, p.pipes...) {
			f.Close()
		}
	}
	for range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return err
		}
		p.pipes = append(p.pipes, r)
		writeEnds = append(writeEnds, w)
	}
	// Files, not io.Writers: the child writes straight into the pipes and
	// Wait returns as soon as the process exits, whoever else holds them.
	cmd.Stdout, cmd.Stderr = writeEnds[0], writeEnds[1]
	if err := cmd.Start(); err != nil {
		closeAll()
		return err
	}
	for _, w := range writeEnds {
		w.Close()
	}
	p.cmd = cmd
	p.eof = make(chan struct{})
	for i, stream := range []string{Stdout, Stderr} {
		p.readers.Add(1)
		go p.read(ctx, p.pipes[i], stream, masker)
	}
	go func() {
		p.readers.Wait()
		close(p.eof)
	}()
	return nil
}

// read copies one pipe into the log until end of file or until the pipe is
// closed under it.
func (p *proc) read(ctx context.Context, f *os.File, stream string, masker *mask.Set) {
	defer p.readers.Done()
	lines := &lineWriter{max: MaxLineBytes, emit: func(text string, continued bool) {
		p.log.line(ctx, stream, text, continued)
	}}
	masked := masker.NewWriter(lines)
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		masked.Write(buf[:n]) // writes to a lineWriter never fail
		if err != nil {
			break
		}
	}
	masked.Flush()
	lines.Flush()
}

// wait waits for the process to exit, stopping its group when stepCtx is
// done, then stops what is left of the group and finishes reading the
// output. It reports whether the runner stopped the process, and returns
// the error of cmd.Wait.
func (p *proc) wait(ctx, stepCtx context.Context) (stopped bool, err error) {
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	leader := p.cmd.Process
	select {
	case err = <-exited:
	case <-stepCtx.Done():
		stopped = true
		if errors.Is(context.Cause(stepCtx), errTimeout) && ctx.Err() == nil {
			p.log.system(ctx, "timed out: stopping the step's processes")
		} else {
			p.log.system(ctx, "cancelled: stopping the step's processes")
		}
		terminateGroup(leader)
		t := time.NewTimer(p.grace)
		select {
		case err = <-exited:
			t.Stop()
		case <-t.C:
			p.log.system(ctx, fmt.Sprintf("still running %v after SIGTERM: sending SIGKILL", p.grace))
			killGroup(leader)
			t.Reset(max(p.grace, abandonAfter))
			select {
			case err = <-exited:
			case <-t.C:
				// Stuck in the kernel: leave the Wait goroutine behind
				// rather than hang the job.
				p.log.system(ctx, "the step's process did not exit after SIGKILL: no longer waiting for it")
				err = errors.New("did not exit after SIGKILL")
			}
		}
	}
	// The step's process has exited: stop what it left in its group.
	if groupLive(leader) {
		p.log.system(ctx, "the step left processes running: stopping them")
		terminateGroup(leader)
		deadline := time.Now().Add(p.grace)
		for delay := 5 * time.Millisecond; groupLive(leader) && time.Now().Before(deadline); delay = min(2*delay, 100*time.Millisecond) {
			time.Sleep(delay)
		}
		killGroup(leader)
	}
	// Whatever still holds the pipes has left the group: stop reading.
	t := time.NewTimer(p.grace)
	select {
	case <-p.eof:
	case <-t.C:
		p.log.system(ctx, "a process outside the step's process group holds its output open: no longer reading it")
	}
	t.Stop()
	for _, f := range p.pipes {
		f.Close()
	}
	<-p.eof
	return stopped, err
}
