package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var mtime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// mustFiles writes the named contents into a new directory and returns
// them as archive files: "app" and names ending in .exe are binaries
// (0755), the rest documents (0644).
func mustFiles(tb testing.TB, contents map[string]string) []File {
	tb.Helper()
	dir := tb.TempDir()
	var files []File
	for name, body := range contents {
		src := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(src, []byte(body), 0o600); err != nil {
			tb.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if name == "app" || strings.HasSuffix(name, ".exe") {
			mode = 0o755
		}
		files = append(files, File{Name: name, Src: src, Mode: mode})
	}
	return files
}

func mustWrite(tb testing.TB, f Format, files []File, mtime time.Time) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, files, mtime); err != nil {
		tb.Fatalf("Write(%s): %v", f, err)
	}
	return buf.Bytes()
}

var contents = map[string]string{
	"app":            "\x7fELF binary",
	"README.md":      "# app\n",
	"LICENSE":        "MIT\n",
	"docs/manual.md": "manual\n",
}

func TestWriteIsReproducible(t *testing.T) {
	for _, f := range []Format{TarGz, Zip} {
		t.Run(string(f), func(t *testing.T) {
			a := mustWrite(t, f, mustFiles(t, contents), mtime)
			// Other source files, listed in another order, written with
			// the same time in another zone and with nanoseconds.
			files := mustFiles(t, contents)
			for i, j := 0, len(files)-1; i < j; i, j = i+1, j-1 {
				files[i], files[j] = files[j], files[i]
			}
			for _, file := range files {
				past := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
				if err := os.Chtimes(file.Src, past, past); err != nil {
					t.Fatal(err)
				}
			}
			b := mustWrite(t, f, files, mtime.In(time.FixedZone("X", 5*3600)).Add(300*time.Millisecond))
			if !bytes.Equal(a, b) {
				t.Errorf("two writes of the same files differ (%d and %d bytes)", len(a), len(b))
			}
		})
	}
}

func TestTarGz(t *testing.T) {
	data := mustWrite(t, TarGz, mustFiles(t, contents), mtime)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() || zr.Comment != "" || zr.Extra != nil {
		t.Errorf("gzip header = name %q, mtime %v, comment %q, extra %q; want all empty", zr.Name, zr.ModTime, zr.Comment, zr.Extra)
	}
	if got := data[4:8]; !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Errorf("gzip MTIME bytes = %x, want 0", got)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		wantMode := int64(0o644)
		if h.Name == "app" {
			wantMode = 0o755
		}
		if h.Typeflag != tar.TypeReg || h.Mode != wantMode || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" ||
			!h.ModTime.Equal(mtime) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() || h.Format != tar.FormatUSTAR {
			t.Errorf("%s: header = type %c mode %o uid %d gid %d uname %q gname %q mtime %v atime %v ctime %v format %v; want regular %o 0 0 \"\" \"\" %v zero zero USTAR",
				h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime, h.AccessTime, h.ChangeTime, h.Format, wantMode, mtime)
		}
		body, _ := io.ReadAll(tr)
		if string(body) != contents[h.Name] {
			t.Errorf("%s: body = %q, want %q", h.Name, body, contents[h.Name])
		}
	}
	if got, want := strings.Join(names, " "), "LICENSE README.md app docs/manual.md"; got != want {
		t.Errorf("entries = %s, want %s (sorted)", got, want)
	}
}

func TestZip(t *testing.T) {
	data := mustWrite(t, Zip, mustFiles(t, contents), mtime)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		wantMode := os.FileMode(0o644)
		if f.Name == "app" {
			wantMode = 0o755
		}
		if f.Mode() != wantMode || !f.Modified.Equal(mtime) || f.Method != zip.Deflate || f.Comment != "" {
			t.Errorf("%s: mode %v, modified %v, method %d, comment %q; want %v, %v, deflate, none", f.Name, f.Mode(), f.Modified, f.Method, f.Comment, wantMode, mtime)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if string(body) != contents[f.Name] {
			t.Errorf("%s: body = %q, want %q", f.Name, body, contents[f.Name])
		}
	}
	if got, want := strings.Join(names, " "), "LICENSE README.md app docs/manual.md"; got != want {
		t.Errorf("entries = %s, want %s (sorted)", got, want)
	}
	if zr.Comment != "" {
		t.Errorf("archive comment = %q", zr.Comment)
	}
}

func TestWriteErrors(t *testing.T) {
	files := mustFiles(t, map[string]string{"app": "x"})
	src := files[0].Src
	for _, tt := range []struct {
		name   string
		format Format
		files  []File
		want   string
	}{
		{"unknown format", "rar", files, `unknown archive format "rar"`},
		{"absolute name", TarGz, []File{{Name: "/etc/app", Src: src}}, "want a relative slash path"},
		{"dot-dot", Zip, []File{{Name: "../app", Src: src}}, "want a relative slash path"},
		{"unclean", TarGz, []File{{Name: "a//b", Src: src}}, "want a relative slash path"},
		{"empty name", TarGz, []File{{Name: "", Src: src}}, "want a relative slash path"},
		{"twice", Zip, []File{{Name: "app", Src: src}, {Name: "app", Src: src}}, "given twice"},
		{"missing source", TarGz, []File{{Name: "app", Src: filepath.Join(t.TempDir(), "nope")}}, "no such file"},
		{"directory source", TarGz, []File{{Name: "app", Src: t.TempDir()}}, "not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(io.Discard, tt.format, tt.files, mtime)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	files := mustFiles(t, contents)
	name := filepath.Join(t.TempDir(), "a.tar.gz")
	if err := WriteFile(name, TarGz, files, mtime); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustWrite(t, TarGz, files, mtime); !bytes.Equal(got, want) {
		t.Error("WriteFile wrote other bytes than Write")
	}
	if err := WriteFile(name, TarGz, files, mtime); err == nil {
		t.Error("WriteFile over an existing file succeeded")
	}
	bad := filepath.Join(t.TempDir(), "b.zip")
	if err := WriteFile(bad, Zip, []File{{Name: "x", Src: "/nonexistent"}}, mtime); err == nil {
		t.Error("WriteFile of a missing source succeeded")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a failed WriteFile left %s behind", bad)
	}
}

func TestFormatFor(t *testing.T) {
	for goos, want := range map[string]Format{"windows": Zip, "linux": TarGz, "darwin": TarGz} {
		if got := FormatFor(goos); got != want {
			t.Errorf("FormatFor(%s) = %s, want %s", goos, got, want)
		}
	}
	if TarGz.Ext() != ".tar.gz" || Zip.Ext() != ".zip" {
		t.Errorf("Ext = %s, %s", TarGz.Ext(), Zip.Ext())
	}
}

// BenchmarkWrite writes an archive of a 4 MB binary-like file and two
// documents, the size of a typical release archive.
func BenchmarkWrite(b *testing.B) {
	bin := make([]byte, 4<<20)
	for i := range bin {
		bin[i] = byte(i*7 + i>>9) // compressible, but not trivially
	}
	files := mustFiles(b, map[string]string{"app": string(bin), "README.md": strings.Repeat("docs ", 2000), "LICENSE": "MIT\n"})
	for _, f := range []Format{TarGz, Zip} {
		b.Run(string(f), func(b *testing.B) {
			b.SetBytes(int64(len(bin)))
			for b.Loop() {
				if err := Write(io.Discard, f, files, mtime); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
