package benchmd

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReplaceSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	steps := []struct {
		title, section, want string
	}{
		{"A", "## A\n\none\n", header + "## A\n\none\n"},
		{"B", "## B\n\ntwo\n", header + "## A\n\none\n\n## B\n\ntwo\n"},
		{"A", "## A\n\nthree\n", header + "## A\n\nthree\n\n## B\n\ntwo\n"},
		{"B", "## B\n\nfour\n", header + "## A\n\nthree\n\n## B\n\nfour\n"},
	}
	for i, s := range steps {
		if err := ReplaceSection(path, s.title, s.section); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != s.want {
			t.Errorf("step %d: file =\n%q\nwant\n%q", i, got, s.want)
		}
	}
}
