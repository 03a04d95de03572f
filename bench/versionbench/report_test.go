package main

import (
	"github.com/shipline-ci/shipline/bench/internal/benchmd"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceSection(t *testing.T) {
	const section = "## Versions (100k commits)\n\nnew\n\n"
	for _, tt := range []struct{ name, old, want string }{
		{
			name: "between others",
			old:  "# Benchmarks\n\nintro\n\n## Other\n\nkeep\n\n## Versions (100k commits)\n\nold\n\n## Later\n\nkeep too\n",
			want: "# Benchmarks\n\nintro\n\n## Other\n\nkeep\n\n" + section + "## Later\n\nkeep too\n",
		},
		{
			name: "last",
			old:  "# Benchmarks\n\n## Versions (100k commits)\n\nold\n",
			want: "# Benchmarks\n\n" + section,
		},
		{
			name: "absent",
			old:  "# Benchmarks\n\n## Other\n\nkeep\n",
			want: "# Benchmarks\n\n## Other\n\nkeep\n\n" + section,
		},
		{
			name: "same title at a deeper level is not the section",
			old:  "# Benchmarks\n\n### Versions (100k commits)\n",
			want: "# Benchmarks\n\n### Versions (100k commits)\n\n" + section,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
			if err := os.WriteFile(path, []byte(tt.old), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := benchmd.ReplaceSection(path, "Versions (100k commits)", section); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
	t.Run("new file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
		if err := benchmd.ReplaceSection(path, "Versions (100k commits)", section); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(got), "# Benchmarks\n") || !strings.HasSuffix(string(got), section) {
			t.Errorf("got:\n%s", got)
		}
	})
}

func TestReadRounds(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, body := range []string{
		`{"results":[{"command":"a","times":[0.3]},{"command":"b","times":[2]}]}`,
		`{"results":[{"command":"a","times":[0.1]}]}`,
		`{"results":[{"command":"a","times":[0.2, 0.4]},{"command":"b","times":[1]}]}`,
	} {
		p := filepath.Join(dir, string(rune('0'+i))+".json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	stats, err := readRounds(paths)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stats["a"], (stat{median: 0.25, min: 0.1, runs: 4}); got != want {
		t.Errorf("a: got %+v, want %+v", got, want)
	}
	if got, want := stats["b"], (stat{median: 1.5, min: 1, runs: 2}); got != want {
		t.Errorf("b: got %+v, want %+v", got, want)
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[string]string{"0": "0", "999": "999", "1000": "1,000", "100000": "100,000", "1234567": "1,234,567", "?": "?"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%q) = %q, want %q", in, got, want)
		}
	}
}
