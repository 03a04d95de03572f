package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
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
	return mustWriteLevel(tb, f, files, mtime, 0)
}

func mustWriteLevel(tb testing.TB, f Format, files []File, mtime time.Time, level int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, files, mtime, level); err != nil {
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
			err := Write(io.Discard, tt.format, tt.files, mtime, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	// A binary-like file that compresses, and documents.
	var bin strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&bin, "%08x\x00\x01", i*2654435761%(1<<20))
	}
	body := map[string]string{"app": bin.String(), "README.md": strings.Repeat("# docs\n", 100), "LICENSE": "MIT\n"}
	files := mustFiles(t, body)
	for _, f := range []Format{TarGz, Zip} {
		sizes := map[int]int{}
		for _, level := range []int{0, 1, 2, 5, 9} {
			t.Run(fmt.Sprintf("%s/level%d", f, level), func(t *testing.T) {
				data := mustWriteLevel(t, f, files, mtime, level)
				if again := mustWriteLevel(t, f, files, mtime, level); !bytes.Equal(data, again) {
					t.Error("two writes at the same level differ")
				}
				if got := readArchive(t, f, data); !maps.Equal(got, body) {
					t.Errorf("the archive holds %d files, not the %d written, or other bytes", len(got), len(body))
				}
				sizes[level] = len(data)
			})
		}
		if !bytes.Equal(mustWriteLevel(t, f, files, mtime, 0), mustWriteLevel(t, f, files, mtime, DefaultLevel)) {
			t.Errorf("%s: level 0 is not DefaultLevel", f)
		}
		if !(sizes[9] < sizes[1]) {
			t.Errorf("%s: level 9 wrote %d bytes, level 1 %d: want fewer", f, sizes[9], sizes[1])
		}
	}
}

// readArchive returns the contents of the tar.gz or zip archive data, by
// name, read with the standard library's readers.
func readArchive(tb testing.TB, f Format, data []byte) map[string]string {
	tb.Helper()
	got := map[string]string{}
	switch f {
	case TarGz:
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			tb.Fatal(err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				tb.Fatal(err)
			}
			got[h.Name] = string(b)
		}
		if _, err := io.ReadAll(zr); err != nil { // checks the gzip trailer
			tb.Fatal(err)
		}
	case Zip:
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			tb.Fatal(err)
		}
		for _, zf := range zr.File {
			rc, err := zf.Open()
			if err != nil {
				tb.Fatal(err)
			}
			b, err := io.ReadAll(rc) // checks the CRC-32
			rc.Close()
			if err != nil {
				tb.Fatal(err)
			}
			got[zf.Name] = string(b)
		}
	}
	return got
}

func TestLevelErrors(t *testing.T) {
	files := mustFiles(t, map[string]string{"app": "x"})
	for _, level := range []int{-2, -1, 10, 100} {
		for _, f := range []Format{TarGz, Zip} {
			err := Write(io.Discard, f, files, mtime, level)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("compression level %d", level)) {
				t.Errorf("Write(%s, level %d) = %v, want an error about the level", f, level, err)
			}
		}
		if CheckLevel(level) == nil {
			t.Errorf("CheckLevel(%d) = nil", level)
		}
	}
	for level := range BestCompression + 1 {
		if err := CheckLevel(level); err != nil {
			t.Errorf("CheckLevel(%d) = %v", level, err)
		}
	}
}

func TestTee(t *testing.T) {
	body := map[string]string{"app": strings.Repeat("\x7fELF and more ", 200000), "LICENSE": "MIT\n"}
	for _, f := range []Format{TarGz, Zip} {
		t.Run(string(f), func(t *testing.T) {
			files := mustFiles(t, body)
			var tees []*bytes.Buffer
			for i := range files {
				if files[i].Name == "app" {
					b := new(bytes.Buffer)
					files[i].Tee, tees = b, append(tees, b)
				}
			}
			data := mustWrite(t, f, files, mtime)
			if got := tees[0].String(); got != body["app"] {
				t.Errorf("Tee got %d bytes, want the %d of the file, once", len(got), len(body["app"]))
			}
			// Tee does not change the archive.
			if plain := mustWrite(t, f, mustFiles(t, body), mtime); !bytes.Equal(data, plain) {
				t.Error("the archive written with a Tee differs from one without")
			}
		})
	}
}

// TestToolsRead checks that the archives' usual readers, tar (with gzip)
// and unzip, extract them; it skips a tool that is not installed.
func TestToolsRead(t *testing.T) {
	for _, tt := range []struct {
		format Format
		tool   string
		args   []string
	}{
		{TarGz, "tar", []string{"-xzf"}},
		{Zip, "unzip", []string{"-q"}},
	} {
		t.Run(tt.tool, func(t *testing.T) {
			path, err := exec.LookPath(tt.tool)
			if err != nil {
				t.Skipf("%s is not installed", tt.tool)
			}
			dir := t.TempDir()
			name := filepath.Join(dir, "a"+tt.format.Ext())
			if err := os.WriteFile(name, mustWrite(t, tt.format, mustFiles(t, contents), mtime), 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(path, append(tt.args, name)...)
			cmd.Dir = out
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", cmd, err, b)
			}
			for n, want := range contents {
				got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(n)))
				if err != nil || string(got) != want {
					t.Errorf("%s extracted %s as %q (%v), want %q", tt.tool, n, got, err, want)
				}
			}
			info, err := os.Stat(filepath.Join(out, "app"))
			if err != nil || info.Mode().Perm()&0o111 == 0 {
				t.Errorf("%s extracted app without its execute bits: %v %v", tt.tool, info.Mode(), err)
			}
		})
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

// BenchmarkWrite writes an archive of a binary and two documents at
// several levels: by default a 4 MB binary-like file, the size of a small
// release archive; with ARCHIVE_BENCH_BINARY=FILE that file, such as a
// real Go executable (the synthetic one compresses unlike a real one).
// It reports the archive's size as a ratio of the input.
func BenchmarkWrite(b *testing.B) {
	var bin []byte
	if f := os.Getenv("ARCHIVE_BENCH_BINARY"); f != "" {
		var err error
		if bin, err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	} else {
		bin = make([]byte, 4<<20)
		for i := range bin {
			bin[i] = byte(i*7 + i>>9) // compressible, but not trivially
		}
	}
	files := mustFiles(b, map[string]string{"app": string(bin), "README.md": strings.Repeat("docs ", 2000), "LICENSE": "MIT\n"})
	for _, f := range []Format{TarGz, Zip} {
		for _, level := range []int{BestSpeed, DefaultLevel, 5, BestCompression} {
			b.Run(fmt.Sprintf("%s/level%d", f, level), func(b *testing.B) {
				b.SetBytes(int64(len(bin)))
				var n countWriter
				for b.Loop() {
					n = 0
					if err := Write(&n, f, files, mtime, level); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)/float64(len(bin)), "ratio")
			})
		}
	}
}

// countWriter counts the bytes written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
