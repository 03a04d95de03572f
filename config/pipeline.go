package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// This file holds the types of 'pipelines:' in .shipline.yaml and the pure
// functions over them that both the checks (pipeline_check.go) and package
// pipeline use: the matrix expansion, ${{ matrix.NAME }} substitution, the
// Go toolchain of a go: version and the dependencies between steps.

// Pipeline is a named list of stages that runs when its when conditions
// hold: once, or once per combination of its matrix (a job).
type Pipeline struct {
	When   When              `yaml:"when,omitempty" doc:"Which events run the pipeline; left out, every event does."`
	Go     string            `yaml:"go,omitempty" doc:"Go toolchain the jobs run with, through GOTOOLCHAIN: a release such as 1.26.8 or 1.27rc1 (GOTOOLCHAIN=go1.26.8), or a language version such as 1.26 for its newest release. May use ${{ matrix.NAME }}."`
	Env    map[string]string `yaml:"env,omitempty" key:"env" doc:"Environment variables of every step (a step's own env wins). Values may use ${{ matrix.NAME }}."`
	Labels map[string]string `yaml:"labels,omitempty" key:"label" doc:"Labels an agent must have to run a job, such as os: linux and arch: arm64 (GOOS and GOARCH names) or custom ones (gpu: \"true\"). Values may use ${{ matrix.NAME }}."`
	Matrix Matrix            `yaml:"matrix,omitempty" doc:"Runs the pipeline once per combination of values (a job), in parallel. Every other key is an axis: a name and its list of values."`
	Stages []Stage           `yaml:"stages,omitempty" doc:"Stages in order: a stage starts when the one before it has finished."`
}

// Stage is a group of steps; its steps run one after another, or all at
// once when Parallel is set.
type Stage struct {
	Name     string `yaml:"name,omitempty" doc:"Name of the stage, unique in the pipeline."`
	Parallel bool   `yaml:"parallel,omitempty" doc:"Run the stage's steps at the same time (each still waits for its depends-on); by default each waits for the one before it."`
	Steps    []Step `yaml:"steps,omitempty" doc:"The steps of the stage."`
}

// Step is one thing a job does: shell commands (Run) or one of Shipline's
// own commands with typed options. Exactly one of Run, Test, Gate, Build,
// Release, Publish, Changelog and Tag is set.
type Step struct {
	Name      string            `yaml:"name,omitempty" doc:"Name of the step, unique in the pipeline (across stages); default: its kind (run, test, build, ...)."`
	Run       Strings           `yaml:"run,omitempty" oneof:"kind" doc:"Shell commands, run in order with sh; the step fails at the first that fails. A string is a list of one. May use ${{ matrix.NAME }}."`
	Test      *TestStep         `yaml:"test,omitempty" oneof:"kind" doc:"Run 'shipline test'."`
	Gate      *GateStep         `yaml:"gate,omitempty" oneof:"kind" doc:"Run 'shipline gate'."`
	Build     *BuildStep        `yaml:"build,omitempty" oneof:"kind" doc:"Run 'shipline build'."`
	Release   *ReleaseStep      `yaml:"release,omitempty" oneof:"kind" doc:"Run 'shipline release'."`
	Publish   *PublishStep      `yaml:"publish,omitempty" oneof:"kind" doc:"Run 'shipline publish'."`
	Changelog *ChangelogStep    `yaml:"changelog,omitempty" oneof:"kind" doc:"Run 'shipline changelog'."`
	Tag       *TagStep          `yaml:"tag,omitempty" oneof:"kind" doc:"Run 'shipline tag'."`
	DependsOn Strings           `yaml:"depends-on,omitempty" doc:"Steps of the pipeline, in any stage, that must finish before this one starts, besides the steps before it by stage order."`
	When      When              `yaml:"when,omitempty" doc:"When the step runs; a step whose event, ref, branch or paths do not match is skipped, and status says how earlier failures count."`
	Env       map[string]string `yaml:"env,omitempty" key:"env" doc:"Environment variables of the step, over the pipeline's. Values may use ${{ matrix.NAME }}."`
	Secrets   Strings           `yaml:"secrets,omitempty" doc:"Names of the secrets the step may read, given to it as environment variables of the same names; no other secret is."`
	Timeout   time.Duration     `yaml:"timeout,omitempty" doc:"Longest the step may run, as a Go duration such as 90s, 10m or 1h30m (at most 24h); default: no limit of its own."`
	Retry     int               `yaml:"retry,omitempty" doc:"How many more times to run the step when it fails, 0 to 10."`
	Artifacts Strings           `yaml:"artifacts,omitempty" doc:"Files the step makes that the job keeps: glob patterns relative to the repository root, where ** matches any number of directories. May use ${{ matrix.NAME }}."`
}

// StepKinds are the kinds of step, the keys of which a step has exactly
// one, in the order of the Step fields.
var StepKinds = []string{"run", "test", "gate", "build", "release", "publish", "changelog", "tag"}

// Kind returns the step's kind: "run" or the built-in command it runs
// ("test", "build", ...); "" when none is set.
func (s Step) Kind() string {
	v := reflect.ValueOf(s)
	for _, f := range fieldsOf(v.Type()) {
		if f.oneof == "kind" && !v.Field(f.index).IsZero() {
			return f.name
		}
	}
	return ""
}

// ID returns the name steps and reports know the step by: its Name, or
// else its kind.
func (s Step) ID() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Kind()
}

// TestStep is 'shipline test': go test with a coverage floor.
type TestStep struct {
	Module   string  `yaml:"module,omitempty" doc:"Test the Go module in this directory, relative to the repository root; default: the root."`
	Packages Strings `yaml:"packages,omitempty" doc:"Package patterns to test; default: ./... May use ${{ matrix.NAME }}."`
	Race     bool    `yaml:"race,omitempty" doc:"Enable the race detector (-race)."`
	Short    bool    `yaml:"short,omitempty" doc:"Skip long-running tests (-short)."`
	Run      string  `yaml:"run,omitempty" doc:"Run only the tests matching this regular expression (-run)."`
	Tags     Strings `yaml:"tags,omitempty" doc:"Build tags (-tags)."`
	Coverage int     `yaml:"coverage,omitempty" doc:"Fail when total statement coverage is below this percentage, 0 to 100; 0 checks nothing."`
}

// GateStep is 'shipline gate': the release checks.
type GateStep struct {
	Module string  `yaml:"module,omitempty" doc:"Check the Go module in this directory, relative to the repository root; default: the root."`
	Checks Strings `yaml:"checks,omitempty" doc:"Names of the checks to run; default: every check 'shipline gate' knows."`
}

// BuildStep is 'shipline build'.
type BuildStep struct {
	Module            string  `yaml:"module,omitempty" doc:"Build the Go module in this directory, relative to the repository root (--module)."`
	Targets           Strings `yaml:"targets,omitempty" doc:"Build only these targets, GOOS/GOARCH[/VARIANT] (--targets); default: the configured builds' targets. May use ${{ matrix.NAME }}."`
	Snapshot          bool    `yaml:"snapshot,omitempty" doc:"Build a snapshot version when HEAD has no release tag (--snapshot)."`
	Dist              string  `yaml:"dist,omitempty" doc:"Directory for the artifacts, relative to the module root (--dist); default: dist."`
	Clean             bool    `yaml:"clean,omitempty" doc:"Remove the dist directory first (--clean)."`
	KeepGoing         bool    `yaml:"keep-going,omitempty" doc:"Build every target even after one fails (--keep-going)."`
	CheckReproducible bool    `yaml:"check-reproducible,omitempty" doc:"Build twice and compare every artifact (--check-reproducible)."`
	AllowDirty        bool    `yaml:"allow-dirty,omitempty" doc:"Build a release from a work tree with uncommitted changes (--allow-dirty)."`
}

// ReleaseStep is 'shipline release'.
type ReleaseStep struct {
	Module string `yaml:"module,omitempty" doc:"Release the Go module in this directory, relative to the repository root (--module)."`
	Pre    string `yaml:"pre,omitempty" doc:"Release a pre-release vX.Y.Z-PRE.N, such as rc (--pre)."`
	DryRun bool   `yaml:"dry-run,omitempty" doc:"Say what would be done, change nothing (--dry-run)."`
}

// PublishStep is 'shipline publish'.
type PublishStep struct {
	Module string `yaml:"module,omitempty" doc:"Publish the Go module in this directory, relative to the repository root (--module)."`
	Dist   string `yaml:"dist,omitempty" doc:"Directory of the artifacts to publish, relative to the module root (--dist); default: dist."`
	DryRun bool   `yaml:"dry-run,omitempty" doc:"Say what would be published, publish nothing (--dry-run)."`
}

// ChangelogStep is 'shipline changelog'.
type ChangelogStep struct {
	Module  string `yaml:"module,omitempty" doc:"The Go module in this directory, relative to the repository root (--module)."`
	Pre     string `yaml:"pre,omitempty" doc:"Title the release as a pre-release vX.Y.Z-PRE.N (--pre)."`
	Since   string `yaml:"since,omitempty" doc:"Start from this tag instead of the last stable tag (--since)."`
	All     bool   `yaml:"all,omitempty" doc:"Write every release in the history (--all)."`
	Prepend string `yaml:"prepend,omitempty" doc:"Insert the new section into this file, such as CHANGELOG.md (--prepend)."`
}

// TagStep is 'shipline tag'.
type TagStep struct {
	Module     string `yaml:"module,omitempty" doc:"Tag the Go module in this directory, relative to the repository root (--module)."`
	Pre        string `yaml:"pre,omitempty" doc:"Tag a pre-release vX.Y.Z-PRE.N (--pre)."`
	Push       bool   `yaml:"push,omitempty" doc:"Push the new tag to the remote (--push)."`
	Sign       bool   `yaml:"sign,omitempty" doc:"Sign the tag (--sign)."`
	DryRun     bool   `yaml:"dry-run,omitempty" doc:"Say what would be done, change nothing (--dry-run)."`
	AllowDirty bool   `yaml:"allow-dirty,omitempty" doc:"Tag a work tree with uncommitted changes (--allow-dirty)."`
}

// When holds the conditions of a pipeline or a step; all that are given
// must hold. Event, Ref, Branch and Paths are decided when the event
// arrives; Status, only for steps, while the job runs.
type When struct {
	Event  Strings    `yaml:"event,omitempty" enum:"push,tag,manual,cron" doc:"Events that match: push (a branch), tag (a pushed tag), manual, cron; left out, any event."`
	Ref    RefFilter  `yaml:"ref,omitempty" doc:"Regular expressions (Go syntax, unanchored: use ^ and $) matched against the full ref, such as refs/heads/main or refs/tags/v1.2.0."`
	Branch Strings    `yaml:"branch,omitempty" doc:"Branch names that match, as globs: * matches within a /-separated segment and ** across them (release/*, feature/**). An event on a tag has no branch and never matches."`
	Paths  PathFilter `yaml:"paths,omitempty" doc:"Globs matched against the changed files, relative to the repository root; ** matches any number of directories. Matches when the event does not say which files changed."`
	Status Strings    `yaml:"status,omitempty" enum:"success,failure,always" doc:"Steps only: run when no earlier step failed (success, the default), only when one did (failure), or either way (always, or [success, failure])."`
}

// RefFilter selects refs by regular expression.
type RefFilter struct {
	Include Strings `yaml:"include,omitempty" doc:"The ref must match one of these regular expressions; left out, any ref matches."`
	Exclude Strings `yaml:"exclude,omitempty" doc:"The ref must match none of these regular expressions."`
}

// PathFilter selects changed files by glob.
type PathFilter struct {
	Include Strings `yaml:"include,omitempty" doc:"At least one changed file must match one of these globs (and no exclude glob); left out, any file counts."`
	Exclude Strings `yaml:"exclude,omitempty" doc:"Changed files matching one of these globs do not count."`
}

// Matrix is a set of axes, each a name and its values, expanding into one
// job per combination, plus combinations to leave out and to add.
type Matrix struct {
	Axes    map[string][]string `yaml:",inline" key:"axis" doc:"An axis: its values, such as go: [\"1.25\", \"1.26\"]; the job sees each as ${{ matrix.NAME }} and $MATRIX_NAME."`
	Include []map[string]string `yaml:"include,omitempty" key:"axis" doc:"Jobs to add after exclude, each giving a value for every axis (or, without axes, the same names as the others)."`
	Exclude []map[string]string `yaml:"exclude,omitempty" key:"axis" doc:"Combinations to leave out: every combination with all the values of an entry is."`
	MaxJobs int                 `yaml:"max-jobs,omitempty" doc:"Most jobs the matrix may expand to, 1 to 65536; more is an error. Default: 256."`
}

// Limits of the pipeline format.
const (
	// DefaultMaxJobs is the most jobs a matrix may expand to when it does
	// not set max-jobs.
	DefaultMaxJobs = 256
	// MaxCombinations bounds max-jobs and the number of combinations of
	// the axes before exclude.
	MaxCombinations = 65536
	// MaxRetry is the most retries a step may have.
	MaxRetry = 10
	// MaxTimeout is the longest timeout a step may have.
	MaxTimeout = 24 * time.Hour
)

// Patterns of the names in a pipeline, shared by the decoder (keyForms),
// the checks and the schema.
const (
	namePattern  = `^[A-Za-z0-9][A-Za-z0-9_.-]*$`
	envPattern   = `^[A-Za-z_][A-Za-z0-9_]*$`
	axisPattern  = `^[a-z][a-z0-9_]*$`
	labelPattern = `^[A-Za-z0-9][A-Za-z0-9_./-]*$`
	// goVersionPattern is goVersion, or a value using ${{ }}, for the
	// schema.
	goVersionPattern = `^(go)?1\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)|(rc|beta)[1-9][0-9]*)?$|\$\{\{`
	// globPattern is what the schema says of a glob: not empty, and
	// relative.
	globPattern = `^[^/]`
	// durationPattern matches what time.ParseDuration accepts.
	durationPattern = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`
)

var nameRE = lazyRegexp(namePattern)

// Active reports whether the matrix has axes or include entries; a pipeline
// without an active matrix has one job.
func (m Matrix) Active() bool { return len(m.Axes) > 0 || len(m.Include) > 0 }

// Names returns the names of the matrix variables every job has, sorted:
// the axes, or the names of the include entries when there are no axes.
func (m Matrix) Names() []string {
	if len(m.Axes) > 0 {
		return slices.Sorted(maps.Keys(m.Axes))
	}
	if len(m.Include) > 0 {
		return slices.Sorted(maps.Keys(m.Include[0]))
	}
	return nil
}

// Combinations returns the values of the matrix variables of each job, in a
// fixed order: the combinations of the axes, the first axis by name
// varying slowest and values in the order given, without those exclude
// names, then the include entries in order. It returns nil for a matrix
// that is not Active.
//
// It is an error when the matrix is malformed (an axis without values, an
// exclude or include entry naming an unknown axis, an include entry that
// misses one or repeats a combination), when the axes have more than
// MaxCombinations combinations, when the result is empty, and when it has
// more jobs than MaxJobs (DefaultMaxJobs when 0); the messages name the
// counts.
func (m Matrix) Combinations() ([]map[string]string, error) {
	if !m.Active() {
		return nil, nil
	}
	if errs := m.check(); len(errs) > 0 {
		return nil, errs[0]
	}
	axes := slices.Sorted(maps.Keys(m.Axes))
	n, over := m.size()
	if over {
		return nil, matrixErrorf("", "the axes have %s combinations, more than %d", n, MaxCombinations)
	}
	var out []map[string]string
	if len(axes) > 0 {
		out = []map[string]string{{}}
		for _, a := range axes {
			next := make([]map[string]string, 0, len(out)*len(m.Axes[a]))
			for _, c := range out {
				for _, v := range m.Axes[a] {
					nc := maps.Clone(c)
					nc[a] = v
					next = append(next, nc)
				}
			}
			out = next
		}
	}
	out = slices.DeleteFunc(out, func(c map[string]string) bool {
		return slices.ContainsFunc(m.Exclude, func(e map[string]string) bool { return matches(c, e) })
	})
	for i, inc := range m.Include {
		if slices.ContainsFunc(out, func(c map[string]string) bool { return maps.Equal(c, inc) }) {
			return nil, matrixErrorf(fmt.Sprintf("include[%d]", i), "the matrix has this combination already")
		}
		out = append(out, maps.Clone(inc))
	}
	switch limit := m.Limit(); {
	case len(out) == 0:
		return nil, matrixErrorf("", "the matrix expands to no jobs: exclude leaves out every combination")
	case len(out) > limit:
		return nil, matrixErrorf("", "the matrix expands to %d jobs, more than max-jobs (%d)", len(out), limit)
	}
	return out, nil
}

// Limit returns MaxJobs, or DefaultMaxJobs when it is 0.
func (m Matrix) Limit() int {
	if m.MaxJobs == 0 {
		return DefaultMaxJobs
	}
	return m.MaxJobs
}

// size returns the number of combinations of the axes, as text, and
// whether it passes MaxCombinations. It counts in floating point, exact
// up to 2^53, so that a count that does not fit an int can be named.
func (m Matrix) size() (string, bool) {
	f := 1.0
	for _, vs := range m.Axes {
		f *= float64(len(vs))
	}
	switch {
	case f <= MaxCombinations:
		return fmt.Sprint(int(f)), false
	case f < 1e15:
		return fmt.Sprintf("%.0f", f), true
	}
	return fmt.Sprintf("%.3g", f), true
}

// matrixError is a problem with the shape of a matrix, at key path At
// below it (such as "exclude[1]" or "go"; "" for the matrix itself).
type matrixError struct {
	At  string
	Msg string
}

func (e *matrixError) Error() string {
	if e.At == "" {
		return e.Msg
	}
	return e.At + ": " + e.Msg
}

func matrixErrorf(at, format string, args ...any) error {
	return &matrixError{At: at, Msg: fmt.Sprintf(format, args...)}
}

// check reports what is wrong with the shape of the matrix, in the order
// of the keys: max-jobs, the axes by name, exclude, include.
func (m Matrix) check() []*matrixError {
	var errs []*matrixError
	add := func(at, format string, args ...any) {
		errs = append(errs, &matrixError{At: at, Msg: fmt.Sprintf(format, args...)})
	}
	if m.MaxJobs < 0 || m.MaxJobs > MaxCombinations {
		add("max-jobs", "must be between 1 and %d, found %d", MaxCombinations, m.MaxJobs)
	}
	axes := slices.Sorted(maps.Keys(m.Axes))
	for _, a := range axes {
		if len(m.Axes[a]) == 0 {
			add(a, "an axis needs at least one value")
		}
		for i, v := range m.Axes[a] {
			if j := slices.Index(m.Axes[a], v); j < i {
				add(fmt.Sprintf("%s[%d]", a, i), "%s is listed already", quote(v))
			}
		}
	}
	for i, e := range m.Exclude {
		at := fmt.Sprintf("exclude[%d]", i)
		if len(e) == 0 {
			add(at, "an empty entry would leave out every combination")
		}
		for _, k := range slices.Sorted(maps.Keys(e)) {
			vs, ok := m.Axes[k]
			switch {
			case !ok:
				add(join(at, k), "%s is not an axis%s", k, axesList(axes))
			case !slices.Contains(vs, e[k]):
				add(join(at, k), "%s is not a value of axis %s (%s), so the entry leaves out nothing", quote(e[k]), k, strings.Join(vs, ", "))
			}
		}
	}
	want := axes
	if len(want) == 0 {
		want = m.Names()
	}
	for i, inc := range m.Include {
		at := fmt.Sprintf("include[%d]", i)
		for _, k := range slices.Sorted(maps.Keys(inc)) {
			switch {
			case slices.Contains(want, k):
			case len(axes) == 0:
				add(join(at, k), "include[0] has no %s; every job must have the same matrix variables (%s)", k, strings.Join(want, ", "))
			default:
				add(join(at, k), "%s is not an axis%s", k, axesList(axes))
			}
		}
		for _, k := range want {
			if _, ok := inc[k]; !ok {
				add(at, "gives no value for %s; every job must have the same matrix variables (%s)", k, strings.Join(want, ", "))
			}
		}
	}
	return errs
}

func axesList(axes []string) string {
	if len(axes) == 0 {
		return ""
	}
	return " (axes: " + strings.Join(axes, ", ") + ")"
}

// matches reports whether combination c has every value of entry e.
func matches(c, e map[string]string) bool {
	for k, v := range e {
		if c[k] != v {
			return false
		}
	}
	return true
}

// Expression is the form of a substitution: ${{ matrix.NAME }}, with
// optional spaces inside the braces.
var expression = lazyRegexp(`\$\{\{(.*?)\}\}`)

var matrixRef = lazyRegexp(`^matrix\.([a-z][a-z0-9_]*)$`)

// Substitute replaces each ${{ matrix.NAME }} in s with vars[NAME]. It is
// an error when s has another ${{ }} expression, an unclosed "${{", or a
// NAME that vars does not have. Text outside ${{ }}, such as $HOME or
// ${HOME}, is left to the shell.
func Substitute(s string, vars map[string]string) (string, error) {
	if !strings.Contains(s, "${{") {
		return s, nil
	}
	var b strings.Builder
	rest := s
	for {
		loc := expression().FindStringSubmatchIndex(rest)
		if loc == nil {
			if strings.Contains(rest, "${{") {
				return "", fmt.Errorf("%q has a ${{ without its }}", s)
			}
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:loc[0]])
		expr := strings.TrimSpace(rest[loc[2]:loc[3]])
		m := matrixRef().FindStringSubmatch(expr)
		if m == nil {
			return "", fmt.Errorf("unknown expression ${{ %s }}: the only one is ${{ matrix.NAME }}", expr)
		}
		v, ok := vars[m[1]]
		if !ok {
			names := slices.Sorted(maps.Keys(vars))
			if len(names) == 0 {
				return "", fmt.Errorf("${{ matrix.%s }}: the pipeline has no matrix", m[1])
			}
			return "", fmt.Errorf("${{ matrix.%s }}: the matrix has no %s (it has %s)", m[1], m[1], strings.Join(names, ", "))
		}
		b.WriteString(v)
		rest = rest[loc[1]:]
	}
}

// WithMatrix returns a copy of the step with ${{ matrix.NAME }} replaced by
// the values vars gives in every string where the format allows it: all
// but name, depends-on, when and secrets. Substitute says what the errors
// are.
func (s Step) WithMatrix(vars map[string]string) (Step, error) {
	out := deepCopy(reflect.ValueOf(s)).Interface().(Step)
	var err error
	eachSubstitutable(reflect.ValueOf(&out).Elem(), "", func(_ string, get func() string, set func(string)) {
		if err != nil {
			return
		}
		var v string
		if v, err = Substitute(get(), vars); err == nil {
			set(v)
		}
	})
	return out, err
}

// notSubstituted are the keys of a step whose strings are taken as they
// are written: they name things, or are decided before the matrix is.
var notSubstituted = []string{"name", "depends-on", "when", "secrets"}

// eachSubstitutable calls fn for every string under step v (a settable
// Step) in which ${{ matrix.NAME }} may appear, with its key path below
// the step (such as "run[0]" or "env.GOFLAGS").
func eachSubstitutable(v reflect.Value, path string, fn func(path string, get func() string, set func(string))) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == durationType {
			return
		}
		for _, f := range fieldsOf(v.Type()) {
			if path == "" && slices.Contains(notSubstituted, f.name) {
				continue
			}
			eachSubstitutable(v.Field(f.index), join(path, f.name), fn)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			eachSubstitutable(v.Elem(), path, fn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			eachSubstitutable(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.Map:
		for _, k := range slices.Sorted(maps.Keys(v.Interface().(map[string]string))) {
			kv := reflect.ValueOf(k)
			fn(join(path, k), func() string { return v.MapIndex(kv).String() },
				func(s string) { v.SetMapIndex(kv, reflect.ValueOf(s)) })
		}
	case reflect.String:
		fn(path, v.String, v.SetString)
	}
}

// deepCopy returns a copy of v sharing no slice, map or pointer with it.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if out.Field(i).CanSet() {
				out.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(deepCopy(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return out
	}
	return v
}

// goVersion is the form of a go: version: a release (1.26.8, 1.27rc1,
// 1.27beta1) or a language version (1.26), with or without "go".
var goVersion = lazyRegexp(`^(?:go)?(1\.(?:0|[1-9][0-9]*))(\.(?:0|[1-9][0-9]*)|(?:rc|beta)[1-9][0-9]*)?$`)

// Toolchain returns the GOTOOLCHAIN value for the go: version v: for a
// release such as 1.26.8 or 1.27rc1, "go1.26.8" and exact true; for a
// language version such as 1.26, which means its newest release and must
// be resolved to one, "go1.26" and exact false. It is an error when v is
// neither.
func Toolchain(v string) (name string, exact bool, err error) {
	m := goVersion().FindStringSubmatch(v)
	if m == nil {
		return "", false, fmt.Errorf("%s is not a Go version such as 1.26.8, 1.27rc1 or 1.26", quote(v))
	}
	return "go" + m[1] + m[2], m[2] != "", nil
}

// Dependencies returns, for the ID of every step of the pipeline, the IDs
// of the steps it waits for, without repeats: its depends-on, and by stage
// order the step before it in a stage that is not parallel, or for the
// first steps of a stage the last steps of the stage before (every step of
// a parallel stage, the last of another). Names that are not steps of the
// pipeline are kept, for the checks to report.
func (p Pipeline) Dependencies() map[string][]string {
	deps := map[string][]string{}
	var last []string // the steps that finish the stage before
	for _, st := range p.Stages {
		var ends []string
		for i, s := range st.Steps {
			id := s.ID()
			var d []string
			switch {
			case st.Parallel || i == 0:
				d = slices.Clone(last)
			default:
				d = []string{st.Steps[i-1].ID()}
			}
			for _, x := range s.DependsOn {
				if !slices.Contains(d, x) {
					d = append(d, x)
				}
			}
			deps[id] = append(deps[id], d...)
			if st.Parallel || i == len(st.Steps)-1 {
				ends = append(ends, id)
			}
		}
		if len(st.Steps) > 0 {
			last = ends
		}
	}
	return deps
}

// Cycle returns a cycle of steps waiting for each other in deps, as from
// Dependencies, as the list of step IDs a, b, ..., a where each waits for
// the next; nil when there is none. It looks from the steps in the order
// given, so that the cycle it names is the same every time.
func Cycle(deps map[string][]string, order []string) []string {
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var stack []string
	var found []string
	var visit func(id string) bool
	visit = func(id string) bool {
		state[id] = open
		stack = append(stack, id)
		for _, d := range deps[id] {
			switch state[d] {
			case open:
				i := slices.Index(stack, d)
				found = append(slices.Clone(stack[i:]), d)
				return true
			case unseen:
				if _, ok := deps[d]; ok && visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return false
	}
	for _, id := range order {
		if state[id] == unseen && visit(id) {
			return found
		}
	}
	return nil
}

// StepIDs returns the IDs of the pipeline's steps in file order.
func (p Pipeline) StepIDs() []string {
	var ids []string
	for _, st := range p.Stages {
		for _, s := range st.Steps {
			ids = append(ids, s.ID())
		}
	}
	return ids
}
