package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// row is one command's line in a section's table.
type row struct {
	label string
	runs  []time.Duration
}

// ratio is a ratio of medians with its goal (0: for information).
type ratio struct {
	label    string
	num, den []time.Duration
	goal     float64
}

// renderTable writes the timing table and the ratio table of a section.
func renderTable(b *strings.Builder, rows []row, ratios []ratio) {
	fmt.Fprintf(b, "| command | median | min | runs |\n|---|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %s | %d |\n", r.label, ms(median(r.runs)), ms(minimum(r.runs)), len(r.runs))
	}
	fmt.Fprintf(b, "\n| ratio | of medians | of minimums | goal (medians) | |\n|---|---:|---:|---:|---|\n")
	for _, q := range ratios {
		m := float64(median(q.num)) / float64(median(q.den))
		n := float64(minimum(q.num)) / float64(minimum(q.den))
		goal, verdict := "—", "for information"
		if q.goal > 0 {
			goal = fmt.Sprintf("≤ %g×", q.goal)
			verdict = "met"
			if m > q.goal {
				verdict = "**missed**"
			}
		}
		fmt.Fprintf(b, "| %s | %.2f× | %.2f× | %s | %s |\n", q.label, m, n, goal, verdict)
	}
}

// replaceSection writes section into the Markdown file at path in place of
// the section with the same title (up to the next "## " heading), or at the
// end when there is none, and keeps the rest of the file as it was.
func replaceSection(path, title, section string) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		old = []byte("# Benchmarks\n\nSpeed measurements of Shipline next to its peers. Each section is written by the script it names.\n\n")
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
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
