package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/shipline-ci/shipline"
)

// LogOptions selects commits for Log.
type LogOptions struct {
	// Range is a revision range such as "v1.2.0..HEAD", or a single
	// revision for its whole history. Empty means HEAD.
	Range string
	// Paths limits the log to commits that touch these paths (git
	// pathspecs, relative to the top of the work tree). Empty means all.
	Paths []string
	// Exclude leaves out commits that touch only these paths.
	Exclude []string
}

// Filtered reports whether the options limit the log by path.
func (o LogOptions) Filtered() bool { return len(o.Paths) > 0 || len(o.Exclude) > 0 }

// logFormat puts the fields of a commit in one NUL-terminated record (git
// log -z), separated by the unit separator; the message comes last, so a
// separator inside it does no harm.
const logFormat = "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%ct%x1f%B"

// Log returns the commits of opts, newest first, as git log orders them.
func (r *Repo) Log(ctx context.Context, opts LogOptions) ([]shipline.Commit, error) {
	var commits []shipline.Commit
	err := r.EachCommit(ctx, opts, func(c shipline.Commit) error {
		commits = append(commits, c)
		return nil
	})
	return commits, err
}

// EachCommit streams the commits of opts, newest first, to fn. An error from
// fn stops the walk and is returned.
func (r *Repo) EachCommit(ctx context.Context, opts LogOptions, fn func(shipline.Commit) error) error {
	args := []string{"-c", "log.showSignature=false", "log", "-z", "--no-color", "--no-decorate", logFormat}
	filtered := opts.Filtered()
	if filtered {
		// Every commit that touches the paths counts, even on a side branch
		// whose changes a merge later made redundant.
		args = append(args, "--full-history")
	}
	rng := opts.Range
	if rng == "" {
		rng = "HEAD"
	}
	args = append(args, "--end-of-options", rng)
	if filtered {
		args = append(args, "--")
		paths := opts.Paths
		if len(paths) == 0 {
			paths = []string{""} // ":(top)" alone is the whole tree
		}
		for _, p := range paths {
			args = append(args, ":(top)"+p)
		}
		for _, p := range opts.Exclude {
			args = append(args, ":(top,exclude)"+p)
		}
	}
	cmd := r.command(ctx, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	perr := parseLog(stdout, fn)
	if perr != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return perr
	}
	if err := cmd.Wait(); err != nil {
		return &GitError{Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return nil
}

// parseLog reads the records of logFormat.
func parseLog(rd io.Reader, fn func(shipline.Commit) error) error {
	br := bufio.NewReaderSize(rd, 256<<10)
	for {
		rec, err := br.ReadSlice(0)
		if err == bufio.ErrBufferFull {
			// A message longer than the buffer: collect it whole.
			buf := append([]byte(nil), rec...)
			for err == bufio.ErrBufferFull {
				rec, err = br.ReadSlice(0)
				buf = append(buf, rec...)
			}
			rec = buf
		}
		if len(rec) > 0 && rec[len(rec)-1] == 0 {
			rec = rec[:len(rec)-1]
		}
		if len(bytes.TrimSpace(rec)) > 0 {
			c, perr := parseRecord(rec)
			if perr != nil {
				return perr
			}
			if ferr := fn(c); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func parseRecord(rec []byte) (shipline.Commit, error) {
	// git log -z separates records with NUL but puts a newline before the
	// next record's first field.
	rec = bytes.TrimLeft(rec, "\n")
	f := bytes.SplitN(rec, []byte{0x1f}, 6)
	if len(f) != 6 {
		return shipline.Commit{}, shipline.Errorf(shipline.EINTERNAL, "unexpected git log record: %.80q", rec)
	}
	secs, _ := strconv.ParseInt(string(f[4]), 10, 64)
	msg := strings.TrimRight(string(f[5]), "\n")
	subject := msg
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		subject = msg[:i]
	}
	var parents []string
	if len(f[1]) > 0 {
		parents = strings.Fields(string(f[1]))
	}
	return shipline.Commit{
		Hash:    string(f[0]),
		Parents: parents,
		Author:  string(f[2]),
		Email:   string(f[3]),
		Time:    time.Unix(secs, 0).UTC(),
		Subject: subject,
		Message: msg,
	}, nil
}

// command returns a git command that runs at the top of the work tree.
func (r *Repo) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", args...) // #nosec G204 -- the git binary with arguments this package builds, never through a shell
	cmd.Dir = r.Dir
	cmd.Env = gitEnv()
	return cmd
}

// runCmd runs cmd, returning a *GitError with its standard error on failure.
func runCmd(cmd *exec.Cmd) error {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return &GitError{Args: cmd.Args[1:], Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return nil
}

// errFirstRead ends a walk of the log after its first commit.
var errFirstRead = errors.New("stop")

// CommitTime returns the committer time of the commit rev names, in UTC.
func (r *Repo) CommitTime(ctx context.Context, rev string) (time.Time, error) {
	var t time.Time
	err := r.EachCommit(ctx, LogOptions{Range: rev}, func(c shipline.Commit) error {
		t = c.Time.UTC()
		return errFirstRead
	})
	if err != nil && !errors.Is(err, errFirstRead) {
		return time.Time{}, err
	}
	if t.IsZero() {
		return time.Time{}, shipline.Errorf(shipline.ENOTFOUND, "no commit %s in %s", rev, r.Dir)
	}
	return t, nil
}
