package modzip_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	xzip "golang.org/x/mod/zip"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/modzip"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestCreateMatchesGo checks that Create makes, byte for byte, the zip
// golang.org/x/mod/zip.CreateFromDir makes (the go command's code), with
// nested modules, vendored packages and VCS directories left out.
func TestCreateMatchesGo(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"go.mod":                   "module example.com/M\n\ngo 1.21\n",
		"m.go":                     "package m\n",
		"sub/sub.go":               "package sub\n",
		"nested/go.mod":            "module example.com/M/nested\n",
		"nested/n.go":              "package nested\n",
		"vendor/modules.txt":       "# example.com/dep v1.0.0\n",
		"vendor/example.com/dep/d": "package dep\n",
		".git/config":              "[core]\n",
	})
	out := filepath.Join(t.TempDir(), "m.zip")
	z, err := modzip.Create(dir, "example.com/M", "v1.2.3", out, modzip.Options{License: filepath.Join(dir, "no-such-LICENSE")})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := xzip.CreateFromDir(&want, module.Version{Path: "example.com/M", Version: "v1.2.3"}, dir); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("Create's zip differs from zip.CreateFromDir's")
	}
	if wantFiles := []string{"go.mod", "m.go", "sub/sub.go", "vendor/modules.txt"}; !slices.Equal(z.Files, wantFiles) {
		t.Errorf("Files = %q; want %q", z.Files, wantFiles)
	}
	var omitted []string
	for _, o := range z.Omitted {
		omitted = append(omitted, o.Path)
	}
	for _, p := range []string{"nested", "vendor/example.com/dep/d", ".git"} {
		if !slices.Contains(omitted, p) {
			t.Errorf("Omitted = %q; want it to list %s", omitted, p)
		}
	}
	if !strings.HasPrefix(z.Hash, "h1:") || !strings.HasPrefix(z.ModHash, "h1:") || z.Size != int64(len(got)) || len(z.SHA256) != 64 {
		t.Errorf("Zip = %+v", z)
	}
	if h, _ := modzip.HashZip(out); h != z.Hash {
		t.Errorf("HashZip = %s; want %s", h, z.Hash)
	}
	if err := modzip.CheckZip("example.com/M", "v1.2.3", out); err != nil {
		t.Error(err)
	}
}

// TestLicense checks that the License option adds the file only to a
// module that has none, as the go command does for a module in a
// subdirectory.
func TestLicense(t *testing.T) {
	root := writeTree(t, map[string]string{"LICENSE": "root license\n"})
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"none", map[string]string{"go.mod": "module example.com/a\n"}, "root license\n"},
		{"own", map[string]string{"go.mod": "module example.com/a\n", "LICENSE": "own\n"}, "own\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			out := filepath.Join(t.TempDir(), "a.zip")
			z, err := modzip.Create(dir, "example.com/a", "v1.0.0", out, modzip.Options{License: filepath.Join(root, "LICENSE")})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(z.Files, "LICENSE") {
				t.Fatalf("Files = %q; want LICENSE", z.Files)
			}
			tmp := t.TempDir()
			if err := xzip.Unzip(tmp, module.Version{Path: "example.com/a", Version: "v1.0.0"}, out); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(filepath.Join(tmp, "LICENSE")); string(got) != tc.want {
				t.Errorf("LICENSE = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestCreateErrors(t *testing.T) {
	for _, tc := range []struct {
		name, path, version string
		files               map[string]string
		want                string
	}{
		{"no go.mod", "example.com/a", "v1.0.0", map[string]string{"a.go": "package a\n"}, "has no go.mod"},
		{"other module", "example.com/a", "v1.0.0", map[string]string{"go.mod": "module example.com/b\n"}, `says module "example.com/b"`},
		{"bad path", "a", "v1.0.0", map[string]string{"go.mod": "module a\n"}, "invalid module path"},
		{"bad version", "example.com/a", "v1.0", map[string]string{"go.mod": "module example.com/a\n"}, "invalid module version"},
		{"v2 without /v2", "example.com/a", "v2.0.0", map[string]string{"go.mod": "module example.com/a\n"}, "should be v0 or v1"},
		{"case collision", "example.com/a", "v1.0.0", map[string]string{"go.mod": "module example.com/a\n", "A.go": "package a\n", "a.go": "package a\n"}, "case-insensitive file name collision"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			out := filepath.Join(t.TempDir(), "a.zip")
			_, err := modzip.Create(dir, tc.path, tc.version, out, modzip.Options{})
			if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Create: %v; want EINVALID containing %q", err, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed Create left %s", out)
			}
		})
	}
}

// TestHashMod checks the go.mod hash against a go.sum line the go command
// wrote: this module's own line for golang.org/x/mod's go.mod, hashing the
// .mod file in the module cache.
func TestHashMod(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}} {{.GoMod}}", "golang.org/x/mod").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	version, gomod, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	data, err := os.ReadFile(gomod)
	if err != nil {
		t.Skipf("no go.mod of golang.org/x/mod in the module cache: %v", err)
	}
	sum, err := os.ReadFile("../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	prefix := "golang.org/x/mod " + version + "/go.mod "
	var want string
	for _, line := range strings.Split(string(sum), "\n") {
		if h, ok := strings.CutPrefix(line, prefix); ok {
			want = h
		}
	}
	if want == "" {
		t.Fatalf("go.sum has no line %q", prefix)
	}
	if got, err := modzip.HashMod(data); err != nil || got != want {
		t.Errorf("HashMod(%s) = %s, %v; want %s as go.sum records", gomod, got, err, want)
	}
}
