// Package gitrepo is Shipline's only door to git: it runs the real git
// command and turns what it prints into domain values. Nothing outside this
// package runs git.
package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/shipline-ci/shipline"
)

// Repo is a git work tree.
type Repo struct {
	Dir     string // absolute path of the top of the work tree
	Shallow bool   // whether the repository is a shallow clone (as of Open)
	head    string // commit at HEAD; "" on an unborn branch
	gitDir  string // the .git directory when discover found it; "" otherwise
}

// Open finds the work tree that contains dir. It returns an ENOTFOUND error
// when dir is not inside a git work tree, and an EINTERNAL error when git
// itself cannot be run.
func Open(ctx context.Context, dir string) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, shipline.Errorf(shipline.EINTERNAL, "git is not installed or not on PATH: install git (apt-get install git) and retry")
	}
	if r, ok := discover(abs); ok {
		return r, nil
	}
	// One process answers all three questions.
	out, err := gitOutput(ctx, abs, "rev-parse", "--show-toplevel", "--is-shallow-repository", "--verify", "-q", "HEAD")
	head := ""
	if err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 3 {
			r := &Repo{Dir: lines[0], Shallow: lines[1] == "true", head: lines[2]}
			return r, nil
		}
	}
	// No HEAD yet (unborn branch) or not a repository at all.
	out, err = gitOutput(ctx, abs, "rev-parse", "--show-toplevel", "--is-shallow-repository")
	if err != nil {
		return nil, shipline.Errorf(shipline.ENOTFOUND, "%s is not inside a git work tree: run shipline in a git repository (or create one with git init)", abs)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return nil, shipline.Errorf(shipline.EINTERNAL, "unexpected output from git rev-parse: %q", out)
	}
	return &Repo{Dir: lines[0], Shallow: lines[1] == "true", head: head}, nil
}

// Head returns the commit at HEAD, or "" when the current branch has no
// commits yet.
func (r *Repo) Head() string { return r.head }

// gitOutput runs git in dir and returns its standard output. A failure
// carries git's standard error.
func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...) // #nosec G204 -- the git binary with arguments this package builds, never through a shell
	cmd.Dir = dir
	cmd.Env = gitEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &GitError{Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return stdout.Bytes(), nil
}

// gitEnv is the environment for git: the caller's, with output that does
// not depend on the user's locale or pager.
func gitEnv() []string {
	return append(os.Environ(), "LC_ALL=C", "GIT_PAGER=cat", "GIT_TERMINAL_PROMPT=0")
}

// run runs git at the top of the work tree.
func (r *Repo) run(ctx context.Context, args ...string) ([]byte, error) {
	return gitOutput(ctx, r.Dir, args...)
}

// GitError is a failed git command.
type GitError struct {
	Args   []string
	Stderr string
	Err    error
}

// Error implements error.
func (e *GitError) Error() string {
	msg := e.Stderr
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

// Unwrap returns the underlying exec error.
func (e *GitError) Unwrap() error { return e.Err }

// exitCode returns git's exit status, or -1 when it did not run or exit.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
