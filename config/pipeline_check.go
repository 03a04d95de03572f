package config

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// checkPipelines runs the semantic checks of 'pipelines:', each problem at
// the position of the value it is about. A pipeline that failed to decode
// was reported already and is not checked.
func (d *decoder) checkPipelines(cfg *Config) {
	for _, name := range slices.Sorted(maps.Keys(cfg.Pipelines)) {
		p := join("pipelines", name)
		if d.given(p) != nil {
			d.checkPipeline(p, cfg.Pipelines[name])
		}
	}
}

func (d *decoder) checkPipeline(at string, p Pipeline) {
	d.checkWhen(join(at, "when"), p.When, false)
	d.checkEnv(join(at, "env"), p.Env, p.Go != "")
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		if lp := join(join(at, "labels"), k); d.given(lp) != nil && p.Labels[k] == "" {
			d.addAt(d.nodes[lp], lp, "a label needs a value")
		}
	}
	combos := d.checkMatrix(join(at, "matrix"), p.Matrix)
	vars := map[string]string{}
	for _, n := range p.Matrix.Names() {
		vars[n] = "x"
	}
	d.checkGo(join(at, "go"), p.Go, vars, combos)
	d.checkSubstitutions(at, reflect.ValueOf(&p).Elem(), []string{"env", "labels"}, vars)

	sp := join(at, "stages")
	if len(p.Stages) == 0 {
		if !d.bad[sp] {
			d.addAt(orNode(d.nodes[sp], d.nodes[at]), sp, "a pipeline needs at least one stage, such as stages: [{name: test, steps: [{run: go test ./...}]}]")
		}
		return
	}
	namesOK := d.checkStages(sp, p, vars)
	if d.checkDependsOn(sp, p, namesOK) && namesOK {
		d.checkCycle(sp, p)
	}
}

// checkStages checks the stages at path sp of pipeline p and their steps,
// and reports whether the step names are certain: every step's name was
// given and is fine or, left out, comes from its only kind, and no two
// steps have the same one.
func (d *decoder) checkStages(sp string, p Pipeline, vars map[string]string) bool {
	type named struct {
		node    *yaml.Node
		defined bool // named by name:, not after its kind
	}
	stages := map[string]*yaml.Node{}
	steps := map[string]named{}
	namesOK := true
	for i, st := range p.Stages {
		stp := fmt.Sprintf("%s[%d]", sp, i)
		if d.given(stp) == nil {
			namesOK = false
			continue
		}
		if np := join(stp, "name"); !d.bad[np] {
			switch n := d.nodes[np]; {
			case st.Name == "":
				d.addAt(orNode(n, d.nodes[stp]), np, "a stage needs a name, such as name: test")
			case !nameRE().MatchString(st.Name):
				d.addAt(n, np, "%s is not a stage name: %s", quote(st.Name), keyForms["name"].how)
			case stages[st.Name] != nil:
				d.addAt(n, np, "stage name %s is taken by the stage at line %d, column %d", quote(st.Name), stages[st.Name].Line, stages[st.Name].Column)
			default:
				stages[st.Name] = n
			}
		}
		if len(st.Steps) == 0 && !d.bad[join(stp, "steps")] {
			d.addAt(orNode(d.nodes[join(stp, "steps")], d.nodes[stp]), join(stp, "steps"), "a stage needs at least one step")
		}
		for j, s := range st.Steps {
			pp := fmt.Sprintf("%s.steps[%d]", stp, j)
			if d.given(pp) == nil {
				namesOK = false
				continue
			}
			d.checkStep(pp, s, vars, p.Go != "")
			np := join(pp, "name")
			if d.bad[np] || s.Name == "" && (kindCount(s) != 1 || d.problemsUnder(join(pp, s.Kind()))) {
				// The name is unclear: so is what depends-on names.
				namesOK = false
				continue
			}
			id, n := s.ID(), orNode(d.nodes[np], d.nodes[pp])
			switch {
			case s.Name != "" && !nameRE().MatchString(s.Name):
				d.addAt(n, np, "%s is not a step name: %s", quote(s.Name), keyForms["name"].how)
				namesOK = false
			case steps[id].node != nil:
				first := steps[id].node
				msg := fmt.Sprintf("step name %s is taken by the step at line %d, column %d", quote(id), first.Line, first.Column)
				if s.Name == "" || !steps[id].defined {
					msg += "; a step without a name is named after its kind: give the steps names"
				}
				d.addAt(n, np, "%s", msg)
				namesOK = false
			default:
				steps[id] = named{n, s.Name != ""}
			}
		}
	}
	return namesOK
}

// checkDependsOn checks that depends-on names other steps of pipeline p,
// once each; whether they exist only when namesOK says that the names are
// certain. It reports whether it found nothing wrong.
func (d *decoder) checkDependsOn(sp string, p Pipeline, namesOK bool) bool {
	ids := p.StepIDs()
	ok := true
	for i, st := range p.Stages {
		for j, s := range st.Steps {
			dp := fmt.Sprintf("%s[%d].steps[%d].depends-on", sp, i, j)
			if d.given(dp) == nil {
				ok = ok && !d.bad[dp]
				continue
			}
			for k, dep := range s.DependsOn {
				ip, n := d.item(dp, k)
				switch {
				case dep == s.ID():
					d.addAt(n, ip, "a step cannot depend on itself")
					ok = false
				case !namesOK:
				case !slices.Contains(ids, dep):
					msg := fmt.Sprintf("no step named %s in this pipeline", quote(dep))
					if c := suggest(dep, ids); c != "" {
						msg += fmt.Sprintf("; did you mean %q?", c)
					} else {
						msg += "; steps: " + strings.Join(ids, ", ")
					}
					d.addAt(n, ip, "%s", msg)
					ok = false
				case slices.Index(s.DependsOn, dep) < k:
					d.addAt(n, ip, "%s is listed already", quote(dep))
				}
			}
		}
	}
	return ok
}

// kindCount returns the number of kinds step s has set.
func kindCount(s Step) int {
	v := reflect.ValueOf(s)
	n := 0
	for _, f := range fieldsOf(v.Type()) {
		if f.oneof == "kind" && !v.Field(f.index).IsZero() {
			n++
		}
	}
	return n
}

// item returns the key path and node of element i of the Strings at path,
// which the file may give as one string.
func (d *decoder) item(path string, i int) (string, *yaml.Node) {
	p := fmt.Sprintf("%s[%d]", path, i)
	if n := d.nodes[p]; n != nil {
		return p, n
	}
	return path, d.nodes[path]
}

// givenElem is given for a key path that may end in the [0] of a Strings
// that the file gives as one string.
func (d *decoder) givenElem(path string) *yaml.Node {
	if n := d.given(path); n != nil {
		return n
	}
	if parent, ok := strings.CutSuffix(path, "[0]"); ok {
		if n := d.given(parent); n != nil && n.Kind == yaml.ScalarNode {
			return n
		}
	}
	return nil
}

// checkCycle reports a cycle of steps waiting for each other, at a
// depends-on entry in it (stage order alone makes no cycle).
func (d *decoder) checkCycle(sp string, p Pipeline) {
	cycle := Cycle(p.Dependencies(), p.StepIDs())
	if cycle == nil {
		return
	}
	// Find where each step of the cycle is, and which waits are written
	// in depends-on.
	where := map[string]string{}
	for i, st := range p.Stages {
		for j, s := range st.Steps {
			where[s.ID()] = fmt.Sprintf("%s[%d].steps[%d]", sp, i, j)
		}
	}
	step := func(id string) Step {
		for _, st := range p.Stages {
			for _, s := range st.Steps {
				if s.ID() == id {
					return s
				}
			}
		}
		return Step{}
	}
	var implicit []string
	var at *yaml.Node
	atPath := ""
	for i := 0; i+1 < len(cycle); i++ {
		a, b := cycle[i], cycle[i+1]
		k := slices.Index(step(a).DependsOn, b)
		if k < 0 {
			implicit = append(implicit, a+" -> "+b)
			continue
		}
		if at == nil {
			atPath, at = d.item(join(where[a], "depends-on"), k)
		}
	}
	msg := "makes a cycle of steps waiting for each other: " + strings.Join(cycle, " -> ")
	if len(implicit) > 0 {
		msg += " (" + strings.Join(implicit, " and ") + " by stage order)"
	}
	d.addAt(at, atPath, "%s", msg)
}

// checkStep checks one step; vars are the matrix variables of the
// pipeline (with placeholder values), and pinned says that it sets go:.
func (d *decoder) checkStep(at string, s Step, vars map[string]string, pinned bool) {
	if rp := join(at, "run"); d.given(rp) != nil {
		if len(s.Run) == 0 {
			d.addAt(d.nodes[rp], rp, "needs at least one command")
		}
		for i, c := range s.Run {
			if strings.TrimSpace(c) == "" {
				ip, n := d.item(rp, i)
				d.addAt(n, ip, "an empty command")
			}
		}
	}
	d.checkWhen(join(at, "when"), s.When, true)
	d.checkEnv(join(at, "env"), s.Env, pinned)
	if tp := join(at, "timeout"); d.given(tp) != nil {
		switch {
		case s.Timeout <= 0:
			d.addAt(d.nodes[tp], tp, "must be more than 0, found %s", s.Timeout)
		case s.Timeout > MaxTimeout:
			d.addAt(d.nodes[tp], tp, "must be at most %s, found %s", "24h", s.Timeout)
		}
	}
	if rp := join(at, "retry"); d.given(rp) != nil && (s.Retry < 0 || s.Retry > MaxRetry) {
		d.addAt(d.nodes[rp], rp, "must be between 0 and %d, found %d", MaxRetry, s.Retry)
	}
	env := regexp.MustCompile(envPattern)
	for i, name := range s.Secrets {
		if d.given(join(at, "secrets")) == nil {
			break
		}
		sp, n := d.item(join(at, "secrets"), i)
		switch {
		case !env.MatchString(name):
			d.addAt(n, sp, "%s is not a secret name: %s", quote(name), keyForms["env"].how)
		case slices.Index(s.Secrets, name) < i:
			d.addAt(n, sp, "%s is listed already", quote(name))
		}
	}
	for i, g := range s.Artifacts {
		if d.given(join(at, "artifacts")) == nil {
			break
		}
		ap, n := d.item(join(at, "artifacts"), i)
		if !strings.Contains(g, "${{") {
			if err := checkGlob(g); err != nil {
				d.addAt(n, ap, "%v", err)
			}
		}
	}
	if s.Test != nil {
		if cp := join(at, "test.coverage"); d.given(cp) != nil && (s.Test.Coverage < 0 || s.Test.Coverage > 100) {
			d.addAt(d.nodes[cp], cp, "must be a percentage from 0 to 100, found %d", s.Test.Coverage)
		}
		if rp := join(at, "test.run"); d.given(rp) != nil && !strings.Contains(s.Test.Run, "${{") {
			if _, err := regexp.Compile(s.Test.Run); err != nil {
				d.addAt(d.nodes[rp], rp, "%s", regexpProblem(s.Test.Run, err))
			}
		}
	}
	if s.Gate != nil {
		for i, c := range s.Gate.Checks {
			if d.given(join(at, "gate.checks")) == nil {
				break
			}
			if cp, n := d.item(join(at, "gate.checks"), i); !nameRE().MatchString(c) {
				d.addAt(n, cp, "%s is not a check name: %s", quote(c), keyForms["name"].how)
			}
		}
	}

	// ${{ matrix.NAME }} where the format substitutes, and nowhere else.
	sv := reflect.ValueOf(&s).Elem()
	eachSubstitutable(sv, "", func(p string, get func() string, _ func(string)) {
		p = join(at, p)
		if n := d.givenElem(p); n != nil {
			if _, err := Substitute(get(), vars); err != nil {
				d.addAt(n, p, "%v", err)
			}
		}
	})
	fixed := map[string][]string{
		"depends-on":         s.DependsOn,
		"secrets":            s.Secrets,
		"when.branch":        s.When.Branch,
		"when.ref.include":   s.When.Ref.Include,
		"when.ref.exclude":   s.When.Ref.Exclude,
		"when.paths.include": s.When.Paths.Include,
		"when.paths.exclude": s.When.Paths.Exclude,
	}
	for _, k := range slices.Sorted(maps.Keys(fixed)) {
		for i, v := range fixed[k] {
			if strings.Contains(v, "${{") {
				ip, n := d.item(join(at, k), i)
				d.addAt(orNode(n, d.nodes[at]), ip, "${{ }} is not substituted here: only in run, env, artifacts, go, labels and the options of built-in steps")
			}
		}
	}
}

// checkSubstitutions checks the ${{ }} expressions in the map fields keys
// of struct v at path at.
func (d *decoder) checkSubstitutions(at string, v reflect.Value, keys []string, vars map[string]string) {
	for _, f := range fieldsOf(v.Type()) {
		if !slices.Contains(keys, f.name) {
			continue
		}
		m, _ := v.Field(f.index).Interface().(map[string]string)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			p := join(join(at, f.name), k)
			if n := d.given(p); n != nil {
				if _, err := Substitute(m[k], vars); err != nil {
					d.addAt(n, p, "%v", err)
				}
			}
		}
	}
}

// checkEnv checks environment variables that Shipline sets itself.
func (d *decoder) checkEnv(at string, env map[string]string, pinned bool) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		n := d.given(join(at, k))
		if n == nil {
			continue
		}
		switch {
		case strings.HasPrefix(k, "MATRIX_"):
			d.addAt(n, join(at, k), "MATRIX_ variables come from the matrix; name the variable otherwise")
		case k == "GOTOOLCHAIN" && pinned:
			d.addAt(n, join(at, k), "go: sets GOTOOLCHAIN already; set one or the other")
		}
	}
}

// checkGo checks the go: version v of a pipeline, in every job when it
// uses the matrix.
func (d *decoder) checkGo(at, v string, vars map[string]string, combos []map[string]string) {
	n := d.given(at)
	if n == nil {
		return
	}
	if !strings.Contains(v, "${{") {
		if _, _, err := Toolchain(v); err != nil {
			d.addAt(n, at, "%v", err)
		}
		return
	}
	if _, err := Substitute(v, vars); err != nil {
		d.addAt(n, at, "%v", err)
		return
	}
	for _, c := range combos {
		s, err := Substitute(v, c)
		if err == nil {
			_, _, err = Toolchain(s)
		}
		if err != nil {
			d.addAt(n, at, "in the job with %s: %v", jobVars(c), err)
			return
		}
	}
}

// jobVars describes the matrix variables of a job: "go=1.26, os=linux".
func jobVars(c map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, k+"="+c[k])
	}
	return strings.Join(parts, ", ")
}

// checkMatrix checks the matrix at path at and returns its combinations;
// nil when it is not given or has problems.
func (d *decoder) checkMatrix(at string, m Matrix) []map[string]string {
	n := d.given(at)
	if n == nil {
		return nil
	}
	if mp := join(at, "max-jobs"); d.given(mp) != nil && m.MaxJobs == 0 {
		d.addAt(d.nodes[mp], mp, "must be between 1 and %d, found 0", MaxCombinations)
		return nil
	}
	if !m.Active() {
		d.addAt(n, at, "a matrix needs at least one axis, such as go: [\"1.25\", \"1.26\"], or include entries")
		return nil
	}
	errs := m.check()
	combos, err := m.Combinations()
	var me *matrixError
	if len(errs) == 0 && errors.As(err, &me) {
		errs = append(errs, me)
	}
	for _, me := range errs {
		p := at
		if me.At != "" {
			p = join(at, me.At)
		}
		node := d.nodes[p]
		for q := p; node == nil && q != at; {
			q = q[:max(strings.LastIndexAny(q, ".["), len(at))]
			node = d.nodes[q]
		}
		d.addAt(orNode(node, n), p, "%s", me.Msg)
	}
	if len(errs) > 0 {
		return nil
	}
	return combos
}

// checkWhen checks the conditions at path at; status is for steps only.
func (d *decoder) checkWhen(at string, w When, step bool) {
	if d.given(at) == nil {
		return
	}
	if sp := join(at, "status"); !step && d.given(sp) != nil {
		d.addAt(d.nodes[sp], sp, "status applies to steps only: a pipeline runs whatever happened before")
	}
	check := func(key string, list Strings, fn func(string) error) {
		p := join(at, key)
		if d.given(p) == nil {
			return
		}
		for i, v := range list {
			if err := fn(v); err != nil {
				ip, n := d.item(p, i)
				d.addAt(n, ip, "%v", err)
			}
		}
	}
	re := func(s string) error {
		if _, err := regexp.Compile(s); err != nil {
			return errors.New(regexpProblem(s, err))
		}
		return nil
	}
	check("branch", w.Branch, checkGlob)
	check("ref.include", w.Ref.Include, re)
	check("ref.exclude", w.Ref.Exclude, re)
	check("paths.include", w.Paths.Include, checkGlob)
	check("paths.exclude", w.Paths.Exclude, checkGlob)
}

// regexpProblem describes why regexp.Compile(s) failed with err.
func regexpProblem(s string, err error) string {
	return "invalid regular expression: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// checkGlob checks the form of a glob of /-separated paths: each segment
// is ** or a path.Match pattern, and the glob is relative and stays inside
// the repository.
func checkGlob(g string) error {
	switch {
	case g == "":
		return errors.New("an empty pattern matches nothing")
	case strings.HasPrefix(g, "/"):
		return fmt.Errorf("%s: patterns are relative to the repository root; remove the leading /", quote(g))
	}
	for _, seg := range strings.Split(g, "/") {
		if seg == ".." {
			return fmt.Errorf("%s: a pattern cannot leave the repository (..)", quote(g))
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("%s is not a valid glob: %v", quote(g), err)
		}
	}
	return nil
}
