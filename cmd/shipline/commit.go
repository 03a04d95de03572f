package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/commitlint"
	"github.com/shipline-ci/shipline/conventional"
	"github.com/shipline-ci/shipline/gitrepo"
)

func (m *Main) commitCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "commit",
		Short: "Check commit messages",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return shipline.Errorf(shipline.EUSAGE, "commit needs a subcommand: lint")
		},
	}
	cmd.AddCommand(m.commitLintCommand())
	return cmd
}

// lintReport is what 'shipline commit lint --json' reports.
type lintReport struct {
	OK       bool                 `json:"ok"`
	Checked  int                  `json:"checked"`
	Skipped  int                  `json:"skipped"` // merges, in a range
	Problems []commitlint.Problem `json:"problems"`
}

func (m *Main) commitLintCommand() *cobra.Command {
	var rng string
	cmd := &cobra.Command{
		Use:   "lint [FILE]",
		Short: "Check a commit message, or every commit of a range",
		Long: `Check that a commit message follows Conventional Commits 1.0.0 and the
policy in .shipline.yaml (commits: types, scopes, require-scope,
max-header-length).

With FILE (or - or nothing, for standard input) it checks one message, as a
git commit-msg hook does:

    printf '#!/bin/sh\nexec shipline commit lint "$1"\n' > .git/hooks/commit-msg
    chmod +x .git/hooks/commit-msg

Comment lines and everything below git's scissors line are ignored.
With --range A..B it checks every commit of the range (merges excepted) and
lists every offender.`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if rng != "" && len(args) > 0 {
				return shipline.Errorf(shipline.EUSAGE, "give a FILE or --range, not both")
			}
			policy := commitlint.Policy{}
			rep := lintReport{Problems: []commitlint.Problem{}}
			if rng != "" {
				ws, err := m.open(ctx)
				if err != nil {
					return err
				}
				policy = commitlint.PolicyFrom(ws.cfg.Commits)
				for _, end := range strings.Split(strings.ReplaceAll(rng, "...", ".."), "..") {
					if end == "" {
						continue
					}
					if _, err := ws.repo.ResolveCommit(ctx, end); err != nil {
						return shipline.Errorf(shipline.EUSAGE, "--range %s: %v", rng, err)
					}
				}
				err = ws.repo.EachCommit(ctx, gitrepo.LogOptions{Range: rng}, func(c shipline.Commit) error {
					if c.IsMerge() {
						rep.Skipped++
						return nil
					}
					rep.Checked++
					for _, p := range policy.Check(c.Message) {
						p.Commit, p.Subject = c.Hash, c.Subject
						rep.Problems = append(rep.Problems, p)
					}
					return nil
				})
				if err != nil {
					return shipline.Errorf(shipline.EINVALID, "--range %s: %v", rng, err)
				}
			} else {
				name := "-"
				if len(args) == 1 {
					name = args[0]
				}
				msg, err := m.readMessage(name)
				if err != nil {
					return err
				}
				// The policy comes from the repository when there is one;
				// a hook may run anywhere.
				if ws, err := m.open(ctx); err == nil {
					policy = commitlint.PolicyFrom(ws.cfg.Commits)
				} else if shipline.ErrorCode(err) != shipline.ENOTFOUND {
					return err
				}
				msg = conventional.Clean(msg)
				policy.AllowAutosquash = true
				rep.Checked = 1
				for _, p := range policy.Check(msg) {
					p.File = name
					rep.Problems = append(rep.Problems, p)
				}
			}
			rep.OK = len(rep.Problems) == 0
			if m.json {
				if err := writeJSON(m.Stdout, rep); err != nil {
					return err
				}
			} else {
				for _, p := range rep.Problems {
					fmt.Fprintln(m.Stdout, p.String())
				}
				if rep.OK {
					fmt.Fprintf(m.Stderr, "%d commit message(s) checked: all follow Conventional Commits\n", rep.Checked)
				}
			}
			if !rep.OK {
				return m.reported(&shipline.Error{Code: shipline.EINVALID, Message: fmt.Sprintf("%d problem(s) in %d commit message(s) checked", len(rep.Problems), rep.Checked)})
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rng, "range", "", "check every commit in the revision range `A..B`")
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) readMessage(name string) (string, error) {
	if name == "-" {
		b, err := io.ReadAll(m.Stdin)
		return string(b), err
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(m.workDir(), p)
	}
	b, err := os.ReadFile(p) // #nosec G304 -- the commit message file named on the command line (a commit-msg hook passes git's own)
	if errors.Is(err, os.ErrNotExist) {
		return "", shipline.Errorf(shipline.ENOTFOUND, "%s: no such file: give the path of a file with a commit message, or - for standard input", name)
	}
	return string(b), err
}
