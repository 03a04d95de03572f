package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/modzip"
	"github.com/shipline-ci/shipline/store"
	"github.com/shipline-ci/shipline/versioning"
)

// publishFlags are the flags of 'shipline publish'.
type publishFlags struct {
	version    string
	store      string
	module     string
	dist       string
	allowDirty bool
}

// publishReport is what 'shipline publish --json' writes.
type publishReport struct {
	Store   string           `json:"store"`
	Tag     string           `json:"tag"`
	Commit  string           `json:"commit"`
	Files   []string         `json:"files"`             // the files in the module zip
	Omitted []modzip.Omitted `json:"omitted,omitempty"` // files of the module left out of the zip, and why
	Module  *store.Published `json:"module"`
	Release *store.Published `json:"release,omitempty"` // with --dist
	GoSum   []string         `json:"go_sum"`            // the go.sum lines of the version
}

func (m *Main) publishCommand() *cobra.Command {
	var f publishFlags
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Publish the module at a release tag to the artifact store",
		Long: `Publish the Go module at a release tag to the artifact store, which is a Go
module proxy: the go command can use it as GOPROXY (file:///path for a local
store).

The module is exported from the tag (not from the work tree), zipped by the
go command's rules (no vendor directory, no nested modules, no symbolic
links; a module in a subdirectory gets the repository's LICENSE when it has
none), and published as .mod, .zip and .info. The version is the tag at HEAD
unless --version names another; a missing tag or a dirty work tree is an
error. Prints the go.sum lines of the version: the h1: hashes of its zip and
of its go.mod.

A published version never changes: publishing the same content again does
nothing and succeeds; other content is refused. With --dist, the files of
the release built into that directory (its artifacts.json, as 'shipline
build' writes it) are published too.

The store is --store, else release.store of .shipline.yaml, else the
directory shipline/store in $XDG_DATA_HOME (~/.local/share): a directory or
a URL (file://, s3://, gs://, azblob://).`,
		Example: `  shipline publish
  shipline publish --version v1.2.0 --store s3://releases?region=eu-west-1
  shipline publish --module api --dist api/dist --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runPublish(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.version, "version", "", "publish the release tag of `VERSION` (such as v1.2.0) instead of the tag at HEAD")
	fl.StringVar(&f.store, "store", "", "publish to the store at `URL` (a directory, file://, s3://, gs://, azblob://)")
	fl.StringVar(&f.module, "module", "", "publish the Go module in `DIR` (tags are prefixed DIR/, as Go expects)")
	fl.StringVar(&f.dist, "dist", "", "also publish the release files built into `DIR` (its artifacts.json)")
	fl.BoolVar(&f.allowDirty, "allow-dirty", false, "publish even when the work tree has uncommitted changes (the tag is published either way)")
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) runPublish(ctx context.Context, f publishFlags) error {
	ws, err := m.open(ctx)
	if err != nil {
		return err
	}
	dir, err := m.moduleDir(ws, f.module)
	if err != nil {
		return err
	}
	mod, err := versioning.FindModule(ctx, ws.repo, dir)
	if err != nil {
		return err
	}
	if mod.Path == "" {
		return shipline.Errorf(shipline.EINVALID, "no go.mod at the top of %s: publish needs a Go module; pass --module DIR for one in a subdirectory", ws.repo.Dir)
	}
	tag, commit, err := m.publishTag(ctx, ws, mod, dir, f.version)
	if err != nil {
		return err
	}
	version := strings.TrimPrefix(tag, mod.TagPrefix)
	if !f.allowDirty {
		status, err := ws.repo.Status(ctx)
		if err != nil {
			return err
		}
		if len(status) > 0 {
			return shipline.Errorf(shipline.EINVALID, "the work tree has uncommitted changes (%s): publish sends the tag %s, not the work tree, but refuses to run from a tree that differs from what it publishes; commit or stash them, or pass --allow-dirty", summarize(status, 3), tag)
		}
	}
	when, err := ws.repo.CommitTime(ctx, commit)
	if err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "shipline-publish-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tree := filepath.Join(tmp, "tree")
	if err := os.Mkdir(tree, 0o700); err != nil {
		return err
	}
	// The whole tree: a module in a subdirectory also takes the top's
	// LICENSE, as the go command does.
	if err := ws.repo.Export(ctx, commit, "", tree); err != nil {
		return fmt.Errorf("export %s: %w", tag, err)
	}
	var zopts modzip.Options
	if dir != "" {
		zopts.License = filepath.Join(tree, "LICENSE")
	}
	z, err := modzip.Create(filepath.Join(tree, filepath.FromSlash(dir)), mod.Path, version, filepath.Join(tmp, "module.zip"), zopts)
	if err != nil {
		return err
	}
	origin := &store.Origin{VCS: "git", Subdir: dir, Hash: commit, Ref: "refs/tags/" + tag}
	if origin.URL, err = ws.repo.RemoteURL(ctx, ws.cfg.Changelog.Remote.Name); err != nil {
		return err
	}

	var rel *store.Release
	distDir := ""
	if f.dist != "" {
		distDir = f.dist
		if !filepath.IsAbs(distDir) {
			distDir = filepath.Join(m.workDir(), distDir)
		}
		if rel, err = readDist(distDir, mod.Path, version, commit); err != nil {
			return err
		}
		rel.Time = when
	}

	url, err := m.storeURL(ws.cfg.Release.Store, f.store, ws.repo.Dir)
	if err != nil {
		return err
	}
	st, err := store.Create(ctx, url)
	if err != nil {
		return err
	}
	defer st.Close()
	pub, err := st.PublishModule(ctx, store.ModuleVersion{Path: mod.Path, Version: version, Mod: z.Mod, Zip: z.File, Time: when, Origin: origin})
	if err != nil {
		return err
	}
	out := publishReport{Store: url, Tag: tag, Commit: commit, Files: z.Files, Omitted: z.Omitted, Module: pub,
		GoSum: []string{mod.Path + " " + version + " " + pub.ZipHash, mod.Path + " " + version + "/go.mod " + pub.ModHash}}
	if rel != nil {
		if out.Release, err = st.PublishRelease(ctx, *rel, distDir); err != nil {
			return err
		}
	}
	if m.json {
		return writeJSON(m.Stdout, out)
	}
	fmt.Fprintf(m.Stderr, "%s %s@%s (%s, %d files) to %s\n", publishVerb(pub), mod.Path, version, tag, len(z.Files), url)
	if out.Release != nil {
		fmt.Fprintf(m.Stderr, "%s the release of %s@%s (%d files)\n", publishVerb(out.Release), mod.Path, version, len(rel.Artifacts))
	}
	for _, l := range out.GoSum {
		fmt.Fprintln(m.Stdout, l)
	}
	return nil
}

func publishVerb(p *store.Published) string {
	switch {
	case p.Created && p.Replaced:
		return "published (replacing an unfinished publish of other content)"
	case p.Created && p.Resumed:
		return "published (completing an unfinished publish)"
	case p.Created:
		return "published"
	}
	return "already published, nothing changed:"
}

// publishTag returns the tag to publish and its commit: the tag of
// --version, or the release tag at HEAD.
func (m *Main) publishTag(ctx context.Context, ws *workspace, mod *versioning.Module, dir, flag string) (tag, commit string, err error) {
	if flag != "" {
		v := strings.TrimPrefix(flag, mod.TagPrefix)
		if !semver.IsValid(v) || semver.Canonical(v) != strings.TrimSuffix(v, "+incompatible") {
			return "", "", shipline.Errorf(shipline.EUSAGE, "--version %q: want a canonical semantic version such as v1.2.3", flag)
		}
		tag = mod.TagPrefix + v
		c, ok, err := ws.repo.TagCommit(ctx, tag)
		if err != nil {
			return "", "", err
		}
		if !ok {
			return "", "", shipline.Errorf(shipline.ENOTFOUND, "there is no tag %s: create it with 'shipline tag', or name an existing one (git tag -l '%sv*')", tag, mod.TagPrefix)
		}
		return tag, c, nil
	}
	res, err := versioning.Next(ctx, ws.repo, ws.versionOptions(dir, ""))
	if err != nil {
		return "", "", err
	}
	if !res.HeadTagged {
		next := ""
		if res.Next != "" && res.Next != res.Current {
			next = " (the next release would be " + res.Next + ")"
		}
		return "", "", shipline.Errorf(shipline.EINVALID, "HEAD (%.7s) carries no release tag of %s%s: tag it with 'shipline tag' first, or publish an existing tag with --version", res.Head, mod.Path, next)
	}
	return res.Next, res.Head, nil
}

// storeURL picks the store: the flag (a relative directory is relative to
// the working directory), else the config's (relative to the top of the
// work tree, root; "" when there is no repository), else the default
// directory.
func (m *Main) storeURL(configured, flag, root string) (string, error) {
	switch {
	case flag != "":
		if !strings.Contains(flag, "://") && !filepath.IsAbs(flag) {
			return filepath.Join(m.workDir(), flag), nil
		}
		return flag, nil
	case configured != "":
		if !strings.Contains(configured, "://") && !filepath.IsAbs(configured) && root != "" {
			return filepath.Join(root, configured), nil
		}
		return configured, nil
	}
	return store.DefaultDir()
}

// distManifest is the part of the artifacts.json 'shipline build' writes
// that publishing needs.
type distManifest struct {
	Version   string              `json:"version"`
	Commit    string              `json:"commit"`
	Artifacts []shipline.Artifact `json:"artifacts"`
}

// readDist reads the artifacts.json of a dist directory and checks that it
// was built from the commit and version being published.
func readDist(dir, module, version, commit string) (*store.Release, error) {
	data, err := os.ReadFile(filepath.Join(dir, "artifacts.json")) // #nosec G304 -- the artifacts.json of the --dist directory the user named
	if errors.Is(err, fs.ErrNotExist) {
		return nil, shipline.Errorf(shipline.EINVALID, "--dist %s has no artifacts.json: build the release into it first (shipline build --dist %s)", dir, dir)
	}
	if err != nil {
		return nil, err
	}
	var d distManifest
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "%s: %v", filepath.Join(dir, "artifacts.json"), err)
	}
	if d.Version != version || d.Commit != commit {
		return nil, shipline.Errorf(shipline.EINVALID, "--dist %s holds the build of %s at %.7s, not of %s at %.7s: build the tag being published", dir, d.Version, d.Commit, version, commit)
	}
	return &store.Release{Module: module, Version: version, Commit: commit, Artifacts: d.Artifacts}, nil
}
