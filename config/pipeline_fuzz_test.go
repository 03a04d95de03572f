package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"gopkg.in/yaml.v3"
)

// FuzzParsePipelines checks that Parse never panics on pipelines, that a
// rejected file gets sorted problems inside the file, and that an accepted
// one survives being written out and parsed again.
func FuzzParsePipelines(f *testing.F) {
	for _, tt := range pipelineErrorTests {
		f.Add([]byte(tt.yaml))
	}
	example, err := os.ReadFile("testdata/pipelines.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("version: 1\npipelines:\n  ci:\n    stages: [{name: a, steps: [{test: }]}]\n"))
	f.Add([]byte("version: 1\npipelines: {a: {matrix: {x: [\"1\"], include: [{x: \"2\"}]}, stages: [{name: s, steps: [{run: \"${{ matrix.x }}\"}]}]}}\n"))
	f.Add([]byte("version: 1\npipelines:\n  ci:\n    stages:\n      - name: a\n        steps:\n          - {name: a, run: x, depends-on: b}\n          - {name: b, run: y}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err != nil {
			if cfg != nil {
				t.Fatal("Parse returned a config with its error")
			}
			if code := shipline.ErrorCode(err); code != shipline.EINVALID {
				t.Fatalf("ErrorCode = %q: %v", code, err)
			}
			ps := Problems(err)
			if len(ps) == 0 || len(strings.Split(err.Error(), "\n")) != len(ps) {
				t.Fatalf("%d problems for the error:\n%v", len(ps), err)
			}
			if !slices.IsSortedFunc(ps, func(a, b Problem) int {
				if a.Line != b.Line {
					return a.Line - b.Line
				}
				return a.Col - b.Col
			}) {
				t.Fatalf("problems are not sorted:\n%v", err)
			}
			for _, p := range ps {
				if p.Line < 1 || p.Col < 1 || p.Msg == "" {
					t.Fatalf("bad problem %q", p)
				}
			}
			return
		}
		out, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatalf("yaml.Marshal: %v", err)
		}
		again, err := Parse("again.yaml", out)
		if err != nil {
			t.Fatalf("Parse(yaml.Marshal(cfg)): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("config changed when written out and parsed again:\n%+v\n%+v", cfg.Pipelines, again.Pipelines)
		}
		for name, p := range cfg.Pipelines {
			// What Parse accepts, the functions package pipeline
			// relies on accept too.
			if _, err := p.Matrix.Combinations(); err != nil {
				t.Fatalf("pipeline %s: Combinations: %v", name, err)
			}
			if c := Cycle(p.Dependencies(), p.StepIDs()); c != nil {
				t.Fatalf("pipeline %s: Parse accepted a cycle %v", name, c)
			}
		}
	})
}
