package pipeline

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

// mustParse parses a .shipline.yaml, failing the test on any problem.
func mustParse(tb testing.TB, yaml string) *config.Config {
	tb.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		tb.Fatalf("Parse:\n%v", err)
	}
	return cfg
}

// mustEvaluate evaluates cfg for ev and returns the plans by pipeline.
func mustEvaluate(tb testing.TB, cfg *config.Config, ev Event) map[string]Plan {
	tb.Helper()
	plans, err := Evaluate(cfg, ev)
	if err != nil {
		tb.Fatalf("Evaluate: %v", err)
	}
	out := map[string]Plan{}
	for _, p := range plans {
		out[p.Pipeline] = p
	}
	return out
}

var pushMain = Event{Kind: Push, Ref: "refs/heads/main"}

// order describes the steps of a job as "name<dep,dep" in plan order.
func describe(j Job) []string {
	var out []string
	for _, s := range j.Steps {
		out = append(out, s.Name+"<"+strings.Join(s.DependsOn, ","))
	}
	return out
}

func TestPlanStageOrder(t *testing.T) {
	cfg := mustParse(t, `version: 1
pipelines:
  ci:
    stages:
      - name: check
        parallel: true
        steps:
          - {name: vet, run: go vet ./...}
          - {name: lint, run: golangci-lint run, depends-on: fmt}
          - {name: fmt, run: gofmt -l .}
      - name: test
        steps:
          - {name: unit, run: go test ./...}
          - {name: race, run: go test -race ./...}
      - name: ship
        parallel: true
        steps:
          - {name: build, build: {snapshot: true}}
          - {name: docs, run: make docs, depends-on: [vet]}
`)
	job := mustEvaluate(t, cfg, pushMain)["ci"].Jobs[0]
	want := []string{
		"vet<",
		"fmt<", // lint waits for fmt, which comes later in the file: fmt goes first
		"lint<fmt",
		"unit<vet,lint,fmt", // the first step of a stage waits for every step of a parallel stage
		"race<unit",         // a stage that is not parallel runs in order
		"build<race",        // the last step of a sequential stage ends it
		"docs<race,vet",
	}
	if got := describe(job); !slices.Equal(got, want) {
		t.Errorf("steps =\n%q\nwant\n%q", got, want)
	}
	if got := job.Upstream("race"); !slices.Equal(got, []string{"vet", "fmt", "lint", "unit"}) {
		t.Errorf("Upstream(race) = %q", got)
	}
	if got := job.Upstream("vet"); got != nil {
		t.Errorf("Upstream(vet) = %q, want none", got)
	}
	if s := job.Steps[5]; s.Kind != "build" || !slices.Equal(s.Argv, []string{"shipline", "build", "--snapshot"}) || s.Script != nil {
		t.Errorf("build step = %+v", s)
	}
	if s := job.Steps[0]; s.Kind != "run" || !slices.Equal(s.Script, []string{"go vet ./..."}) || s.Argv != nil || s.Stage != "check" {
		t.Errorf("vet step = %+v", s)
	}
}

func TestPlanSkippedSteps(t *testing.T) {
	cfg := mustParse(t, `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps:
          - {name: one, run: x}
          - {name: two, run: x, when: {branch: release/*}}
          - {name: three, run: x}
      - name: b
        parallel: true
        steps:
          - {name: four, run: x, when: {event: tag}}
          - {name: five, run: x, depends-on: [two]}
      - name: c
        steps:
          - {name: six, run: x, when: {paths: {include: ["docs/**"]}}}
          - {name: seven, run: x, when: {status: failure}}
`)
	ev := Event{Kind: Push, Ref: "refs/heads/main", ChangedFiles: []string{"main.go"}}
	job := mustEvaluate(t, cfg, ev)["ci"].Jobs[0]
	want := []string{"one<", "three<one", "five<three,one", "seven<three,five"}
	if got := describe(job); !slices.Equal(got, want) {
		t.Errorf("steps =\n%q\nwant\n%q", got, want)
	}
	wantSkipped := []SkippedStep{
		{Name: "two", Stage: "a", Reason: "when.branch: main matches none of release/*"},
		{Name: "four", Stage: "b", Reason: "when.event: push is not tag"},
		{Name: "six", Stage: "c", Reason: "when.paths.include: no changed file matches docs/**"},
	}
	if !reflect.DeepEqual(job.Skipped, wantSkipped) {
		t.Errorf("skipped =\n%+v\nwant\n%+v", job.Skipped, wantSkipped)
	}
	seven := job.Steps[3]
	if !slices.Equal(seven.Status, []string{"failure"}) || seven.ShouldRun(false) || !seven.ShouldRun(true) {
		t.Errorf("seven: status %q", seven.Status)
	}
}

func TestPlanMatrix(t *testing.T) {
	cfg := mustParse(t, `version: 1
pipelines:
  ci:
    go: "${{ matrix.go }}"
    env: {CGO_ENABLED: "0", TARGET: "${{ matrix.os }}/amd64"}
    labels: {os: "${{ matrix.os }}"}
    matrix:
      os: [linux, darwin]
      go: ["1.26", "1.25.3"]
      exclude: [{os: darwin, go: "1.25.3"}]
    stages:
      - name: a
        steps:
          - name: build
            build: {targets: ["${{ matrix.os }}/amd64"]}
            env: {CGO_ENABLED: "1"}
            secrets: TOKEN
            timeout: 10m
            retry: 2
            artifacts: ["dist/${{ matrix.os }}/**"]
          - run: echo ${{ matrix.go }} $MATRIX_GO
`)
	plan := mustEvaluate(t, cfg, pushMain)["ci"]
	var names []string
	for i, j := range plan.Jobs {
		names = append(names, j.Name)
		if j.Index != i || j.Pipeline != "ci" {
			t.Errorf("job %d: index %d, pipeline %q", i, j.Index, j.Pipeline)
		}
	}
	if want := []string{"ci (go=1.26, os=linux)", "ci (go=1.26, os=darwin)", "ci (go=1.25.3, os=linux)"}; !slices.Equal(names, want) {
		t.Fatalf("jobs = %q, want %q", names, want)
	}
	lang, exact := plan.Jobs[0], plan.Jobs[2]
	if lang.Go != "1.26" || lang.Toolchain != "" || lang.Env["GOTOOLCHAIN"] != "" {
		t.Errorf("job with go 1.26: Go %q, Toolchain %q, env %v", lang.Go, lang.Toolchain, lang.Env)
	}
	wantEnv := map[string]string{"CGO_ENABLED": "0", "TARGET": "linux/amd64", "MATRIX_GO": "1.25.3", "MATRIX_OS": "linux", "GOTOOLCHAIN": "go1.25.3"}
	if exact.Toolchain != "go1.25.3" || !reflect.DeepEqual(exact.Env, wantEnv) {
		t.Errorf("job with go 1.25.3: Toolchain %q, env %v, want env %v", exact.Toolchain, exact.Env, wantEnv)
	}
	if !reflect.DeepEqual(exact.Matrix, map[string]string{"go": "1.25.3", "os": "linux"}) || !reflect.DeepEqual(exact.Labels, map[string]string{"os": "linux"}) {
		t.Errorf("matrix %v, labels %v", exact.Matrix, exact.Labels)
	}
	build := exact.Steps[0]
	want := PlannedStep{
		Name: "build", Stage: "a", Kind: "build",
		Argv:      []string{"shipline", "build", "--targets=linux/amd64"},
		Env:       map[string]string{"CGO_ENABLED": "1", "TARGET": "linux/amd64", "MATRIX_GO": "1.25.3", "MATRIX_OS": "linux", "GOTOOLCHAIN": "go1.25.3"},
		Secrets:   []string{"TOKEN"},
		Timeout:   10 * 60e9,
		Retry:     2,
		Status:    []string{"success"},
		Artifacts: []string{"dist/linux/**"},
	}
	if !reflect.DeepEqual(build, want) {
		t.Errorf("build step =\n%+v\nwant\n%+v", build, want)
	}
	if run := exact.Steps[1]; !slices.Equal(run.Script, []string{"echo 1.25.3 $MATRIX_GO"}) || run.Name != "run" {
		t.Errorf("run step = %+v", run)
	}
	// Jobs share nothing.
	exact.Steps[0].Env["X"] = "y"
	if _, ok := plan.Jobs[1].Steps[0].Env["X"]; ok {
		t.Error("jobs share an environment map")
	}
	if _, ok := exact.Env["X"]; ok {
		t.Error("a step shares its job's environment map")
	}
}

func TestEvaluatePipelines(t *testing.T) {
	cfg := mustParse(t, `version: 1
pipelines:
  release:
    when:
      event: tag
      ref: {include: ['^refs/tags/v'], exclude: ['-rc\.']}
    stages: [{name: a, steps: [{release: {}}]}]
  ci:
    when: {event: [push, manual], branch: [main, "release/**"]}
    stages: [{name: a, steps: [{test: {race: true}}]}]
  nightly:
    when: {event: cron}
    stages: [{name: a, steps: [{run: make nightly}]}]
  always:
    stages: [{name: a, steps: [{run: "true"}]}]
`)
	tests := []struct {
		ev   Event
		want []string // triggered pipelines
	}{
		{Event{Kind: Push, Ref: "refs/heads/main"}, []string{"always", "ci"}},
		{Event{Kind: Push, Ref: "refs/heads/release/1.x"}, []string{"always", "ci"}},
		{Event{Kind: Push, Ref: "refs/heads/feature"}, []string{"always"}},
		{Event{Kind: Manual, Ref: "refs/heads/main"}, []string{"always", "ci"}},
		{Event{Kind: Tag, Ref: "refs/tags/v1.0.0"}, []string{"always", "release"}},
		{Event{Kind: Tag, Ref: "refs/tags/v1.0.0-rc.1"}, []string{"always"}},
		{Event{Kind: Cron, Ref: "refs/heads/main"}, []string{"always", "nightly"}},
	}
	for _, tt := range tests {
		plans, err := Triggered(cfg, tt.ev)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range plans {
			got = append(got, p.Pipeline)
			if p.Skip != "" || len(p.Jobs) != 1 {
				t.Errorf("%+v: triggered plan %+v", tt.ev, p)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %s triggers %q, want %q", tt.ev.Kind, tt.ev.Ref, got, tt.want)
		}
	}
	all := mustEvaluate(t, cfg, Event{Kind: Tag, Ref: "refs/tags/v1.0.0-rc.1"})
	if p := all["release"]; p.Skip != `when.ref.exclude: refs/tags/v1.0.0-rc.1 matches -rc\.` || p.Jobs != nil {
		t.Errorf("release plan = %+v", p)
	}
	if plans, err := Evaluate(nil, pushMain); err != nil || plans != nil {
		t.Errorf("Evaluate(nil) = %v, %v", plans, err)
	}
}

func TestShouldRun(t *testing.T) {
	for _, tt := range []struct {
		status           []string
		ok, afterFailure bool
	}{
		{nil, true, false},
		{[]string{"success"}, true, false},
		{[]string{"failure"}, false, true},
		{[]string{"always"}, true, true},
		{[]string{"failure", "success"}, true, true},
	} {
		s := PlannedStep{Status: status(tt.status)}
		if s.ShouldRun(false) != tt.ok || s.ShouldRun(true) != tt.afterFailure {
			t.Errorf("status %q (%q): ShouldRun(false), ShouldRun(true) = %v, %v; want %v, %v",
				tt.status, s.Status, s.ShouldRun(false), s.ShouldRun(true), tt.ok, tt.afterFailure)
		}
	}
}

// TestEvaluateErrors checks configs built in code that break rules Parse
// enforces.
func TestEvaluateErrors(t *testing.T) {
	run := config.Strings{"x"}
	stage := func(parallel bool, steps ...config.Step) config.Stage {
		return config.Stage{Name: "s", Parallel: parallel, Steps: steps}
	}
	tests := []struct {
		name string
		p    config.Pipeline
		ev   Event
		want string
	}{
		{"cycle", config.Pipeline{Stages: []config.Stage{stage(true,
			config.Step{Name: "a", Run: run, DependsOn: config.Strings{"b"}},
			config.Step{Name: "b", Run: run, DependsOn: config.Strings{"a"}})}},
			pushMain, "pipeline ci: depends-on makes a cycle: a -> b -> a"},
		{"cycle by stage order", config.Pipeline{Stages: []config.Stage{
			stage(false, config.Step{Name: "a", Run: run, DependsOn: config.Strings{"b"}}),
			stage(false, config.Step{Name: "b", Run: run})}},
			pushMain, "pipeline ci: depends-on makes a cycle: a -> b -> a"},
		{"unknown step", config.Pipeline{Stages: []config.Stage{stage(false, config.Step{Name: "a", Run: run, DependsOn: config.Strings{"zz"}})}},
			pushMain, "pipeline ci: step a: depends-on: no step named zz"},
		{"same name", config.Pipeline{Stages: []config.Stage{stage(false, config.Step{Run: run}, config.Step{Run: run})}},
			pushMain, "pipeline ci: two steps are named run"},
		{"no kind", config.Pipeline{Stages: []config.Stage{stage(false, config.Step{})}},
			pushMain, "pipeline ci: step 1 has no kind"},
		{"matrix", config.Pipeline{Matrix: config.Matrix{Axes: map[string][]string{"go": {"1"}}, Exclude: []map[string]string{{"go": "1"}}},
			Stages: []config.Stage{stage(false, config.Step{Run: run})}},
			pushMain, "pipeline ci: matrix: the matrix expands to no jobs: exclude leaves out every combination"},
		{"substitution", config.Pipeline{Stages: []config.Stage{stage(false, config.Step{Run: config.Strings{"${{ matrix.go }}"}})}},
			pushMain, "pipeline ci: job ci: step run: ${{ matrix.go }}: the pipeline has no matrix"},
		{"go", config.Pipeline{Go: "latest", Stages: []config.Stage{stage(false, config.Step{Run: run})}},
			pushMain, `pipeline ci: job ci: "latest" is not a Go version such as 1.26.8, 1.27rc1 or 1.26`},
		{"bad event", config.Pipeline{}, Event{Kind: "push", Ref: "main"}, `ref "main" is not a full ref such as refs/heads/main or refs/tags/v1.2.0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.Config{Pipelines: map[string]config.Pipeline{"ci": tt.p}}
			plans, err := Evaluate(cfg, tt.ev)
			if err == nil || err.Error() != tt.want || shipline.ErrorCode(err) != shipline.EINVALID || plans != nil {
				t.Errorf("Evaluate = %v, %v; want the EINVALID error %q", plans, err, tt.want)
			}
		})
	}
}

// TestEvaluateExample plans the documented example for a push and a tag.
func TestEvaluateExample(t *testing.T) {
	data, err := os.ReadFile("../config/testdata/pipelines.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("pipelines.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	push := mustEvaluate(t, cfg, Event{Kind: Push, Ref: "refs/heads/main", ChangedFiles: []string{"cmd/app/main.go"}})
	if p := push["ci"]; len(p.Jobs) != 4 || p.Jobs[3].Toolchain != "go1.27rc1" {
		t.Errorf("ci on push: %d jobs, last %+v", len(p.Jobs), p.Jobs)
	}
	if got := push["ci"].Jobs[0].Skipped; len(got) != 1 || got[0].Name != "docs" {
		t.Errorf("ci skipped %+v, want docs", got)
	}
	if push["release"].Skip == "" {
		t.Error("a push triggers release")
	}
	tag := mustEvaluate(t, cfg, Event{Kind: Tag, Ref: "refs/tags/v1.2.0"})
	rel := tag["release"]
	if len(rel.Jobs) != 1 {
		t.Fatalf("release on a tag: %+v", rel)
	}
	want := []string{"gate<", "changelog<gate", "tag<changelog", "build<tag", "release<build", "publish<release", "announce<publish"}
	if got := describe(rel.Jobs[0]); !slices.Equal(got, want) {
		t.Errorf("release steps = %q, want %q", got, want)
	}
	if s := rel.Jobs[0].Steps[6]; !s.ShouldRun(true) || !s.ShouldRun(false) {
		t.Errorf("announce runs always: status %q", s.Status)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	data, err := os.ReadFile("../config/testdata/pipelines.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse("pipelines.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	ev := Event{Kind: Push, Ref: "refs/heads/main", ChangedFiles: []string{"cmd/app/main.go", "docs/index.md"}}
	for b.Loop() {
		if _, err := Evaluate(cfg, ev); err != nil {
			b.Fatal(err)
		}
	}
}
