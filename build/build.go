// Package build compiles a Go module's main packages for a matrix of
// targets into a dist directory: binaries, archives, checksums.txt and
// artifacts.json, byte for byte the same whenever and wherever the same
// commit is built.
//
// A build goes in steps, each of which fails before the next starts:
//
//  1. LookupToolchain asks the go command for its version, host and the
//     targets it supports (`go tool dist list`).
//  2. Resolve turns the builds: of .shipline.yaml (or, without any, the
//     module's main packages) into Builds: main package, binary name, the
//     target matrix checked against the toolchain, and a C compiler per
//     target for cgo builds.
//  3. Run checks everything else that can fail before a build starts (the
//     ldflags templates, the C compilers, the archive files and level, the
//     dist directory), then builds the targets concurrently. Each target
//     is built with go build, verified (Options.Verify), sealed
//     (Options.Seal: signatures embedded in the binary) and verified
//     again, then archived, and Options.AttachTarget adds files about it
//     (an SBOM, signatures) while the next targets build. Then Run writes
//     checksums.txt, lets Options.Attach add files that cover what is
//     there (signatures, provenance), and writes artifacts.json.
//
// Reproducibility comes from the inputs: every build is -trimpath,
// -buildvcs=false and -ldflags=... -buildid=, with the variant variables
// of the caller's environment cleared; .Date in ldflags and the times in
// archives are the commit's time, not the clock's; archives have fixed
// metadata and entry order (package archive). Every file is hashed exactly
// once, from the one read or write of it that is done anyway, and is not
// changed afterwards: a binary is sealed before it is read to be archived
// and hashed, an archive is hashed as it is written, and the hooks only
// add new files.
//
// Speed: a build costs what its go build commands cost, plus archiving
// (deflate at archive.DefaultLevel, some 200 MB/s of binary per core),
// hashing (SHA-256, 1.5 to 2 GB/s with SHA instructions) and the
// verification of each binary. go builds run Options.Parallelism at a
// time; the rest of a target's work runs beside the next go build (see
// runJobs). No file is synced (see dist.go).
//
// All go commands run in gocmd.go.
package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build/archive"
)

// Build is one binary to build for a list of targets, as Resolve makes it.
type Build struct {
	ID      string                     // unique among builds; names the dist directories ID_GOOS_GOARCH[_VARIANT]
	Main    string                     // main package directory relative to the module root, as go build takes it: "." or "./cmd/app"
	Binary  string                     // file name of the binary, without .exe
	Targets []shipline.Target          // sorted, without duplicates, all supported by the toolchain
	Env     []string                   // extra KEY=VALUE environment for go build
	Flags   []string                   // extra go build flags
	Tags    []string                   // build tags
	Ldflags []string                   // linker flag templates (see Ldflags)
	CGO     bool                       // build with cgo
	CC      map[shipline.Target]string // the C compiler of each target, for a cgo build
}

// Expect is what a built binary must be, for a Verifier to check.
type Expect struct {
	Target     shipline.Target
	ModulePath string // module path from go.mod
	MainPath   string // import path of the main package
	Version    string // version stamped with -X main.version=...; "" when the ldflags do not set it
	CGO        bool   // built with CGO_ENABLED=1
	Trimpath   bool   // built with -trimpath (always true)
}

// Verifier checks the binary at path, just built, against want. It must
// not change the file. An error fails the target's build.
type Verifier func(ctx context.Context, path string, want Expect) error

// Sealer finishes the binary at path, built for t and verified, before it
// is hashed and archived: it may rewrite the file (to embed a signature,
// say), which must stay a binary for t; Run verifies it again. An error
// fails the target's build.
type Sealer func(ctx context.Context, path string, t shipline.Target) error

// Attacher adds files to a dist directory: it is given the directory and
// artifacts in it, hashed, and returns the artifacts of the files it wrote,
// hashed, such as signatures, SBOMs and provenance. It must write only new
// files, with slash paths relative to dist, and change none of the files
// it was given. Options.AttachTarget is given the binary and archive of
// one target; Options.Attach, the finished directory.
type Attacher func(ctx context.Context, dist string, arts []shipline.Artifact) ([]shipline.Artifact, error)

// Options configure Run.
type Options struct {
	Dir          string                       // module root (absolute); go build runs here
	ModulePath   string                       // module path from go.mod
	Dist         string                       // dist directory (absolute); must not exist or be empty unless Clean
	Clean        bool                         // remove a non-empty Dist first
	Version      string                       // version to build, such as v1.2.3
	Commit       string                       // full hash of the commit built
	Date         time.Time                    // the commit's time: .Date in ldflags and the time of archive entries
	ArchiveFiles []string                     // glob patterns, relative to Dir, of files added to every archive
	ArchiveLevel int                          // deflate level of the archives, archive.BestSpeed to archive.BestCompression; 0 means archive.DefaultLevel
	Toolchain    *Toolchain                   // from LookupToolchain
	Parallelism  int                          // targets built at once; 0 or less means runtime.NumCPU()
	KeepGoing    bool                         // build every target even after one fails
	Verify       Verifier                     // checks each binary; nil checks nothing
	Seal         Sealer                       // finishes each verified binary before it is hashed; nil leaves it
	AttachTarget Attacher                     // adds files about each target's binary and archive as soon as they are hashed, while other targets build; nil adds none
	Attach       Attacher                     // adds files after checksums.txt, given every artifact (AttachTarget's too); nil adds none
	Progress     func(Event)                  // told every state change of every target; calls never overlap
	LookPath     func(string) (string, error) // finds C compilers; nil means exec.LookPath
	Now          func() time.Time             // for the durations shown in progress; nil means time.Now
}

// Result is what a build made; it is written to the dist directory as
// artifacts.json.
type Result struct {
	Version   string              `json:"version"`
	Commit    string              `json:"commit"`
	Date      string              `json:"date"` // RFC 3339, UTC
	Artifacts []shipline.Artifact `json:"artifacts"`
}

// Names of the files Run writes at the top of the dist directory.
const (
	ChecksumsFile = "checksums.txt"
	ManifestFile  = "artifacts.json"
)

// job is one build of one target.
type job struct {
	build   *Build
	target  shipline.Target
	label   string // for progress: the target, after the build's id when there are several builds
	ldflags string
	cc      string
	bin     string // slash path of the binary in dist: ID_GOOS_GOARCH[_VARIANT]/NAME[.exe]
	archive string // file name of the archive in dist
	format  archive.Format
	procs   int // GOMAXPROCS of its go build; 0 leaves the go command's default
}

// Run builds every target of every build into opts.Dist and returns the
// artifacts, which it also writes to Dist as artifacts.json, with the
// SHA-256 sums of the binaries and archives in checksums.txt (in
// sha256sum's format). The files of opts.AttachTarget and opts.Attach are
// in artifacts.json only.
//
// Before anything is built, Run fails with an EINVALID error for options
// that are missing, ldflags templates that fail, archive patterns that are
// malformed and a compression level out of range; with the ENOTFOUND
// error of CheckCompilers for C compilers that are not installed; and with
// an ECONFLICT error for a non-empty Dist without Clean.
//
// Targets are built opts.Parallelism at a time. The first failure cancels
// the rest unless KeepGoing; the error names the build and target of each
// failure and has the code of the first (EINVALID for a failed go build).
// When ctx is cancelled, Run stops the builds and returns ctx's error.
// Dist then holds what was finished, without checksums.txt and
// artifacts.json. An error of opts.Attach, or an artifact it returns that
// is not new or not hashed (EINTERNAL), fails Run without artifacts.json;
// so does an error of opts.AttachTarget, which fails its target.
func Run(ctx context.Context, builds []Build, opts Options) (*Result, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if err := archive.CheckLevel(opts.ArchiveLevel); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "archive: %v", err)
	}
	jobs, err := plan(builds, &opts)
	if err != nil {
		return nil, err
	}
	if err := CheckCompilers(builds, opts.LookPath); err != nil {
		return nil, err
	}
	docs, err := archiveDocs(opts.Dir, opts.ArchiveFiles)
	if err != nil {
		return nil, err
	}
	if err := PrepareDist(opts.Dist, opts.Dir, opts.Clean); err != nil {
		return nil, err
	}
	arts, attached, err := runJobs(ctx, jobs, docs, &opts)
	if err != nil {
		return nil, err
	}
	if err := checkAttached(arts, attached); err != nil {
		return nil, err
	}
	sums, err := writeChecksums(opts.Dist, arts)
	if err != nil {
		return nil, err
	}
	arts = append(arts, sums)
	arts = append(arts, attached...)
	if opts.Attach != nil {
		extra, err := opts.Attach(ctx, opts.Dist, slices.Clone(arts))
		if err != nil {
			return nil, err
		}
		if err := checkAttached(arts, extra); err != nil {
			return nil, err
		}
		arts = append(arts, extra...)
	}
	slices.SortFunc(arts, func(a, b shipline.Artifact) int { return strings.Compare(a.Path, b.Path) })
	res := &Result{
		Version:   opts.Version,
		Commit:    opts.Commit,
		Date:      opts.Date.UTC().Format(time.RFC3339),
		Artifacts: arts,
	}
	if err := writeManifest(opts.Dist, res); err != nil {
		return nil, err
	}
	return res, nil
}

func (o *Options) check() error {
	var missing []string
	for name, empty := range map[string]bool{
		"Dir": o.Dir == "", "Dist": o.Dist == "", "Version": o.Version == "",
		"Commit": o.Commit == "", "Date": o.Date.IsZero(), "Toolchain": o.Toolchain == nil,
	} {
		if empty {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return shipline.Errorf(shipline.EINTERNAL, "build options lack %s", strings.Join(missing, ", "))
	}
	if !filepath.IsAbs(o.Dir) || !filepath.IsAbs(o.Dist) {
		return shipline.Errorf(shipline.EINTERNAL, "build options: Dir %q and Dist %q must be absolute", o.Dir, o.Dist)
	}
	if o.Parallelism < 1 {
		o.Parallelism = runtime.NumCPU()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Progress == nil {
		o.Progress = func(Event) {}
	}
	var mu sync.Mutex
	progress := o.Progress
	o.Progress = func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		progress(e)
	}
	return nil
}

// plan makes the jobs of builds: one per build and target, with its
// ldflags rendered and its file names, which must not collide.
func plan(builds []Build, opts *Options) ([]*job, error) {
	var jobs []*job
	var problems []string
	owner := map[string]string{} // dist path -> the build and target that writes it
	claim := func(p, who string) {
		if prev, ok := owner[p]; ok {
			problems = append(problems, fmt.Sprintf("%s and %s would both write %s: give the builds different ids and binary names", prev, who, p))
			return
		}
		owner[p] = who
	}
	for i := range builds {
		b := &builds[i]
		for _, t := range b.Targets {
			who := fmt.Sprintf("build %s for %s", b.ID, t)
			data := TemplateData{
				Version:     opts.Version,
				Commit:      opts.Commit,
				ShortCommit: short(opts.Commit),
				Date:        opts.Date.UTC().Format(time.RFC3339),
				Target:      t,
				ID:          b.ID,
				Binary:      b.Binary,
			}
			ld, err := Ldflags(b.Ldflags, data)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", who, err))
				continue
			}
			name := b.Binary
			if t.OS == "windows" {
				name += ".exe"
			}
			format := archive.FormatFor(t.OS)
			j := &job{
				build:   b,
				target:  t,
				label:   t.String(),
				ldflags: ld,
				cc:      b.CC[t],
				bin:     b.ID + "_" + dirSuffix(t) + "/" + name,
				archive: b.Binary + "_" + opts.Version + "_" + dirSuffix(t) + format.Ext(),
				format:  format,
			}
			if len(builds) > 1 {
				j.label = b.ID + " " + j.label
			}
			claim(path.Dir(j.bin), who)
			claim(j.archive, who)
			jobs = append(jobs, j)
		}
	}
	if len(problems) > 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "%s", strings.Join(problems, "\n"))
	}
	return jobs, nil
}

// runJobs runs the jobs and returns the artifacts they made: the binaries
// and archives, and what opts.AttachTarget added. At most
// opts.Parallelism go builds run at once, started in the order of jobs.
// What follows a target's go build (verifying, sealing, archiving and
// hashing) does not hold its build slot: the next go build starts at once,
// and the archive of one target is written while the next one links, so
// that the cores stay busy to the end instead of one idling while the
// other finishes a build and its archive. At most opts.Parallelism targets
// are in that second stage at once too.
func runJobs(ctx context.Context, jobs []*job, docs []archive.File, opts *Options) (made, attached []shipline.Artifact, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, j := range jobs {
		opts.Progress(j.event(Queued))
	}
	procs := buildProcs(runtime.GOMAXPROCS(0), opts.Parallelism, len(jobs))
	for _, j := range jobs {
		j.procs = procs
	}
	var (
		building = make(chan struct{}, opts.Parallelism)
		finish   = make(chan struct{}, opts.Parallelism)
		results  = make([][2][]shipline.Artifact, len(jobs))
		errs     = make([]error, len(jobs))
		wg       sync.WaitGroup
	)
	for i, j := range jobs {
		slot := false
		select {
		case building <- struct{}{}:
			slot = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			if slot {
				<-building
			}
			errs[i] = ctx.Err()
			opts.Progress(j.event(Canceled))
			continue
		}
		wg.Go(func() {
			var once sync.Once
			release := func() { once.Do(func() { <-building }) }
			made, attached, err := runJob(ctx, j, docs, opts, release, finish)
			if err != nil && !opts.KeepGoing {
				cancel() // before the slot is free, so that no build starts after a failure
			}
			release()
			results[i], errs[i] = [2][]shipline.Artifact{made, attached}, err
		})
	}
	wg.Wait()
	for _, r := range results {
		made, attached = append(made, r[0]...), append(attached, r[1]...)
	}
	return made, attached, failure(ctx, jobs, errs)
}

// failure turns the errors of the jobs into Run's error: nil when all
// succeeded, the parent context's error when it was cancelled, else the
// failures (not the cancellations they caused).
func failure(ctx context.Context, jobs []*job, errs []error) error {
	var msgs []string
	var first error
	for i, err := range errs {
		if err == nil || errors.Is(err, context.Canceled) {
			continue
		}
		if first == nil {
			first = err
		}
		msgs = append(msgs, fmt.Sprintf("build %s for %s: %v", jobs[i].build.ID, jobs[i].target, err))
	}
	if first == nil {
		for _, err := range errs {
			if err != nil {
				return err // the caller's context was cancelled
			}
		}
		return nil
	}
	msg := msgs[0]
	if len(msgs) > 1 {
		msg = fmt.Sprintf("%d of %d targets failed:\n%s", len(msgs), len(jobs), strings.Join(msgs, "\n"))
	}
	return &shipline.Error{Code: shipline.ErrorCode(first), Message: msg, Err: first}
}

// checkAttached checks the artifacts an Attacher returned: local slash
// paths, hashed, each new.
func checkAttached(arts, extra []shipline.Artifact) error {
	seen := map[string]bool{ManifestFile: true, ChecksumsFile: true}
	for _, a := range arts {
		seen[a.Path] = true
	}
	for _, a := range extra {
		if !filepath.IsLocal(filepath.FromSlash(a.Path)) || path.Clean(a.Path) != a.Path || a.Name != path.Base(a.Path) {
			return shipline.Errorf(shipline.EINTERNAL, "attached artifact %q: not a clean path inside the dist directory, or its name is not the path's", a.Path)
		}
		if seen[a.Path] {
			return shipline.Errorf(shipline.EINTERNAL, "attached artifact %s: the dist directory lists it already", a.Path)
		}
		if len(a.SHA256) != 64 {
			return shipline.Errorf(shipline.EINTERNAL, "attached artifact %s: not hashed", a.Path)
		}
		seen[a.Path] = true
	}
	return nil
}

// runJob builds, verifies, seals, hashes and archives one target, and
// returns the binary and archive, and what opts.AttachTarget added. It is
// called holding a build slot, which it frees with release once go build
// has succeeded (the caller frees it otherwise); it takes a slot of finish
// for the rest.
func runJob(ctx context.Context, j *job, docs []archive.File, opts *Options, release func(), finish chan struct{}) (made, attached []shipline.Artifact, err error) {
	start := opts.Now()
	defer func() {
		if err == nil {
			return
		}
		e := j.event(Failed)
		if errors.Is(err, context.Canceled) {
			e = j.event(Canceled)
		}
		e.Elapsed, e.Err = opts.Now().Sub(start), err
		opts.Progress(e)
	}()

	opts.Progress(j.event(Building))
	binPath := filepath.Join(opts.Dist, filepath.FromSlash(j.bin))
	err = os.MkdirAll(filepath.Dir(binPath), 0o755) // #nosec G301 -- release artifacts are public, for everyone to read
	if err == nil {
		err = goBuild(ctx, opts.Toolchain, opts.Dir, j, binPath)
	}
	if err != nil {
		return nil, nil, err
	}
	release()
	select {
	case finish <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-finish }()

	if err := verify(ctx, j, binPath, "", opts); err != nil {
		return nil, nil, err
	}
	if opts.Seal != nil {
		// Seal what was verified, then verify what was sealed: the
		// archive and the checksums get the sealed binary.
		opts.Progress(j.event(Sealing))
		if err := opts.Seal(ctx, binPath, j.target); err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			return nil, nil, fmt.Errorf("seal %s: %w", j.bin, err)
		}
		if err := verify(ctx, j, binPath, "sealed ", opts); err != nil {
			return nil, nil, err
		}
	}

	// One read of the finished binary both archives and hashes it, and
	// the archive is hashed as it is written.
	opts.Progress(j.event(Archiving))
	sum := newDigest()
	files := append([]archive.File{{Name: path.Base(j.bin), Src: binPath, Mode: 0o755, Tee: sum}}, docs...)
	arc, err := writeArchive(opts.Dist, j.archive, j.format, files, opts.Date, opts.ArchiveLevel)
	if err != nil {
		return nil, nil, fmt.Errorf("archive: %w", err)
	}
	bin := j.artifact(sum.artifact(j.bin, shipline.KindBinary))
	arc = j.artifact(arc)
	made = []shipline.Artifact{bin, arc}
	if opts.AttachTarget != nil {
		if attached, err = opts.AttachTarget(ctx, opts.Dist, slices.Clone(made)); err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			return nil, nil, err
		}
	}

	done := j.event(Done)
	done.Size, done.Elapsed = bin.Size, opts.Now().Sub(start)
	opts.Progress(done)
	return made, attached, nil
}

// verify checks the binary of j at binPath with opts.Verify, if any;
// what says which state of the binary it is, for the error.
func verify(ctx context.Context, j *job, binPath, what string, opts *Options) error {
	if opts.Verify == nil {
		return nil
	}
	opts.Progress(j.event(Verifying))
	if err := opts.Verify(ctx, binPath, j.expect(opts)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("verify %s%s: %w", what, j.bin, err)
	}
	return nil
}

func (j *job) event(s State) Event {
	return Event{Label: j.label, Build: j.build.ID, Target: j.target, State: s}
}

func (j *job) expect(opts *Options) Expect {
	mainPath := opts.ModulePath
	if rel := path.Clean(j.build.Main); rel != "." {
		mainPath = path.Join(opts.ModulePath, rel)
	}
	e := Expect{
		Target:     j.target,
		ModulePath: opts.ModulePath,
		MainPath:   mainPath,
		CGO:        j.build.CGO,
		Trimpath:   true,
	}
	if slices.Contains(strings.Fields(j.ldflags), "main.version="+opts.Version) {
		e.Version = opts.Version
	}
	return e
}

// artifact returns a, an artifact of j, with j's build and target.
func (j *job) artifact(a shipline.Artifact) shipline.Artifact {
	a.Build, a.OS, a.Arch, a.Variant = j.build.ID, j.target.OS, j.target.Arch, j.target.Variant
	return a
}

// short returns the first 7 characters of a commit hash.
func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

// buildProcs returns the GOMAXPROCS to give each go build when builds go
// builds of jobs run at once on cpus CPUs: the CPUs shared out between the
// builds that run at once, at least 1. Left to its default, each go build
// (the go command, compile and link) sizes itself to every CPU, so that
// two builds on two CPUs run four busy threads; shared out, the same
// builds take about a tenth less CPU and wall time (fzf, 8 targets, 2 at a
// time on 2 CPUs: 0.95 s against 1.07 s). The binaries are the same bytes
// either way. 0 means leave the default: with one build at a time, or when
// GOMAXPROCS is set in the environment.
func buildProcs(cpus, parallelism, jobs int) int {
	if os.Getenv("GOMAXPROCS") != "" {
		return 0
	}
	at := min(parallelism, jobs)
	if at <= 1 {
		return 0
	}
	return max(1, cpus/at)
}
