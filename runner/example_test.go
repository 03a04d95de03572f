package runner_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/shipline-ci/shipline/runner"
	"github.com/shipline-ci/shipline/runner/logs"
)

// A local run, as shipline run wires it: logs to the terminal, secrets from
// SHIPLINE_SECRET_* variables, and a summary at the end.
func ExampleRunner_Run() {
	r := &runner.Runner{
		Secrets: runner.EnvSecrets{},
		Logs:    logs.NewPrinter(os.Stdout),
	}
	job := runner.Job{
		Name: "release",
		Dir:  ".",
		Go:   "1.26.8",
		Steps: []runner.Step{
			{Name: "test", Script: []string{"go test ./..."}, Timeout: 10 * time.Minute, Retry: 1},
			{Name: "build", Script: []string{"go build -o dist/shipline ./cmd/shipline"}, DependsOn: []string{"test"}, Artifacts: []string{"dist/shipline"}},
			{Name: "publish", Argv: []string{"shipline", "publish"}, DependsOn: []string{"build"}, Secrets: []string{"GITHUB_TOKEN"}},
			{Name: "notify", Script: []string{"echo the release failed"}, DependsOn: []string{"publish"}, Status: []string{"failure"}},
		},
	}
	res, err := r.Run(context.Background(), job, runner.RunOptions{Version: "v1.2.3"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	res.WriteSummary(os.Stdout)
	if res.Failed() {
		os.Exit(1)
	}
}
