package release

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gate"
)

// GatesOutput is what the gates step found.
type GatesOutput struct {
	Passed  bool                `json:"passed"`
	Gates   []GateResult        `json:"gates"`
	Reports []shipline.Artifact `json:"reports"` // the reports in dist/gates: JSON, SARIF and text, per gate and in all
}

// GateResult is the outcome of one gate.
type GateResult struct {
	Name     string `json:"name"`
	Passed   bool   `json:"passed"`
	Findings int    `json:"findings"`
	Blocking int    `json:"blocking"`
	Error    string `json:"error,omitempty"` // why it could not decide
}

// gatesStep runs the security and compliance gates over the module
// (gate.Run) and writes their reports into dist/gates. A blocking finding
// stops the release before anything is built.
type gatesStep struct{}

func (gatesStep) Name() string { return StepGates }

// Check makes the gates, which checks their configuration.
func (gatesStep) Check(ctx context.Context, st *State) error {
	return st.makeGates(ctx)
}

func (gatesStep) Run(ctx context.Context, st *State) error {
	if st.gates == nil {
		if err := st.makeGates(ctx); err != nil {
			return err
		}
	}
	if st.MakeGates == nil {
		return Skip("no gates are wired into this release")
	}
	if len(st.gates) == 0 {
		return Skip("every gate is skipped (gates.skip)")
	}
	sum, err := gate.Run(ctx, st.gateModule(), st.gates)
	if err != nil {
		return err
	}
	out := &GatesOutput{Passed: sum.Passed, Gates: []GateResult{}, Reports: []shipline.Artifact{}}
	for _, r := range sum.Reports {
		out.Gates = append(out.Gates, GateResult{Name: r.Gate, Passed: r.Passed, Findings: len(r.Findings), Blocking: len(r.Blocking()), Error: r.Error})
	}
	paths, err := gate.WriteFiles(st.path(GatesDir), sum)
	if err != nil {
		return err
	}
	for _, p := range paths {
		a, err := hashFile(st.Dist, GatesDir+"/"+filepath.Base(p), KindReport)
		if err != nil {
			return err
		}
		out.Reports = append(out.Reports, a)
	}
	st.Outputs.Gates = out
	var names []string
	for _, g := range out.Gates {
		state := "passed"
		if !g.Passed {
			state = "blocked"
		}
		names = append(names, g.Name+" "+state)
	}
	if err := sum.Err(); err != nil {
		return err
	}
	st.Logf("ok: %s (reports in %s)", strings.Join(names, ", "), GatesDir)
	return nil
}

// makeGates makes the gates of the release once.
func (st *State) makeGates(ctx context.Context) error {
	if st.gates != nil || st.MakeGates == nil {
		return nil
	}
	gs, err := st.MakeGates(ctx, st.gateModule(), st.Config)
	if err != nil {
		return err
	}
	if gs == nil {
		gs = []gate.Gate{}
	}
	st.gates = gs
	return nil
}

func (st *State) gateModule() *gate.Module {
	return &gate.Module{Dir: st.ModuleDir, Path: st.Plan.Module}
}
