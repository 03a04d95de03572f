package release

import (
	"context"
	"os"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gitrepo"
)

// TagOutput is the release tag.
type TagOutput struct {
	Name    string `json:"name"`
	Commit  string `json:"commit"`
	Created bool   `json:"created"` // a run of this release created it; false when the commit carried it before
	Signed  bool   `json:"signed,omitempty"`
	Pushed  bool   `json:"pushed"`
	Remote  string `json:"remote,omitempty"` // where it was pushed
}

// CheckTag reports whether the tag name exists and points at commit. A tag
// of that name at another commit is an ECONFLICT error that says what to
// do.
func CheckTag(ctx context.Context, repo *gitrepo.Repo, name, commit string) (bool, error) {
	c, ok, err := repo.TagCommit(ctx, name)
	if err != nil {
		return false, err
	}
	if ok && c != commit {
		return false, shipline.Errorf(shipline.ECONFLICT, "tag %s already exists at %.7s, not at HEAD (%.7s): it is not reachable from HEAD; check out a branch that contains it, or delete the tag if it was a mistake", name, c, commit)
	}
	return ok, nil
}

// tagStep creates the annotated release tag at the commit, with the
// release notes as its message, and pushes it (only it) to the remote
// unless release.push is false. A tag that is already there is kept; a
// dry run and a snapshot create and push nothing.
type tagStep struct{}

func (tagStep) Name() string { return StepTag }

// Check refuses a tag that exists at another commit and, when the tag is
// to be pushed, a remote that is missing or would refuse it (git push
// --dry-run: the remote is reached with the user's credentials).
func (tagStep) Check(ctx context.Context, st *State) error {
	if st.Plan.Snapshot {
		return nil
	}
	if _, err := CheckTag(ctx, st.Repo, st.Plan.Tag, st.Plan.Commit); err != nil {
		return err
	}
	if !st.Config.Release.Push || (st.Tag != nil && st.Tag.Pushed) {
		return nil
	}
	remote := st.Config.Changelog.Remote.Name
	url, err := st.Repo.RemoteURL(ctx, remote)
	if err != nil {
		return err
	}
	if url == "" {
		return shipline.Errorf(shipline.EINVALID, "no git remote %q to push %s to: add it (git remote add %s URL), name another in changelog.remote.name, or set release.push: false", remote, st.Plan.Tag, remote)
	}
	if err := st.Repo.CheckPush(ctx, remote, st.Plan.Tag, st.Plan.Commit); err != nil {
		return shipline.Errorf(shipline.EUNAUTHORIZED, "%s (%s) would not take tag %s (check the URL and your credentials, or set release.push: false): %v", remote, url, st.Plan.Tag, err)
	}
	return nil
}

func (tagStep) Run(ctx context.Context, st *State) error {
	p := st.Plan
	if p.Snapshot {
		return Skip("snapshot: not tagged")
	}
	exists, err := CheckTag(ctx, st.Repo, p.Tag, p.Commit)
	if err != nil {
		return err
	}
	push := st.Config.Release.Push
	remote := st.Config.Changelog.Remote.Name
	out := TagOutput{Name: p.Tag, Commit: p.Commit}
	if st.Tag != nil { // an earlier run got this far
		out = *st.Tag
	}
	if st.DryRun {
		switch {
		case !exists && push:
			return Skip("dry run: would create tag %s at %s and push it to %s", p.Tag, short(p.Commit), remote)
		case !exists:
			return Skip("dry run: would create tag %s at %s", p.Tag, short(p.Commit))
		case push && !out.Pushed:
			return Skip("dry run: %s is there; would push it to %s", p.Tag, remote)
		}
	}
	if !exists {
		msg, err := st.tagMessage(ctx)
		if err != nil {
			return err
		}
		sign := st.Config.Tag.Sign
		if err := st.Repo.CreateTag(ctx, p.Tag, p.Commit, msg, sign); err != nil {
			return shipline.Errorf(shipline.EINVALID, "create tag %s: %v", p.Tag, err)
		}
		out.Created, out.Signed = true, sign
	}
	st.Tag = &out
	if push && !out.Pushed {
		if err := st.Repo.PushTag(ctx, remote, p.Tag); err != nil {
			return shipline.Errorf(shipline.EINVALID, "push %s to %s: %v", p.Tag, remote, err)
		}
		out.Pushed, out.Remote = true, remote
	}
	switch {
	case out.Created && out.Pushed:
		st.Logf("ok: created %s at %s; pushed to %s", p.Tag, short(p.Commit), remote)
	case out.Created:
		st.Logf("ok: created %s at %s (release.push is false: not pushed)", p.Tag, short(p.Commit))
	case out.Pushed:
		st.Logf("ok: %s was already at %s; pushed to %s", p.Tag, short(p.Commit), remote)
	default:
		st.Logf("ok: %s was already at %s", p.Tag, short(p.Commit))
	}
	return nil
}

// tagMessage is the release notes: those the changelog step wrote, as
// they were written, or rendered now when it was skipped.
func (st *State) tagMessage(ctx context.Context) (string, error) {
	if st.Changelog == nil {
		text, err := Notes(ctx, st.Repo, st.Config, st.ConfigFile, st.Decision, st.versionOptions())
		return string(text), err
	}
	if err := checkUnchanged(st.Dist, st.Changelog.Notes); err != nil {
		return "", err
	}
	data, err := os.ReadFile(st.path(st.Changelog.Notes.Path))
	return string(data), err
}
