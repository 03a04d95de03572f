package commits

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gate"
)

// repo is a git repository in a temporary directory with a fixed
// identity and dates. It sets environment variables: tests that use it
// cannot run in parallel.
type repo struct {
	tb  testing.TB
	dir string
	n   int
}

func mustRepo(tb testing.TB) *repo {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("git is not installed")
	}
	home := tb.TempDir()
	for k, v := range map[string]string{
		"HOME":                home,
		"XDG_CONFIG_HOME":     home,
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_CONFIG_GLOBAL":   filepath.Join(home, "gitconfig"),
		"GIT_AUTHOR_NAME":     "Ada Lovelace",
		"GIT_AUTHOR_EMAIL":    "ada@example.com",
		"GIT_COMMITTER_NAME":  "Ada Lovelace",
		"GIT_COMMITTER_EMAIL": "ada@example.com",
		"GIT_AUTHOR_DATE":     "2026-01-02T03:04:05Z",
		"GIT_COMMITTER_DATE":  "2026-01-02T03:04:05Z",
	} {
		tb.Setenv(k, v)
	}
	r := &repo{tb: tb, dir: tb.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.git("config", "commit.gpgSign", "false")
	r.git("config", "tag.gpgSign", "false")
	return r
}

func (r *repo) git(args ...string) string {
	r.tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes a line to file (relative to the repository) and commits it
// with msg; it returns the commit's hash.
func (r *repo) commit(msg, file string) string {
	r.tb.Helper()
	r.n++
	p := filepath.Join(r.dir, file)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.tb.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		r.tb.Fatal(err)
	}
	f.WriteString(msg + "\n")
	f.Close()
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// write writes a file of the repository.
func (r *repo) write(file, data string) {
	r.tb.Helper()
	p := filepath.Join(r.dir, file)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		r.tb.Fatal(err)
	}
}

func TestCommits(t *testing.T) {
	r := mustRepo(t)
	r.write("go.mod", "module example.com/app\n")
	r.commit("feat: first", "README")
	r.commit("not conventional before the tag", "a.txt")
	r.git("tag", "v0.1.0")
	r.commit("fix: a bug", "a.txt")
	bad := r.commit("update stuff", "a.txt")
	r.git("checkout", "-q", "-b", "topic")
	nospace := r.commit("feat:no space", "b.txt")
	r.git("checkout", "-q", "main")
	r.git("merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")
	m := &gate.Module{Dir: r.dir, Path: "example.com/app"}

	rep, err := (&Gate{}).Run(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed || len(rep.Findings) != 2 {
		t.Fatalf("report = %+v, want 2 findings, passed (reported only)", rep)
	}
	// The merge and the commit before the tag are left out.
	byID := map[string]gate.Finding{}
	for _, f := range rep.Findings {
		byID[f.ID] = f
	}
	f := byID[nospace]
	if f.Rule != "conventional-commits/1" || f.Blocking || f.Severity != gate.SeverityLow ||
		!strings.Contains(f.Message, `"feat:no space" is not a Conventional Commit: 1:6: `) || !strings.Contains(f.Message, "(by Ada Lovelace)") {
		t.Errorf("finding for %q = %+v", "feat:no space", f)
	}
	if f := byID[bad]; !strings.HasPrefix(f.Message, "commit "+bad[:7]+` "update stuff" is not a Conventional Commit`) {
		t.Errorf("finding for %q = %+v", "update stuff", f)
	}
	wantNotes := []string{"4 commit(s) since v0.1.0 checked, 2 not Conventional Commits", "reported only: set gates.commits.fail to true to block on them"}
	if strings.Join(rep.Notes, "\n") != strings.Join(wantNotes, "\n") {
		t.Errorf("notes = %q, want %q", rep.Notes, wantNotes)
	}

	// fail: true blocks.
	rep, err = (&Gate{Fail: true, Versioning: config.Default().Versioning}).Run(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed || len(rep.Blocking()) != 2 || len(rep.Notes) != 1 {
		t.Errorf("with fail: report = %+v, want 2 blocking findings", rep)
	}
}

func TestCommitsNestedModule(t *testing.T) {
	r := mustRepo(t)
	r.write("go.mod", "module example.com/app\n")
	r.commit("feat: root", "README")
	r.write("api/go.mod", "module example.com/app/api\n")
	r.commit("feat(api): api module", "api/README")
	r.git("tag", "api/v1.0.0")
	r.commit("bad root commit", "root.txt")
	r.commit("bad api commit", "api/x.go")

	rep, err := (&Gate{Fail: true}).Run(context.Background(), &gate.Module{Dir: filepath.Join(r.dir, "api"), Path: "example.com/app/api"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Message, `"bad api commit"`) || !strings.HasPrefix(rep.Notes[0], "1 commit(s) since api/v1.0.0") {
		t.Errorf("report = %+v, want only the api module's commit since api/v1.0.0", rep)
	}
}

func TestCommitsErrors(t *testing.T) {
	r := mustRepo(t)
	_, err := (&Gate{}).Run(context.Background(), &gate.Module{Dir: r.dir, Path: "example.com/app"})
	if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "no commits yet") {
		t.Errorf("empty repository: error = %v, want invalid: no commits yet", err)
	}
	_, err = (&Gate{}).Run(context.Background(), &gate.Module{Dir: t.TempDir(), Path: "example.com/app"})
	if shipline.ErrorCode(err) != shipline.ENOTFOUND || !strings.Contains(err.Error(), "not inside a git work tree") {
		t.Errorf("no repository: error = %v, want not_found", err)
	}
}
