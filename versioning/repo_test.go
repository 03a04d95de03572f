package versioning

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline/gitrepo"
)

// testRepo is a git work tree in a temporary directory, with helpers that
// fail the test on any git error.
type testRepo struct {
	tb    testing.TB
	dir   string
	clock time.Time // committer and author time of the next commit
}

// baseTime is the time of the first commit of every test repository.
var baseTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// mustRepo returns a new repository on branch main, with git's
// configuration and identity fixed so that hashes do not depend on the
// machine. It sets environment variables, so tests that use it cannot run
// in parallel.
func mustRepo(tb testing.TB) *testRepo {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("git is not installed")
	}
	dir := tb.TempDir()
	home := tb.TempDir()
	for k, v := range map[string]string{
		"HOME":                    home,
		"XDG_CONFIG_HOME":         home,
		"GIT_CONFIG_NOSYSTEM":     "1",
		"GIT_CONFIG_GLOBAL":       filepath.Join(home, "gitconfig"),
		"GIT_CEILING_DIRECTORIES": filepath.Dir(dir),
		"GIT_AUTHOR_NAME":         "A U Thor",
		"GIT_AUTHOR_EMAIL":        "author@example.com",
		"GIT_COMMITTER_NAME":      "C O Mitter",
		"GIT_COMMITTER_EMAIL":     "committer@example.com",
		"GIT_AUTHOR_DATE":         baseTime.Format(time.RFC3339),
		"GIT_COMMITTER_DATE":      baseTime.Format(time.RFC3339),
	} {
		tb.Setenv(k, v)
	}
	r := &testRepo{tb: tb, dir: dir, clock: baseTime}
	r.git("init", "-q", "-b", "main")
	r.git("config", "commit.gpgSign", "false")
	r.git("config", "tag.gpgSign", "false")
	return r
}

// git runs git in the work tree and returns its trimmed standard output.
func (r *testRepo) git(args ...string) string {
	r.tb.Helper()
	return r.gitAt(time.Time{}, args...)
}

// gitAt runs git with author and committer dates at t (unless t is zero).
func (r *testRepo) gitAt(t time.Time, args ...string) string {
	r.tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = os.Environ()
	if !t.IsZero() {
		d := t.Format(time.RFC3339)
		cmd.Env = append(cmd.Env, "GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d)
	}
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		r.tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// write writes a file of the work tree, creating its directory.
func (r *testRepo) write(name, content string) {
	r.tb.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.tb.Fatal(err)
	}
}

// appendLine adds a line to a file of the work tree, creating it and its
// directory when needed.
func (r *testRepo) appendLine(name, line string) {
	r.tb.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.tb.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		r.tb.Fatal(err)
	}
	_, err = fmt.Fprintln(f, line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.tb.Fatal(err)
	}
}

// commit adds a line to each of the given files (a file "file" when none
// is named) and commits them with msg, one minute after the previous commit. It returns
// the commit's hash.
func (r *testRepo) commit(msg string, files ...string) string {
	r.tb.Helper()
	r.clock = r.clock.Add(time.Minute)
	return r.commitAt(r.clock, msg, files...)
}

// commitAt is commit with an explicit date.
func (r *testRepo) commitAt(t time.Time, msg string, files ...string) string {
	r.tb.Helper()
	if len(files) == 0 {
		files = []string{"file"}
	}
	for _, f := range files {
		r.appendLine(f, "// "+strings.SplitN(msg, "\n", 2)[0])
	}
	r.git(append([]string{"add", "--"}, files...)...)
	r.gitAt(t, "commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// merge merges branch into the current branch with a merge commit.
func (r *testRepo) merge(branch string) string {
	r.tb.Helper()
	r.clock = r.clock.Add(time.Minute)
	r.gitAt(r.clock, "merge", "-q", "--no-ff", "-m", "Merge branch '"+branch+"'", branch)
	return r.git("rev-parse", "HEAD")
}

// tag creates a lightweight tag at HEAD.
func (r *testRepo) tag(name string) {
	r.tb.Helper()
	r.git("tag", name)
}

// annotate creates an annotated tag at HEAD.
func (r *testRepo) annotate(name string) {
	r.tb.Helper()
	r.git("tag", "-a", "-m", "release "+name, name)
}

// open opens the repository with gitrepo, as the commands do.
func (r *testRepo) open() *gitrepo.Repo {
	r.tb.Helper()
	repo, err := gitrepo.Open(context.Background(), r.dir)
	if err != nil {
		r.tb.Fatalf("gitrepo.Open: %v", err)
	}
	return repo
}
