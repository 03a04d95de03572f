// Package commits is the commit gate: it lists the commits since the
// module's last release tag whose messages are not Conventional Commits,
// which the version engine cannot count and the changelog cannot place.
// By default it only reports them; Gate.Fail makes them block.
package commits

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/conventional"
	"github.com/shipline-ci/shipline/gate"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/versioning"
)

// Name is the gate's name in config and reports.
const Name = "commits"

// Gate is the commit gate.
type Gate struct {
	// Fail makes a commit that is not a Conventional Commit block.
	Fail bool
	// Versioning is the version engine's configuration (the module's
	// commits are those since its last stable tag by its rules).
	Versioning config.Versioning
	// Remote is the git remote that deepens a shallow clone; "" for
	// origin.
	Remote string
}

// Name returns "commits".
func (g *Gate) Name() string { return Name }

// Run reads the commits of the module in m.Dir since its last stable tag
// (as 'shipline version next' counts them) and reports each one, merges
// left out, whose message is not a Conventional Commit, with the rule it
// breaks. It is an error when m.Dir is not in a git repository with
// commits, or the history cannot be read.
func (g *Gate) Run(ctx context.Context, m *gate.Module) (*gate.Report, error) {
	repo, err := gitrepo.Open(ctx, m.Dir)
	if err != nil {
		return nil, err
	}
	rel, err := moduleDir(repo.Dir, m.Dir)
	if err != nil {
		return nil, err
	}
	res, err := versioning.Next(ctx, repo, versioning.Options{Module: rel, Config: g.Versioning, Remote: g.Remote})
	if err != nil {
		return nil, err
	}
	rep := &gate.Report{Gate: Name, Findings: []gate.Finding{}}
	for _, e := range res.Entries {
		if e.Msg != nil || e.Err == nil || e.IsMerge() {
			continue
		}
		rep.Findings = append(rep.Findings, finding(e, g.Fail))
	}
	since := "since " + res.Base
	if res.Base == "" {
		since = "since the first commit (no release tag yet)"
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("%d commit(s) %s checked, %d not Conventional Commits", res.Commits, since, len(rep.Findings)))
	if len(rep.Findings) > 0 && !g.Fail {
		rep.Notes = append(rep.Notes, "reported only: set gates.commits.fail to true to block on them")
	}
	rep.Passed = len(rep.Blocking()) == 0
	return rep, nil
}

// finding reports one commit whose message is not a Conventional Commit.
func finding(e versioning.Entry, fail bool) gate.Finding {
	rule := "conventional-commits"
	var pe *conventional.ParseError
	if errors.As(e.Err, &pe) {
		rule = fmt.Sprintf("conventional-commits/%d", pe.Rule)
	}
	who := e.Author
	if who == "" {
		who = e.Email
	}
	msg := fmt.Sprintf("commit %s %q is not a Conventional Commit: %v", e.Short(), e.Subject, e.Err)
	if who != "" {
		msg += " (by " + who + ")"
	}
	msg += "; rewrite it before the release (git rebase -i), or follow the format from now on ('shipline commit lint' checks a message)"
	return gate.Finding{
		Gate:     Name,
		ID:       e.Hash,
		Rule:     rule,
		Severity: gate.SeverityLow,
		Message:  msg,
		Title:    "Commit message is not a Conventional Commit",
		URL:      "https://www.conventionalcommits.org/en/v1.0.0/#specification",
		Blocking: fail,
	}
}

// moduleDir returns the module directory dir relative to the top of the
// work tree top, slash-separated, "" for the top.
func moduleDir(top, dir string) (string, error) {
	if r, err := filepath.EvalSymlinks(top); err == nil {
		top = r
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", shipline.Errorf(shipline.EINVALID, "commits: module %s is outside the repository at %s", dir, top)
	}
	if rel == "." {
		return "", nil
	}
	return filepath.ToSlash(rel), nil
}

var _ gate.Gate = (*Gate)(nil)
