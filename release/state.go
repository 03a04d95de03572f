package release

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gate"
	"github.com/shipline-ci/shipline/gitrepo"
	"github.com/shipline-ci/shipline/versioning"
)

// Names of what a release writes at the top of its dist directory, beside
// what the build writes there (see package build).
const (
	JournalFile   = "release.json"     // the journal
	CoverageFile  = "coverage.out"     // the test step's coverage profile
	GatesDir      = "gates"            // the gates step's reports
	NotesFile     = "release-notes.md" // the changelog step's release notes, also the tag's message
	ModuleZipFile = "module.zip"       // the module zip the publish step publishes
	stagingDir    = ".build"           // where the build step builds before moving the files into place
	previousDir   = ".previous"        // where journals of other releases and their files are moved aside
)

// Artifact kinds of the files a release makes beside the build's.
const (
	KindCoverage  shipline.ArtifactKind = "coverage"   // a go test coverage profile
	KindReport    shipline.ArtifactKind = "report"     // a gate report
	KindNotes     shipline.ArtifactKind = "notes"      // release notes
	KindModuleZip shipline.ArtifactKind = "module-zip" // a Go module zip
	KindManifest  shipline.ArtifactKind = "manifest"   // the build's artifacts.json
)

// Plan is what a release is: a module, a commit and a version, decided
// when the run is opened and fixed for the rest of it. It keys the
// journal: a run resumes only a journal of the same plan (see Same).
type Plan struct {
	Module   string        `json:"module"`             // module path
	Dir      string        `json:"dir"`                // module directory, slash path relative to the top of the work tree; "." for the top
	Commit   string        `json:"commit"`             // the commit released (HEAD)
	Date     time.Time     `json:"date"`               // its committer time, UTC: stamped into binaries and archives, and the module's .info time
	Tag      string        `json:"tag"`                // the release tag, such as v1.2.0 or api/v1.2.0 (for a snapshot, the next tag, never created)
	Version  string        `json:"version"`            // the version built and published: the tag without its directory prefix, or vX.Y.Z-SNAPSHOT-COMMIT
	Previous string        `json:"previous,omitempty"` // the last stable tag before it, "" for the first release or a commit already tagged
	Bump     shipline.Bump `json:"bump"`               // the bump the commits ask for; none when the commit was tagged before the release started
	Snapshot bool          `json:"snapshot,omitempty"` // a snapshot: built and checked, never tagged or published
}

// Same reports whether p and q are the same release: the same module,
// commit, tag, version and snapshot mode. The bump and previous tag are
// left out, since they read differently once the tag exists.
func (p Plan) Same(q Plan) bool {
	return p.Module == q.Module && p.Dir == q.Dir && p.Commit == q.Commit &&
		p.Tag == q.Tag && p.Version == q.Version && p.Snapshot == q.Snapshot
}

// String describes the plan in a few words: "example.com/app v1.2.0 at
// abc1234".
func (p Plan) String() string {
	return fmt.Sprintf("%s %s at %s", p.Module, p.Version, short(p.Commit))
}

// Outputs are what the steps made: one field per step, set by that step
// alone, nil until it ran. The journal records them, so a later run starts
// with the outputs of the steps an earlier run finished. A step that failed
// may leave a partial output, which its next run completes.
type Outputs struct {
	Preflight *PreflightOutput `json:"preflight,omitempty"`
	Test      *TestOutput      `json:"test,omitempty"`
	Gates     *GatesOutput     `json:"gates,omitempty"`
	Version   *VersionOutput   `json:"version,omitempty"`
	Build     *BuildOutput     `json:"build,omitempty"`
	Changelog *ChangelogOutput `json:"changelog,omitempty"`
	Tag       *TagOutput       `json:"tag,omitempty"`
	Publish   *PublishOutput   `json:"publish,omitempty"`
}

// State is the typed state of one release run, passed to every step: the
// Plan (fixed), the Outputs of the steps (each written by its own step),
// and what the run works with (set by Open, read-only for steps). There is
// no bag of untyped values: a step that needs what another made reads
// that step's output field.
type State struct {
	Plan Plan
	Outputs

	Repo       *gitrepo.Repo
	Config     *config.Config
	ConfigFile string             // the config file's path, for messages; "" on defaults
	Decision   *versioning.Result // what the version engine decided at HEAD in this run
	Pre        string             // the pre-release identifier asked for, such as rc
	ModuleDir  string             // absolute path of the module root
	Dist       string             // absolute path of the dist directory
	Store      string             // URL of the store the publish step publishes to
	DryRun     bool               // do everything but tag, push and publish
	MakeGates  GateFactory        // makes the gates the gates step runs
	WireBuild  WireBuild          // adds the verifier, progress and signing to the build's options
	Log        io.Writer          // progress for a person
	Now        func() time.Time

	step  string     // the step running, for Logf
	todo  []Step     // the steps this run runs (not done, not skipped), for preflight
	build *buildPlan // the build matrix and options, from the build step's Check
	gates []gate.Gate
}

// Logf writes a line of progress for a person, headed by the name of the
// step that is running.
func (st *State) Logf(format string, args ...any) {
	if st.Log == nil {
		return
	}
	prefix := ""
	if st.step != "" {
		prefix = st.step + ": "
	}
	fmt.Fprintf(st.Log, prefix+format+"\n", args...)
}

// path returns the absolute path of rel, a slash path relative to the dist
// directory.
func (st *State) path(rel string) string {
	return filepath.Join(st.Dist, filepath.FromSlash(rel))
}

func (st *State) now() time.Time {
	if st.Now != nil {
		return st.Now().UTC()
	}
	return time.Now().UTC()
}

// short returns the first 7 characters of a commit hash.
func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}
