package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/release"
	"github.com/shipline-ci/shipline/versioning"
)

// tagResult is what 'shipline tag --json' reports.
type tagResult struct {
	Tag     string `json:"tag"`               // the tag at HEAD after the command; "" when nothing was released
	Commit  string `json:"commit"`            // HEAD
	Created bool   `json:"created"`           // a new tag was created
	Pushed  bool   `json:"pushed"`            // the tag was pushed
	DryRun  bool   `json:"dry_run,omitempty"` // nothing was changed
	Message string `json:"message"`           // what happened, for a person
}

func (m *Main) tagCommand() *cobra.Command {
	var (
		f          versionFlags
		push, sign bool
		dryRun     bool
		allowDirty bool
	)
	cmd := &cobra.Command{
		Use:   "tag",
		Short: "Create the annotated tag of the next version",
		Long: `Create an annotated tag of the next version at HEAD whose message is the
changelog section of the release.

It refuses a dirty work tree (unless --allow-dirty) and a version that the
module path cannot carry (v2 and up need a path ending in /vN). Running it
again at the same commit changes nothing. --push pushes only the new tag.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, res, err := m.next(ctx, f)
			if err != nil {
				return err
			}
			sign = sign || ws.cfg.Tag.Sign
			remote := ws.cfg.Changelog.Remote.Name
			out := tagResult{Commit: res.Head, DryRun: dryRun}
			report := func() error {
				if m.json {
					return writeJSON(m.Stdout, out)
				}
				fmt.Fprintln(m.Stderr, out.Message)
				if out.Tag != "" {
					fmt.Fprintln(m.Stdout, out.Tag)
				}
				return nil
			}
			doPush := func() error {
				if !push {
					return nil
				}
				if dryRun {
					out.Message += fmt.Sprintf("; would push %s to %s", out.Tag, remote)
					return nil
				}
				if err := ws.repo.PushTag(ctx, remote, out.Tag); err != nil {
					return shipline.Errorf(shipline.EINVALID, "push %s to %s: %v", out.Tag, remote, err)
				}
				out.Pushed = true
				out.Message += fmt.Sprintf("; pushed to %s", remote)
				return nil
			}

			if res.HeadTagged {
				out.Tag = res.Next
				out.Message = fmt.Sprintf("HEAD is already tagged %s: nothing to do", res.Next)
				if err := doPush(); err != nil {
					return err
				}
				return report()
			}
			if res.Bump == shipline.BumpNone {
				out.Message = "nothing to release: no commit since " + orFirst(res.Base) + " releases anything; no tag created"
				return report()
			}
			if len(res.Problems) > 0 {
				return shipline.Errorf(shipline.EINVALID, "cannot tag %s: %s", res.Next, strings.Join(res.Problems, "; "))
			}
			if !allowDirty {
				status, err := ws.repo.Status(ctx)
				if err != nil {
					return err
				}
				if len(status) > 0 {
					return shipline.Errorf(shipline.EINVALID, "the work tree has uncommitted changes (%s): commit or stash them, or pass --allow-dirty", summarize(status, 3))
				}
			}
			if _, err := release.CheckTag(ctx, ws.repo, res.Next, res.Head); err != nil {
				return err
			}
			message, err := m.tagMessage(cmd, ws, res, f)
			if err != nil {
				return err
			}
			out.Tag = res.Next
			if dryRun {
				out.Message = fmt.Sprintf("would create tag %s at %.7s (%s bump)", res.Next, res.Head, res.Bump)
				if err := doPush(); err != nil {
					return err
				}
				if !m.json {
					fmt.Fprintf(m.Stderr, "--- tag message ---\n%s-------------------\n", message)
				}
				return report()
			}
			if err := ws.repo.CreateTag(ctx, res.Next, res.Head, message, sign); err != nil {
				return shipline.Errorf(shipline.EINVALID, "create tag %s: %v", res.Next, err)
			}
			out.Created = true
			out.Message = fmt.Sprintf("created tag %s at %.7s (%s bump)", res.Next, res.Head, res.Bump)
			if err := doPush(); err != nil {
				return err
			}
			return report()
		},
	}
	f.add(cmd, true)
	cmd.Flags().BoolVar(&push, "push", false, "push the new tag (only it) to the remote")
	cmd.Flags().BoolVar(&sign, "sign", false, "sign the tag with your git signing key (git tag -s)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be done, change nothing")
	cmd.Flags().BoolVar(&allowDirty, "allow-dirty", false, "tag even when the work tree has uncommitted changes")
	m.jsonFlag(cmd)
	return cmd
}

// tagMessage renders the changelog section of the release for the tag.
func (m *Main) tagMessage(cmd *cobra.Command, ws *workspace, res *versioning.Result, f versionFlags) (string, error) {
	dir := res.Module
	if dir == "." {
		dir = ""
	}
	text, err := release.Notes(cmd.Context(), ws.repo, ws.cfg, ws.cfgPath, res, ws.versionOptions(dir, f.pre))
	return string(text), err
}

func orFirst(tag string) string {
	if tag == "" {
		return "the first commit"
	}
	return tag
}

func summarize(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:n], ", "), len(list)-n)
}
