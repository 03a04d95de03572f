package pipeline

import (
	"os"
	"testing"

	"github.com/shipline-ci/shipline/config"
)

// FuzzEvaluate checks that whatever config.Parse accepts, Evaluate plans
// without error or panic for any event, and that every planned step
// waits only for steps listed before it in its job.
func FuzzEvaluate(f *testing.F) {
	example, err := os.ReadFile("../config/testdata/pipelines.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example, "refs/heads/main", "cmd/main.go")
	f.Add(example, "refs/tags/v1.2.0", "")
	f.Add([]byte("version: 1\npipelines:\n  ci:\n    stages:\n      - {name: a, parallel: true, steps: [{name: a, run: x, depends-on: b}, {name: b, run: y, when: {branch: dev}}]}\n      - {name: c, steps: [{test: }]}\n"), "refs/heads/main", "a.go")
	f.Add([]byte("version: 1\npipelines: {m: {go: \"${{ matrix.v }}\", matrix: {v: [\"1.26\", \"1.26.1\"]}, stages: [{name: s, steps: [{build: {targets: \"${{ matrix.v }}\"}}]}]}}\n"), "refs/heads/x", "")

	f.Fuzz(func(t *testing.T, data []byte, ref, changed string) {
		cfg, err := config.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, kind := range Kinds {
			ev := Event{Kind: kind, Ref: ref}
			if changed != "" {
				ev.ChangedFiles = []string{changed}
			}
			if ev.Validate() != nil {
				continue
			}
			plans, err := Evaluate(cfg, ev)
			if err != nil {
				t.Fatalf("Evaluate(%+v) of a config Parse accepts: %v", ev, err)
			}
			for _, p := range plans {
				for _, j := range p.Jobs {
					seen := map[string]bool{}
					for _, s := range j.Steps {
						for _, d := range s.DependsOn {
							if !seen[d] {
								t.Fatalf("job %s: step %s waits for %s, not listed before it", j.Name, s.Name, d)
							}
						}
						seen[s.Name] = true
					}
				}
			}
		}
	})
}
