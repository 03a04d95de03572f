package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/semver"
	"golang.org/x/term"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/binverify"
	"github.com/shipline-ci/shipline/build"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/provenance"
	"github.com/shipline-ci/shipline/versioning"
)

// verifyBinary checks each binary that 'shipline build' makes against what
// it was built to be, by its header and Go build information.
func verifyBinary(ctx context.Context, path string, want build.Expect) error {
	rep, err := binverify.Verify(path, binverify.Expect{
		Target:     want.Target,
		ModulePath: want.ModulePath,
		MainPath:   want.MainPath,
		Version:    want.Version,
		CGO:        &want.CGO,
		Trimpath:   &want.Trimpath,
	})
	if err != nil {
		return err
	}
	return rep.Err()
}

// buildFlags are the flags of 'shipline build'.
type buildFlags struct {
	module      string
	snapshot    bool
	targets     string
	dist        string
	clean       bool
	parallelism int
	keepGoing   bool
	reproCheck  bool
	allowDirty  bool
	key         string // --key: the signing key, overriding sign.key
	noSign      bool   // --no-sign
}

// buildReport is what 'shipline build --json' writes: artifacts.json plus
// where it is and, with --check-reproducible, what the second build found.
type buildReport struct {
	*build.Result
	Dist         string             `json:"dist"`                   // absolute path of the dist directory
	Snapshot     bool               `json:"snapshot"`               // built with --snapshot
	Reproducible *bool              `json:"reproducible,omitempty"` // with --check-reproducible: whether the second build made the same bytes
	Differences  []build.Difference `json:"differences,omitempty"`  // the files it did not
}

func (m *Main) buildCommand() *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the module's binaries, archives and checksums for every target",
		Long: `Build the module's main packages for every target into the dist directory:
binaries (dist/ID_GOOS_GOARCH[_VARIANT]/NAME[.exe]), archives
(NAME_VERSION_GOOS_GOARCH[_VARIANT].tar.gz, .zip for windows) holding the
binary and the module's LICENSE* and README* files, compressed at
archive.compression-level (1 to 9; 2 by default, which is fast),
checksums.txt (check it with 'sha256sum -c checksums.txt' in the dist
directory) and artifacts.json.

What to build comes from 'builds:' in .shipline.yaml. Without it, shipline
builds the module root if it is package main, else every main package in
cmd/NAME (binary NAME), for linux, darwin and windows on amd64 and arm64.
A target is GOOS/GOARCH[/VARIANT], such as linux/arm/v7 or linux/amd64/v3.

HEAD must carry the release tag of the version; --snapshot builds
vX.Y.Z-SNAPSHOT-COMMIT from the next version instead. Builds are
reproducible: -trimpath, -buildvcs=false, no build ID, and the commit's time
as the date and in archives. --check-reproducible builds a second time from
HEAD exported to a temporary directory and compares every file's SHA-256.

With a signing key (--key, or sign.key in .shipline.yaml; its password in
SHIPLINE_KEY_PASSWORD or COSIGN_PASSWORD), every binary, archive, SBOM and
checksums.txt gets a detached signature FILE.sig that 'cosign verify-blob
--key cosign.pub --signature FILE.sig FILE' accepts, ELF binaries carry a
signature in a trailer after their last byte (they still run), and Windows
binaries get Authenticode when sign.authenticode names a certificate.
Signatures are deterministic, so signed builds are reproducible too. Every
binary gets a CycloneDX SBOM (NAME.sbom.cdx.json), and the release SLSA
provenance: provenance.intoto.jsonl, signed, or provenance.intoto.json
without a key. 'shipline verify FILE --key cosign.pub' checks signatures.
A missing key or password fails before anything is built.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runBuild(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.module, "module", "", "build the Go module in `DIR` (tags are prefixed DIR/, as Go expects)")
	fl.BoolVar(&f.snapshot, "snapshot", false, "build vX.Y.Z-SNAPSHOT-COMMIT when HEAD has no release tag")
	fl.StringVar(&f.targets, "targets", "", "build only `LIST`, comma-separated targets such as linux/amd64,linux/arm/v7 (replaces the configured targets)")
	fl.StringVar(&f.dist, "dist", "dist", "write artifacts to `DIR`, relative to the module root")
	fl.BoolVar(&f.clean, "clean", false, "remove the dist directory first when it is not empty")
	fl.IntVar(&f.parallelism, "parallelism", 0, "build `N` targets at once (default: the number of CPUs)")
	fl.BoolVar(&f.keepGoing, "keep-going", false, "build every target even after one fails")
	fl.BoolVar(&f.reproCheck, "check-reproducible", false, "build again from HEAD in another directory and compare every artifact's SHA-256")
	fl.BoolVar(&f.allowDirty, "allow-dirty", false, "build a release even when the work tree has uncommitted changes")
	fl.StringVar(&f.key, "key", "", "sign with the cosign private key `FILE` (overrides sign.key)")
	fl.BoolVar(&f.noSign, "no-sign", false, "sign nothing, even with sign.key configured (SBOMs and an unsigned provenance statement are still written)")
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) runBuild(ctx context.Context, f buildFlags) error {
	if f.parallelism < 0 {
		return shipline.Errorf(shipline.EUSAGE, "--parallelism %d: want 1 or more, or 0 for the number of CPUs", f.parallelism)
	}
	var targets []string
	for _, t := range strings.Split(f.targets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			targets = append(targets, t)
		}
	}
	if f.targets != "" && len(targets) == 0 {
		return shipline.Errorf(shipline.EUSAGE, "--targets %q names no target: want a comma-separated list such as linux/amd64,darwin/arm64", f.targets)
	}

	ws, res, err := m.next(ctx, versionFlags{module: f.module})
	if err != nil {
		return err
	}
	modDir := filepath.Join(ws.repo.Dir, filepath.FromSlash(res.Module))
	dist := f.dist
	if !filepath.IsAbs(dist) {
		dist = filepath.Join(modDir, dist)
	}
	version, err := buildVersion(res, ws.cfg.Versioning.Initial, f.snapshot)
	if err != nil {
		return err
	}
	// The look-ups that need nothing of one another run at once: the go
	// command about the toolchain, git about the commit (and, for a
	// release, the work tree) and about the remote for the provenance.
	var (
		date                   time.Time
		tc                     *build.Toolchain
		repoURL                string
		dateErr, tcErr, urlErr error
		wg                     sync.WaitGroup
	)
	wg.Go(func() { tc, tcErr = build.LookupToolchain(ctx, "", modDir) })
	if ws.cfg.Sign.Provenances() {
		wg.Go(func() { repoURL, urlErr = repositoryURL(ctx, ws) })
	}
	if !f.snapshot && !f.allowDirty {
		dateErr = checkCleanBuild(ctx, ws.repo, dist)
	}
	if dateErr == nil {
		date, dateErr = headTime(ctx, ws.repo, res.Head)
	}
	wg.Wait()
	if err := cmp.Or(dateErr, tcErr, urlErr); err != nil {
		return err
	}
	builds, err := build.Resolve(build.ResolveOptions{
		Dir:        modDir,
		ModulePath: res.ModulePath,
		Builds:     ws.cfg.Builds,
		Targets:    targets,
		Toolchain:  tc,
		ConfigFile: ws.cfgPath,
	})
	if err != nil {
		return err
	}
	signing, err := m.loadSigning(ws, f, builds, date)
	if err != nil {
		return err
	}
	var prov provenance.Params
	if ws.cfg.Sign.Provenances() {
		prov = provenanceFor(repoURL, res, version, f.snapshot, builds)
	}
	opts := build.Options{
		Dir:          modDir,
		ModulePath:   res.ModulePath,
		Dist:         dist,
		Clean:        f.clean,
		Version:      version,
		Commit:       res.Head,
		Date:         date,
		ArchiveFiles: ws.cfg.Archive.Files,
		ArchiveLevel: ws.cfg.Archive.CompressionLevel,
		Toolchain:    tc,
		Parallelism:  f.parallelism,
		KeepGoing:    f.keepGoing,
		Verify:       verifyBinary,
		Progress:     m.progress(builds),
	}
	hooks(&opts, signing.attester(ws, prov, date))
	result, err := build.Run(ctx, builds, opts)
	if err != nil {
		return err
	}
	report := buildReport{Result: result, Dist: dist, Snapshot: f.snapshot}

	var notSame error
	if f.reproCheck {
		diffs, kept, err := m.rebuild(ctx, ws.repo, res.Module, builds, opts, result.Artifacts)
		if err != nil {
			return err
		}
		same := len(diffs) == 0
		report.Reproducible, report.Differences = &same, diffs
		if !same {
			notSame = notReproducible(diffs, len(result.Artifacts), kept)
		}
	}

	if m.json {
		if err := writeJSON(m.Stdout, report); err != nil {
			return err
		}
		if notSame != nil {
			return m.reported(notSame)
		}
		return nil
	}
	if notSame != nil {
		return notSame
	}
	for _, a := range result.Artifacts {
		fmt.Fprintln(m.Stdout, filepath.Join(f.dist, filepath.FromSlash(a.Path)))
	}
	targetCount := 0
	for _, b := range builds {
		targetCount += len(b.Targets)
	}
	fmt.Fprintf(m.Stderr, "built %s (%s) with %s: %d target(s), %d files in %s\n", version, shortHash(res.Head), tc.Version, targetCount, len(result.Artifacts)+1, f.dist)
	if signing.signer != nil {
		sigs := 0
		for _, a := range result.Artifacts {
			if a.Kind == shipline.KindSignature {
				sigs++
			}
		}
		fmt.Fprintf(m.Stderr, "signed with %s: %d detached signatures\n", signing.key, sigs)
	}
	if f.reproCheck {
		fmt.Fprintf(m.Stderr, "reproducible: a second build of HEAD in another directory made the same %d files\n", len(result.Artifacts))
	}
	return nil
}

// buildVersion is the version a build stamps: the release tag at HEAD
// (without a module directory prefix), or with snapshot the next version
// without pre-release, followed by -SNAPSHOT-COMMIT.
func buildVersion(res *versioning.Result, initial string, snapshot bool) (string, error) {
	if !snapshot {
		if !res.HeadTagged {
			return "", shipline.Errorf(shipline.EINVALID, "HEAD (%s) carries no release tag: tag it (shipline tag) to build a release, or pass --snapshot to build a snapshot", shortHash(res.Head))
		}
		return tagVersion(res.Next), nil
	}
	next := res.Next
	if next == "" {
		next = res.Current
	}
	v := initial
	if next != "" {
		v = tagVersion(next)
	}
	if pre := semver.Prerelease(v); pre != "" {
		v = strings.TrimSuffix(v, pre+semver.Build(v))
	}
	v = strings.TrimSuffix(v, semver.Build(v))
	return v + "-SNAPSHOT-" + shortHash(res.Head), nil
}

// tagVersion returns the version of a tag name: the name without the
// module directory prefix ("api/v1.2.0" -> "v1.2.0").
func tagVersion(tag string) string {
	return tag[strings.LastIndex(tag, "/")+1:]
}

func shortHash(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

// checkCleanBuild refuses a release build of a work tree with changes, other
// than in the dist directory: the binaries would not be those of the tag.
func checkCleanBuild(ctx context.Context, repo *gitrepo.Repo, dist string) error {
	status, err := repo.Status(ctx)
	if err != nil {
		return err
	}
	distRel, err := filepath.Rel(repo.Dir, dist)
	if err != nil || !filepath.IsLocal(distRel) {
		distRel = ""
	}
	distRel = filepath.ToSlash(distRel)
	var changed []string
	for _, line := range status {
		if len(line) < 4 {
			continue
		}
		p := strings.TrimSuffix(line[3:], "/")
		if distRel != "" && (p == distRel || strings.HasPrefix(p, distRel+"/")) {
			continue
		}
		changed = append(changed, line)
	}
	if len(changed) > 0 {
		return shipline.Errorf(shipline.EINVALID, "the work tree has uncommitted changes (%s): a release is built from its tagged commit; commit or stash them, or pass --snapshot or --allow-dirty", summarize(changed, 3))
	}
	return nil
}

// errHeadRead ends the walk of the log after its first commit.
var errHeadRead = errors.New("stop")

// headTime returns the committer time of commit, in UTC.
func headTime(ctx context.Context, repo *gitrepo.Repo, commit string) (time.Time, error) {
	var t time.Time
	err := repo.EachCommit(ctx, gitrepo.LogOptions{Range: commit}, func(c shipline.Commit) error {
		t = c.Time.UTC()
		return errHeadRead
	})
	if err != nil && !errors.Is(err, errHeadRead) {
		return time.Time{}, err
	}
	if t.IsZero() {
		return time.Time{}, shipline.Errorf(shipline.EINTERNAL, "no commit time for %s", commit)
	}
	return t, nil
}

// progress returns how a build shows its progress on standard error: a
// live line per target on a terminal tall enough for them, a log line per
// change otherwise.
func (m *Main) progress(builds []build.Build) func(build.Event) {
	jobs := 0
	for _, b := range builds {
		jobs += len(b.Targets)
	}
	if f, ok := m.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		width, height, err := term.GetSize(int(f.Fd()))
		if err == nil && jobs < height {
			return build.NewLive(m.Stderr, width).Event
		}
	}
	return build.LogProgress(m.Stderr)
}

// rebuild builds again from HEAD exported into a temporary directory, with
// the same builds and options but a dist directory of its own, and returns
// the files that differ from first, the first build's artifacts, and the
// second build's dist directory, kept when there are differences.
func (m *Main) rebuild(ctx context.Context, repo *gitrepo.Repo, module string, builds []build.Build, opts build.Options, first []shipline.Artifact) (diffs []build.Difference, kept string, err error) {
	tmp, err := os.MkdirTemp("", "shipline-reproduce-")
	if err != nil {
		return nil, "", err
	}
	defer func() {
		if kept == "" {
			_ = os.RemoveAll(tmp) // best effort: a temporary directory, nothing in it is needed
		}
	}()
	tree := filepath.Join(tmp, "tree")
	if err := os.Mkdir(tree, 0o700); err != nil {
		return nil, "", err
	}
	if err := repo.Export(ctx, opts.Commit, "", tree); err != nil {
		return nil, "", fmt.Errorf("export %s: %w", shortHash(opts.Commit), err)
	}
	fmt.Fprintf(m.Stderr, "checking reproducibility: building %s again in %s\n", shortHash(opts.Commit), tmp)
	opts.Dir = filepath.Join(tree, filepath.FromSlash(module))
	opts.Dist = filepath.Join(tmp, "dist")
	opts.Clean = false
	opts.Progress = m.progress(builds)
	second, err := build.Run(ctx, builds, opts)
	if err != nil {
		return nil, "", fmt.Errorf("second build, of HEAD exported to another directory: %w", err)
	}
	diffs = build.Compare(first, second.Artifacts)
	if len(diffs) == 0 {
		return nil, "", nil
	}
	return diffs, opts.Dist, nil
}

// notReproducible is the error of a --check-reproducible that found
// differences.
func notReproducible(diffs []build.Difference, total int, kept string) error {
	var lines []string
	for _, d := range diffs {
		a, b := d.A, d.B
		if a == "" {
			a = "(missing)"
		}
		if b == "" {
			b = "(missing)"
		}
		lines = append(lines, fmt.Sprintf("  %s: %s here, %s in the second build", d.Path, a, b))
	}
	return shipline.Errorf(shipline.ECONFLICT, "not reproducible: %d of %d files differ between this build and a build of HEAD in another directory (kept in %s):\n%s",
		len(diffs), total, kept, strings.Join(lines, "\n"))
}
