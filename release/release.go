// Package release releases a Go module in one run: an explicit, ordered
// list of small steps over a typed run state, recorded in a journal so
// that a run that stops anywhere is resumed by the next without redoing or
// duplicating anything.
//
// The steps, in order (Steps):
//
//	preflight  every cheap check of every step still to run, before any work:
//	           a clean work tree, the tag free, the remote accepting it,
//	           the toolchain, targets and C compilers, signing keys, the store
//	test       go test ./... with a coverage profile, against release.coverage
//	gates      the security and compliance gates (package gate)
//	version    the version the commits decided, checked against the exported
//	           API (package apicheck, versioning.api-check)
//	build      build.Run: binaries, verified, signed, archives, checksums
//	changelog  the release notes, which are also the tag's message
//	tag        the annotated tag, pushed to the remote
//	publish    the module zip and the release files, to the store (package store)
//
// Open decides the Plan (module, commit, version) and opens the journal;
// Release.Run runs the steps. Each step is a Step; what more it can do
// (check before any work, resume, always run, refuse to be skipped) it says
// by implementing small interfaces found by type assertion. Each step
// writes its own field of Outputs and nothing else; the journal records the
// outputs after every step (dist/release.json, written atomically).
//
// The go test of the test step runs in gotest.go; everything else goes
// through the package that owns it: git through gitrepo, builds through
// build, gates through gate, publishing through store.
package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gate"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/store"
	"github.com/shipline-ci/shipline/versioning"
)

// Step names, in the order a release runs the steps.
const (
	StepPreflight = "preflight"
	StepTest      = "test"
	StepGates     = "gates"
	StepVersion   = "version"
	StepBuild     = "build"
	StepChangelog = "changelog"
	StepTag       = "tag"
	StepPublish   = "publish"
)

// Steps returns the steps of a release, in order.
func Steps() []Step {
	return []Step{preflightStep{}, testStep{}, gatesStep{}, versionStep{}, buildStep{}, changelogStep{}, tagStep{}, publishStep{}}
}

// StepNames returns the names of the steps of a release, in order.
func StepNames() []string {
	var names []string
	for _, s := range Steps() {
		names = append(names, s.Name())
	}
	return names
}

// GateFactory makes the gates a release runs over module m, from the
// configuration; an error is a configuration problem, reported by
// preflight. No gates (and no error) skips the gates step.
type GateFactory func(ctx context.Context, m *gate.Module, cfg *config.Config) ([]gate.Gate, error)

// WireBuild completes the options of the build of the release plan as
// 'shipline build' does: the binary verifier, the progress display,
// signing, SBOMs and provenance. It is called by preflight, so that a
// missing key fails before any work; an error stops the release there.
// What it sets of Dist and Clean is ignored.
type WireBuild func(ctx context.Context, plan Plan, builds []build.Build, opts *build.Options) error

// ErrNothing is wrapped by Open's error when there is nothing to release:
// no commit since the last release tag asks for a release, and HEAD carries
// no release tag. It is not a failure.
var ErrNothing = errors.New("nothing to release")

// Options say what to release and how.
type Options struct {
	Repo       *gitrepo.Repo
	Config     *config.Config
	ConfigFile string // the config file's path, for messages; "" on defaults
	Module     string // module directory, slash path relative to the top of the work tree; "" for the top
	Pre        string // pre-release identifier such as rc; "" for a stable release
	Snapshot   bool   // build vX.Y.Z-SNAPSHOT-COMMIT; never tag or publish
	DryRun     bool   // do everything but create and push the tag and publish
	Restart    bool   // move the journal of an unfinished release of another plan (and its dist files) aside instead of refusing it
	Skip       []string
	Store      string // store URL; "" means Config.Release.Store (a directory relative to the top of the work tree), else store.DefaultDir
	Gates      GateFactory
	WireBuild  WireBuild
	Log        io.Writer        // progress for a person; nil discards it
	Now        func() time.Time // nil means time.Now
}

// Release is a release opened by Open, ready to Run.
type Release struct {
	State   *State
	Journal *Journal
	Path    string   // the journal's file
	Resumed bool     // the journal was written by an earlier run
	Notes   []string // what Open did that a person should know, such as a journal moved aside
	runner  *Runner
}

// Open decides what to release and opens its journal.
//
// The plan: the version engine (versioning.Next) at HEAD gives the
// module, the commit and the version; a commit that already carries the
// release tag is released as that version. With nothing to release, Open
// returns an error wrapping ErrNothing, except for a snapshot, which is of
// the current version (or versioning.initial). A module without go.mod is
// EINVALID; unknown --skip names are EUSAGE and list the valid ones.
//
// The journal: a journal in the dist directory for the same plan is
// resumed. A journal of another plan is moved aside with the dist
// directory's files, into dist/.previous/, when its release is finished,
// or changed nothing outside the dist directory (no tag, nothing
// published: a dry run, a run that failed early); and so is anything else
// in the way with opts.Restart. Otherwise, for an unfinished release that
// tagged or published something, Open returns an ECONFLICT error saying
// what that release did and what to do.
func Open(ctx context.Context, opts Options) (*Release, error) {
	if opts.Repo == nil || opts.Config == nil {
		return nil, shipline.Errorf(shipline.EINTERNAL, "release: no repository or configuration")
	}
	skip, err := skipSet(append(slices.Clone([]string(opts.Config.Release.Skip)), opts.Skip...), opts.Skip)
	if err != nil {
		return nil, err
	}
	cfg := opts.Config
	res, err := versioning.Next(ctx, opts.Repo, versioning.Options{
		Module: opts.Module, Pre: opts.Pre, Config: cfg.Versioning, Remote: cfg.Changelog.Remote.Name,
	})
	if err != nil {
		return nil, err
	}
	if res.ModulePath == "" {
		return nil, shipline.Errorf(shipline.EINVALID, "%s has no go.mod: shipline release releases Go modules (use shipline tag to tag other repositories)", filepath.Join(opts.Repo.Dir, filepath.FromSlash(opts.Module)))
	}
	if res.Bump == shipline.BumpNone && !res.HeadTagged && !opts.Snapshot {
		since := res.Base
		if since == "" {
			since = "the first commit"
		}
		return nil, fmt.Errorf("%w: no commit since %s asks for a release (feat, fix, a breaking change, ...), and HEAD carries no release tag", ErrNothing, since)
	}
	plan, err := newPlan(ctx, opts, res)
	if err != nil {
		return nil, err
	}
	modDir := filepath.Join(opts.Repo.Dir, filepath.FromSlash(res.Module))
	storeURL := opts.Store
	if storeURL == "" {
		storeURL = cfg.Release.Store
		if storeURL != "" && !strings.Contains(storeURL, "://") && !filepath.IsAbs(storeURL) {
			storeURL = filepath.Join(opts.Repo.Dir, filepath.FromSlash(storeURL))
		}
	}
	if storeURL == "" {
		if storeURL, err = store.DefaultDir(); err != nil {
			return nil, err
		}
	}
	st := &State{
		Plan:       plan,
		Repo:       opts.Repo,
		Config:     cfg,
		ConfigFile: opts.ConfigFile,
		Decision:   res,
		Pre:        opts.Pre,
		ModuleDir:  modDir,
		Dist:       filepath.Join(modDir, filepath.FromSlash(cfg.Release.Dist)),
		Store:      storeURL,
		DryRun:     opts.DryRun,
		MakeGates:  opts.Gates,
		WireBuild:  opts.WireBuild,
		Log:        opts.Log,
		Now:        opts.Now,
	}
	r := &Release{State: st, Path: filepath.Join(st.Dist, JournalFile)}
	if err := r.openJournal(opts.Restart); err != nil {
		return nil, err
	}
	st.Plan = r.Journal.Plan
	r.runner = &Runner{Steps: Steps(), Journal: r.Journal, Path: r.Path, Skip: skip, DryRun: opts.DryRun, Now: opts.Now}
	return r, nil
}

// Run runs the release's steps (see Runner.Run). Its error is a
// *StepError naming the step that stopped the release; the journal records
// where, and running the release again resumes there.
func (r *Release) Run(ctx context.Context) error {
	return r.runner.Run(ctx, r.State)
}

// newPlan turns the version engine's decision into the release's plan.
func newPlan(ctx context.Context, opts Options, res *versioning.Result) (Plan, error) {
	date, err := opts.Repo.CommitTime(ctx, res.Head)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{
		Module:   res.ModulePath,
		Dir:      res.Module,
		Commit:   res.Head,
		Date:     date,
		Tag:      res.Next,
		Version:  TagVersion(res.Next),
		Bump:     res.Bump,
		Snapshot: opts.Snapshot,
	}
	if !res.HeadTagged {
		p.Previous = res.Base
	}
	if opts.Snapshot {
		if p.Tag == "" { // no tag and nothing to release: a snapshot of the first release
			p.Tag = opts.Config.Versioning.Initial
		}
		p.Version = SnapshotVersion(p.Tag, res.Head)
	}
	return p, nil
}

// TagVersion returns the version a release tag names: the tag without its
// module directory prefix ("api/v1.2.0" is v1.2.0).
func TagVersion(tag string) string {
	return tag[strings.LastIndex(tag, "/")+1:]
}

// SnapshotVersion returns the version of a snapshot of commit on the way to
// the release tag next: next's version without pre-release or build
// metadata, followed by -SNAPSHOT- and the short commit, such as
// v1.3.0-SNAPSHOT-abc1234.
func SnapshotVersion(next, commit string) string {
	v := TagVersion(next)
	v = strings.TrimSuffix(v, semver.Build(v))
	v = strings.TrimSuffix(v, semver.Prerelease(v))
	return v + "-SNAPSHOT-" + short(commit)
}

// skipSet checks the names of the steps not to run and says why each is
// skipped: named by flag (--skip) or by release.skip.
func skipSet(names, flagged []string) (map[string]string, error) {
	valid := StepNames()
	steps := map[string]Step{}
	for _, s := range Steps() {
		steps[s.Name()] = s
	}
	out := map[string]string{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		s, ok := steps[n]
		switch {
		case !ok:
			return nil, shipline.Errorf(shipline.EUSAGE, "--skip %s: no such step; the steps are %s", n, strings.Join(valid[1:], ", "))
		case isMandatory(s):
			return nil, shipline.Errorf(shipline.EUSAGE, "--skip %s: the %s step cannot be skipped; the steps that can are %s", n, n, strings.Join(valid[1:], ", "))
		}
		out[n] = "release.skip names it"
		if slices.ContainsFunc(flagged, func(f string) bool { return strings.TrimSpace(f) == n }) {
			out[n] = "--skip " + n
		}
	}
	return out, nil
}

// openJournal resumes the journal of the plan, or starts one, moving aside
// what is in the way (see Open).
func (r *Release) openJournal(restart bool) error {
	st := r.State
	j, err := ReadJournal(r.Path)
	switch {
	case err == nil && j.Plan.Same(st.Plan):
		r.Journal, r.Resumed = j, true
		return nil
	case err == nil:
		marks := j.Marks()
		finished := j.Finished(StepNames())
		if len(marks) > 0 && !finished && !restart {
			return shipline.Errorf(shipline.ECONFLICT,
				"%s is the journal of the release of %s (%s), which %s; this run would release %s: finish that release first (check out %s and run shipline release again), or pass --restart to move its journal and files aside to %s and start over",
				rel(st.ModuleDir, r.Path), j.Plan, j.summary(), strings.Join(marks, ", "), st.Plan, short(j.Plan.Commit), rel(st.ModuleDir, filepath.Join(st.Dist, previousDir)))
		}
		where, err := r.moveAside(j.Plan.Version + "-" + short(j.Plan.Commit))
		if err != nil {
			return err
		}
		why := "it changed nothing outside " + rel(st.ModuleDir, st.Dist)
		switch {
		case finished:
			why = "it is finished"
		case len(marks) > 0:
			why = "--restart"
		}
		r.Notes = append(r.Notes, fmt.Sprintf("moved the journal and files of the release of %s aside to %s (%s)", j.Plan, rel(st.ModuleDir, where), why))
	case shipline.ErrorCode(err) == shipline.ENOTFOUND:
		entries, rerr := os.ReadDir(st.Dist)
		if rerr == nil && len(visible(entries)) > 0 {
			if !restart {
				return shipline.Errorf(shipline.ECONFLICT, "the dist directory %s holds files but no release journal (%s): remove them, or pass --restart to move them aside to %s",
					rel(st.ModuleDir, st.Dist), JournalFile, rel(st.ModuleDir, filepath.Join(st.Dist, previousDir)))
			}
			where, err := r.moveAside("files")
			if err != nil {
				return err
			}
			r.Notes = append(r.Notes, fmt.Sprintf("moved the files in %s aside to %s (--restart)", rel(st.ModuleDir, st.Dist), rel(st.ModuleDir, where)))
		}
	default:
		if !restart {
			return shipline.Errorf(shipline.ECONFLICT, "%v: pass --restart to move it and the dist files aside and start over", err)
		}
		where, err := r.moveAside("unreadable")
		if err != nil {
			return err
		}
		r.Notes = append(r.Notes, fmt.Sprintf("moved an unreadable journal and its files aside to %s (--restart)", rel(st.ModuleDir, where)))
	}
	r.Journal = NewJournal(st.Plan, st.now())
	return nil
}

// visible drops the entries the release keeps for itself (previous
// releases moved aside, a build that was interrupted).
func visible(entries []os.DirEntry) []os.DirEntry {
	var out []os.DirEntry
	for _, e := range entries {
		if e.Name() != previousDir && e.Name() != stagingDir {
			out = append(out, e)
		}
	}
	return out
}

// moveAside moves everything in the dist directory but previousDir into
// a new directory previousDir/NAME[-N] and returns it.
func (r *Release) moveAside(name string) (string, error) {
	dist := r.State.Dist
	name = strings.NewReplacer("/", "_", string(filepath.Separator), "_").Replace(name)
	base := filepath.Join(dist, previousDir)
	dest := filepath.Join(base, name)
	for i := 2; ; i++ {
		if _, err := os.Lstat(dest); errors.Is(err, os.ErrNotExist) {
			break
		}
		dest = filepath.Join(base, fmt.Sprintf("%s-%d", name, i))
	}
	if err := mkdirDist(dest); err != nil {
		return "", fmt.Errorf("move the dist files aside: %w", err)
	}
	entries, err := os.ReadDir(dist)
	if err != nil {
		return "", fmt.Errorf("move the dist files aside: %w", err)
	}
	for _, e := range entries {
		if e.Name() == previousDir {
			continue
		}
		if err := os.Rename(filepath.Join(dist, e.Name()), filepath.Join(dest, e.Name())); err != nil {
			return "", fmt.Errorf("move the dist files aside: %w", err)
		}
	}
	return dest, nil
}

// rel returns path relative to dir when it is inside it, for messages.
func rel(dir, path string) string {
	if r, err := filepath.Rel(dir, path); err == nil && filepath.IsLocal(r) {
		return filepath.ToSlash(r)
	}
	return path
}
