package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/release"
)

func (m *Main) initCommand() *cobra.Command {
	var (
		force  bool
		module string
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented .shipline.yaml for the module you stand in",
		Long: `Write a commented .shipline.yaml at the top of the repository for the Go
module you stand in (the nearest go.mod at or above the working directory),
or the one in --module DIR, from what is there: its main packages (one build
each, for linux, darwin and windows on amd64 and arm64), the nested modules
it leaves out, its LICENSE and README files, its release tags and the git
remote tags are pushed to. Each choice is explained on standard error, and
in a comment in the file. The file passes 'shipline config validate'.

An existing .shipline.yaml is not replaced unless --force.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runInit(cmd.Context(), module, force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing "+config.FileName)
	cmd.Flags().StringVar(&module, "module", "", "write the configuration of the Go module in `DIR` instead of the one you stand in")
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) runInit(ctx context.Context, module string, force bool) error {
	repo, err := gitrepo.Open(ctx, m.workDir())
	if err != nil {
		return err
	}
	dir, err := m.initModule(repo, module)
	if err != nil {
		return err
	}
	ic, err := release.NewInitConfig(ctx, repo, dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(ic.Path); err == nil && !force {
		return shipline.Errorf(shipline.ECONFLICT, "%s exists: shipline init does not replace it; pass --force to overwrite it (what it says now is lost), or check it with 'shipline config validate'", relTo(m.workDir(), ic.Path))
	}
	tmp := ic.Path + ".tmp"
	if err := os.WriteFile(tmp, ic.File, 0o644); err != nil { // #nosec G306 -- .shipline.yaml is configuration to commit to the repository, for everyone to read; it holds no secrets
		return err
	}
	if err := os.Rename(tmp, ic.Path); err != nil {
		os.Remove(tmp)
		return err
	}
	if m.json {
		return writeJSON(m.Stdout, map[string]any{"file": ic.Path, "module": ic.Module, "dir": ic.Dir, "choices": ic.Choices})
	}
	fmt.Fprintf(m.Stderr, "wrote %s for %s:\n", relTo(m.workDir(), ic.Path), ic.Module)
	for _, c := range ic.Choices {
		fmt.Fprintf(m.Stderr, "  - %s\n", c)
	}
	fmt.Fprintf(m.Stderr, "next: commit it, then try 'shipline release --dry-run'\n")
	return nil
}

// initModule finds the module shipline init writes for: the one in --module
// DIR, else the nearest go.mod at or above the working directory within
// the work tree. It returns its directory relative to the top of the work
// tree ("" for the top).
func (m *Main) initModule(repo *gitrepo.Repo, flag string) (string, error) {
	top := repo.Dir
	if r, err := filepath.EvalSymlinks(top); err == nil {
		top = r
	}
	start := m.workDir()
	if flag != "" {
		start = filepath.Join(start, flag)
	}
	abs, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	for d := abs; ; d = filepath.Dir(d) {
		rel, err := filepath.Rel(top, d)
		if err != nil || (rel != "." && !filepath.IsLocal(rel)) {
			break
		}
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if rel == "." {
				return "", nil
			}
			return filepath.ToSlash(rel), nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if flag != "" || rel == "." {
			break
		}
	}
	where := strings.TrimSpace(flag)
	if where == "" {
		where = abs
	}
	return "", shipline.Errorf(shipline.EINVALID, "no go.mod in %s or above it in the repository: run shipline init in a Go module (go mod init creates one), or give --module DIR", where)
}
