package release

import (
	"context"
	"os"
	"path/filepath"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/changelog"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/versioning"
)

// ChangelogOutput is what the changelog step wrote.
type ChangelogOutput struct {
	Notes shipline.Artifact `json:"notes"` // the release notes in the dist directory (Markdown)
}

// changelogStep writes the release notes: the changelog section of the
// release, through the configured template. The tag step uses them as the
// tag's message.
type changelogStep struct{}

func (changelogStep) Name() string { return StepChangelog }

// Check parses the template and reads the remote for links.
func (changelogStep) Check(ctx context.Context, st *State) error {
	if _, err := Template(st.Repo.Dir, st.ConfigFile, st.Config.Changelog); err != nil {
		return err
	}
	_, err := Links(ctx, st.Repo, st.Config.Changelog.Remote)
	return err
}

// Resume checks that the notes are as they were written.
func (changelogStep) Resume(ctx context.Context, st *State) error {
	if st.Changelog == nil {
		return shipline.Errorf(shipline.EINTERNAL, "the journal says the changelog is done but records no notes: pass --restart")
	}
	return checkUnchanged(st.Dist, st.Changelog.Notes)
}

func (changelogStep) Run(ctx context.Context, st *State) error {
	text, err := Notes(ctx, st.Repo, st.Config, st.ConfigFile, st.Decision, st.versionOptions())
	if err != nil {
		return err
	}
	a, err := writeArtifact(st.Dist, NotesFile, KindNotes, text)
	if err != nil {
		return err
	}
	st.Changelog = &ChangelogOutput{Notes: a}
	st.Logf("ok: %s", NotesFile)
	return nil
}

// versionOptions are the version engine's options of the run.
func (st *State) versionOptions() versioning.Options {
	dir := st.Decision.Module
	if dir == "." {
		dir = ""
	}
	return versioning.Options{Module: dir, Pre: st.Pre, Config: st.Config.Versioning, Remote: st.Config.Changelog.Remote.Name}
}

// Notes renders the release notes of the version res decided, through the
// configured template: the changelog section of the commits since the last
// stable tag headed by res.Next or, when HEAD already carries that tag, of
// the tag's own commits. Nothing to release renders no section.
func Notes(ctx context.Context, repo *gitrepo.Repo, cfg *config.Config, configFile string, res *versioning.Result, opts versioning.Options) ([]byte, error) {
	var spans []versioning.Span
	switch {
	case res.HeadTagged:
		h, err := versioning.History(ctx, repo, opts, "")
		if err != nil {
			return nil, err
		}
		for _, s := range h {
			if s.Version == res.Next {
				spans = append(spans, s)
				break
			}
		}
	default:
		if s := versioning.Unreleased(res); s != nil {
			spans = append(spans, *s)
		}
	}
	links, err := Links(ctx, repo, cfg.Changelog.Remote)
	if err != nil {
		return nil, err
	}
	tmpl, err := Template(repo.Dir, configFile, cfg.Changelog)
	if err != nil {
		return nil, err
	}
	return tmpl.Render(Releases(spans, cfg.Changelog, links))
}

// Releases groups the commits of each span into a section of the
// changelog, as the configuration's sections say.
func Releases(spans []versioning.Span, cfg config.Changelog, links changelog.Links) []changelog.Release {
	opt := changelog.Options{Sections: cfg.Sections, Other: cfg.Other, Links: links}
	releases := make([]changelog.Release, 0, len(spans))
	for _, s := range spans {
		commits := make([]changelog.Commit, len(s.Entries))
		for i, e := range s.Entries {
			commits[i] = changelog.Commit{Commit: e.Commit, Msg: e.Msg}
		}
		releases = append(releases, changelog.NewRelease(s.Version, s.Previous, s.Date, s.Released, commits, opt))
	}
	return releases
}

// Links derives the forge links of a changelog from the configuration and
// the URL of the git remote it names.
func Links(ctx context.Context, repo *gitrepo.Repo, rc config.Remote) (changelog.Links, error) {
	if rc.Kind == "none" {
		return changelog.Links{}, nil
	}
	url := ""
	if rc.URL == "" {
		u, err := repo.RemoteURL(ctx, rc.Name)
		if err != nil {
			return changelog.Links{}, err
		}
		url = u
	}
	return changelog.DetectLinks(rc.Kind, url, rc.URL), nil
}

// Template returns the changelog template the configuration names (a path
// relative to the repository root at repoDir), or the default one. A
// template that cannot be read is an EINVALID error that names the config
// file.
func Template(repoDir, configFile string, cfg config.Changelog) (*changelog.Template, error) {
	p := cfg.Template
	if p == "" {
		return changelog.DefaultTemplate(), nil
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(repoDir, p)
	}
	data, err := os.ReadFile(p) // #nosec G304 -- the template that changelog.template in the repository's .shipline.yaml names
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "changelog.template: %v: fix the path in %s (it is relative to the repository root)", err, configFile)
	}
	return changelog.ParseTemplate(p, string(data))
}
