package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/apicheck"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/versioning"
)

// VersionOutput is the version of the release and how the exported API
// check judged it.
type VersionOutput struct {
	Tag      string        `json:"tag"`
	Version  string        `json:"version"`
	Previous string        `json:"previous,omitempty"`
	Bump     shipline.Bump `json:"bump"`
	API      *APICheck     `json:"api,omitempty"` // nil when the check did not run
}

// APICheck is the exported API of a module compared between its last
// stable tag and a tree, and judged against the bump the commits claim.
type APICheck struct {
	Base     string           `json:"base"`     // the tag compared with
	Required shipline.Bump    `json:"required"` // what the API change needs, before the v0 rule
	Claimed  shipline.Bump    `json:"claimed"`  // what the commits claim
	Verdict  apicheck.Verdict `json:"verdict"`
	Report   *apicheck.Report `json:"report"`
}

// CheckAPI compares the exported API of the module in dir (relative to
// the top of the work tree, "" or "." for the top) between the stable tag
// base and newDir, the module's root in the tree to check, and judges the
// bump the commits claim (see apicheck.Judge).
func CheckAPI(ctx context.Context, repo *gitrepo.Repo, dir, base, newDir string, claimed shipline.Bump, majorOnZero bool) (*APICheck, error) {
	commit, err := repo.ResolveCommit(ctx, base)
	if err != nil {
		return nil, err
	}
	old, err := os.MkdirTemp("", "shipline-apicheck-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(old)
	if dir == "." {
		dir = ""
	}
	if err := repo.Export(ctx, commit, dir, old); err != nil {
		return nil, fmt.Errorf("extract %s: %w", base, err)
	}
	oldDir := old
	if dir != "" {
		oldDir = filepath.Join(old, filepath.FromSlash(dir))
	}
	report, err := apicheck.Compare(ctx, oldDir, newDir)
	if err != nil {
		return nil, err
	}
	return &APICheck{
		Base:     base,
		Required: report.Required,
		Claimed:  claimed,
		Verdict:  apicheck.Judge(report.Required, claimed, versioning.Major(base), majorOnZero),
		Report:   report,
	}, nil
}

// versionStep records the version of the release and checks it against
// the change of the exported API since the last stable tag, as
// versioning.api-check says: off, warn (report only) or fail.
type versionStep struct{}

func (versionStep) Name() string { return StepVersion }

// Check refuses a version the module path cannot carry (v2 and up need a
// path ending in /vN).
func (versionStep) Check(ctx context.Context, st *State) error {
	if p := st.Decision.Problems; len(p) > 0 && !st.Plan.Snapshot {
		return shipline.Errorf(shipline.EINVALID, "cannot release %s: %s", st.Plan.Tag, strings.Join(p, "; "))
	}
	return nil
}

func (versionStep) Run(ctx context.Context, st *State) error {
	p := st.Plan
	out := &VersionOutput{Tag: p.Tag, Version: p.Version, Previous: p.Previous, Bump: p.Bump}
	st.Version = out
	res := st.Decision
	mode := st.Config.Versioning.APICheck
	switch {
	case mode == "off":
		return Skip("%s; the API check is off (versioning.api-check)", describe(p))
	case p.Previous == "" && p.Bump == shipline.BumpNone:
		return Skip("%s; HEAD was tagged before the release: no API change to judge", describe(p))
	case p.Previous == "":
		return Skip("%s; no stable release tag before it: no earlier API to compare with", describe(p))
	}
	// What the commits claim, before Go's v0 rule; once the release's own
	// tag is at HEAD (a resumed run), the bump the release decided.
	claimed := p.Bump
	if !res.HeadTagged {
		claimed, _ = versioning.Decide(res.Entries)
	}
	api, err := CheckAPI(ctx, st.Repo, p.Dir, p.Previous, st.ModuleDir, claimed, st.Config.Versioning.MajorOnZero)
	if err != nil {
		return err
	}
	out.API = api
	if !api.Verdict.OK() {
		if mode == "fail" {
			return shipline.Errorf(shipline.ECONFLICT, "API check failed: %s", api.Verdict.Message)
		}
		st.Logf("warning: %s (versioning.api-check: warn)", api.Verdict.Message)
	}
	st.Logf("ok: %s; %s", describe(p), api.Verdict.Message)
	return nil
}

// describe says what version a plan releases and why, in one line.
func describe(p Plan) string {
	switch {
	case p.Snapshot:
		return "snapshot " + p.Version
	case p.Previous == "" && p.Bump == shipline.BumpNone:
		return p.Tag + " (tagged before the release)"
	case p.Previous == "":
		return p.Tag + " (first release)"
	}
	return fmt.Sprintf("%s (%s bump since %s)", p.Tag, p.Bump, p.Previous)
}
