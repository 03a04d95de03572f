package release

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gitrepo"
)

// mustGit makes a git repository in a temporary directory holding files,
// committed with message, and returns it opened. It sets the git
// environment, so tests that use it cannot run in parallel.
func mustGit(t *testing.T, files map[string]string, message string) *gitrepo.Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": home, "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_CONFIG_GLOBAL": filepath.Join(home, "gitconfig"), "GIT_CEILING_DIRECTORIES": filepath.Dir(dir),
		"GIT_AUTHOR_NAME": "A U Thor", "GIT_AUTHOR_EMAIL": "author@example.com",
		"GIT_COMMITTER_NAME": "C O Mitter", "GIT_COMMITTER_EMAIL": "committer@example.com",
		"GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
	} {
		t.Setenv(k, v)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "--allow-empty", "-m", message}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	repo, err := gitrepo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// mustRelease returns a release of plan whose dist directory is in a
// temporary module directory, without a journal opened yet.
func mustRelease(t *testing.T, plan Plan) *Release {
	t.Helper()
	mod := t.TempDir()
	st := &State{Plan: plan, ModuleDir: mod, Dist: filepath.Join(mod, "dist")}
	return &Release{State: st, Path: filepath.Join(st.Dist, JournalFile)}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	planA = Plan{Module: "example.com/m", Dir: ".", Commit: strings.Repeat("a", 40), Tag: "v1.1.0", Version: "v1.1.0", Previous: "v1.0.0", Bump: shipline.BumpMinor}
	planB = Plan{Module: "example.com/m", Dir: ".", Commit: strings.Repeat("b", 40), Tag: "v1.2.0", Version: "v1.2.0", Previous: "v1.0.0", Bump: shipline.BumpMinor}
)

func TestOpenJournalResumes(t *testing.T) {
	r := mustRelease(t, planA)
	old := NewJournal(planA, time.Now())
	*old.record(StepBuild) = Record{Step: StepBuild, Status: StatusDone}
	if err := old.Write(r.Path); err != nil {
		t.Fatal(err)
	}
	// Once the tag exists, the version engine reads no bump.
	r.State.Plan.Bump, r.State.Plan.Previous = shipline.BumpNone, ""
	if err := r.openJournal(false); err != nil {
		t.Fatal(err)
	}
	if !r.Resumed || !r.Journal.Done(StepBuild) || r.Journal.Plan.Bump != shipline.BumpMinor {
		t.Errorf("opened %+v, resumed %v; want the old journal, with its plan", r.Journal, r.Resumed)
	}
}

// TestOpenJournalMismatch checks what happens to the journal of another
// release: refused when that release tagged or published something,
// unless --restart; moved aside by itself otherwise.
func TestOpenJournalMismatch(t *testing.T) {
	marked := func(t *testing.T, r *Release) {
		j := NewJournal(planA, time.Now())
		*j.record(StepTag) = Record{Step: StepTag, Status: StatusDone}
		*j.record(StepPublish) = Record{Step: StepPublish, Status: StatusFailed, Error: "store down"}
		j.Outputs.Tag = &TagOutput{Name: "v1.1.0", Created: true, Pushed: true, Remote: "origin"}
		if err := j.Write(r.Path); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(r.State.Dist, "app_v1.1.0_linux_amd64.tar.gz"), "old archive")
	}

	t.Run("refused", func(t *testing.T) {
		r := mustRelease(t, planB)
		marked(t, r)
		err := r.openJournal(false)
		if shipline.ErrorCode(err) != shipline.ECONFLICT {
			t.Fatalf("open = %v, want ECONFLICT", err)
		}
		for _, want := range []string{
			"dist/release.json is the journal of the release of example.com/m v1.1.0 at aaaaaaa (done: tag; failed: publish)",
			"which created tag v1.1.0, pushed v1.1.0 to origin",
			"this run would release example.com/m v1.2.0 at bbbbbbb",
			"check out aaaaaaa and run shipline release again",
			"pass --restart to move its journal and files aside to dist/.previous",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q\nlacks %q", err, want)
			}
		}
		if _, err := os.Stat(r.Path); err != nil {
			t.Errorf("the refused journal is gone: %v", err)
		}
	})

	t.Run("restart", func(t *testing.T) {
		r := mustRelease(t, planB)
		marked(t, r)
		if err := r.openJournal(true); err != nil {
			t.Fatal(err)
		}
		if r.Resumed || !r.Journal.Plan.Same(planB) || len(r.Journal.Steps) != 0 {
			t.Errorf("journal %+v; want a new one for plan B", r.Journal)
		}
		aside := filepath.Join(r.State.Dist, previousDir, "v1.1.0-aaaaaaa")
		for _, f := range []string{JournalFile, "app_v1.1.0_linux_amd64.tar.gz"} {
			if _, err := os.Stat(filepath.Join(aside, f)); err != nil {
				t.Errorf("%s was not moved aside: %v", f, err)
			}
			if _, err := os.Stat(filepath.Join(r.State.Dist, f)); err == nil {
				t.Errorf("%s is still in dist", f)
			}
		}
		if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "(--restart)") {
			t.Errorf("notes = %q", r.Notes)
		}
	})

	t.Run("nothing outside dist", func(t *testing.T) {
		r := mustRelease(t, planB)
		j := NewJournal(planA, time.Now())
		*j.record(StepTag) = Record{Step: StepTag, Status: StatusSkipped, Reason: "dry run"}
		if err := j.Write(r.Path); err != nil {
			t.Fatal(err)
		}
		if err := r.openJournal(false); err != nil {
			t.Fatalf("open over a dry run's journal: %v", err)
		}
		if _, err := os.Stat(filepath.Join(r.State.Dist, previousDir, "v1.1.0-aaaaaaa", JournalFile)); err != nil {
			t.Errorf("the dry run's journal was not moved aside: %v", err)
		}
		if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "it changed nothing outside dist") {
			t.Errorf("notes = %q", r.Notes)
		}
		// A second time, the name is taken.
		if err := j.Write(r.Path); err != nil {
			t.Fatal(err)
		}
		if err := r.openJournal(false); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(r.State.Dist, previousDir, "v1.1.0-aaaaaaa-2", JournalFile)); err != nil {
			t.Errorf("the second journal was not moved aside beside the first: %v", err)
		}
	})

	t.Run("finished", func(t *testing.T) {
		r := mustRelease(t, planB)
		j := NewJournal(planA, time.Now())
		for _, name := range StepNames() {
			*j.record(name) = Record{Step: name, Status: StatusDone}
		}
		j.Outputs.Tag = &TagOutput{Name: "v1.1.0", Created: true}
		if err := j.Write(r.Path); err != nil {
			t.Fatal(err)
		}
		if err := r.openJournal(false); err != nil {
			t.Fatalf("open over the journal of a finished release: %v", err)
		}
		if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "(it is finished)") {
			t.Errorf("notes = %q", r.Notes)
		}
	})

	t.Run("files but no journal", func(t *testing.T) {
		r := mustRelease(t, planB)
		mustWrite(t, filepath.Join(r.State.Dist, "checksums.txt"), "from shipline build")
		err := r.openJournal(false)
		if shipline.ErrorCode(err) != shipline.ECONFLICT || !strings.Contains(err.Error(), "holds files but no release journal") {
			t.Fatalf("open = %v", err)
		}
		if err := r.openJournal(true); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(r.State.Dist, previousDir, "files", "checksums.txt")); err != nil {
			t.Errorf("not moved aside: %v", err)
		}
	})

	t.Run("unreadable journal", func(t *testing.T) {
		r := mustRelease(t, planB)
		mustWrite(t, r.Path, "{")
		if err := r.openJournal(false); shipline.ErrorCode(err) != shipline.ECONFLICT || !strings.Contains(err.Error(), "--restart") {
			t.Fatalf("open = %v", err)
		}
		if err := r.openJournal(true); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSkipSet(t *testing.T) {
	got, err := skipSet([]string{"gates", " test"}, []string{" test"})
	if err != nil {
		t.Fatal(err)
	}
	if got["gates"] != "release.skip names it" || got["test"] != "--skip test" || len(got) != 2 {
		t.Errorf("skipSet = %q", got)
	}
	for name, want := range map[string]string{
		"deploy":    "--skip deploy: no such step; the steps are test, gates, version, build, changelog, tag, publish",
		"preflight": "--skip preflight: the preflight step cannot be skipped",
	} {
		_, err := skipSet([]string{name}, []string{name})
		if shipline.ErrorCode(err) != shipline.EUSAGE || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("skipSet(%s) = %v, want a usage error %q", name, err, want)
		}
	}
}

// TestStepNames checks that the steps config.ReleaseSteps lets release.skip
// name are the steps that can be skipped, in order.
func TestStepNames(t *testing.T) {
	var skippable []string
	for _, s := range Steps() {
		if !isMandatory(s) {
			skippable = append(skippable, s.Name())
		}
	}
	if !slices.Equal(skippable, config.ReleaseSteps) {
		t.Errorf("skippable steps %q, config.ReleaseSteps %q", skippable, config.ReleaseSteps)
	}
	if StepNames()[0] != StepPreflight {
		t.Errorf("first step %s, want preflight", StepNames()[0])
	}
}

func TestVersions(t *testing.T) {
	for _, tt := range []struct{ tag, commit, version, snapshot string }{
		{"v1.2.0", "0123456789abcdef", "v1.2.0", "v1.2.0-SNAPSHOT-0123456"},
		{"api/v2.0.0-rc.1", "fedcba9876543210", "v2.0.0-rc.1", "v2.0.0-SNAPSHOT-fedcba9"},
		{"v0.1.0+meta", "abc", "v0.1.0+meta", "v0.1.0-SNAPSHOT-abc"},
	} {
		if got := TagVersion(tt.tag); got != tt.version {
			t.Errorf("TagVersion(%s) = %s, want %s", tt.tag, got, tt.version)
		}
		if got := SnapshotVersion(tt.tag, tt.commit); got != tt.snapshot {
			t.Errorf("SnapshotVersion(%s) = %s, want %s", tt.tag, got, tt.snapshot)
		}
	}
}

func TestReadCoverage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.out")
	// Two test binaries report the same block of a.go; one ran it.
	mustWrite(t, p, `mode: set
example.com/m/a.go:3.20,5.2 2 0
example.com/m/a.go:7.20,9.2 3 1
example.com/m/b.go:1.1,2.2 5 0
example.com/m/a.go:3.20,5.2 2 1
`)
	c, err := ReadCoverage(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Statements != 10 || c.Covered != 5 || c.Percent != 50 {
		t.Errorf("coverage %+v, want 5 of 10 statements, 50%%", c)
	}
	mustWrite(t, p, "mode: set\n")
	if c, err := ReadCoverage(p); err != nil || c.Percent != 0 || c.Statements != 0 {
		t.Errorf("empty profile: %+v, %v", c, err)
	}
	mustWrite(t, p, "not a profile\n")
	if _, err := ReadCoverage(p); shipline.ErrorCode(err) != shipline.EINVALID {
		t.Errorf("bad profile: %v, want EINVALID", err)
	}
}

func TestGoTest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "go.mod"), "module example.com/m\n\ngo 1.22\n")
	mustWrite(t, filepath.Join(dir, "m.go"), "package m\n\nfunc A() int { return 1 }\n\nfunc B() int { return 2 }\n")
	mustWrite(t, filepath.Join(dir, "m_test.go"), "package m\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\tif A() != 1 {\n\t\tt.Fatal(\"A\")\n\t}\n}\n")
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOPROXY", "off")
	profile := filepath.Join(t.TempDir(), CoverageFile)
	var out strings.Builder
	c, err := GoTest(context.Background(), TestOptions{Dir: dir, Profile: profile, Flags: []string{"-count=1"}, Output: &out})
	if err != nil {
		t.Fatalf("GoTest: %v\n%s", err, out.String())
	}
	if c.Statements != 2 || c.Covered != 1 {
		t.Errorf("coverage %+v, want 1 of 2 statements", c)
	}
	if !strings.Contains(out.String(), "coverage: 50.0% of statements") {
		t.Errorf("output %q lacks go test's coverage line", out.String())
	}

	mustWrite(t, filepath.Join(dir, "m_test.go"), "package m\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\tt.Fatal(\"broken on purpose\")\n}\n")
	_, err = GoTest(context.Background(), TestOptions{Dir: dir, Profile: profile})
	if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "broken on purpose") {
		t.Errorf("GoTest of a failing test = %v; want EINVALID with the failure", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := GoTest(ctx, TestOptions{Dir: dir, Profile: profile}); err != context.Canceled {
		t.Errorf("GoTest with a cancelled context = %v", err)
	}
}

func TestCheckUnchanged(t *testing.T) {
	dist := t.TempDir()
	a, err := writeArtifact(dist, "sub/app.tar.gz", "archive", []byte("bytes"))
	if err != nil {
		t.Fatal(err)
	}
	// sha256sum of "bytes".
	if a.SHA256 != "277089d91c0bdf4f2e6862ba7e4a07605119431f5d13f726dd352b06f1b206a9" || a.Size != 5 || a.Path != "sub/app.tar.gz" || a.Name != "app.tar.gz" {
		t.Errorf("artifact %+v", a)
	}
	if err := checkUnchanged(dist, a); err != nil {
		t.Errorf("unchanged file: %v", err)
	}
	mustWrite(t, filepath.Join(dist, "sub", "app.tar.gz"), "other")
	if err := checkUnchanged(dist, a); shipline.ErrorCode(err) != shipline.ECONFLICT || !strings.Contains(err.Error(), "sub/app.tar.gz changed since an earlier run made it") {
		t.Errorf("changed file: %v", err)
	}
	os.Remove(filepath.Join(dist, "sub", "app.tar.gz"))
	if err := checkUnchanged(dist, a); shipline.ErrorCode(err) != shipline.ECONFLICT || !strings.Contains(err.Error(), "is gone") {
		t.Errorf("missing file: %v", err)
	}
}

func TestMoveInto(t *testing.T) {
	dist := t.TempDir()
	staging := filepath.Join(dist, stagingDir)
	mustWrite(t, filepath.Join(staging, "app_linux_amd64", "app"), "new binary")
	mustWrite(t, filepath.Join(staging, "checksums.txt"), "new sums")
	// Left by a move that was interrupted.
	mustWrite(t, filepath.Join(dist, "app_linux_amd64", "app"), "old binary")
	mustWrite(t, filepath.Join(dist, JournalFile), "{}")
	if err := moveInto(staging, dist); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dist, "app_linux_amd64", "app")); string(data) != "new binary" {
		t.Errorf("binary = %q", data)
	}
	if _, err := os.Stat(staging); !os.IsNotExist(err) {
		t.Errorf("staging directory left: %v", err)
	}
	mustWrite(t, filepath.Join(staging, JournalFile), "{}")
	if err := moveInto(staging, dist); shipline.ErrorCode(err) != shipline.EINTERNAL {
		t.Errorf("a build that makes %s: %v", JournalFile, err)
	}
}
