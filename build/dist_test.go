package build

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
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

func TestHashArtifact(t *testing.T) {
	dist := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dist, "a_linux_amd64"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "a_linux_amd64", "a"), []byte("hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := hashArtifact(dist, "a_linux_amd64/a", shipline.KindBinary)
	if err != nil {
		t.Fatal(err)
	}
	want := shipline.Artifact{
		Name: "a", Path: "a_linux_amd64/a", Kind: shipline.KindBinary, Size: 6,
		SHA256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", // sha256sum of "hello\n"
	}
	if got != want {
		t.Errorf("hashArtifact =\n%+v\nwant\n%+v", got, want)
	}
	if _, err := hashArtifact(dist, "nope", shipline.KindBinary); err == nil {
		t.Error("hashArtifact of a missing file succeeded")
	}
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
