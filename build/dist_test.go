package build

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build/archive"
)

func TestFormatChecksums(t *testing.T) {
	arts := []shipline.Artifact{
		{Path: "app_v1.0.0_windows_amd64.zip", SHA256: strings.Repeat("c", 64)},
		{Path: "app_linux_amd64/app", SHA256: strings.Repeat("a", 64)},
		{Path: "app_v1.0.0_linux_amd64.tar.gz", SHA256: strings.Repeat("b", 64)},
	}
	want := strings.Repeat("a", 64) + "  app_linux_amd64/app\n" +
		strings.Repeat("b", 64) + "  app_v1.0.0_linux_amd64.tar.gz\n" +
		strings.Repeat("c", 64) + "  app_v1.0.0_windows_amd64.zip\n"
	if got := string(FormatChecksums(arts)); got != want {
		t.Errorf("FormatChecksums =\n%s\nwant\n%s", got, want)
	}
	if arts[0].Path != "app_v1.0.0_windows_amd64.zip" {
		t.Error("FormatChecksums reordered its argument")
	}
	if got := FormatChecksums(nil); len(got) != 0 {
		t.Errorf("FormatChecksums(nil) = %q, want empty", got)
	}
}

// hashArtifact reads the file at slash path rel in dist, for its
// artifact.
func hashArtifact(dist, rel string, kind shipline.ArtifactKind) (shipline.Artifact, error) {
	f, err := os.Open(filepath.Join(dist, filepath.FromSlash(rel)))
	if err != nil {
		return shipline.Artifact{}, err
	}
	defer f.Close()
	d := newDigest()
	if _, err := io.Copy(d, f); err != nil {
		return shipline.Artifact{}, err
	}
	return d.artifact(rel, kind), nil
}

func TestDigest(t *testing.T) {
	d := newDigest()
	for _, p := range []string{"hel", "", "lo\n"} {
		if n, err := d.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	got := d.artifact("a_linux_amd64/a", shipline.KindBinary)
	want := shipline.Artifact{
		Name: "a", Path: "a_linux_amd64/a", Kind: shipline.KindBinary, Size: 6,
		SHA256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", // sha256sum of "hello\n"
	}
	if got != want {
		t.Errorf("digest =\n%+v\nwant\n%+v", got, want)
	}
}

func TestWriteArchive(t *testing.T) {
	src := t.TempDir()
	bin := filepath.Join(src, "app")
	if err := os.WriteFile(bin, []byte(strings.Repeat("\x7fELF binary ", 10000)), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		format archive.Format
		level  int
	}{
		{"tar.gz default", archive.TarGz, 0},
		{"tar.gz level 9", archive.TarGz, 9},
		{"zip default", archive.Zip, 0},
		{"zip level 1", archive.Zip, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dist := t.TempDir()
			rel := "app_v1.0.0_linux_amd64" + tt.format.Ext()
			sum := newDigest()
			files := []archive.File{{Name: "app", Src: bin, Mode: 0o755, Tee: sum}}
			got, err := writeArchive(dist, rel, tt.format, files, time.Unix(0, 0), tt.level)
			if err != nil {
				t.Fatal(err)
			}
			// The archive's artifact is the file's hash, and the binary's
			// digest, made from the same read, is the binary's.
			want, err := hashArtifact(dist, rel, shipline.KindArchive)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("writeArchive =\n%+v\nthe file is\n%+v", got, want)
			}
			if b, _ := hashArtifact(src, "app", shipline.KindBinary); sum.artifact("app", shipline.KindBinary) != b {
				t.Errorf("the digest of the binary read while archiving = %+v, want %+v", sum.artifact("app", shipline.KindBinary), b)
			}
			info, err := os.Stat(filepath.Join(dist, rel))
			if err != nil || info.Mode().Perm() != 0o644&^umask(t) {
				t.Errorf("archive mode = %v (%v), want 0644 less the umask", info.Mode(), err)
			}
			// It writes only new files.
			if _, err := writeArchive(dist, rel, tt.format, files[:1:1], time.Unix(0, 0), tt.level); err == nil {
				t.Error("writeArchive over an existing file succeeded")
			}
		})
	}
	t.Run("failure removes the file", func(t *testing.T) {
		dist := t.TempDir()
		files := []archive.File{{Name: "app", Src: filepath.Join(src, "missing")}}
		if _, err := writeArchive(dist, "a.tar.gz", archive.TarGz, files, time.Unix(0, 0), 0); err == nil {
			t.Fatal("writeArchive of a missing file succeeded")
		}
		if entries, _ := os.ReadDir(dist); len(entries) != 0 {
			t.Errorf("a failed writeArchive left %v", entries)
		}
	})
}

// umask returns the process's file mode creation mask.
func umask(t *testing.T) os.FileMode {
	t.Helper()
	f := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(f, nil, 0o777); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ info.Mode().Perm()
}

func TestCompare(t *testing.T) {
	a := []shipline.Artifact{{Path: "x", SHA256: "1"}, {Path: "y", SHA256: "2"}, {Path: "only-a", SHA256: "3"}}
	b := []shipline.Artifact{{Path: "y", SHA256: "9"}, {Path: "x", SHA256: "1"}, {Path: "only-b", SHA256: "4"}}
	want := []Difference{{Path: "only-a", A: "3"}, {Path: "only-b", B: "4"}, {Path: "y", A: "2", B: "9"}}
	if got := Compare(a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("Compare = %+v, want %+v", got, want)
	}
	if got := Compare(a, a); got != nil {
		t.Errorf("Compare(a, a) = %+v, want nil", got)
	}
}

func TestPrepareDist(t *testing.T) {
	mod := t.TempDir()
	dist := filepath.Join(mod, "dist")

	if err := PrepareDist(dist, mod, false); err != nil {
		t.Fatalf("new dist: %v", err)
	}
	if err := PrepareDist(dist, mod, false); err != nil {
		t.Fatalf("empty dist: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dist, "old"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := PrepareDist(dist, mod, false)
	if shipline.ErrorCode(err) != shipline.ECONFLICT || !strings.Contains(err.Error(), "--clean") {
		t.Errorf("non-empty dist = %v, want a conflict that mentions --clean", err)
	}
	if err := PrepareDist(dist, mod, true); err != nil {
		t.Fatalf("clean: %v", err)
	}
	if entries, _ := os.ReadDir(dist); len(entries) != 0 {
		t.Errorf("clean left %v", entries)
	}
	for _, bad := range []string{mod, filepath.Dir(mod), mod + string(filepath.Separator) + "."} {
		if err := PrepareDist(bad, mod, true); shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("PrepareDist(%s) = %v, want invalid: it holds the module", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(mod, "dist")); err != nil {
		t.Errorf("the module lost its files: %v", err)
	}
	// A sibling whose name starts like the module's is not the module.
	if err := PrepareDist(mod+"-dist", mod, false); err != nil {
		t.Errorf("sibling dist: %v", err)
	}
	file := filepath.Join(mod, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PrepareDist(file, mod, false); err == nil {
		t.Error("a dist that is a file was accepted")
	}
}

func TestArchiveDocs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"LICENSE", "LICENSE.third-party", "README.md", "readme.txt", "docs/a.md", "docs/b.md", "main.go"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "README.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := archiveDocs(dir, []string{"README*", "LICENSE*", "docs/*.md", "README.md", "CHANGELOG*"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		if f.Mode != 0o644 || f.Src != filepath.Join(dir, filepath.FromSlash(f.Name)) {
			t.Errorf("%s: mode %o, src %s", f.Name, f.Mode, f.Src)
		}
		got = append(got, f.Name)
	}
	if want := "LICENSE LICENSE.third-party README.md docs/a.md docs/b.md"; strings.Join(got, " ") != want {
		t.Errorf("archiveDocs = %s, want %s", strings.Join(got, " "), want)
	}
	for _, bad := range []string{"[", "../LICENSE", "/etc/passwd"} {
		if _, err := archiveDocs(dir, []string{bad}); shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("archiveDocs(%q) = %v, want invalid", bad, err)
		}
	}
}
