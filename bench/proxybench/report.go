package main

import (
	"fmt"
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
