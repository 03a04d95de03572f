package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/shipline-ci/shipline/bench/internal/benchmd"
)

// tools are the commands measured for each project, by the names the
// script gives hyperfine (-n PROJECT/ID). {level} in what a command does
// stands for the compression level of the archives (ARCHIVE_LEVEL).
var tools = []struct{ id, label, does string }{
	{"shipline", "`shipline build --snapshot`",
		"go build of each target; verifies each binary (header, Go build info, the version string in its data); a tar.gz (zip for windows; deflate level {level}, Shipline's default, with klauspost/compress) with LICENSE\\* and README\\*; SHA-256 of every file, computed as it is archived or written; checksums.txt, artifacts.json, and what else it writes by default (see the next column); no fsync"},
	{"goreleaser-build", "`goreleaser build --snapshot --clean`",
		"go build of each target; artifacts.json and metadata.json; no archives, checksums or checks of the binaries"},
	{"goreleaser-release", "`goreleaser release --snapshot --clean`",
		"go build of each target; a tar.gz (zip for windows; GoReleaser always compresses at level 9) with LICENSE\\* and README\\*; checksums.txt; artifacts.json; no checks of the binaries; changelog and release disabled, nothing published"},
	{"floor", "floor: `floor.sh`",
		"the same go build commands, from a shell script, through `xargs -P`: nothing else"},
	{"floor-archives", "`floor.sh archives`",
		"the floor, each job then running `tar \\| gzip -{level}` (`zip -{level}` for windows: Shipline's level) with LICENSE\\* and README\\*; then `sha256sum` of every file into checksums.txt"},
}

// ratios are the ratios of medians reported for each project, with the
// goal each has, if any.
var ratios = []struct {
	num, den, label string
	goal            float64 // 0: no goal, shown for information
	why             string
}{
	{"shipline", "goreleaser-build", "`shipline build` / `goreleaser build`", 1, "Shipline also verifies, archives and hashes"},
	{"shipline", "goreleaser-release", "`shipline build` / `goreleaser release`", 1, "like for like: both archive and checksum"},
	{"shipline", "floor", "`shipline build` / floor", 1.05, "the floor makes no archives, checksums, SBOMs or provenance"},
	{"goreleaser-build", "floor", "`goreleaser build` / floor", 0, "the issue measured ~1.04×"},
	{"goreleaser-release", "floor", "`goreleaser release` / floor", 0, ""},
	{"shipline", "floor-archives", "`shipline build` / floor with archives", 1.05, "like for like, not the issue's goal: the floor doing the same archiving and hashing"},
	{"floor-archives", "floor", "floor with archives / floor", 0, "what archiving and hashing cost"},
}

type stat struct {
	median, min float64 // wall seconds
	cpu         float64 // median user+system seconds, the command's children included
	runs        int
}

// hyperfineJSON is the part of hyperfine's --export-json format that
// report reads (versionbench's timer writes the same shape).
type hyperfineJSON struct {
	Results []struct {
		Command string    `json:"command"`
		Times   []float64 `json:"times"` // wall seconds, one per run
		User    float64   `json:"user"`  // mean user seconds
		System  float64   `json:"system"`
	} `json:"results"`
}

func runReport(args []string) error {
	fset := flag.NewFlagSet("report", flag.ContinueOnError)
	out := fset.String("out", "BENCHMARKS.md", "Markdown file whose section to replace")
	title := fset.String("title", "Builds", "section title, without the ##")
	infoPath := fset.String("info", "", "KEY=VALUE facts about the machine, the projects and the outputs")
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

// readRounds reads hyperfine JSON files and gathers each command's wall
// and CPU times across them.
func readRounds(paths []string) (map[string]stat, error) {
	walls := map[string][]float64{}
	cpus := map[string][]float64{}
	for _, p := range paths {
		b, err := os.ReadFile(p) // #nosec G304 -- a timing file the benchmark script wrote and names on the command line
		if err != nil {
			return nil, err
		}
		var doc hyperfineJSON
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, r := range doc.Results {
			walls[r.Command] = append(walls[r.Command], r.Times...)
			cpus[r.Command] = append(cpus[r.Command], r.User+r.System)
		}
	}
	stats := map[string]stat{}
	for name, ts := range walls {
		if len(ts) == 0 {
			continue
		}
		stats[name] = stat{median: median(ts), min: slices.Min(ts), cpu: median(cpus[name]), runs: len(ts)}
	}
	return stats, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func formatSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

func formatMB(bytes string) string {
	n, err := strconv.ParseFloat(bytes, 64)
	if err != nil {
		return bytes
	}
	return fmt.Sprintf("%.1f MB", n/1e6)
}

// output describes what a command left in its dist directory, from the
// script's OUT_ fact: "FILES BINARIES ARCHIVES ARCHIVE_BYTES BINARY_BYTES
// CHECKSUMS SBOMS PROVENANCE SIGNATURES" (counts, bytes, and 0 or 1 for
// checksums.txt).
func output(fact string) string {
	f := strings.Fields(fact)
	if len(f) != 9 {
		return "?"
	}
	s := fmt.Sprintf("%s files: %s binaries", f[0], f[1])
	if f[2] != "0" {
		s += fmt.Sprintf(", %s archives (%s)", f[2], formatMB(f[3]))
	}
	if f[5] == "1" {
		s += ", checksums.txt"
	}
	for _, c := range []struct{ n, one, many string }{
		{f[6], "SBOM", "SBOMs"},
		{f[7], "provenance statement", "provenance statements"},
		{f[8], "signature file", "signature files"},
	} {
		switch c.n {
		case "0":
		case "1":
			s += ", 1 " + c.one
		default:
			s += ", " + c.n + " " + c.many
		}
	}
	return s
}

// outKey is the script's key for a command's facts: fzf/goreleaser-build
// is fzf_goreleaser_build.
func outKey(project, tool string) string {
	return strings.NewReplacer("-", "_", "/", "_").Replace(project + "/" + tool)
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
	targets := strings.Fields(info["TARGETS"])
	p("## %s\n\n", title)
	p("Written by `bash bench/builds.sh` on %s (see [bench/README.md](bench/README.md)); rerun it to refresh this section.\n\n", get("DATE"))
	p("- Machine: %s × %s (%s), %s, %s; 1-minute load average %s when timing began, from %s to %s during it.\n",
		get("NPROC"), get("CPU"), get("ARCH"), get("GO_VERSION"), get("GIT_VERSION"), get("LOAD_START"), get("LOAD_MIN"), get("LOAD_MAX"))
	var perProject []string
	for _, proj := range strings.Fields(info["PROJECTS"]) {
		perProject = append(perProject, fmt.Sprintf("%s's in %s", proj, get("RUNS_"+proj)))
	}
	p("- Timing: %s. First one untimed run of each command, which fills the build cache; then %s rounds, each running every command due in it once (%s of them, spread evenly), in an order that turns by one each round (interleaved, so noise hits all alike). Every run starts from an empty dist directory (`--clean`, or `rm -rf` in the floor script). Timing took %s s.\n",
		get("TIMER"), get("ROUNDS"), strings.Join(perProject, ", "), get("TIMING_SECONDS"))
	p("- Targets (%d), %s at a time in every tool: %s.\n", len(targets), get("PARALLELISM"), "`"+strings.Join(targets, "`, `")+"`")
	p("- Each tool runs, for each target, `go build -trimpath -buildvcs=false -ldflags \"-s -w -X main.version=… -X main.commit=… -X main.date=… -buildid=\" -o … MAIN` with `CGO_ENABLED=0` and the target's GOOS, GOARCH and GOARM: Shipline's defaults, given to GoReleaser and the floor script too. All run with `GOPROXY=off`, no GOFLAGS and no user git config.\n")
	p("- Shipline: built from the work tree (%s); `--parallelism %s`%s. It gives each go build its share of the CPUs (GOMAXPROCS = CPUs / builds at once, here %s); GoReleaser and the floor script leave each go build the go command's default (every CPU).\n",
		get("SHIPLINE_REV"), get("PARALLELISM"), flagsNote(info["SHIPLINE_FLAGS"]), sharePerBuild(get("CPUS"), get("PARALLELISM")))
	p("- GoReleaser %s, built from the Go module proxy with %s; `--parallelism %s`; a config with the same targets, flags and ldflags, archives (tar.gz, zip for windows) holding LICENSE\\* and README\\*, `checksums.txt`, changelog and release disabled.\n\n",
		get("GORELEASER_VERSION"), get("GO_VERSION"), get("PARALLELISM"))

	for _, proj := range strings.Fields(info["PROJECTS"]) {
		p("### %s\n\n", get("TITLE_"+proj))
		p("Main package `%s`, %s packages with its dependencies (`go list -deps`); Shipline config: %s. Versions stamped: Shipline `%s`, GoReleaser `%s`.\n\n",
			get("MAIN_"+proj), get("PACKAGES_"+proj), get("CONFIG_"+proj), get("VERSION_"+proj+"_shipline"), get("VERSION_"+proj+"_goreleaser"))
		p("| command | what it does in a run | it wrote | median | min | CPU | runs |\n|---|---|---|---:|---:|---:|---:|\n")
		for _, t := range tools {
			s, ok := stats[proj+"/"+t.id]
			if !ok {
				p("| %s | %s | | not measured | | | |\n", t.label, strings.ReplaceAll(t.does, "{level}", get("ARCHIVE_LEVEL")))
				continue
			}
			does := strings.ReplaceAll(t.does, "{level}", get("ARCHIVE_LEVEL"))
			p("| %s | %s | %s | %s | %s | %s | %d |\n", t.label, does, output(info["OUT_"+outKey(proj, t.id)]),
				formatSeconds(s.median), formatSeconds(s.min), formatSeconds(s.cpu), s.runs)
		}
		p("\n")
		p("| ratio | of medians | of minimums | of CPU | goal (medians) | |\n|---|---:|---:|---:|---:|---|\n")
		for _, r := range ratios {
			n, okN := stats[proj+"/"+r.num]
			d, okD := stats[proj+"/"+r.den]
			value, valueMin, valueCPU, verdict := "—", "—", "—", "not measured"
			if okN && okD && d.median > 0 && d.min > 0 {
				q := n.median / d.median
				value = fmt.Sprintf("%.2f×", q)
				valueMin = fmt.Sprintf("%.2f×", n.min/d.min)
				if d.cpu > 0 {
					valueCPU = fmt.Sprintf("%.2f×", n.cpu/d.cpu)
				}
				switch {
				case r.goal == 0:
					verdict = "for information"
				case q <= r.goal:
					verdict = "met"
				default:
					verdict = "**missed**"
				}
			}
			if r.why != "" {
				verdict += ": " + r.why
			}
			goal := "—"
			if r.goal > 0 {
				goal = fmt.Sprintf("≤ %g×", r.goal)
			}
			p("| %s | %s | %s | %s | %s | %s |\n", r.label, value, valueMin, valueCPU, goal, verdict)
		}
		p("\n")
	}
	p("CPU is the median user + system time of the command and everything it ran (go build, compile, link, tar, ...): the work done, which other work on the machine inflates less than wall time. With %s targets at a time on %s cores every core is busy building, so extra work shows in wall time too.\n", get("PARALLELISM"), get("NPROC"))
	if notes := info["NOTES"]; notes != "" {
		p("\nNotes:\n\n")
		for _, n := range strings.Split(notes, " | ") {
			p("- %s\n", n)
		}
	}
	p("\n")
	return b.String()
}

func flagsNote(flags string) string {
	if flags == "" {
		return ""
	}
	return ", `" + flags + "`"
}

// sharePerBuild is the GOMAXPROCS Shipline gives each go build: cpus
// shared out between parallelism builds, at least 1 ("?" when unknown).
func sharePerBuild(cpus, parallelism string) string {
	c, err1 := strconv.Atoi(cpus)
	n, err2 := strconv.Atoi(parallelism)
	if err1 != nil || err2 != nil || n < 1 {
		return "?"
	}
	return strconv.Itoa(max(1, c/n))
}
