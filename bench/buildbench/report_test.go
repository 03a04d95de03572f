package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline/bench/internal/benchmd"
)

func TestReplaceSectionKeepsOthers(t *testing.T) {
	const section = "## Builds\n\nnew\n\n### fzf\n\nrows\n\n"
	for _, tt := range []struct{ name, old, want string }{
		{
			name: "between others, with subsections",
			old:  "# Benchmarks\n\n## Versions (100k commits)\n\nkeep\n\n## Builds\n\nold\n\n### fzf\n\nold rows\n\n## Later\n\nkeep too\n",
			want: "# Benchmarks\n\n## Versions (100k commits)\n\nkeep\n\n" + section + "## Later\n\nkeep too\n",
		},
		{
			name: "absent",
			old:  "# Benchmarks\n\n## Versions (100k commits)\n\nkeep\n",
			want: "# Benchmarks\n\n## Versions (100k commits)\n\nkeep\n\n" + section,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
			if err := os.WriteFile(path, []byte(tt.old), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := benchmd.ReplaceSection(path, "Builds", section); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestReport(t *testing.T) {
	dir := t.TempDir()
	round := func(name, cmd string, wall, user, sys string) string {
		path := filepath.Join(dir, name)
		doc := `{"results":[{"command":"` + cmd + `","times":[` + wall + `],"user":` + user + `,"system":` + sys + `,"exit_codes":[0]}]}`
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	paths := []string{
		round("1.json", "fzf/shipline", "5.0", "3.0", "1.0"),
		round("2.json", "fzf/shipline", "7.0", "3.5", "1.0"),
		round("3.json", "fzf/shipline", "6.0", "4.0", "1.0"),
		round("4.json", "fzf/floor", "4.0", "2.0", "0.5"),
		round("5.json", "fzf/floor", "5.0", "2.0", "0.5"),
		round("6.json", "fzf/goreleaser-build", "6.5", "2.5", "0.5"),
	}
	stats, err := readRounds(paths)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stats["fzf/shipline"], (stat{median: 6, min: 5, cpu: 4.5, runs: 3}); got != want {
		t.Errorf("fzf/shipline: got %+v, want %+v", got, want)
	}
	if got, want := stats["fzf/floor"].median, 4.5; got != want {
		t.Errorf("fzf/floor median: got %v, want %v", got, want)
	}

	info := map[string]string{
		"PROJECTS":             "fzf",
		"TITLE_fzf":            "fzf v0.65.2",
		"TARGETS":              "linux/amd64 linux/arm/v7",
		"OUT_fzf_shipline":     "9 2 2 5000000 9000000 1 2 1 0",
		"OUT_fzf_floor":        "2 2 0 0 9000000 0 0 0 0",
		"NOTES":                "one | two",
		"VERSION_fzf_shipline": "v0.65.2-SNAPSHOT-abc1234",
		"ARCHIVE_LEVEL":        "2",
	}
	s := renderSection("Builds", info, stats)
	for _, want := range []string{
		"## Builds\n",
		"### fzf v0.65.2\n",
		"| `shipline build --snapshot` | ",
		"| 9 files: 2 binaries, 2 archives (5.0 MB), checksums.txt, 2 SBOMs, 1 provenance statement | 6.00 s | 5.00 s | 4.50 s | 3 |",
		"| `shipline build` / floor | 1.33× | 1.25× | 1.80× | ≤ 1.05× | **missed**: the floor makes no archives, checksums, SBOMs or provenance |",
		"deflate level 2, Shipline's default",
		"`tar \\| gzip -2` (`zip -2` for windows",
		"| `shipline build` / floor with archives | — | — | — | ≤ 1.05× | not measured: like for like, not the issue's goal",
		"| `shipline build` / `goreleaser build` | 0.92× | 0.77× | 1.50× | ≤ 1× | met: Shipline also verifies, archives and hashes |",
		"| `shipline build` / `goreleaser release` | — | — | — | ≤ 1× | not measured: like for like: both archive and checksum |",
		"- one\n- two\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the section lacks %q:\n%s", want, s)
		}
	}
}

func TestHasVar(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"main.go":       "package main\n\ntype flags struct{ version string }\n\nfunc main() { version := 1; _ = version }\n",
		"vars.go":       "package main\n\nvar (\n\tcommit string\n\tdate   = \"\"\n)\n",
		"other_test.go": "package main\n\nvar version string\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]bool{"version": false, "commit": true, "date": true, "flags": false} {
		got, err := runHasVar([]string{dir, name})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("hasvar %s: got %v, want %v", name, got, want)
		}
	}
}
