package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/shipline-ci/shipline/bench/internal/benchmd"
	"os"
	"slices"
	"strconv"
	"strings"
)

// The measurements, by the names the script gives hyperfine (-n).
var measurements = []struct{ id, label, what string }{
	{"version-next", "`shipline version next`", "next version"},
	{"svu-next", "`svu next` (svu v3.4.1)", "next version"},
	{"cliff-unreleased", "`git-cliff --bumped-version --unreleased`", "next version, reading only the commits since the last tag"},
	{"cliff-bumped", "`git-cliff --bumped-version`", "next version, the command as usually given (it reads the whole history)"},
	{"floor", "`git log --format=%B LAST_TAG..HEAD`", "floor: the messages since the last tag"},
	{"changelog-all", "`shipline changelog --all`", "changelog of the whole history"},
	{"log-all", "`git log --format=%B`", "baseline: all messages"},
}

// goals are the ratios of medians that the section reports, with the
// goal each has, if any.
var goals = []struct {
	num, den, label string
	goal            float64 // 0: no goal, shown for information
}{
	{"version-next", "svu-next", "`version next` / `svu next`", 1},
	{"version-next", "floor", "`version next` / floor", 4},
	{"changelog-all", "log-all", "`changelog --all` / `git log` of all messages", 3},
	{"version-next", "cliff-unreleased", "`version next` / `git-cliff --bumped-version --unreleased`", 0},
	{"svu-next", "floor", "`svu next` / floor", 0},
	{"cliff-unreleased", "floor", "`git-cliff --bumped-version --unreleased` / floor", 0},
	{"cliff-bumped", "floor", "`git-cliff --bumped-version` / floor", 0},
}

type stat struct {
	median, min float64
	runs        int
}

func runReport(args []string) error {
	fset := flag.NewFlagSet("report", flag.ContinueOnError)
	out := fset.String("out", "BENCHMARKS.md", "Markdown file whose section to replace")
	title := fset.String("title", "Versions (100k commits)", "section title, without the ##")
	infoPath := fset.String("info", "", "KEY=VALUE facts about the machine, the repository and the answers")
	if err := fset.Parse(args); err != nil {
		return err
	}
	info, err := benchmd.ReadInfo(*infoPath)
	if err != nil {
		return err
	}
	stats, err := readRounds(fset.Args())
	if err != nil {
		return err
	}
	section := renderSection(*title, info, stats)
	fmt.Print(section)
	return benchmd.ReplaceSection(*out, *title, section)
}

// readRounds reads hyperfine JSON files and gathers the wall times of each
// command across them.
func readRounds(paths []string) (map[string]stat, error) {
	times := map[string][]float64{}
	for _, p := range paths {
		b, err := os.ReadFile(p) // #nosec G304 -- the timing files the benchmark script names on the command line
		if err != nil {
			return nil, err
		}
		var doc hyperfineJSON
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, r := range doc.Results {
			times[r.Command] = append(times[r.Command], r.Times...)
		}
	}
	stats := map[string]stat{}
	for name, ts := range times {
		if len(ts) == 0 {
			continue
		}
		slices.Sort(ts)
		med := ts[len(ts)/2]
		if len(ts)%2 == 0 {
			med = (ts[len(ts)/2-1] + ts[len(ts)/2]) / 2
		}
		stats[name] = stat{median: med, min: ts[0], runs: len(ts)}
	}
	return stats, nil
}

// thousands writes a decimal integer with commas: 100000 is "100,000".
// Anything else comes back as it is.
func thousands(s string) string {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return s
	}
	var b []byte
	d := strconv.Itoa(n)
	for i := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, d[i])
	}
	return string(b)
}

func plusOne(s string) string {
	n, err := strconv.Atoi(s)
	if err != nil {
		return s
	}
	return strconv.Itoa(n + 1)
}

func formatSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.1f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

func renderSection(title string, info map[string]string, stats map[string]stat) string {
	get := func(k string) string {
		if v := info[k]; v != "" {
			return v
		}
		return "?"
	}
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("## %s\n\n", title)
	p("Written by `bash bench/versions.sh` on %s (see [bench/README.md](bench/README.md)); rerun it to refresh this section.\n\n", get("DATE"))
	p("- Machine: %s × %s (%s), %s, %s; 1-minute load average %s when timing began.\n", get("NPROC"), get("CPU"), get("ARCH"), get("GIT_VERSION"), get("GO_VERSION"), get("LOAD"))
	p("- Timing: %s. Every round runs each command once, in turn (interleaved, so noise hits all alike); %s rounds for the quick commands, %s for the ones that read the whole history. Output goes to /dev/null.\n",
		get("TIMER"), get("RUNS"), get("SLOW_RUNS"))
	p("- Repository: %s commits on one branch, %s semver tags from %s to %s (%s annotated, the rest lightweight), the last tag %s commits before HEAD; written by `git fast-import`, then %s.\n",
		thousands(get("COMMITS")), get("TAGS"), get("FIRST_TAG"), get("LAST_TAG"), get("ANNOTATED_TAGS"), get("TAIL_COMMITS"), get("REPO_SETUP"))
	p("- Peers: svu %s built from the Go module proxy; git-cliff %s from npm, its native binary run directly (not through the Node wrapper), with its built-in default config.\n\n",
		get("SVU_VERSION"), get("CLIFF_VERSION"))

	p("Next version after %s; the commits since it imply **%s**:\n\n", get("LAST_TAG"), get("EXPECTED_NEXT"))
	p("| tool | answers |\n|---|---|\n")
	for _, a := range []struct{ label, key string }{
		{"`shipline version next`", "ANSWER_SHIPLINE"},
		{"`svu next`", "ANSWER_SVU"},
		{"`git-cliff --bumped-version --unreleased`", "ANSWER_CLIFF_UNRELEASED"},
		{"`git-cliff --bumped-version`", "ANSWER_CLIFF"},
	} {
		ans := get(a.key)
		if ans != "?" && strings.TrimPrefix(ans, "v") != strings.TrimPrefix(get("EXPECTED_NEXT"), "v") && !strings.HasPrefix(ans, "not ") {
			ans += " (differs)"
		}
		p("| %s | %s |\n", a.label, ans)
	}
	p("\n")
	if info["CHANGELOG_LINES"] != "" {
		p("`shipline changelog --all` wrote %s lines in %s release sections (`## ` headings); the history has %s releases, the next one included.\n\n",
			thousands(info["CHANGELOG_LINES"]), info["CHANGELOG_RELEASES"], plusOne(get("TAGS")))
	}

	p("| command | measures | median | min | runs |\n|---|---|---:|---:|---:|\n")
	for _, m := range measurements {
		label := strings.ReplaceAll(m.label, "LAST_TAG", get("LAST_TAG"))
		s, ok := stats[m.id]
		if !ok {
			p("| %s | %s | not measured | | |\n", label, m.what)
			continue
		}
		p("| %s | %s | %s | %s | %d |\n", label, m.what, formatSeconds(s.median), formatSeconds(s.min), s.runs)
	}
	p("\n")

	p("| ratio | of medians | of minimums | goal (medians) | |\n|---|---:|---:|---:|---|\n")
	for _, g := range goals {
		n, okN := stats[g.num]
		d, okD := stats[g.den]
		value, valueMin, verdict := "—", "—", "not measured"
		if okN && okD && d.median > 0 && d.min > 0 {
			r := n.median / d.median
			value = fmt.Sprintf("%.2f×", r)
			valueMin = fmt.Sprintf("%.2f×", n.min/d.min)
			switch {
			case g.goal == 0:
				verdict = "for information"
			case r <= g.goal:
				verdict = "met"
			default:
				verdict = "**missed**"
			}
		}
		goal := "—"
		if g.goal > 0 {
			goal = fmt.Sprintf("≤ %g×", g.goal)
		}
		p("| %s | %s | %s | %s | %s |\n", g.label, value, valueMin, goal, verdict)
	}
	if notes := info["NOTES"]; notes != "" {
		p("\nNotes:\n\n")
		for _, n := range strings.Split(notes, " | ") {
			p("- %s\n", n)
		}
	}
	p("\n")
	return b.String()
}
