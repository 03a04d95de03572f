package gitrepo

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("outside a repository", func(t *testing.T) {
		mustGitEnv(t)
		dir := t.TempDir()
		t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
		_, err := Open(ctx, dir)
		if code := shipline.ErrorCode(err); code != shipline.ENOTFOUND {
			t.Errorf("Open(%s) error %v (code %q); want %q", dir, err, code, shipline.ENOTFOUND)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		mustGitEnv(t)
		dir := filepath.Join(t.TempDir(), "missing")
		_, err := Open(ctx, dir)
		if code := shipline.ErrorCode(err); code != shipline.ENOTFOUND {
			t.Errorf("Open(%s) error %v (code %q); want %q", dir, err, code, shipline.ENOTFOUND)
		}
	})
	t.Run("empty repository", func(t *testing.T) {
		r := mustRepo(t)
		repo := r.open()
		if repo.Head() != "" {
			t.Errorf("Head() = %q; want \"\" before the first commit", repo.Head())
		}
		if repo.Shallow {
			t.Error("Shallow = true; want false")
		}
		if want := realPath(t, r.dir); repo.Dir != want {
			t.Errorf("Dir = %q; want %q", repo.Dir, want)
		}
	})
	t.Run("subdirectory", func(t *testing.T) {
		r := mustRepo(t)
		head := r.commit("feat: a", "sub/dir/file")
		repo, err := Open(ctx, filepath.Join(r.dir, "sub", "dir"))
		if err != nil {
			t.Fatal(err)
		}
		if want := realPath(t, r.dir); repo.Dir != want {
			t.Errorf("Dir = %q; want the top %q", repo.Dir, want)
		}
		if repo.Head() != head {
			t.Errorf("Head() = %q; want %q", repo.Head(), head)
		}
	})
	t.Run("shallow clone", func(t *testing.T) {
		src := mustRepo(t)
		src.commit("feat: a")
		src.git("tag", "v1.0.0")
		src.commit("fix: b")
		dst := t.TempDir()
		if out, err := exec.Command("git", "clone", "-q", "--depth=1", "file://"+src.dir, dst).CombinedOutput(); err != nil {
			t.Fatalf("git clone: %v\n%s", err, out)
		}
		repo, err := Open(ctx, dst)
		if err != nil {
			t.Fatal(err)
		}
		if !repo.Shallow {
			t.Fatal("Shallow = false for a depth-1 clone")
		}
		if err := repo.Unshallow(ctx, "origin"); err != nil {
			t.Fatalf("Unshallow: %v", err)
		}
		if repo.Shallow {
			t.Error("Shallow = true after Unshallow")
		}
		if _, ok, err := repo.TagCommit(ctx, "v1.0.0"); err != nil || !ok {
			t.Errorf("TagCommit(v1.0.0) after Unshallow = %v, %v; want the tag fetched", ok, err)
		}
		again, err := Open(ctx, dst)
		if err != nil || again.Shallow {
			t.Errorf("Open after Unshallow: Shallow = %v, error %v; want false, nil", again != nil && again.Shallow, err)
		}
	})
}

func realPath(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTags(t *testing.T) {
	r := mustRepo(t)
	c1 := r.commit("feat: a")
	r.git("tag", "v1.0.0")
	r.git("tag", "-a", "-m", "annotated", "v1.1.0")
	c2 := r.commit("fix: b")
	r.git("tag", "api/v0.1.0")
	r.git("tag", "tree", "HEAD^{tree}")
	r.git("tag", "-a", "-m", "annotated tree", "atree", "HEAD^{tree}")
	blob := r.git("hash-object", "-w", "--stdin")
	r.git("tag", "blob", blob)
	repo := r.open()

	tags, err := repo.Tags(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })
	want := []shipline.Tag{
		{Name: "api/v0.1.0", Commit: c2},
		{Name: "v1.0.0", Commit: c1},
		{Name: "v1.1.0", Commit: c1, Annotated: true},
	}
	if !slices.Equal(tags, want) {
		t.Errorf("Tags =\n%+v\nwant\n%+v", tags, want)
	}

	empty := mustRepo(t).open()
	if tags, err := empty.Tags(context.Background()); err != nil || len(tags) != 0 {
		t.Errorf("Tags of an empty repository = %v, %v; want none", tags, err)
	}
}

func TestReachability(t *testing.T) {
	r := mustRepo(t)
	c1 := r.commit("feat: a")
	r.git("tag", "-a", "-m", "x", "v1.0.0")
	r.git("switch", "-q", "-c", "side")
	s1 := r.commit("feat: side", "side.txt")
	r.git("tag", "v2.0.0")
	r.git("switch", "-q", "main")
	c2 := r.commit("fix: b")
	r.git("tag", "v1.0.1")
	repo := r.open()
	ctx := context.Background()

	tests := []struct {
		a, b string
		want bool
	}{
		{c1, c2, true},
		{c2, c2, true},
		{c2, c1, false},
		{s1, c2, false},
		{c1, s1, true},
	}
	for _, tt := range tests {
		got, err := repo.IsAncestor(ctx, tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("IsAncestor(%.7s, %.7s) = %v, %v; want %v", tt.a, tt.b, got, err, tt.want)
		}
	}
	if _, err := repo.IsAncestor(ctx, strings.Repeat("0", 40), c2); err == nil {
		t.Error("IsAncestor(missing commit) error = nil; want an error")
	}

	merged, err := repo.MergedTagCommits(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{c1, c2} {
		if !merged[c] {
			t.Errorf("MergedTagCommits(HEAD) lacks %.7s", c)
		}
	}
	if merged[s1] {
		t.Errorf("MergedTagCommits(HEAD) holds %.7s, a tag not merged", s1)
	}

	if c, ok, err := repo.TagCommit(ctx, "v1.0.0"); c != c1 || !ok || err != nil {
		t.Errorf("TagCommit(v1.0.0) = %.7s, %v, %v; want %.7s, true, nil", c, ok, err, c1)
	}
	if c, ok, err := repo.TagCommit(ctx, "v9.9.9"); c != "" || ok || err != nil {
		t.Errorf("TagCommit(v9.9.9) = %q, %v, %v; want \"\", false, nil", c, ok, err)
	}

	for rev, want := range map[string]string{"v1.0.0": c1, "v2.0.0": s1, "HEAD~1": c1, c2[:10]: c2} {
		if got, err := repo.ResolveCommit(ctx, rev); got != want || err != nil {
			t.Errorf("ResolveCommit(%q) = %.7s, %v; want %.7s", rev, got, err, want)
		}
	}
	for _, rev := range []string{"v9.9.9", "--all", "HEAD^{tree}"} {
		if _, err := repo.ResolveCommit(ctx, rev); shipline.ErrorCode(err) != shipline.ENOTFOUND {
			t.Errorf("ResolveCommit(%q) error %v; want code %q", rev, err, shipline.ENOTFOUND)
		}
	}
}

func TestCreateTag(t *testing.T) {
	r := mustRepo(t)
	c1 := r.commit("feat: a")
	c2 := r.commit("fix: b")
	repo := r.open()
	ctx := context.Background()

	msg := "v1.0.0\n\n# Features\n\n- a\n\n## Bug Fixes\n#not a comment either\n"
	if err := repo.CreateTag(ctx, "v1.0.0", c1, msg, false); err != nil {
		t.Fatal(err)
	}
	if typ := r.git("cat-file", "-t", "v1.0.0"); typ != "tag" {
		t.Errorf("v1.0.0 is a %s; want an annotated tag", typ)
	}
	raw := r.git("cat-file", "tag", "v1.0.0")
	_, body, _ := strings.Cut(raw, "\n\n")
	if want := strings.TrimRight(msg, "\n"); body != want {
		t.Errorf("tag message = %q; want %q kept verbatim", body, want)
	}
	if c, _, _ := repo.TagCommit(ctx, "v1.0.0"); c != c1 {
		t.Errorf("v1.0.0 points at %.7s; want %.7s", c, c1)
	}

	err := repo.CreateTag(ctx, "v1.0.0", c2, "again", false)
	var ge *GitError
	if !errors.As(err, &ge) || !strings.Contains(ge.Stderr, "already exists") {
		t.Errorf("CreateTag of an existing tag: error %v; want a *GitError saying it exists", err)
	}
	if err := repo.CreateTag(ctx, "--force", c2, "x", false); err == nil {
		t.Error("CreateTag(\"--force\") = nil; want an error, not an option")
	}
}

func TestPushTag(t *testing.T) {
	r := mustRepo(t)
	r.commit("feat: a")
	r.git("tag", "v1.0.0")
	r.git("tag", "-a", "-m", "x", "v1.1.0")
	bare := t.TempDir()
	r.git("init", "-q", "--bare", bare)
	r.git("remote", "add", "origin", bare)
	repo := r.open()
	ctx := context.Background()

	if err := repo.PushTag(ctx, "origin", "v1.1.0"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "--git-dir", bare, "for-each-ref", "--format=%(refname) %(objecttype)").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), "refs/tags/v1.1.0 tag"; got != want {
		t.Errorf("refs in the remote = %q; want only %q", got, want)
	}
	if err := repo.PushTag(ctx, "origin", "v9.9.9"); err == nil {
		t.Error("PushTag of a missing tag = nil; want an error")
	}

	if url, err := repo.RemoteURL(ctx, "origin"); url != bare || err != nil {
		t.Errorf("RemoteURL(origin) = %q, %v; want %q", url, err, bare)
	}
	if url, err := repo.RemoteURL(ctx, "upstream"); url != "" || err != nil {
		t.Errorf("RemoteURL(upstream) = %q, %v; want \"\", nil for a missing remote", url, err)
	}
}

func TestStatus(t *testing.T) {
	r := mustRepo(t)
	r.commit("chore: a", "a.txt", "b.txt", "c.txt")
	r.write(".gitignore", "*.log\n")
	r.git("add", ".gitignore")
	r.git("commit", "-q", "-m", "chore: ignore logs")
	repo := r.open()
	ctx := context.Background()

	if st, err := repo.Status(ctx); err != nil || len(st) != 0 {
		t.Fatalf("Status of a clean tree = %q, %v; want none", st, err)
	}
	r.write("a.txt", "changed")
	r.write("new file.txt", "x")
	r.write("debug.log", "ignored")
	r.write("b.txt", "staged")
	r.git("add", "b.txt")
	st, err := repo.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{" M a.txt", "M  b.txt", "?? new file.txt"}
	if !slices.Equal(st, want) {
		t.Errorf("Status = %q; want %q", st, want)
	}
}

// A staged rename is one change; git status -z prints its old path as a
// field of its own after the entry, which is not a status line.
func TestStatusRename(t *testing.T) {
	r := mustRepo(t)
	r.commit("chore: a", "old.txt")
	r.git("mv", "old.txt", "new.txt")
	st, err := r.open().Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || !strings.HasPrefix(st[0], "R  ") || !strings.Contains(st[0], "new.txt") {
		t.Errorf("Status after git mv = %q; want one rename entry such as %q", st, "R  old.txt -> new.txt")
	}
}

func TestModuleDirs(t *testing.T) {
	r := mustRepo(t)
	files := []string{"go.mod", "api/go.mod", "a/b/c/go.mod", "dir é/go.mod", "notgo.mod", "x/go.mod.bak", "y/go.sum"}
	r.commit("chore: a", files...)
	r.write("untracked/go.mod", "module u\n")
	dirs, err := r.open().ModuleDirs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirs)
	if want := []string{"", "a/b/c", "api", "dir é"}; !slices.Equal(dirs, want) {
		t.Errorf("ModuleDirs = %q; want %q", dirs, want)
	}

	dirs, err = mustRepo(t).open().ModuleDirs(context.Background())
	if err != nil || len(dirs) != 0 {
		t.Errorf("ModuleDirs of an empty repository = %q, %v; want none", dirs, err)
	}
}

func TestGitError(t *testing.T) {
	cause := errors.New("exit status 128")
	tests := []struct {
		err  *GitError
		want string
	}{
		{&GitError{Args: []string{"log", "x"}, Stderr: "fatal: bad revision 'x'", Err: cause}, "git log x: fatal: bad revision 'x'"},
		{&GitError{Args: []string{"status"}, Err: cause}, "git status: exit status 128"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q; want %q", got, tt.want)
		}
		if !errors.Is(tt.err, cause) {
			t.Errorf("errors.Is(%v, cause) = false; want Unwrap to give the cause", tt.err)
		}
	}
}
