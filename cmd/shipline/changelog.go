package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/changelog"
	"github.com/shipline-ci/shipline/release"
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
			tmpl, err := release.Template(ws.repo.Dir, ws.cfgPath, ws.cfg.Changelog)
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
	links, err := release.Links(ctx, ws.repo, ws.cfg.Changelog.Remote)
	if err != nil {
		return nil, err
	}
	return release.Releases(spans, ws.cfg.Changelog, links), nil
}
