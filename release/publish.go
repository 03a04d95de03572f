package release

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/modzip"
	"github.com/shipline-ci/shipline/store"
)

// PublishOutput is what the publish step published, and where.
type PublishOutput struct {
	Store   string            `json:"store"`             // the store's URL
	Zip     shipline.Artifact `json:"zip"`               // the module zip in the dist directory
	ZipHash string            `json:"zip_hash"`          // its "h1:" hash, as go.sum records it
	ModHash string            `json:"mod_hash"`          // the go.mod's "h1:" hash
	Module  *store.Published  `json:"module,omitempty"`  // the module version in the store's GOPROXY layout
	Release *store.Published  `json:"release,omitempty"` // the release's files; nil when the build was skipped
}

// publishStep publishes the release to the store (package store): the
// module version (its zip, made from the commit's tree, its go.mod and
// .info) in the Go module proxy layout, then the build's files as the
// release. A version the store already has with the same bytes publishes
// again as success; other bytes are refused. A dry run makes the module
// zip and publishes nothing; a snapshot is not published.
type publishStep struct{}

func (publishStep) Name() string { return StepPublish }

// Check checks that the module path and version can be published and
// that the store can be reached (a local store's directory is created when
// the release publishes).
func (publishStep) Check(ctx context.Context, st *State) error {
	if st.Plan.Snapshot {
		return nil
	}
	if err := modzip.CheckVersion(st.Plan.Module, st.Plan.Version); err != nil {
		return err
	}
	_, dir, err := store.ParseURL(st.Store)
	if err != nil {
		return err
	}
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return creatable(dir)
		}
	}
	s, err := store.Open(ctx, st.Store)
	if err != nil {
		return err
	}
	return s.Close()
}

// creatable reports an error unless the nearest existing parent of dir is
// a directory, where the store's directory can be made.
func creatable(dir string) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return shipline.Errorf(shipline.EINVALID, "store directory %s cannot be made: %s is not a directory", dir, p)
			}
			return nil
		}
		if (!errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR)) || p == filepath.Dir(p) {
			return shipline.Errorf(shipline.EINVALID, "store directory %s cannot be made: %v", dir, err)
		}
	}
}

func (publishStep) Run(ctx context.Context, st *State) error {
	p := st.Plan
	if p.Snapshot {
		return Skip("snapshot: not published")
	}
	z, zipArt, err := st.moduleZip(ctx)
	if err != nil {
		return err
	}
	files := 0
	if st.Build != nil {
		files = len(st.Build.Artifacts)
	}
	if st.DryRun {
		return Skip("dry run: would publish %s@%s (module zip %s) and %d release files to %s", p.Module, p.Version, z.Hash, files, st.Store)
	}
	out := PublishOutput{Store: st.Store, Zip: zipArt, ZipHash: z.Hash, ModHash: z.ModHash}
	if st.Publish != nil && st.Publish.Store == st.Store { // an earlier run got this far
		out.Module, out.Release = st.Publish.Module, st.Publish.Release
	}
	st.Publish = &out

	s, err := store.Create(ctx, st.Store)
	if err != nil {
		return err
	}
	defer s.Close()
	origin := &store.Origin{VCS: "git", Hash: p.Commit, Ref: "refs/tags/" + p.Tag}
	if p.Dir != "." {
		origin.Subdir = p.Dir
	}
	if url, err := st.Repo.RemoteURL(ctx, st.Config.Changelog.Remote.Name); err == nil {
		origin.URL = url
	}
	mod, err := s.PublishModule(ctx, store.ModuleVersion{
		Path: p.Module, Version: p.Version, Mod: z.Mod, Zip: st.path(ModuleZipFile), Time: p.Date, Origin: origin,
	})
	if mod != nil {
		out.Module = mod
	}
	if err != nil {
		return err
	}
	if st.Build != nil {
		rel, err := s.PublishRelease(ctx, store.Release{
			Module: p.Module, Version: p.Version, Commit: p.Commit, Time: p.Date, Artifacts: st.Build.Artifacts,
		}, st.Dist)
		if rel != nil {
			out.Release = rel
		}
		if err != nil {
			return err
		}
	}
	what := "published"
	if !out.Module.Created && (out.Release == nil || !out.Release.Created) {
		what = "already published with the same bytes"
	}
	st.Logf("ok: %s@%s and %d release files %s to %s", p.Module, p.Version, files, what, st.Store)
	return nil
}

// moduleZip makes the module zip of the release into the dist directory.
func (st *State) moduleZip(ctx context.Context) (*modzip.Zip, shipline.Artifact, error) {
	p := st.Plan
	dir := ""
	if p.Dir != "." {
		dir = p.Dir
	}
	if err := mkdirDist(st.Dist); err != nil {
		return nil, shipline.Artifact{}, err
	}
	part := st.path("." + ModuleZipFile + ".part")
	z, err := ModuleZip(ctx, st.Repo, p.Commit, dir, p.Module, p.Version, part)
	if err != nil {
		return nil, shipline.Artifact{}, err
	}
	if err := os.Rename(part, st.path(ModuleZipFile)); err != nil {
		return nil, shipline.Artifact{}, err
	}
	a, err := hashFile(st.Dist, ModuleZipFile, KindModuleZip)
	return z, a, err
}

// ModuleZip writes the zip of module path@version to zipFile, made from
// the tree of commit (not the work tree) in dir, the module's directory
// relative to the top of the work tree ("" for the top). A module in a
// subdirectory without a LICENSE gets the repository's, as the go command
// does, so that the zip's hash is the one the go command and the checksum
// database compute.
func ModuleZip(ctx context.Context, repo *gitrepo.Repo, commit, dir, path, version, zipFile string) (*modzip.Zip, error) {
	tmp, err := os.MkdirTemp("", "shipline-modzip-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := repo.Export(ctx, commit, dir, tmp); err != nil {
		return nil, fmt.Errorf("export %s: %w", short(commit), err)
	}
	var opts modzip.Options
	if dir != "" {
		lic := filepath.Join(tmp, ".license")
		if err := os.Mkdir(lic, 0o700); err != nil {
			return nil, err
		}
		// git archive fails for a path the commit does not have: then
		// there is no LICENSE to add.
		if err := repo.Export(ctx, commit, "LICENSE", lic); err == nil {
			opts.License = filepath.Join(lic, "LICENSE")
		}
	}
	return modzip.Create(filepath.Join(tmp, filepath.FromSlash(dir)), path, version, zipFile, opts)
}
