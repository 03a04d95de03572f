package runner

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
)

// The conditions of Step.Status.
const (
	WhenSuccess = "success" // every dependency succeeded (the default)
	WhenFailure = "failure" // some step it depends on, directly or not, failed or timed out
	WhenAlways  = "always"  // in any case
)

type nodeState int

const (
	pending nodeState = iota
	started
	done
)

// node is a step with its place in the graph.
type node struct {
	step      Step
	deps      []*node
	ancestors []*node // every step it depends on, directly or not
	state     nodeState
	result    StepResult
}

// ready reports whether every dependency has finished.
func (n *node) ready() bool {
	for _, d := range n.deps {
		if d.state != done {
			return false
		}
	}
	return true
}

// settle records a result for a step that does not run.
func (n *node) settle(r StepResult) {
	n.result = r
	n.state = done
}

// shouldRun decides, once the dependencies have finished, whether the step
// runs, and if not, why.
func (n *node) shouldRun() (reason string, ok bool) {
	when := n.step.Status
	if len(when) == 0 {
		when = []string{WhenSuccess}
	}
	var why []string
	for _, w := range when {
		switch w {
		case WhenAlways:
			return "", true
		case WhenSuccess:
			i := slices.IndexFunc(n.deps, func(d *node) bool { return d.result.Status != StatusSuccess })
			if i < 0 {
				return "", true
			}
			d := n.deps[i]
			why = append(why, fmt.Sprintf("dependency %s %s", d.step.Name, d.result.Status.verb()))
		case WhenFailure:
			if slices.ContainsFunc(n.ancestors, func(a *node) bool {
				return a.result.Status == StatusFailure || a.result.Status == StatusTimeout
			}) {
				return "", true
			}
			why = append(why, "no step it depends on failed")
		}
	}
	return strings.Join(why, ", and "), false
}

var (
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	goVersion = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+|rc[0-9]+)?$`)
)

// plan checks job and links its steps. All problems are reported at once,
// as one EINVALID error.
func plan(job Job) ([]*node, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if job.Name == "" {
		bad("the job has no name")
	}
	if job.Dir == "" {
		bad("the job has no workspace directory")
	}
	if job.Go != "" && !goVersion.MatchString(job.Go) {
		bad("go %q is not a Go release such as 1.26.8 or 1.27rc1", job.Go)
	}
	checkEnv := func(where string, env map[string]string) {
		for k, v := range env {
			switch {
			case !envName.MatchString(k):
				bad("%senv %q is not a variable name (letters, digits and _, not starting with a digit)", where, k)
			case strings.HasPrefix(k, "SHIPLINE_"):
				bad("%senv %s: names starting with SHIPLINE_ are set by Shipline", where, k)
			case k == "GOTOOLCHAIN" && job.Go != "":
				bad("%senv GOTOOLCHAIN conflicts with the job's go %s", where, job.Go)
			case strings.IndexByte(v, 0) >= 0:
				bad("%senv %s holds a NUL byte", where, k)
			}
		}
	}
	checkEnv("", job.Env)

	byName := map[string]*node{}
	nodes := make([]*node, 0, len(job.Steps))
	for i, s := range job.Steps {
		n := &node{step: s}
		nodes = append(nodes, n)
		where := fmt.Sprintf("step %q: ", s.Name)
		switch {
		case s.Name == "":
			bad("step %d has no name", i+1)
			continue
		case strings.ContainsAny(s.Name, "\x00\t\n\r"):
			bad("step %q: the name holds a control character", s.Name)
		case byName[s.Name] != nil:
			bad("two steps are named %q", s.Name)
		}
		byName[s.Name] = n
		switch {
		case len(s.Script) == 0 && len(s.Argv) == 0:
			bad("%sneither a script nor a command", where)
		case len(s.Script) > 0 && len(s.Argv) > 0:
			bad("%sboth a script and a command: give one", where)
		case len(s.Argv) > 0 && s.Argv[0] == "":
			bad("%sthe command is empty", where)
		}
		for _, line := range append(append([]string(nil), s.Script...), s.Argv...) {
			if strings.IndexByte(line, 0) >= 0 {
				bad("%sthe command holds a NUL byte", where)
				break
			}
		}
		if s.Dir != "" && !filepath.IsLocal(s.Dir) {
			bad("%sdir %q is not a relative path inside the workspace", where, s.Dir)
		}
		checkEnv(where, s.Env)
		seen := map[string]bool{}
		for _, name := range s.Secrets {
			switch {
			case !envName.MatchString(name):
				bad("%ssecret %q is not a variable name (letters, digits and _, not starting with a digit)", where, name)
			case strings.HasPrefix(name, "SHIPLINE_") || name == "PATH" || name == "HOME" || name == "GOTOOLCHAIN":
				bad("%ssecret %s would replace a variable Shipline sets", where, name)
			case seen[name]:
				bad("%ssecret %s is named twice", where, name)
			}
			seen[name] = true
			_, inJob := job.Env[name]
			if _, inStep := s.Env[name]; inJob || inStep {
				bad("%s%s is both a variable and a secret", where, name)
			}
		}
		if s.Timeout < 0 {
			bad("%stimeout %v is negative", where, s.Timeout)
		}
		if s.Retry < 0 {
			bad("%sretry %d is negative", where, s.Retry)
		}
		for _, w := range s.Status {
			if w != WhenSuccess && w != WhenFailure && w != WhenAlways {
				bad("%sstatus %q: want %s, %s or %s", where, w, WhenSuccess, WhenFailure, WhenAlways)
			}
		}
		if len(s.DependsOn) == 0 && len(s.Status) > 0 && !slices.Contains(s.Status, WhenSuccess) && !slices.Contains(s.Status, WhenAlways) {
			bad("%sstatus failure: the step would never run, as it depends on no step that could fail", where)
		}
		for _, p := range s.Artifacts {
			if _, err := filepath.Match(p, ""); err != nil || !filepath.IsLocal(p) {
				bad("%sartifact pattern %q is not a valid pattern relative to the workspace", where, p)
			}
		}
	}
	for _, n := range nodes {
		if n.step.Name == "" {
			continue
		}
		linked := map[*node]bool{}
		for _, d := range n.step.DependsOn {
			dep := byName[d]
			switch {
			case dep == nil:
				bad("step %q depends on unknown step %q", n.step.Name, d)
			case dep == n:
				bad("step %q depends on itself", n.step.Name)
			case !linked[dep]:
				linked[dep] = true
				n.deps = append(n.deps, dep)
			}
		}
	}
	if len(problems) == 0 {
		if cycle := findCycle(nodes); cycle != nil {
			bad("steps depend on each other in a cycle: %s", strings.Join(cycle, " -> "))
		}
	}
	if len(problems) > 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "job %q: %s", job.Name, strings.Join(problems, "; "))
	}
	for _, n := range nodes {
		n.ancestors = ancestors(n)
	}
	return nodes, nil
}

// findCycle returns the names along a dependency cycle, the first repeated
// at the end, or nil.
func findCycle(nodes []*node) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[*node]int{}
	var stack []*node
	var visit func(n *node) []string
	visit = func(n *node) []string {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range n.deps {
			switch color[d] {
			case grey:
				var names []string
				for i := len(stack) - 1; i >= 0; i-- {
					names = append([]string{stack[i].step.Name}, names...)
					if stack[i] == d {
						break
					}
				}
				return append(names, d.step.Name)
			case white:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return nil
	}
	for _, n := range nodes {
		if color[n] == white {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// ancestors returns every step n depends on, directly or not.
func ancestors(n *node) []*node {
	seen := map[*node]bool{}
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		for _, d := range m.deps {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
				walk(d)
			}
		}
	}
	walk(n)
	return out
}
