package gitrepo

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// mustTar returns a tar stream of the given headers, each regular file
// holding its name as content.
func mustTar(tb testing.TB, hdrs ...tar.Header) *bytes.Buffer {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Name))
		}
		if err := tw.WriteHeader(&h); err != nil {
			tb.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(h.Name)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return &buf
}

// files lists the regular files under dir with their modes, as slash paths.
func files(tb testing.TB, dir string) map[string]fs.FileMode {
	tb.Helper()
	got := map[string]fs.FileMode{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = info.Mode()
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func TestExtractTar(t *testing.T) {
	dest := t.TempDir()
	tr := mustTar(t,
		tar.Header{Name: "pax_global_header", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "abc"}},
		tar.Header{Name: "api/", Typeflag: tar.TypeDir, Mode: 0o775},
		tar.Header{Name: "api/a.go", Typeflag: tar.TypeReg, Mode: 0o664},
		tar.Header{Name: "bin/run.sh", Typeflag: tar.TypeReg, Mode: 0o775},
		tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
	)
	if err := extractTar(tr, dest); err != nil {
		t.Fatal(err)
	}
	// A private copy: the owner's bits, executable where the tree says so.
	want := map[string]fs.FileMode{"api/a.go": 0o600, "bin/run.sh": 0o700}
	got := files(t, dest)
	if len(got) != len(want) {
		t.Errorf("extracted %v; want %v", got, want)
	}
	for name, mode := range want {
		if got[name] != mode {
			t.Errorf("%s mode = %v; want %v", name, got[name], mode)
		}
		data, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil || string(data) != name {
			t.Errorf("%s holds %q, %v; want %q", name, data, err, name)
		}
	}
}

func TestExtractTarRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../evil", "a/../../evil", "/abs/evil", "./../evil"} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dest := filepath.Join(parent, "dest")
			if err := os.Mkdir(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			tr := mustTar(t,
				tar.Header{Name: "ok.txt", Typeflag: tar.TypeReg, Mode: 0o644},
				tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644},
			)
			if err := extractTar(tr, dest); err == nil {
				t.Errorf("extractTar(%q) = nil; want an error", name)
			}
			if got := files(t, parent); len(got) != 1 || got["dest/ok.txt"] == 0 {
				t.Errorf("files after extractTar(%q) = %v; want only dest/ok.txt", name, got)
			}
		})
	}
}

func TestExtractTarBadStream(t *testing.T) {
	if err := extractTar(bytes.NewReader([]byte("not a tar stream, but long enough to be read as a header block?")), t.TempDir()); err == nil {
		t.Error("extractTar(garbage) = nil; want an error")
	}
}

func TestExport(t *testing.T) {
	r := mustRepo(t)
	r.commit("feat: a", "go.mod", "api/go.mod", "api/a.go", "web/index.html")
	old := r.git("rev-parse", "HEAD")
	r.commit("feat: b", "api/b.go")
	repo := r.open()
	ctx := context.Background()

	t.Run("whole tree", func(t *testing.T) {
		dest := t.TempDir()
		if err := repo.Export(ctx, old, "", dest); err != nil {
			t.Fatal(err)
		}
		got := names(files(t, dest))
		if want := []string{"api/a.go", "api/go.mod", "go.mod", "web/index.html"}; !slices.Equal(got, want) {
			t.Errorf("Export(%.7s) wrote %q; want %q", old, got, want)
		}
	})
	t.Run("one directory", func(t *testing.T) {
		dest := t.TempDir()
		if err := repo.Export(ctx, "HEAD", "api", dest); err != nil {
			t.Fatal(err)
		}
		got := names(files(t, dest))
		if want := []string{"api/a.go", "api/b.go", "api/go.mod"}; !slices.Equal(got, want) {
			t.Errorf("Export(HEAD, api) wrote %q; want %q", got, want)
		}
	})
	t.Run("bad revision", func(t *testing.T) {
		err := repo.Export(ctx, "nope", "", t.TempDir())
		if _, ok := err.(*GitError); !ok {
			t.Errorf("Export(nope) error %v (%T); want a *GitError", err, err)
		}
	})
}

func names(m map[string]fs.FileMode) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
