package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gate"
	"github.com/shipline-ci/shipline/provenance"
	"github.com/shipline-ci/shipline/release"
	"github.com/shipline-ci/shipline/versioning"
)

// releaseFlags are the flags of 'shipline release'.
type releaseFlags struct {
	dryRun   bool
	snapshot bool
	restart  bool
	skip     []string
	pre      string
	module   string
	store    string
}

// releaseReport is what 'shipline release --json' writes: the journal,
// and where it is.
type releaseReport struct {
	*release.Journal
	File    string   `json:"file"`              // the journal's file
	Dist    string   `json:"dist"`              // the dist directory
	Store   string   `json:"store"`             // the store published to
	DryRun  bool     `json:"dry_run,omitempty"` // this run was a dry run
	Resumed bool     `json:"resumed"`           // this run resumed an earlier one
	Notes   []string `json:"notes,omitempty"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func (m *Main) releaseCommand() *cobra.Command {
	var f releaseFlags
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Release the module: test, gates, version, build, changelog, tag and publish in one run",
		Long: `Release the Go module at the top of the repository (or the one in --module
DIR) in one run of small steps, in this order:

  preflight  everything that can fail cheaply, before any work: a clean work
             tree, the tag free here and at the remote (git push --dry-run),
             the toolchain, targets and C compilers, signing keys, the store
  test       go test ./... with a coverage profile in the dist directory,
             failing below release.coverage
  gates      the security and compliance gates (see 'shipline gate')
  version    the next version (see 'shipline version next'), checked against
             the exported API as versioning.api-check says
  build      the binaries, verified, signed, with SBOMs and provenance,
             archives and checksums (see 'shipline build')
  changelog  the release notes, dist/release-notes.md
  tag        the annotated tag, with the notes as its message, pushed to the
             remote unless release.push is false
  publish    the module (a Go module proxy layout) and the release files to
             the store: --store, else release.store, else a local directory

Each step records what it did in the journal dist/release.json, written
after every step. A release that stops (a failure, a signal) resumes where
it stopped when run again at the same commit: finished steps are not run
again, and their files are checked against the digests recorded. A
published version is never changed: publishing the same bytes again
succeeds, other bytes are refused. The journal of another release (another
commit or version) is moved aside with its files, into dist/.previous, when
that release finished or changed nothing outside dist; an unfinished one
that tagged or published something is refused, as finishing it first is
almost always right, until --restart moves it aside too.

--dry-run does everything but create and push the tag and publish: it
tests, gates, builds and writes the notes and the module zip, and says what
it would tag and publish. A dry run leaves no tag: a tag would be a release
in git that was never published. Its journal lets a real run at the same
commit reuse its work.

--snapshot releases vX.Y.Z-SNAPSHOT-COMMIT from a work tree that may be
dirty: everything but the tag and publish. --skip STEP leaves steps out
(recorded as skipped in the journal); preflight always runs.`,
		Example: `  shipline release --dry-run
  shipline release
  shipline release --pre rc --store s3://releases?region=eu-west-1
  shipline release --module api --skip gates --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runRelease(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "do everything but create and push the tag and publish")
	fl.BoolVar(&f.snapshot, "snapshot", false, "release vX.Y.Z-SNAPSHOT-COMMIT: build and check, never tag or publish; the work tree may be dirty")
	fl.StringSliceVar(&f.skip, "skip", nil, "do not run `STEP` (repeat, or comma-separate): "+strings.Join(config.ReleaseSteps, ", "))
	fl.StringVar(&f.pre, "pre", "", "release a pre-release vX.Y.Z-`ID`.N (e.g. rc, beta)")
	fl.StringVar(&f.module, "module", "", "release the Go module in `DIR` (tags are prefixed DIR/, as Go expects)")
	fl.StringVar(&f.store, "store", "", "publish to the store at `URL` (a directory, file://, s3://, gs://, azblob://); default: release.store, else ~/.local/share/shipline/store")
	fl.BoolVar(&f.restart, "restart", false, "move a journal of another release and the dist files aside (into dist/.previous) instead of refusing")
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) runRelease(ctx context.Context, f releaseFlags) error {
	for _, s := range f.skip {
		if !slices.Contains(config.ReleaseSteps, strings.TrimSpace(s)) {
			return shipline.Errorf(shipline.EUSAGE, "--skip %s: no such step; the steps that can be skipped are %s", s, strings.Join(config.ReleaseSteps, ", "))
		}
	}
	ws, err := m.open(ctx)
	if err != nil {
		return err
	}
	dir, err := m.moduleDir(ws, f.module)
	if err != nil {
		return err
	}
	storeURL, err := m.storeURL(ws.cfg.Release.Store, f.store, ws.repo.Dir)
	if err != nil {
		return err
	}
	r, err := release.Open(ctx, release.Options{
		Repo:       ws.repo,
		Config:     ws.cfg,
		ConfigFile: ws.cfgPath,
		Module:     dir,
		Pre:        f.pre,
		Snapshot:   f.snapshot,
		DryRun:     f.dryRun,
		Restart:    f.restart,
		Skip:       f.skip,
		Store:      storeURL,
		Gates:      m.releaseGates(ws),
		WireBuild:  m.releaseBuild(ws),
		Log:        m.Stderr,
	})
	if errors.Is(err, release.ErrNothing) {
		if m.json {
			return writeJSON(m.Stdout, map[string]any{"nothing": true, "message": err.Error()})
		}
		fmt.Fprintf(m.Stderr, "%v: no release\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	st := r.State
	for _, n := range r.Notes {
		fmt.Fprintf(m.Stderr, "note: %s\n", n)
	}
	mode := ""
	switch {
	case f.dryRun && st.Plan.Snapshot:
		mode = " (snapshot, dry run)"
	case f.dryRun:
		mode = " (dry run: no tag, nothing published)"
	case st.Plan.Snapshot:
		mode = " (snapshot: no tag, nothing published)"
	}
	journal := relTo(m.workDir(), r.Path)
	if r.Resumed {
		fmt.Fprintf(m.Stderr, "resuming the release of %s%s from %s (run %d)\n", st.Plan, mode, journal, r.Journal.Runs+1)
	} else {
		fmt.Fprintf(m.Stderr, "releasing %s%s\n", st.Plan, mode)
	}

	runErr := r.Run(ctx)
	var se *release.StepError
	if errors.As(runErr, &se) {
		hint := fmt.Sprintf("%s records where the release stopped: run shipline release again to resume there", journal)
		if se.Interrupted {
			hint = fmt.Sprintf("%s records where the release was interrupted: run shipline release again to resume there", journal)
		}
		runErr = &shipline.Error{Code: shipline.ErrorCode(runErr), Message: runErr.Error() + "\n" + hint, Err: runErr}
	}
	if m.json {
		rep := releaseReport{Journal: r.Journal, File: r.Path, Dist: st.Dist, Store: st.Store, DryRun: f.dryRun, Resumed: r.Resumed, Notes: r.Notes}
		if runErr != nil {
			rep.Error = &struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}{shipline.ErrorCode(runErr), runErr.Error()}
		}
		if err := writeJSON(m.Stdout, rep); err != nil {
			return err
		}
		if runErr != nil {
			return m.reported(runErr)
		}
		return nil
	}
	if runErr != nil {
		return runErr
	}
	switch {
	case f.dryRun:
		fmt.Fprintf(m.Stderr, "dry run of %s done: nothing tagged, pushed or published\n", st.Plan)
	case st.Plan.Snapshot:
		fmt.Fprintf(m.Stderr, "snapshot %s done in %s\n", st.Plan, relTo(m.workDir(), st.Dist))
	default:
		fmt.Fprintf(m.Stderr, "released %s\n", st.Plan)
	}
	if st.Plan.Snapshot {
		fmt.Fprintln(m.Stdout, st.Plan.Version)
	} else {
		fmt.Fprintln(m.Stdout, st.Plan.Tag)
	}
	return nil
}

// releaseGates makes the gates of a release as 'shipline gate' makes
// them, without those gates.skip names.
func (m *Main) releaseGates(ws *workspace) release.GateFactory {
	return func(ctx context.Context, mod *gate.Module, cfg *config.Config) ([]gate.Gate, error) {
		var names []string
		for _, n := range config.GateNames {
			if !slices.Contains(cfg.Gates.Skip, n) {
				names = append(names, n)
			}
		}
		if loadsPackages(names) {
			if _, err := pinGoToolchain(ctx, mod.Dir); err != nil {
				return nil, err
			}
		}
		return m.gates(ws, names, gateFlags{})
	}
}

// releaseBuild wires a release's build as 'shipline build' wires its own:
// binverify for every binary, the progress display, and the signing key,
// SBOMs and provenance of the sign: configuration.
func (m *Main) releaseBuild(ws *workspace) release.WireBuild {
	return func(ctx context.Context, plan release.Plan, builds []build.Build, opts *build.Options) error {
		opts.Verify = verifyBinary
		opts.Progress = m.progress(builds)
		signing, err := m.loadSigning(ws, buildFlags{}, builds, opts.Date)
		if err != nil {
			return err
		}
		var prov provenance.Params
		if ws.cfg.Sign.Provenances() {
			res := &versioning.Result{Head: plan.Commit, Next: plan.Tag}
			if prov, err = m.provenanceParams(ctx, ws, res, opts.Version, plan.Snapshot, builds); err != nil {
				return err
			}
		}
		hooks(opts, signing.attester(ws, prov, opts.Date))
		return nil
	}
}
