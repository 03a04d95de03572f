package gitrepo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// mustGitEnv fixes git's configuration and identity for the test, so that
// nothing depends on the machine. Tests that call it cannot run in
// parallel.
func mustGitEnv(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("git is not installed")
	}
	home := tb.TempDir()
	for k, v := range map[string]string{
		"HOME":                    home,
		"XDG_CONFIG_HOME":         home,
		"GIT_CONFIG_NOSYSTEM":     "1",
		"GIT_CONFIG_GLOBAL":       filepath.Join(home, "gitconfig"),
		"GIT_CEILING_DIRECTORIES": filepath.Dir(home),
		"GIT_AUTHOR_NAME":         "A U Thor",
		"GIT_AUTHOR_EMAIL":        "author@example.com",
		"GIT_COMMITTER_NAME":      "C O Mitter",
		"GIT_COMMITTER_EMAIL":     "committer@example.com",
		"GIT_AUTHOR_DATE":         baseTime.Format(time.RFC3339),
		"GIT_COMMITTER_DATE":      baseTime.Format(time.RFC3339),
	} {
		tb.Setenv(k, v)
	}
}

// mustRepo returns a new, empty repository on branch main.
func mustRepo(tb testing.TB) *testRepo {
	tb.Helper()
	mustGitEnv(tb)
	r := &testRepo{tb: tb, dir: tb.TempDir(), clock: baseTime}
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
	return r.gitIn(t, "", args...)
}

// gitIn runs git with stdin as its standard input and author and committer
// dates at t (unless t is zero).
func (r *testRepo) gitIn(t time.Time, stdin string, args ...string) string {
	r.tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Stdin = strings.NewReader(stdin)
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

// commit writes the given files (a file "file" when none is named), each
// with content that names the message, and commits them with msg kept
// verbatim, one minute after the previous commit. It returns the hash.
func (r *testRepo) commit(msg string, files ...string) string {
	r.tb.Helper()
	if len(files) == 0 {
		files = []string{"file"}
	}
	for _, f := range files {
		r.write(f, fmt.Sprintf("%s\n%.40q\n", f, msg))
	}
	r.git(append([]string{"add", "--"}, files...)...)
	r.clock = r.clock.Add(time.Minute)
	r.gitIn(r.clock, msg, "commit", "-q", "--allow-empty-message", "--cleanup=verbatim", "-F", "-")
	return r.git("rev-parse", "HEAD")
}

// open opens the repository.
func (r *testRepo) open() *Repo {
	r.tb.Helper()
	repo, err := Open(context.Background(), r.dir)
	if err != nil {
		r.tb.Fatalf("Open: %v", err)
	}
	return repo
}
