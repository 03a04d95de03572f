// Package benchmd writes benchmark results into BENCHMARKS.md, one section
// per benchmark script, leaving the other sections as they are.
package benchmd

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"strings"
)

// header starts a BENCHMARKS.md that does not exist yet.
const header = "# Benchmarks\n\nSpeed measurements of Shipline next to its peers. Each section is written by the script it names.\n\n"

// ReplaceSection writes section into the Markdown file at path in place of
// the section headed "## title" (up to the next "## " heading), or at the
// end when there is none, and keeps the rest of the file as it was. A
// section followed by another is kept apart from it by a blank line.
func ReplaceSection(path, title, section string) error {
	old, err := os.ReadFile(path) // #nosec G304 -- the BENCHMARKS.md named by the benchmark's -out flag
	if errors.Is(err, fs.ErrNotExist) {
		old = []byte(header)
	} else if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(old), "\n")
	heading := "## " + title
	start, end := -1, len(lines)
	for i, l := range lines {
		t := strings.TrimRight(l, "\r\n")
		if start < 0 && t == heading {
			start = i
		} else if start >= 0 && strings.HasPrefix(t, "## ") {
			end = i
			break
		}
	}
	var b strings.Builder
	if start < 0 {
		b.WriteString(strings.TrimRight(string(old), "\n"))
		b.WriteString("\n\n")
		b.WriteString(section)
	} else {
		b.WriteString(strings.Join(lines[:start], ""))
		b.WriteString(section)
		if end < len(lines) && !strings.HasSuffix(section, "\n\n") {
			b.WriteString("\n")
		}
		b.WriteString(strings.Join(lines[end:], ""))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644) // #nosec G306 -- BENCHMARKS.md is documentation tracked in the repository, for everyone to read
}

// ReadInfo reads the KEY=VALUE lines a benchmark script writes about the
// machine and the run (date, CPU, versions, load). An empty path gives an
// empty map; lines without "=" are skipped.
func ReadInfo(path string) (map[string]string, error) {
	info := map[string]string{}
	if path == "" {
		return info, nil
	}
	f, err := os.Open(path) // #nosec G304 -- the run facts file named by the benchmark's -info flag, written by its own script
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			info[k] = v
		}
	}
	return info, sc.Err()
}
