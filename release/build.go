package release

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build"
)

// BuildOutput is what the build step made.
type BuildOutput struct {
	Toolchain string              `json:"toolchain"` // the go version that built it
	Targets   []string            `json:"targets"`   // "ID GOOS/GOARCH[/VARIANT]" of every binary
	Artifacts []shipline.Artifact `json:"artifacts"` // as artifacts.json lists them, paths relative to the dist directory
	Manifest  shipline.Artifact   `json:"manifest"`  // artifacts.json itself
}

// buildPlan is the build matrix and options of a release, resolved once.
type buildPlan struct {
	builds []build.Build
	opts   build.Options
}

// buildStep builds the module's binaries for every target with build.Run,
// wired as 'shipline build' wires it (WireBuild: verification, progress,
// signing), into a staging directory inside the dist directory, then moves
// the files into place: build.Run wants an empty directory, and the dist
// directory already holds the journal and the reports of earlier steps.
// Moving a file does not change it, so the digests build.Run recorded
// hold.
type buildStep struct{}

func (buildStep) Name() string { return StepBuild }

// Check finds the toolchain, resolves the target matrix, completes the
// options (WireBuild, which loads signing keys) and checks the C
// compilers of cgo builds.
func (buildStep) Check(ctx context.Context, st *State) error {
	_, err := st.planBuild(ctx)
	return err
}

// Resume checks that the files the build made are as it recorded them.
func (buildStep) Resume(ctx context.Context, st *State) error {
	if st.Build == nil {
		return shipline.Errorf(shipline.EINTERNAL, "the journal says the build is done but records no artifacts: pass --restart")
	}
	return checkUnchanged(st.Dist, append(slices.Clone(st.Build.Artifacts), st.Build.Manifest)...)
}

func (buildStep) Run(ctx context.Context, st *State) error {
	bp, err := st.planBuild(ctx)
	if err != nil {
		return err
	}
	res, err := build.Run(ctx, bp.builds, bp.opts)
	if err != nil {
		return err
	}
	if err := moveInto(bp.opts.Dist, st.Dist); err != nil {
		return err
	}
	manifest, err := hashFile(st.Dist, build.ManifestFile, KindManifest)
	if err != nil {
		return err
	}
	out := &BuildOutput{Toolchain: bp.opts.Toolchain.Version, Targets: []string{}, Artifacts: res.Artifacts, Manifest: manifest}
	for _, b := range bp.builds {
		for _, t := range b.Targets {
			out.Targets = append(out.Targets, b.ID+" "+t.String())
		}
	}
	st.Build = out
	st.Logf("ok: %s with %s: %d target(s), %d files", st.Plan.Version, out.Toolchain, len(out.Targets), len(res.Artifacts)+1)
	return nil
}

// planBuild resolves the build of the release once.
func (st *State) planBuild(ctx context.Context) (*buildPlan, error) {
	if st.build != nil {
		return st.build, nil
	}
	tc, err := build.LookupToolchain(ctx, "", st.ModuleDir)
	if err != nil {
		return nil, err
	}
	builds, err := build.Resolve(build.ResolveOptions{
		Dir:        st.ModuleDir,
		ModulePath: st.Plan.Module,
		Builds:     st.Config.Builds,
		Toolchain:  tc,
		ConfigFile: st.ConfigFile,
	})
	if err != nil {
		return nil, err
	}
	log := st.Log
	if log == nil {
		log = io.Discard
	}
	opts := build.Options{
		Dir:          st.ModuleDir,
		ModulePath:   st.Plan.Module,
		Version:      st.Plan.Version,
		Commit:       st.Plan.Commit,
		Date:         st.Plan.Date,
		ArchiveFiles: st.Config.Archive.Files,
		ArchiveLevel: st.Config.Archive.CompressionLevel,
		Toolchain:    tc,
		Progress:     build.LogProgress(log),
		Now:          st.Now,
	}
	if st.WireBuild != nil {
		if err := st.WireBuild(ctx, st.Plan, builds, &opts); err != nil {
			return nil, err
		}
	}
	// Where the files go is the release's business, whatever the wiring.
	opts.Dist, opts.Clean = st.path(stagingDir), true
	if err := build.CheckCompilers(builds, opts.LookPath); err != nil {
		return nil, err
	}
	st.build = &buildPlan{builds: builds, opts: opts}
	return st.build, nil
}

// reserved are the names in the dist directory that belong to the release
// itself, which a build's files must not replace.
var reserved = []string{JournalFile, CoverageFile, GatesDir, NotesFile, ModuleZipFile, stagingDir, previousDir}

// moveInto moves every entry of the directory from into dir, replacing an
// entry of the same name (left by a move that was interrupted), then
// removes from.
func moveInto(from, dir string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if slices.Contains(reserved, e.Name()) {
			return shipline.Errorf(shipline.EINTERNAL, "the build made %s, a name the release keeps for itself", e.Name())
		}
	}
	for _, e := range entries {
		dst := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(from, e.Name()), dst); err != nil {
			return fmt.Errorf("move the build into place: %w", err)
		}
	}
	return os.Remove(from)
}
