package gitrepo

import (
	"context"
	"crypto/sha1"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestIndexPathsMatchLsFiles reads the index of repositories in each shape
// git writes and checks the answer against `git ls-files` itself, or that
// the reader hands over to git where it should.
func TestIndexPathsMatchLsFiles(t *testing.T) {
	files := []string{"go.mod", "api/go.mod", "a/b/c/go.mod", "dir é/go.mod", "notgo.mod", "x/go.mod.bak", "y/go.sum", "api/v2/go.mod", "api/v2/x.go"}
	tests := []struct {
		name   string
		setup  func(r *testRepo)
		readOK bool // whether the index is read without git
	}{
		{"version 2", func(r *testRepo) {}, true},
		{"version 3, intent to add", func(r *testRepo) {
			r.write("later/go.mod", "module later\n")
			r.git("add", "-N", "later/go.mod")
		}, true},
		{"version 4", func(r *testRepo) { r.git("update-index", "--index-version", "4") }, true},
		{"version 4, staged deletion", func(r *testRepo) {
			r.git("update-index", "--index-version", "4")
			r.git("rm", "-q", "--cached", "api/go.mod")
		}, true},
		{"unmerged go.mod", func(r *testRepo) {
			r.git("checkout", "-q", "-b", "other")
			r.write("api/go.mod", "module other\n")
			r.commit("chore: other", "api/go.mod")
			r.git("checkout", "-q", "-")
			r.write("api/go.mod", "module mine\n")
			r.commit("chore: mine", "api/go.mod")
			cmd := exec.Command("git", "merge", "-q", "other")
			cmd.Dir = r.dir
			if err := cmd.Run(); err == nil {
				t.Fatal("git merge succeeded; want a conflict in api/go.mod")
			}
		}, true},
		{"split index", func(r *testRepo) { r.git("update-index", "--split-index") }, false},
		{"sparse index", func(r *testRepo) {
			r.git("sparse-checkout", "set", "--cone", "--sparse-index", "api")
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRepo(t)
			r.commit("chore: a", files...)
			tt.setup(r)
			repo := r.open()
			got, ok := repo.indexPaths(isGoMod)
			if ok != tt.readOK {
				t.Fatalf("indexPaths ok = %v; want %v", ok, tt.readOK)
			}
			// git lists an unmerged path once per stage; once is enough.
			want := slices.Compact(splitNUL(r.git("ls-files", "-z", "--", "go.mod", "*/go.mod")))
			if ok && !slices.Equal(got, want) {
				t.Errorf("indexPaths = %q\ngit ls-files = %q", got, want)
			}
			// ModuleDirs agrees with git whichever way it reads.
			dirs, err := repo.ModuleDirs(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(dirs) != len(want) {
				t.Errorf("ModuleDirs = %q; want the directories of %q", dirs, want)
			}
		})
	}
}

func TestIndexPathsEnvironment(t *testing.T) {
	r := mustRepo(t)
	r.commit("chore: a", "go.mod")
	repo := r.open()
	t.Setenv("GIT_INDEX_FILE", filepath.Join(t.TempDir(), "other-index"))
	if _, ok := repo.indexPaths(isGoMod); ok {
		t.Error("indexPaths read .git/index while GIT_INDEX_FILE names another; want it to ask git")
	}
}

// TestParseIndexDamaged cuts and corrupts a real index file: every damaged
// form is refused (or read as git would) without a panic.
func TestParseIndexDamaged(t *testing.T) {
	r := mustRepo(t)
	r.commit("chore: a", "go.mod", "api/go.mod", "b.txt")
	for _, v := range []string{"2", "4"} {
		r.git("update-index", "--index-version", v)
		data, err := os.ReadFile(filepath.Join(r.dir, ".git", "index"))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := parseIndex(data, 20, isGoMod); !ok || !slices.Equal(got, []string{"api/go.mod", "go.mod"}) {
			t.Fatalf("version %s: parseIndex = %q, %v; want [api/go.mod go.mod], true", v, got, ok)
		}
		for n := range len(data) - 1 {
			if _, ok := parseIndex(data[:n], 20, isGoMod); ok {
				t.Errorf("version %s: parseIndex of the first %d of %d bytes = ok; want refused", v, n, len(data))
			}
		}
		for i := range data {
			bad := slices.Clone(data)
			bad[i] ^= 0x20
			if _, ok := parseIndex(bad, 20, isGoMod); ok {
				t.Errorf("version %s: parseIndex with byte %d changed = ok; want refused (the checksum)", v, i)
			}
		}
	}
}

func FuzzParseIndex(f *testing.F) {
	r := mustRepo(f)
	r.commit("chore: a", "go.mod", "api/go.mod", "b.txt")
	for _, v := range []string{"2", "3", "4"} {
		r.git("update-index", "--index-version", v)
		data, err := os.ReadFile(filepath.Join(r.dir, ".git", "index"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:len(data)-sha1.Size])
	}
	// The fuzzer gives the content; the checksum is made right, so that
	// the entries and extensions are what gets exercised.
	f.Fuzz(func(t *testing.T, content []byte) {
		sum := sha1.Sum(content)
		data := append(slices.Clip(content), sum[:]...)
		paths, ok := parseIndex(data, 20, func(string) bool { return true })
		if !ok && paths != nil {
			t.Errorf("parseIndex refused the file but returned paths %q", paths)
		}
	})
}

func splitNUL(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, "\x00") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
