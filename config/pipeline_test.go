package config

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// pipelineErrorTests are files with bad pipelines that Parse must reject,
// with every problem, in order, as "LINE:COL: message" (the file name is
// test.yaml). schemaRejects says that the JSON Schema rejects the file too;
// it cannot see names that repeat or are unknown, cycles, regular
// expressions or matrix sizes.
var pipelineErrorTests = []struct {
	name          string
	yaml          string
	want          []string
	schemaRejects bool
}{
	{
		name: "step with no kind",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: test
        steps:
          - name: unit
            timeout: 5m
`,
		want: []string{
			"7:13: pipelines.ci.stages[0].steps[0]: needs exactly one of run, test, gate, build, release, publish, changelog, tag; found none",
		},
		schemaRejects: true,
	},
	{
		name: "step with two kinds",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: test
        steps:
          - run: go test ./...
            test: {race: true}
            build: {}
`,
		want: []string{
			"8:13: pipelines.ci.stages[0].steps[0].test: run and test are both given; give exactly one of run, test, gate, build, release, publish, changelog, tag",
			"9:13: pipelines.ci.stages[0].steps[0].build: run and build are both given; give exactly one of run, test, gate, build, release, publish, changelog, tag",
		},
		schemaRejects: true,
	},
	{
		name: "unknown step key",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: test
        steps:
          - run: go test ./...
            dependson: [x]
`,
		want: []string{
			"8:13: pipelines.ci.stages[0].steps[0].dependson: unknown key \"dependson\"; valid keys in pipelines.ci.stages[0].steps[0]: name, run, test, gate, build, release, publish, changelog, tag, depends-on, when, env, secrets, timeout, retry, artifacts; did you mean \"depends-on\"?",
		},
		schemaRejects: true,
	},
	{
		name: "unknown key in depends_on spelling",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: test
        steps:
          - run: go test ./...
            depends_on: [x]
`,
		want: []string{
			"8:13: pipelines.ci.stages[0].steps[0].depends_on: unknown key \"depends_on\"; valid keys in pipelines.ci.stages[0].steps[0]: name, run, test, gate, build, release, publish, changelog, tag, depends-on, when, env, secrets, timeout, retry, artifacts; did you mean \"depends-on\"?",
		},
		schemaRejects: true,
	},
	{
		name: "unknown depends-on",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps:
          - {name: lint, run: golangci-lint run}
          - {name: unit, run: go test ./..., depends-on: [lnit]}
          - {name: e2e, run: ./e2e, depends-on: [nothing-like-it]}
`,
		want: []string{
			"8:59: pipelines.ci.stages[0].steps[1].depends-on[0]: no step named \"lnit\" in this pipeline; steps: lint, unit, e2e",
			"9:50: pipelines.ci.stages[0].steps[2].depends-on[0]: no step named \"nothing-like-it\" in this pipeline; steps: lint, unit, e2e",
		},
	},
	{
		name: "depends-on itself and twice",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps:
          - {name: lint, run: x}
          - name: unit
            run: y
            depends-on: [unit, lint, lint]
`,
		want: []string{
			"10:26: pipelines.ci.stages[0].steps[1].depends-on[0]: a step cannot depend on itself",
			"10:38: pipelines.ci.stages[0].steps[1].depends-on[2]: \"lint\" is listed already",
		},
	},
	{
		name: "cycle through depends-on",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        parallel: true
        steps:
          - {name: a, run: x, depends-on: c}
          - {name: b, run: x, depends-on: a}
          - {name: c, run: x, depends-on: [b]}
`,
		want: []string{
			"8:43: pipelines.ci.stages[0].steps[0].depends-on: makes a cycle of steps waiting for each other: a -> c -> b -> a",
		},
	},
	{
		name: "cycle through stage order",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: build
        steps:
          - {name: compile, run: x, depends-on: [package]}
      - name: ship
        steps:
          - {name: package, run: y}
`,
		want: []string{
			"7:50: pipelines.ci.stages[0].steps[0].depends-on[0]: makes a cycle of steps waiting for each other: compile -> package -> compile (package -> compile by stage order)",
		},
	},
	{
		name: "duplicate step names across stages",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps:
          - {name: unit, run: x}
      - name: b
        steps:
          - {name: unit, run: y}
`,
		want: []string{
			"10:20: pipelines.ci.stages[1].steps[0].name: step name \"unit\" is taken by the step at line 7, column 20",
		},
	},
	{
		name: "duplicate default names",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps:
          - build: {snapshot: true}
          - build: {targets: [linux/arm64]}
`,
		want: []string{
			"8:13: pipelines.ci.stages[0].steps[1].name: step name \"build\" is taken by the step at line 7, column 13; a step without a name is named after its kind: give the steps names",
		},
	},
	{
		name: "duplicate stage names, missing name, no steps",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps: [{run: x}]
      - name: a
        steps: [{test: }]
      - steps: [{name: z, run: y}]
      - name: empty
        steps: []
`,
		want: []string{
			"7:15: pipelines.ci.stages[1].name: stage name \"a\" is taken by the stage at line 5, column 15",
			"9:9: pipelines.ci.stages[2].name: a stage needs a name, such as name: test",
			"11:16: pipelines.ci.stages[3].steps: a stage needs at least one step",
		},
		schemaRejects: true,
	},
	{
		name: "no stages",
		yaml: `version: 1
pipelines:
  ci:
    when: {event: push}
`,
		want: []string{
			"4:5: pipelines.ci.stages: a pipeline needs at least one stage, such as stages: [{name: test, steps: [{run: go test ./...}]}]",
		},
		schemaRejects: true,
	},
	{
		name: "bad pipeline name",
		yaml: `version: 1
pipelines:
  "ci pipeline":
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"3:3: pipelines: key \"ci pipeline\" is not a name: use letters, digits, '.', '-' and '_', starting with a letter or digit",
		},
		schemaRejects: true,
	},
	{
		name: "bad stage and step names",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: "a b"
        steps:
          - {name: "-x", run: x}
`,
		want: []string{
			"5:15: pipelines.ci.stages[0].name: \"a b\" is not a stage name: use letters, digits, '.', '-' and '_', starting with a letter or digit",
			"7:20: pipelines.ci.stages[0].steps[0].name: \"-x\" is not a step name: use letters, digits, '.', '-' and '_', starting with a letter or digit",
		},
		schemaRejects: true,
	},
	{
		name: "bad event and status",
		yaml: `version: 1
pipelines:
  ci:
    when:
      event: [push, pull_request]
    stages:
      - name: a
        steps:
          - run: x
            when: {status: failed}
`,
		want: []string{
			"5:21: pipelines.ci.when.event[1]: invalid value \"pull_request\"; valid values: push, tag, manual, cron",
			"10:28: pipelines.ci.stages[0].steps[0].when.status: invalid value \"failed\"; valid values: success, failure, always",
		},
		schemaRejects: true,
	},
	{
		name: "status on a pipeline",
		yaml: `version: 1
pipelines:
  ci:
    when: {status: always}
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"4:20: pipelines.ci.when.status: status applies to steps only: a pipeline runs whatever happened before",
		},
	},
	{
		name: "invalid regexps",
		yaml: `version: 1
pipelines:
  ci:
    when:
      ref:
        include: ['^refs/tags/v(\d+']
        exclude: 'x**'
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"6:19: pipelines.ci.when.ref.include[0]: invalid regular expression: missing closing ): `^refs/tags/v(\\d+`",
			"7:18: pipelines.ci.when.ref.exclude: invalid regular expression: invalid nested repetition operator: `**`",
		},
	},
	{
		name: "invalid globs",
		yaml: `version: 1
pipelines:
  ci:
    when:
      branch: "release/[0-9"
      paths:
        include: [/src/**]
        exclude: ["../x", ""]
    stages: [{name: a, steps: [{run: x, artifacts: ["dist/[", "ok/**"]}]}]
`,
		want: []string{
			"5:15: pipelines.ci.when.branch: \"release/[0-9\" is not a valid glob: syntax error in pattern",
			"7:19: pipelines.ci.when.paths.include[0]: \"/src/**\": patterns are relative to the repository root; remove the leading /",
			"8:19: pipelines.ci.when.paths.exclude[0]: \"../x\": a pattern cannot leave the repository (..)",
			"8:27: pipelines.ci.when.paths.exclude[1]: an empty pattern matches nothing",
			"9:53: pipelines.ci.stages[0].steps[0].artifacts[0]: \"dist/[\" is not a valid glob: syntax error in pattern",
		},
		schemaRejects: true,
	},
	{
		name: "durations",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps:
          - {name: a, run: x, timeout: 10}
          - {name: b, run: x, timeout: ten minutes}
          - {name: c, run: x, timeout: 0s}
          - {name: d, run: x, timeout: 25h}
          - {name: e, run: x, timeout: -1m}
`,
		want: []string{
			"7:40: pipelines.ci.stages[0].steps[0].timeout: expected a duration such as 90s or 1h30m, found integer 10; give a unit, such as 10s",
			"8:40: pipelines.ci.stages[0].steps[1].timeout: invalid duration \"ten minutes\": want a number and a unit, such as 90s, 10m or 1h30m",
			"9:40: pipelines.ci.stages[0].steps[2].timeout: must be more than 0, found 0s",
			"10:40: pipelines.ci.stages[0].steps[3].timeout: must be at most 24h, found 25h0m0s",
			"11:40: pipelines.ci.stages[0].steps[4].timeout: must be more than 0, found -1m0s",
		},
		schemaRejects: true,
	},
	{
		name: "retry bounds",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps:
          - {name: a, run: x, retry: -1}
          - {name: b, run: x, retry: 11}
          - {name: c, run: x, retry: "3"}
`,
		want: []string{
			"7:38: pipelines.ci.stages[0].steps[0].retry: must be between 0 and 10, found -1",
			"8:38: pipelines.ci.stages[0].steps[1].retry: must be between 0 and 10, found 11",
			"9:38: pipelines.ci.stages[0].steps[2].retry: expected an integer, found string \"3\"",
		},
		schemaRejects: true,
	},
	{
		name: "run forms",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps:
          - {name: a, run: []}
          - {name: b, run: ["", ok]}
          - {name: c, run: 3}
          - {name: d, run: {cmd: x}}
`,
		want: []string{
			"7:28: pipelines.ci.stages[0].steps[0].run: needs at least one command",
			"8:29: pipelines.ci.stages[0].steps[1].run[0]: an empty command",
			"9:28: pipelines.ci.stages[0].steps[2].run: expected a string or a list of strings, found integer 3; quote it if you mean the string: \"3\"",
			"10:28: pipelines.ci.stages[0].steps[3].run: expected a string or a list of strings, found a mapping",
		},
		schemaRejects: true,
	},
	{
		name: "matrix axis problems",
		yaml: `version: 1
pipelines:
  ci:
    matrix:
      go: ["1.25", 1.26, "1.25"]
      os: []
      Arch: [amd64]
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"5:20: pipelines.ci.matrix.go[1]: expected a string, found number 1.26; quote it if you mean the string: \"1.26\"",
			"5:26: pipelines.ci.matrix.go[2]: \"1.25\" is listed already",
			"6:11: pipelines.ci.matrix.os: an axis needs at least one value",
			"7:7: pipelines.ci.matrix: key \"Arch\" is not a matrix axis name: use lowercase letters, digits and '_', starting with a letter",
		},
		schemaRejects: true,
	},
	{
		name: "matrix exclude and include problems",
		yaml: `version: 1
pipelines:
  ci:
    matrix:
      go: ["1.25", "1.26"]
      os: [linux, darwin]
      exclude:
        - {go: "1.24"}
        - {arch: arm64}
        - {}
      include:
        - {go: "1.27"}
        - {go: "1.27", os: linux, arch: arm64}
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"8:16: pipelines.ci.matrix.exclude[0].go: \"1.24\" is not a value of axis go (1.25, 1.26), so the entry leaves out nothing",
			"9:18: pipelines.ci.matrix.exclude[1].arch: arch is not an axis (axes: go, os)",
			"10:11: pipelines.ci.matrix.exclude[2]: an empty entry would leave out every combination",
			"12:11: pipelines.ci.matrix.include[0]: gives no value for os; every job must have the same matrix variables (go, os)",
			"13:41: pipelines.ci.matrix.include[1].arch: arch is not an axis (axes: go, os)",
		},
		schemaRejects: true,
	},
	{
		name: "matrix over the limit",
		yaml: `version: 1
pipelines:
  ci:
    matrix:
      a: ["1", "2", "3", "4", "5", "6", "7", "8"]
      b: ["1", "2", "3", "4", "5", "6", "7", "8"]
      max-jobs: 50
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"5:7: pipelines.ci.matrix: the matrix expands to 64 jobs, more than max-jobs (50)",
		},
	},
	{
		name: "matrix over the default limit",
		yaml: `version: 1
pipelines:
  ci:
    matrix:
      a: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
      b: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
      c: ["1", "2", "3"]
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"5:7: pipelines.ci.matrix: the matrix expands to 300 jobs, more than max-jobs (256)",
		},
	},
	{
		name: "matrix too large before exclude",
		yaml: `version: 1
pipelines:
  ci:
    matrix:
      a: &v ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17"]
      b: *v
      c: *v
      d: *v
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"5:7: pipelines.ci.matrix: the axes have 83521 combinations, more than 65536",
		},
	},
	{
		name: "matrix expands to nothing",
		yaml: `version: 1
pipelines:
  ci:
    matrix:
      go: ["1.26"]
      exclude: [{go: "1.26"}]
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"5:7: pipelines.ci.matrix: the matrix expands to no jobs: exclude leaves out every combination",
		},
	},
	{
		name: "matrix empty, max-jobs out of range",
		yaml: `version: 1
pipelines:
  ci:
    matrix: {}
    stages: [{name: a, steps: [{run: x}]}]
  cd:
    matrix: {go: ["1.26"], max-jobs: 0}
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"4:13: pipelines.ci.matrix: a matrix needs at least one axis, such as go: [\"1.25\", \"1.26\"], or include entries",
			"7:38: pipelines.cd.matrix.max-jobs: must be between 1 and 65536, found 0",
		},
		schemaRejects: true,
	},
	{
		name: "matrix typo",
		yaml: `version: 1
pipelines:
  ci:
    matrix:
      go: ["1.26"]
      exlude: [{go: "1.26"}]
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"6:7: pipelines.ci.matrix.exlude: unknown key \"exlude\"; keys in pipelines.ci.matrix are include, exclude, max-jobs, or a matrix axis name; did you mean \"exclude\"?",
		},
		schemaRejects: true,
	},
	{
		name: "include with repeated combination",
		yaml: `version: 1
pipelines:
  ci:
    matrix:
      go: ["1.26"]
      include: [{go: "1.26"}]
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"6:17: pipelines.ci.matrix.include[0]: the matrix has this combination already",
		},
	},
	{
		name: "substitutions",
		yaml: `version: 1
pipelines:
  ci:
    matrix: {go: ["1.26"]}
    env: {V: "${{ matrix.og }}"}
    stages:
      - name: a
        steps:
          - name: a
            run: ["echo ${{ matrix.go }}", "echo ${{ env.HOME }}", "echo ${{ matrix.go"]
            depends-on: []
            when: {branch: "${{ matrix.go }}"}
          - build: {targets: ["linux/${{ matrix.arch }}"]}
`,
		want: []string{
			"5:14: pipelines.ci.env.V: ${{ matrix.og }}: the matrix has no og (it has go)",
			"10:44: pipelines.ci.stages[0].steps[0].run[1]: unknown expression ${{ env.HOME }}: the only one is ${{ matrix.NAME }}",
			"10:68: pipelines.ci.stages[0].steps[0].run[2]: \"echo ${{ matrix.go\" has a ${{ without its }}",
			"12:28: pipelines.ci.stages[0].steps[0].when.branch: ${{ }} is not substituted here: only in run, env, artifacts, go, labels and the options of built-in steps",
			"13:31: pipelines.ci.stages[0].steps[1].build.targets[0]: ${{ matrix.arch }}: the matrix has no arch (it has go)",
		},
	},
	{
		name: "substitution without matrix",
		yaml: `version: 1
pipelines:
  ci:
    stages: [{name: a, steps: [{run: "echo ${{ matrix.go }}"}]}]
`,
		want: []string{
			"4:38: pipelines.ci.stages[0].steps[0].run[0]: ${{ matrix.go }}: the pipeline has no matrix",
		},
	},
	{
		name: "go versions",
		yaml: `version: 1
pipelines:
  a:
    go: "1.26.x"
    stages: [{name: a, steps: [{run: x}]}]
  b:
    go: 1.26
    stages: [{name: a, steps: [{run: x}]}]
  c:
    go: "${{ matrix.go }}"
    matrix: {go: ["1.26", "tip"]}
    stages: [{name: a, steps: [{run: x}]}]
`,
		want: []string{
			"4:9: pipelines.a.go: \"1.26.x\" is not a Go version such as 1.26.8, 1.27rc1 or 1.26",
			"7:9: pipelines.b.go: expected a string, found number 1.26; quote it if you mean the string: \"1.26\"",
			"10:9: pipelines.c.go: in the job with go=tip: \"tip\" is not a Go version such as 1.26.8, 1.27rc1 or 1.26",
		},
		schemaRejects: true,
	},
	{
		name: "env and secrets",
		yaml: `version: 1
pipelines:
  ci:
    go: 1.26.8
    env: {GOTOOLCHAIN: local, MATRIX_X: "1", "2X": y}
    labels: {os: "", "-gpu": "yes"}
    stages:
      - name: a
        steps:
          - run: x
            env: {GOTOOLCHAIN: go1.25.0}
            secrets: [TOKEN, TOKEN, "my-token"]
`,
		want: []string{
			"5:24: pipelines.ci.env.GOTOOLCHAIN: go: sets GOTOOLCHAIN already; set one or the other",
			"5:41: pipelines.ci.env.MATRIX_X: MATRIX_ variables come from the matrix; name the variable otherwise",
			"5:46: pipelines.ci.env: key \"2X\" is not an environment variable name: use letters, digits and '_', not starting with a digit",
			"6:18: pipelines.ci.labels.os: a label needs a value",
			"6:22: pipelines.ci.labels: key \"-gpu\" is not a label name: use letters, digits, '.', '/', '-' and '_', starting with a letter or digit",
			"11:32: pipelines.ci.stages[0].steps[0].env.GOTOOLCHAIN: go: sets GOTOOLCHAIN already; set one or the other",
			"12:30: pipelines.ci.stages[0].steps[0].secrets[1]: \"TOKEN\" is listed already",
			"12:37: pipelines.ci.stages[0].steps[0].secrets[2]: \"my-token\" is not a secret name: use letters, digits and '_', not starting with a digit",
		},
		schemaRejects: true,
	},
	{
		name: "options",
		yaml: `version: 1
pipelines:
  ci:
    stages:
      - name: a
        steps:
          - test: {coverage: 101, run: "Test(", races: true}
          - gate: {checks: ["api check"]}
          - build: {targets: linux/amd64}
          - tag: push
`,
		want: []string{
			"7:30: pipelines.ci.stages[0].steps[0].test.coverage: must be a percentage from 0 to 100, found 101",
			"7:40: pipelines.ci.stages[0].steps[0].test.run: invalid regular expression: missing closing ): `Test(`",
			"7:49: pipelines.ci.stages[0].steps[0].test.races: unknown key \"races\"; valid keys in pipelines.ci.stages[0].steps[0].test: module, packages, race, short, run, tags, coverage; did you mean \"race\"?",
			"8:29: pipelines.ci.stages[0].steps[1].gate.checks[0]: \"api check\" is not a check name: use letters, digits, '.', '-' and '_', starting with a letter or digit",
			"10:18: pipelines.ci.stages[0].steps[3].tag: expected a mapping, found string \"push\"",
		},
		schemaRejects: true,
	},
}

func TestPipelineParseErrors(t *testing.T) {
	for _, tt := range pipelineErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("test.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want errors:\n%s", cfg.Pipelines, strings.Join(tt.want, "\n"))
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, "test.yaml:"+w)
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("error:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

// TestPipelineSchemaAgreesWithParse checks that the schema rejects the
// bad pipelines a schema can tell are bad.
func TestPipelineSchemaAgreesWithParse(t *testing.T) {
	s := mustSchema(t)
	for _, tt := range pipelineErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			if err := yaml.Unmarshal([]byte(tt.yaml), &doc); err != nil {
				t.Fatal(err)
			}
			if errs := validate(s, doc, ""); (len(errs) > 0) != tt.schemaRejects {
				t.Errorf("schema rejects the file = %v, want %v: %v", len(errs) > 0, tt.schemaRejects, errs)
			}
		})
	}
}

func TestPipelinesExample(t *testing.T) {
	data, err := os.ReadFile("testdata/pipelines.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("testdata/pipelines.yaml", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := slices.Sorted(maps.Keys(cfg.Pipelines)); !slices.Equal(got, []string{"ci", "release"}) {
		t.Fatalf("pipelines = %v", got)
	}
	ci := cfg.Pipelines["ci"]
	want := When{
		Event:  Strings{"push", "manual"},
		Branch: Strings{"main", "release/**"},
		Ref:    RefFilter{Exclude: Strings{"^refs/heads/release/old-"}},
		Paths:  PathFilter{Include: Strings{"**/*.go", "go.mod", "go.sum", "docs/**"}, Exclude: Strings{"docs/drafts/**"}},
	}
	if !reflect.DeepEqual(ci.When, want) {
		t.Errorf("ci.when = %+v, want %+v", ci.When, want)
	}
	wantMatrix := Matrix{
		Axes:    map[string][]string{"go": {"1.25", "1.26"}, "arch": {"amd64", "arm64"}},
		Exclude: []map[string]string{{"go": "1.25", "arch": "arm64"}},
		Include: []map[string]string{{"go": "1.27rc1", "arch": "amd64"}},
		MaxJobs: 8,
	}
	if !reflect.DeepEqual(ci.Matrix, wantMatrix) {
		t.Errorf("ci.matrix = %+v, want %+v", ci.Matrix, wantMatrix)
	}
	test := ci.Stages[0].Steps[1]
	if want := (TestStep{Packages: Strings{"./..."}, Race: true, Coverage: 80}); test.Test == nil || !reflect.DeepEqual(*test.Test, want) {
		t.Errorf("test step = %+v, want %+v", test.Test, want)
	}
	if test.Timeout != 20*time.Minute || test.Retry != 1 || test.ID() != "test" || test.Kind() != "test" {
		t.Errorf("test step: timeout %v, retry %d, id %q, kind %q", test.Timeout, test.Retry, test.ID(), test.Kind())
	}
	if vet := ci.Stages[0].Steps[0]; !slices.Equal(vet.Run, []string{"go vet ./..."}) {
		t.Errorf("vet.run = %q, want one command", vet.Run)
	}
	if p := cfg.Pipelines["release"].Stages[1].Steps[2]; p.Publish == nil || p.Kind() != "publish" {
		t.Errorf("an empty publish: gives %+v, kind %q", p.Publish, p.Kind())
	}

	// The example must keep up with the types: it sets every key of a
	// pipeline, a stage, a step and their conditions.
	d := newDecoder("pipelines.yaml")
	d.value(d.document(data), reflect.ValueOf(Default()).Elem(), "", nil)
	var missing []string
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for _, f := range fieldsOf(t) {
			p := join(path, f.name)
			if !slices.ContainsFunc(slices.Collect(maps.Keys(d.nodes)), func(n string) bool { return pathMatches(p, n) }) {
				missing = append(missing, p)
			}
			switch ft := t.Field(f.index).Type; {
			case ft == reflect.TypeFor[When](), ft == reflect.TypeFor[Matrix](), ft == reflect.TypeFor[RefFilter](), ft == reflect.TypeFor[PathFilter]():
				walk(ft, p)
			case ft == reflect.TypeFor[[]Stage]():
				walk(ft.Elem(), p+"[*]")
			case ft == reflect.TypeFor[[]Step]():
				walk(ft.Elem(), p+"[*]")
			}
		}
	}
	walk(reflect.TypeFor[Pipeline](), "pipelines.*")
	// A pipeline has no status condition.
	missing = slices.DeleteFunc(missing, func(p string) bool { return p == "pipelines.*.when.status" })
	if len(missing) > 0 {
		t.Errorf("testdata/pipelines.yaml does not set %s", strings.Join(missing, ", "))
	}

	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if errs := validate(mustSchema(t), doc, ""); len(errs) > 0 {
		t.Errorf("the schema rejects testdata/pipelines.yaml:\n%v", errs)
	}
}

// pathMatches reports whether key path p, where * stands for any one map
// key or list index, matches path n.
func pathMatches(p, n string) bool {
	re := regexp.QuoteMeta(p)
	re = strings.ReplaceAll(re, `\[\*\]`, `\[[0-9]+\]`)
	re = strings.ReplaceAll(re, `\.\*`, `\.[^.\[]+`)
	return regexp.MustCompile("^" + re + "$").MatchString(n)
}

// TestPipelineForms checks the forms the decoder accepts besides plain
// lists and mappings.
func TestPipelineForms(t *testing.T) {
	const file = `version: 1
pipelines:
  ci:
    env: {}
    stages:
      - name: a
        parallel: true
        steps:
          - run: make
            depends-on: b
            secrets: TOKEN
            timeout: 1h30m
          - name: b
            test:
          - name: c
            build: {targets: linux/amd64}
            when: {event: tag, status: always}
`
	cfg, err := Parse("test.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Pipelines["ci"]
	if p.Env != nil {
		t.Errorf("env: {} gives %#v, want nil", p.Env)
	}
	steps := p.Stages[0].Steps
	want := Step{Run: Strings{"make"}, DependsOn: Strings{"b"}, Secrets: Strings{"TOKEN"}, Timeout: 90 * time.Minute}
	if !reflect.DeepEqual(steps[0], want) {
		t.Errorf("step 0 = %+v, want %+v", steps[0], want)
	}
	if steps[1].Test == nil || !reflect.DeepEqual(*steps[1].Test, TestStep{}) {
		t.Errorf("test: with no value gives %+v, want an empty TestStep", steps[1].Test)
	}
	if got := steps[2]; !slices.Equal(got.Build.Targets, []string{"linux/amd64"}) ||
		!slices.Equal(got.When.Event, []string{"tag"}) || !slices.Equal(got.When.Status, []string{"always"}) {
		t.Errorf("step 2 = %+v", got)
	}
}

func TestMatrixCombinations(t *testing.T) {
	axes := map[string][]string{"go": {"1.25", "1.26"}, "arch": {"amd64", "arm64"}}
	tests := []struct {
		name    string
		matrix  Matrix
		want    []map[string]string
		wantErr string
	}{
		{name: "none", matrix: Matrix{}, want: nil},
		{
			name:   "product, first axis by name slowest",
			matrix: Matrix{Axes: axes},
			want: []map[string]string{
				{"arch": "amd64", "go": "1.25"}, {"arch": "amd64", "go": "1.26"},
				{"arch": "arm64", "go": "1.25"}, {"arch": "arm64", "go": "1.26"},
			},
		},
		{
			name:   "values in the order given",
			matrix: Matrix{Axes: map[string][]string{"go": {"1.26", "1.25", "1.24"}}},
			want:   []map[string]string{{"go": "1.26"}, {"go": "1.25"}, {"go": "1.24"}},
		},
		{
			name:   "exclude by one value and by a combination",
			matrix: Matrix{Axes: axes, Exclude: []map[string]string{{"arch": "arm64", "go": "1.25"}, {"go": "1.26", "arch": "amd64"}}},
			want:   []map[string]string{{"arch": "amd64", "go": "1.25"}, {"arch": "arm64", "go": "1.26"}},
		},
		{
			name:   "exclude a whole value",
			matrix: Matrix{Axes: axes, Exclude: []map[string]string{{"arch": "arm64"}}},
			want:   []map[string]string{{"arch": "amd64", "go": "1.25"}, {"arch": "amd64", "go": "1.26"}},
		},
		{
			name: "include after exclude, new values allowed",
			matrix: Matrix{Axes: axes, Exclude: []map[string]string{{"arch": "arm64"}},
				Include: []map[string]string{{"go": "1.27rc1", "arch": "riscv64"}, {"go": "1.25", "arch": "arm64"}}},
			want: []map[string]string{
				{"arch": "amd64", "go": "1.25"}, {"arch": "amd64", "go": "1.26"},
				{"arch": "riscv64", "go": "1.27rc1"}, {"arch": "arm64", "go": "1.25"},
			},
		},
		{
			name:   "include only",
			matrix: Matrix{Include: []map[string]string{{"os": "linux", "cc": "gcc"}, {"os": "darwin", "cc": "clang"}}},
			want:   []map[string]string{{"os": "linux", "cc": "gcc"}, {"os": "darwin", "cc": "clang"}},
		},
		{
			name:    "include only, different names",
			matrix:  Matrix{Include: []map[string]string{{"os": "linux"}, {"os": "darwin", "cc": "clang"}}},
			wantErr: "include[1].cc: include[0] has no cc; every job must have the same matrix variables (os)",
		},
		{
			name:    "include missing an axis",
			matrix:  Matrix{Axes: axes, Include: []map[string]string{{"go": "1.27"}}},
			wantErr: "include[0]: gives no value for arch; every job must have the same matrix variables (arch, go)",
		},
		{
			name:    "include repeating a combination",
			matrix:  Matrix{Axes: axes, Include: []map[string]string{{"go": "1.26", "arch": "amd64"}}},
			wantErr: "include[0]: the matrix has this combination already",
		},
		{
			name:    "exclude with an unknown value",
			matrix:  Matrix{Axes: axes, Exclude: []map[string]string{{"go": "1.24"}}},
			wantErr: `exclude[0].go: "1.24" is not a value of axis go (1.25, 1.26), so the entry leaves out nothing`,
		},
		{
			name:    "exclude everything",
			matrix:  Matrix{Axes: axes, Exclude: []map[string]string{{"go": "1.25"}, {"go": "1.26"}}},
			wantErr: "the matrix expands to no jobs: exclude leaves out every combination",
		},
		{
			name:    "axis without values",
			matrix:  Matrix{Axes: map[string][]string{"go": {}}},
			wantErr: "go: an axis needs at least one value",
		},
		{
			name:    "over max-jobs",
			matrix:  Matrix{Axes: axes, MaxJobs: 3},
			wantErr: "the matrix expands to 4 jobs, more than max-jobs (3)",
		},
		{
			name:   "at max-jobs",
			matrix: Matrix{Axes: map[string][]string{"go": {"1.25", "1.26"}}, MaxJobs: 2},
			want:   []map[string]string{{"go": "1.25"}, {"go": "1.26"}},
		},
		{
			name:    "over the default limit",
			matrix:  Matrix{Axes: map[string][]string{"a": values(16), "b": values(17)}},
			wantErr: "the matrix expands to 272 jobs, more than max-jobs (256)",
		},
		{
			name:    "too many combinations to count as an int",
			matrix:  Matrix{Axes: map[string][]string{"a": values(1000), "b": values(1000), "c": values(1000), "d": values(1000), "e": values(1000), "f": values(1000), "g": values(1000)}},
			wantErr: "the axes have 1e+21 combinations, more than 65536",
		},
		{
			name:    "max-jobs out of range",
			matrix:  Matrix{Axes: axes, MaxJobs: MaxCombinations + 1},
			wantErr: "max-jobs: must be between 1 and 65536, found 65537",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.matrix.Combinations()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Combinations =\n%v\nwant\n%v", got, tt.want)
			}
			again, _ := tt.matrix.Combinations()
			if !reflect.DeepEqual(again, got) {
				t.Errorf("Combinations is not deterministic:\n%v\n%v", got, again)
			}
		})
	}
}

func values(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}

func TestSubstitute(t *testing.T) {
	vars := map[string]string{"go": "1.26", "os": "linux"}
	tests := []struct{ in, want, wantErr string }{
		{in: "plain $HOME ${HOME}", want: "plain $HOME ${HOME}"},
		{in: "${{ matrix.go }}", want: "1.26"},
		{in: "go${{matrix.go}}-${{   matrix.os   }}!", want: "go1.26-linux!"},
		{in: "${{ matrix.arch }}", wantErr: "${{ matrix.arch }}: the matrix has no arch (it has go, os)"},
		{in: "${{ env.HOME }}", wantErr: "unknown expression ${{ env.HOME }}: the only one is ${{ matrix.NAME }}"},
		{in: "${{ matrix.Go }}", wantErr: "unknown expression ${{ matrix.Go }}: the only one is ${{ matrix.NAME }}"},
		{in: "a ${{ matrix.go", wantErr: `"a ${{ matrix.go" has a ${{ without its }}`},
		{in: "${{ matrix.go }} ${{", wantErr: `"${{ matrix.go }} ${{" has a ${{ without its }}`},
	}
	for _, tt := range tests {
		got, err := Substitute(tt.in, vars)
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Substitute(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
		case err != nil || got != tt.want:
			t.Errorf("Substitute(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := Substitute("${{ matrix.go }}", nil); err == nil || err.Error() != "${{ matrix.go }}: the pipeline has no matrix" {
		t.Errorf("Substitute without a matrix: %v", err)
	}
}

func TestStepWithMatrix(t *testing.T) {
	s := Step{
		Name:      "build-${{ matrix.os }}",
		Run:       Strings{"GOOS=${{ matrix.os }} go build"},
		DependsOn: Strings{"${{ matrix.os }}"},
		When:      When{Branch: Strings{"${{ matrix.os }}"}},
		Env:       map[string]string{"OS": "${{ matrix.os }}"},
		Secrets:   Strings{"TOKEN"},
		Artifacts: Strings{"dist/${{ matrix.os }}/**"},
	}
	got, err := s.WithMatrix(map[string]string{"os": "linux"})
	if err != nil {
		t.Fatal(err)
	}
	want := s
	want.Run = Strings{"GOOS=linux go build"}
	want.Env = map[string]string{"OS": "linux"}
	want.Artifacts = Strings{"dist/linux/**"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WithMatrix =\n%+v\nwant\n%+v", got, want)
	}
	if s.Run[0] != "GOOS=${{ matrix.os }} go build" || s.Env["OS"] != "${{ matrix.os }}" {
		t.Errorf("WithMatrix changed the step it copied: %+v", s)
	}

	b := Step{Build: &BuildStep{Targets: Strings{"${{ matrix.os }}/amd64"}, Dist: "dist-${{ matrix.os }}"}}
	got, err = b.WithMatrix(map[string]string{"os": "darwin"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (BuildStep{Targets: Strings{"darwin/amd64"}, Dist: "dist-darwin"}); !reflect.DeepEqual(*got.Build, want) {
		t.Errorf("build options = %+v, want %+v", *got.Build, want)
	}
	if b.Build.Targets[0] != "${{ matrix.os }}/amd64" {
		t.Errorf("WithMatrix changed the options it copied: %+v", b.Build)
	}
	if _, err := b.WithMatrix(nil); err == nil {
		t.Error("WithMatrix without the variable succeeded")
	}
}

func TestToolchain(t *testing.T) {
	tests := []struct {
		in, want string
		exact    bool
		ok       bool
	}{
		{"1.26.8", "go1.26.8", true, true},
		{"go1.26.8", "go1.26.8", true, true},
		{"1.26.0", "go1.26.0", true, true},
		{"1.27rc1", "go1.27rc1", true, true},
		{"1.27beta2", "go1.27beta2", true, true},
		{"1.26", "go1.26", false, true},
		{"1.9", "go1.9", false, true},
		{"1.26.x", "", false, false},
		{"1.026", "", false, false},
		{"1.26.08", "", false, false},
		{"2.0", "", false, false},
		{"1.27rc0", "", false, false},
		{"tip", "", false, false},
		{"", "", false, false},
		{"go1.26 ", "", false, false},
	}
	re := regexp.MustCompile(goVersionPattern)
	for _, tt := range tests {
		got, exact, err := Toolchain(tt.in)
		if (err == nil) != tt.ok || got != tt.want || exact != tt.exact {
			t.Errorf("Toolchain(%q) = %q, %v, %v; want %q, %v, ok %v", tt.in, got, exact, err, tt.want, tt.exact, tt.ok)
		}
		if re.MatchString(tt.in) != tt.ok {
			t.Errorf("goVersionPattern matches %q = %v, Toolchain accepts it = %v", tt.in, !tt.ok, tt.ok)
		}
	}
}

// TestDurationPattern checks the schema's pattern for durations against
// time.ParseDuration.
func TestDurationPattern(t *testing.T) {
	re := regexp.MustCompile(durationPattern)
	for _, s := range []string{
		"0", "0s", "90s", "1h30m", "1.5h", ".5s", "1.s", "300ms", "1us", "1µs", "1μs", "10ns", "-1m", "+2h",
		"", "10", "1d", "m", "1 h", "1h 30m", "1.2.3s", "h1", "--1s", "s",
	} {
		_, err := time.ParseDuration(s)
		if got := re.MatchString(s); got != (err == nil) {
			t.Errorf("durationPattern matches %q = %v, time.ParseDuration accepts it = %v", s, got, err == nil)
		}
	}
}

func TestDependencies(t *testing.T) {
	p := Pipeline{Stages: []Stage{
		{Name: "check", Parallel: true, Steps: []Step{{Name: "vet", Run: Strings{"x"}}, {Test: &TestStep{}}}},
		{Name: "package", Steps: []Step{{Build: &BuildStep{}}, {Name: "smoke", Run: Strings{"x"}}, {Name: "sign", Run: Strings{"x"}, DependsOn: Strings{"vet", "build"}}}},
		{Name: "ship", Parallel: true, Steps: []Step{{Release: &ReleaseStep{}}, {Name: "docs", Run: Strings{"x"}, DependsOn: Strings{"vet"}}}},
	}}
	want := map[string][]string{
		"vet":     nil,
		"test":    nil,
		"build":   {"vet", "test"},
		"smoke":   {"build"},
		"sign":    {"smoke", "vet", "build"},
		"release": {"sign"},
		"docs":    {"sign", "vet"},
	}
	if got := p.Dependencies(); !reflect.DeepEqual(got, want) {
		t.Errorf("Dependencies =\n%v\nwant\n%v", got, want)
	}
	if got := p.StepIDs(); !slices.Equal(got, []string{"vet", "test", "build", "smoke", "sign", "release", "docs"}) {
		t.Errorf("StepIDs = %v", got)
	}
}

func TestCycle(t *testing.T) {
	tests := []struct {
		name  string
		deps  map[string][]string
		order []string
		want  []string
	}{
		{"none", map[string][]string{"a": nil, "b": {"a"}, "c": {"a", "b"}}, []string{"a", "b", "c"}, nil},
		{"self", map[string][]string{"a": {"a"}}, []string{"a"}, []string{"a", "a"}},
		{"two", map[string][]string{"a": {"b"}, "b": {"a"}}, []string{"a", "b"}, []string{"a", "b", "a"}},
		{"from the first step", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}}, []string{"b", "a", "c"}, []string{"b", "c", "a", "b"}},
		{"behind a path", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"b"}}, []string{"a", "b", "c"}, []string{"b", "c", "b"}},
		{"unknown names ignored", map[string][]string{"a": {"x"}}, []string{"a"}, nil},
	}
	for _, tt := range tests {
		if got := Cycle(tt.deps, tt.order); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Cycle = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStepKind(t *testing.T) {
	if got := (Step{}).Kind(); got != "" {
		t.Errorf("Kind of an empty step = %q", got)
	}
	// Every kind field is in StepKinds, in order.
	var kinds []string
	for _, f := range fieldsOf(reflect.TypeFor[Step]()) {
		if f.oneof == "kind" {
			kinds = append(kinds, f.name)
		}
	}
	if !slices.Equal(kinds, StepKinds) {
		t.Errorf("kind fields %v, StepKinds %v", kinds, StepKinds)
	}
	if got := (Step{Tag: &TagStep{}}).ID(); got != "tag" {
		t.Errorf("ID of a tag step = %q", got)
	}
}
