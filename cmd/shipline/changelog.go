package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/changelog"
	"github.com/shipline-ci/shipline/versioning"
)

func (m *Main) changelogCommand() *cobra.Command {
	var (
		f       versionFlags
		since   string
		all     bool
		prepend string
	)
	cmd := &cobra.Command{
		Use:   "changelog",
		Short: "Write the changelog in Markdown",
		Long: `Write the changelog of the changes since the last stable tag, headed by the
next version, in Markdown: breaking changes first, then features, bug fixes,
performance and reverts, with scopes, short hashes, and links when the remote
is on GitHub, GitLab or Gitea/Forgejo.

--since TAG starts from another tag; --all writes every release.
--prepend FILE inserts the new section into FILE once (running it again
changes nothing).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if since != "" && all {
				return shipline.Errorf(shipline.EUSAGE, "--since and --all exclude each other: pick one")
			}
			if prepend != "" && all {
				return shipline.Errorf(shipline.EUSAGE, "--prepend adds one section: it cannot be used with --all")
			}
			ctx := cmd.Context()
			ws, res, err := m.next(ctx, f)
			if err != nil {
				return err
			}
			releases, err := m.releases(ctx, ws, res, f, since, all)
			if err != nil {
				return err
			}
			if m.json {
				return writeJSON(m.Stdout, map[string]any{"module": res.Module, "releases": releases})
			}
			tmpl, err := ws.template()
			if err != nil {
				return err
			}
			text, err := tmpl.Render(releases)
			if err != nil {
				return err
			}
			if prepend == "" {
				_, err = m.Stdout.Write(text)
				return err
			}
			if len(releases) == 0 {
				fmt.Fprintln(m.Stderr, "nothing to release: changelog unchanged")
				return nil
			}
			path := prepend
			if !filepath.IsAbs(path) {
				path = filepath.Join(m.workDir(), path)
			}
			changed, err := changelog.Prepend(path, releases[0].Version, text)
			if err != nil {
				return err
			}
			if changed {
				fmt.Fprintf(m.Stderr, "added %s to %s\n", releases[0].Version, prepend)
			} else {
				fmt.Fprintf(m.Stderr, "%s already has %s: unchanged\n", prepend, releases[0].Version)
			}
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().StringVar(&since, "since", "", "start from `TAG` instead of the last stable tag")
	cmd.Flags().BoolVar(&all, "all", false, "write every release in the history")
	cmd.Flags().StringVar(&prepend, "prepend", "", "insert the new section into `FILE` (such as CHANGELOG.md) instead of printing it")
	m.jsonFlag(cmd)
	return cmd
}

// releases gathers the spans the flags ask for and groups them.
func (m *Main) releases(ctx context.Context, ws *workspace, res *versioning.Result, f versionFlags, since string, all bool) ([]changelog.Release, error) {
	var spans []versioning.Span
	dir := res.Module
	if dir == "." {
		dir = ""
	}
	opts := ws.versionOptions(dir, f.pre)
	switch {
	case all:
		next := ""
		if res.Bump != shipline.BumpNone {
			next = res.Next
		}
		h, err := versioning.History(ctx, ws.repo, opts, next)
		if err != nil {
			return nil, err
		}
		spans = h
	case since != "":
		s, err := versioning.Since(ctx, ws.repo, opts, since, res.Next)
		if err != nil {
			return nil, err
		}
		spans = []versioning.Span{*s}
	default:
		if s := versioning.Unreleased(res); s != nil {
			spans = []versioning.Span{*s}
		}
	}
	links, err := ws.links(ctx)
	if err != nil {
		return nil, err
	}
	opt := changelog.Options{Sections: ws.cfg.Changelog.Sections, Other: ws.cfg.Changelog.Other, Links: links}
	releases := make([]changelog.Release, 0, len(spans))
	for _, s := range spans {
		commits := make([]changelog.Commit, len(s.Entries))
		for i, e := range s.Entries {
			commits[i] = changelog.Commit{Commit: e.Commit, Msg: e.Msg}
		}
		releases = append(releases, changelog.NewRelease(s.Version, s.Previous, s.Date, s.Released, commits, opt))
	}
	return releases, nil
}

// links derives forge links from the configuration and the git remote.
func (ws *workspace) links(ctx context.Context) (changelog.Links, error) {
	rc := ws.cfg.Changelog.Remote
	if rc.Kind == "none" {
		return changelog.Links{}, nil
	}
	url := ""
	if rc.URL == "" {
		u, err := ws.repo.RemoteURL(ctx, rc.Name)
		if err != nil {
			return changelog.Links{}, err
		}
		url = u
	}
	return changelog.DetectLinks(rc.Kind, url, rc.URL), nil
}

// template returns the configured changelog template, or the default.
func (ws *workspace) template() (*changelog.Template, error) {
	p := ws.cfg.Changelog.Template
	if p == "" {
		return changelog.DefaultTemplate(), nil
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(ws.repo.Dir, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "changelog.template: %v: fix the path in %s (it is relative to the repository root)", err, ws.cfgPath)
	}
	return changelog.ParseTemplate(p, string(data))
}
