package gitrepo

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
)

// TestDiscoverAgreesWithGit checks the file-reading fast path against git
// rev-parse in every layout it claims to handle, and that it steps aside
// for the others.
func TestDiscoverAgreesWithGit(t *testing.T) {
	r := mustRepo(t)
	r.write("sub/dir/file.txt", "x")
	first := r.commit("feat: one", "sub/dir/file.txt")
	r.write("b.txt", "y")
	r.commit("fix: two", "b.txt")

	check := func(t *testing.T, dir string, wantOK bool) {
		t.Helper()
		got, ok := discover(dir)
		if ok != wantOK {
			t.Fatalf("discover(%s) ok = %v; want %v", dir, ok, wantOK)
		}
		if !ok {
			return
		}
		out, err := gitOutput(context.Background(), dir, "rev-parse", "--show-toplevel", "--is-shallow-repository", "HEAD")
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(out))
		if got.Dir != f[0] || got.Shallow != (f[1] == "true") || got.head != f[2] {
			t.Errorf("discover(%s) = {%s %v %s}; git says %q", dir, got.Dir, got.Shallow, got.head, f)
		}
	}
	t.Run("top", func(t *testing.T) { check(t, r.dir, true) })
	t.Run("subdirectory", func(t *testing.T) { check(t, filepath.Join(r.dir, "sub", "dir"), true) })
	t.Run("packed refs", func(t *testing.T) {
		r.git("pack-refs", "--all")
		check(t, r.dir, true)
	})
	t.Run("detached HEAD", func(t *testing.T) {
		r.git("checkout", "-q", "--detach", first)
		check(t, r.dir, true)
		r.git("checkout", "-q", "-")
	})
	t.Run("linked work tree falls back", func(t *testing.T) {
		wt := filepath.Join(t.TempDir(), "wt")
		r.git("worktree", "add", "-q", wt)
		check(t, wt, false)
		repo, err := Open(context.Background(), wt)
		if err != nil || repo.Head() == "" {
			t.Fatalf("Open(linked work tree) = %+v, %v; want a repository with a HEAD", repo, err)
		}
	})
	t.Run("GIT_DIR falls back", func(t *testing.T) {
		t.Setenv("GIT_DIR", filepath.Join(r.dir, ".git"))
		check(t, r.dir, false)
	})
	t.Run("unborn branch falls back", func(t *testing.T) {
		r.git("checkout", "-q", "--orphan", "empty")
		check(t, r.dir, false)
		repo, err := Open(context.Background(), r.dir)
		if err != nil || repo.Head() != "" {
			t.Fatalf("Open(unborn) = %+v, %v; want no HEAD", repo, err)
		}
	})
	t.Run("ceiling directory stops the search", func(t *testing.T) {
		t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Join(r.dir, "sub"))
		dir := filepath.Join(r.dir, "sub", "dir")
		check(t, dir, false)
		if _, err := Open(context.Background(), dir); err == nil {
			t.Errorf("Open(%s) found a repository above GIT_CEILING_DIRECTORIES", dir)
		}
	})
	t.Run("not a repository", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := discover(dir); ok {
			t.Errorf("discover(%s) found a repository", dir)
		}
	})
}

// TestPackedTagsAgreesWithGit checks the packed-refs reader against git
// for-each-ref, and that a loose tag sends Tags back to git.
func TestPackedTagsAgreesWithGit(t *testing.T) {
	r := mustRepo(t)
	r.write("a.txt", "a")
	r.commit("feat: a", "a.txt")
	r.git("tag", "v1.0.0")
	r.git("tag", "-a", "-m", "annotated", "v1.1.0")
	r.git("branch", "side")
	r.write("b.txt", "b")
	r.commit("fix: b", "b.txt")
	r.git("tag", "-a", "-m", "annotated too", "v1.1.1")
	r.git("pack-refs", "--all")

	repo := r.open()
	packed, ok := repo.packedTags()
	if !ok {
		t.Fatal("packedTags after git pack-refs --all: ok false; want the packed tags")
	}
	repo.gitDir = "" // force git
	viaGit, err := repo.Tags(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sortTags := func(ts []shipline.Tag) {
		slices.SortFunc(ts, func(a, b shipline.Tag) int { return strings.Compare(a.Name, b.Name) })
	}
	sortTags(packed)
	sortTags(viaGit)
	if !slices.Equal(packed, viaGit) {
		t.Errorf("packed-refs tags = %+v\ngit for-each-ref  = %+v", packed, viaGit)
	}

	r.git("tag", "v2.0.0")
	if _, ok := r.open().packedTags(); ok {
		t.Error("packedTags with a loose tag: ok true; want false so git is asked")
	}
	tags, err := r.open().Tags(context.Background())
	if err != nil || len(tags) != 4 {
		t.Errorf("Tags with a loose tag = %+v, %v; want 4 tags", tags, err)
	}
}
