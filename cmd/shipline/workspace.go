package main

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/versioning"
)

// workspace is the repository a command works in and its configuration.
type workspace struct {
	repo    *gitrepo.Repo
	cfg     *config.Config
	cfgPath string // "" when running on defaults
}

// open finds the repository around the working directory and loads its
// configuration.
func (m *Main) open(ctx context.Context) (*workspace, error) {
	repo, err := gitrepo.Open(ctx, m.workDir())
	if err != nil {
		return nil, err
	}
	cfg, path, err := config.Load(repo.Dir)
	if err != nil {
		return nil, err
	}
	return &workspace{repo: repo, cfg: cfg, cfgPath: path}, nil
}

func (m *Main) workDir() string {
	if m.Dir == "" {
		return "."
	}
	return m.Dir
}

// moduleDir turns the --module flag (a directory relative to the working
// directory) into a slash path relative to the top of the work tree.
func (m *Main) moduleDir(ws *workspace, flag string) (string, error) {
	if flag == "" {
		return "", nil
	}
	abs, err := filepath.Abs(filepath.Join(m.workDir(), flag))
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	top := ws.repo.Dir
	if r, err := filepath.EvalSymlinks(top); err == nil {
		top = r
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", shipline.Errorf(shipline.EUSAGE, "--module %s is outside the repository at %s", flag, ws.repo.Dir)
	}
	if rel == "." {
		return "", nil
	}
	return filepath.ToSlash(rel), nil
}

// versionOptions are the options of the version engine for a module.
func (ws *workspace) versionOptions(module, pre string) versioning.Options {
	return versioning.Options{
		Module: module,
		Pre:    pre,
		Config: ws.cfg.Versioning,
		Remote: ws.cfg.Changelog.Remote.Name,
	}
}
