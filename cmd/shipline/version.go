package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/apicheck"
	"github.com/shipline-ci/shipline/release"
	"github.com/shipline-ci/shipline/versioning"
)

func (m *Main) versionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show the current and next semantic version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return shipline.Errorf(shipline.EUSAGE, "version needs a subcommand: current, next or check")
		},
	}
	cmd.AddCommand(m.versionCurrentCommand(), m.versionNextCommand(), m.versionCheckCommand())
	return cmd
}

// versionFlags are the flags every version-computing command shares.
type versionFlags struct {
	module string
	pre    string
}

func (f *versionFlags) add(cmd *cobra.Command, withPre bool) {
	cmd.Flags().StringVar(&f.module, "module", "", "version the Go module in `DIR` (tags are prefixed DIR/, as Go expects)")
	if withPre {
		cmd.Flags().StringVar(&f.pre, "pre", "", "compute a pre-release such as vX.Y.Z-`ID`.N (e.g. rc, beta)")
	}
}

// next runs the version engine for the flags.
func (m *Main) next(ctx context.Context, f versionFlags) (*workspace, *versioning.Result, error) {
	ws, err := m.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	dir, err := m.moduleDir(ws, f.module)
	if err != nil {
		return nil, nil, err
	}
	res, err := versioning.Next(ctx, ws.repo, ws.versionOptions(dir, f.pre))
	return ws, res, err
}

func (m *Main) versionCurrentCommand() *cobra.Command {
	var f versionFlags
	cmd := &cobra.Command{
		Use:   "current",
		Short: "Print the highest release tag reachable from HEAD",
		Long: `Print the highest release tag reachable from HEAD: a canonical Go semantic
version tag (vMAJOR.MINOR.PATCH[-PRERELEASE]), prefixed with the module's
directory for a nested module. Tags such as v1.2, 1.2.3 or release-1 are
ignored. Prints nothing when there is no such tag.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, res, err := m.next(cmd.Context(), f)
			if err != nil {
				return err
			}
			if m.json {
				return writeJSON(m.Stdout, map[string]any{"module": res.Module, "module_path": res.ModulePath, "current": res.Current, "stable": res.Base})
			}
			if res.Current == "" {
				fmt.Fprintln(m.Stderr, "no release tag yet")
				return nil
			}
			fmt.Fprintln(m.Stdout, res.Current)
			return nil
		},
	}
	f.add(cmd, false)
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) versionNextCommand() *cobra.Command {
	var f versionFlags
	var quiet bool
	cmd := &cobra.Command{
		Use:   "next",
		Short: "Print the next version and explain why",
		Long: `Print the next version on standard output and, on standard error, which
commits decided it.

Commits since the last stable tag decide: a breaking change (a "!" or a
BREAKING CHANGE footer) is a major bump, a feat a minor one, a fix, perf or
revert a patch (rules are configurable per type). While the major version is
0 a breaking change bumps the minor version. The first release is v0.1.0.
A version of v2 or more needs a module path ending in /vN.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, res, err := m.next(cmd.Context(), f)
			if err != nil {
				return err
			}
			if m.json {
				return writeJSON(m.Stdout, res)
			}
			if res.Next != "" {
				fmt.Fprintln(m.Stdout, res.Next)
			}
			if !quiet {
				explain(m.Stderr, res)
			}
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the version")
	m.jsonFlag(cmd)
	return cmd
}

// explain writes the reasons for a version decision for a person.
func explain(w io.Writer, res *versioning.Result) {
	from := res.Base
	if from == "" {
		from = "the first commit"
	}
	switch {
	case res.Bump == shipline.BumpNone && res.Current == "":
		fmt.Fprintf(w, "nothing to release: %d commit(s), none that releases anything\n", res.Commits)
	case res.Bump == shipline.BumpNone:
		fmt.Fprintf(w, "nothing to release: %d commit(s) since %s, none that releases anything\n", res.Commits, from)
	default:
		fmt.Fprintf(w, "%s bump: %d commit(s) since %s", res.Bump, res.Commits, from)
		if res.Ignored > 0 {
			fmt.Fprintf(w, " (%d not Conventional Commits, ignored)", res.Ignored)
		}
		fmt.Fprintln(w)
		const show = 10
		for i, r := range res.Reasons {
			if i == show {
				fmt.Fprintf(w, "  ... and %d more\n", len(res.Reasons)-show)
				break
			}
			kind := r.Bump.String()
			if r.Breaking {
				kind = "breaking"
			}
			fmt.Fprintf(w, "  %-8s %.7s %s\n", kind, r.Hash, r.Subject)
		}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(w, "warning: %s; 'shipline tag' will refuse to tag %s\n", p, res.Next)
	}
}

func (m *Main) versionCheckCommand() *cobra.Command {
	var f versionFlags
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Compare the exported API change with the bump the commits claim",
		Long: `Compare the exported API of every package of the module between the last
stable tag and the work tree, and report where the commits claim a smaller
bump than the API change needs (an incompatible change without "!"), or a
larger one. It warns by default; set versioning.api-check to fail (exit 1)
or off.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, res, err := m.next(ctx, f)
			if err != nil {
				return err
			}
			mode := ws.cfg.Versioning.APICheck
			out := map[string]any{"module": res.Module, "base": res.Base, "mode": mode}
			if mode == "off" {
				if m.json {
					out["verdict"] = "off"
					return writeJSON(m.Stdout, out)
				}
				fmt.Fprintln(m.Stdout, "API check is off (versioning.api-check: off)")
				return nil
			}
			if res.ModulePath == "" || res.Tag == nil {
				why := "no go.mod: there is no Go API to compare"
				if res.ModulePath != "" {
					why = "no stable release tag yet: there is no earlier API to compare with"
				}
				if m.json {
					out["verdict"] = "skipped"
					out["message"] = why
					return writeJSON(m.Stdout, out)
				}
				fmt.Fprintln(m.Stdout, why)
				return nil
			}
			claimed, _ := versioning.Decide(res.Entries)
			api, err := release.CheckAPI(ctx, ws.repo, res.Module, res.Base, joinDir(ws.repo.Dir, moduleRel(res.Module)), claimed, ws.cfg.Versioning.MajorOnZero)
			if err != nil {
				return err
			}
			report, verdict := api.Report, api.Verdict
			if m.json {
				out["required"] = report.Required
				out["claimed"] = claimed
				out["packages"] = report.Packages
				out["verdict"] = verdict
				if err := writeJSON(m.Stdout, out); err != nil {
					return err
				}
			} else {
				writeReport(m.Stdout, res.Base, report, claimed, verdict)
			}
			if !verdict.OK() && mode == "fail" {
				return m.reported(shipline.Errorf(shipline.ECONFLICT, "API check failed: %s", verdict.Message))
			}
			return nil
		},
	}
	f.add(cmd, false)
	m.jsonFlag(cmd)
	return cmd
}

// moduleRel is a module directory of versioning.Result as a path relative
// to the top of the work tree: "" for the top.
func moduleRel(dir string) string {
	if dir == "." {
		return ""
	}
	return dir
}

// joinDir joins a slash path relative to a tree onto the tree's directory.
func joinDir(root, rel string) string {
	if rel == "" {
		return root
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}

// writeReport writes an API check report for a person.
func writeReport(w io.Writer, base string, r *apicheck.Report, claimed shipline.Bump, v apicheck.Verdict) {
	if len(r.Packages) == 0 {
		fmt.Fprintf(w, "exported API unchanged since %s\n", base)
	}
	for _, p := range r.Packages {
		fmt.Fprintf(w, "%s\n", p.Path)
		for _, c := range p.Incompatible {
			fmt.Fprintf(w, "  incompatible: %s\n", c)
		}
		for _, c := range p.Compatible {
			fmt.Fprintf(w, "  compatible:   %s\n", c)
		}
	}
	fmt.Fprintf(w, "API needs: %s; commits claim: %s\n%s: %s\n", v.Needed, claimed, v.Status, v.Message)
}
