package changelog

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestHasVersion(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		version string
		want    bool
	}{
		{"plain", "# Changelog\n\n## v1.2.3 (2024-01-02)\n", "v1.2.3", true},
		{"link", "## [v1.2.3](https://x/compare/v1.2.2...v1.2.3) (2024-01-02)\n", "v1.2.3", true},
		{"bracket only", "## [v1.2.3]\n", "v1.2.3", true},
		{"end of line", "## v1.2.3\n- x", "v1.2.3", true},
		{"end of file", "## v1.2.3", "v1.2.3", true},
		{"other levels", "### v1.2.3\n", "v1.2.3", true},
		{"level 1", "# v1.2.3\n", "v1.2.3", true},
		{"tab", "##\tv1.2.3\n", "v1.2.3", true},
		{"module prefix", "## [api/v0.2.0](u)\n", "api/v0.2.0", true},
		{"longer patch", "## v1.2.30 (2024-01-02)\n", "v1.2.3", false},
		{"longer patch in a link", "## [v1.2.30](u)\n", "v1.2.3", false},
		{"pre-release of it", "## v1.2.3-rc.1\n", "v1.2.3", false},
		{"the stable of a pre-release", "## v1.2.3\n", "v1.2.3-rc.1", false},
		{"dots are literal", "## v1x2x3\n", "v1.2.3", false},
		{"not a heading", "- released v1.2.3 today\n", "v1.2.3", false},
		{"in the text of a heading", "## Notes on v1.2.3\n", "v1.2.3", false},
		{"too deep", "####### v1.2.3\n", "v1.2.3", false},
		{"not at line start", " ## v1.2.3\n", "v1.2.3", false},
		{"prefix of a module tag", "## api/v1.2.3\n", "v1.2.3", false},
		{"empty", "", "v1.2.3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HasVersion([]byte(tt.doc), tt.version); got != tt.want {
				t.Errorf("HasVersion(%q, %q) = %v; want %v", tt.doc, tt.version, got, tt.want)
			}
		})
	}
}

const section = "## v2.0.0 (2024-01-02)\n\n### Features\n\n- x (abc1234)\n"

func TestPrepend(t *testing.T) {
	tests := []struct {
		name string
		old  *string // nil: no file
		want string
	}{
		{
			name: "new file",
			want: "# Changelog\n\n" + section,
		},
		{
			name: "title, introduction and releases",
			old:  ptr("# Changelog\n\nAll notable changes.\n\n## v1.0.0 (2023-12-01)\n\n- old\n"),
			want: "# Changelog\n\nAll notable changes.\n\n" + section + "\n## v1.0.0 (2023-12-01)\n\n- old\n",
		},
		{
			name: "title and releases",
			old:  ptr("# Changelog\n## v1.0.0\n- old\n"),
			want: "# Changelog\n\n" + section + "\n## v1.0.0\n- old\n",
		},
		{
			name: "title only",
			old:  ptr("# Changes\n\n\n"),
			want: "# Changes\n\n" + section,
		},
		{
			name: "introduction with a lower heading",
			old:  ptr("# Changelog\n\n### How to read this\n\ntext\n\n## [v1.0.0](u)\n"),
			want: "# Changelog\n\n### How to read this\n\ntext\n\n" + section + "\n## [v1.0.0](u)\n",
		},
		{
			name: "no title",
			old:  ptr("## v1.0.0\n\n- old\n"),
			want: section + "\n## v1.0.0\n\n- old\n",
		},
		{
			name: "no title, text only",
			old:  ptr("\n\nsome notes\n"),
			want: section + "\nsome notes\n",
		},
		{
			name: "empty file",
			old:  ptr(""),
			want: "# Changelog\n\n" + section,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "CHANGELOG.md")
			if tt.old != nil {
				if err := os.WriteFile(path, []byte(*tt.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			changed, err := Prepend(path, "v2.0.0", []byte(section+"\n\n"))
			if err != nil || !changed {
				t.Fatalf("Prepend = %v, %v; want true, nil", changed, err)
			}
			got := mustRead(t, path)
			if string(got) != tt.want {
				t.Errorf("after Prepend:\n%q\nwant\n%q", got, tt.want)
			}

			// A second run finds the section and leaves the file alone.
			changed, err = Prepend(path, "v2.0.0", []byte(section))
			if err != nil || changed {
				t.Errorf("second Prepend = %v, %v; want false, nil", changed, err)
			}
			if again := mustRead(t, path); !bytes.Equal(again, got) {
				t.Errorf("second Prepend changed the file:\n%q\nwas\n%q", again, got)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Errorf("directory holds %d entries after Prepend; want only the changelog (no temporary files)", len(entries))
			}
		})
	}
}

// Changelogs often start with a comment for markdownlint (which otherwise
// complains about the repeated "### Features" headings); the title that
// follows it is still the title.
func TestPrependTitleAfterComment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "CHANGELOG.md")
	old := "<!-- markdownlint-disable MD024 -->\n# Changelog\n\n## v1.0.0\n\n- old\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepend(path, "v2.0.0", []byte(section)); err != nil {
		t.Fatal(err)
	}
	want := "<!-- markdownlint-disable MD024 -->\n# Changelog\n\n" + section + "\n## v1.0.0\n\n- old\n"
	if got := mustRead(t, path); string(got) != want {
		t.Errorf("after Prepend:\n%s\nwant the new section under the title:\n%s", got, want)
	}
}

func TestPrependKeepsMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not kept on Windows")
	}
	path := filepath.Join(t.TempDir(), "CHANGELOG.md")
	if err := os.WriteFile(path, []byte("# Changelog\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepend(path, "v2.0.0", []byte(section)); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o640 {
		t.Errorf("mode after Prepend = %v; want %v", got, os.FileMode(0o640))
	}

	created := filepath.Join(t.TempDir(), "NEW.md")
	if _, err := Prepend(created, "v2.0.0", []byte(section)); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(created); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode of a new changelog = %v, %v; want %v", st.Mode().Perm(), err, os.FileMode(0o644))
	}
}

func TestPrependErrors(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be.
	if _, err := Prepend(dir, "v1.0.0", []byte(section)); err == nil {
		t.Error("Prepend(a directory) = nil error; want one")
	}
	// A missing parent directory.
	if _, err := Prepend(filepath.Join(dir, "no", "CHANGELOG.md"), "v1.0.0", []byte(section)); err == nil {
		t.Error("Prepend(in a missing directory) = nil error; want one")
	}
}

func ptr(s string) *string { return &s }

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
