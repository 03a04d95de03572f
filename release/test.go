package release

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/shipline-ci/shipline"
)

// TestOutput is what the test step found.
type TestOutput struct {
	Coverage
	Threshold int               `json:"threshold,omitempty"` // release.coverage, the floor checked; 0 for none
	Flags     []string          `json:"flags,omitempty"`     // release.test-flags
	Profile   shipline.Artifact `json:"profile"`             // the coverage profile in the dist directory
}

// testStep runs go test ./... in the module with a coverage profile in
// the dist directory, and fails below release.coverage.
type testStep struct{}

func (testStep) Name() string { return StepTest }

// Check finds the go command.
func (testStep) Check(ctx context.Context, st *State) error {
	if _, err := exec.LookPath("go"); err != nil {
		return shipline.Errorf(shipline.ENOTFOUND, "the go command is not on PATH: install Go, or pass --skip test")
	}
	return nil
}

func (testStep) Run(ctx context.Context, st *State) error {
	if err := mkdirDist(st.Dist); err != nil {
		return err
	}
	floor := st.Config.Release.Coverage
	c, err := GoTest(ctx, TestOptions{
		Dir:     st.ModuleDir,
		Flags:   st.Config.Release.TestFlags,
		Profile: st.path(CoverageFile),
		Output:  st.Log,
	})
	if err != nil {
		return err
	}
	prof, err := hashFile(st.Dist, CoverageFile, KindCoverage)
	if err != nil {
		return err
	}
	st.Test = &TestOutput{Coverage: *c, Threshold: floor, Flags: st.Config.Release.TestFlags, Profile: prof}
	if floor > 0 && c.Percent < float64(floor) {
		return shipline.Errorf(shipline.EINVALID, "coverage %.1f%% of statements is below release.coverage %d%%: add tests, or lower the floor in %s", c.Percent, floor, orConfig(st.ConfigFile))
	}
	msg := fmt.Sprintf("ok: coverage %.1f%% of %d statements", c.Percent, c.Statements)
	if floor > 0 {
		msg += fmt.Sprintf(" (release.coverage %d%%)", floor)
	}
	st.Logf("%s", msg)
	return nil
}

func orConfig(path string) string {
	if path == "" {
		return ".shipline.yaml"
	}
	return path
}
