package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"github.com/shipline-ci/shipline/bench/internal/benchmd"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// peers are the separate tools whose times add up to the sum that
// `shipline gate` is compared with, and the gate each stands for.
var peers = []struct{ id, gate string }{
	{idGovulncheck, "vuln"},
	{idGosec, "gosec"},
	{idGoLicenses, "license"},
}

// stat is a command's times over the timed rounds.
type stat struct {
	median, min float64 // wall seconds
	cpu         float64 // median user + system seconds
	rss         int64   // largest peak memory, KiB
	exits       []int   // exit codes seen, sorted
	runs        int
}

func newStat(walls, cpus []float64, rss []int64, exits []int) stat {
	s := stat{median: median(walls), min: slices.Min(walls), cpu: median(cpus), runs: len(walls)}
	if len(rss) > 0 {
		s.rss = slices.Max(rss)
	}
	s.exits = slices.Clone(exits)
	slices.Sort(s.exits)
	s.exits = slices.Compact(s.exits)
	return s
}

// results are the runs of a benchmark, read back from the run directories.
type results struct {
	runs  map[string][]runDir // by tool; timed rounds only, in round order
	warm  map[string]runDir   // the warm-up run of each tool
	stats map[string]stat     // by tool, and "sum" for the peers' sum per round
	gates map[string]float64  // median duration of each gate inside `shipline gate`
	order []string            // the gates in the order shipline reports them
	// accounted is, for each `shipline gate` run, the share of its wall
	// time that the slowest gate running with others plus gosec (which
	// runs after them) account for.
	accounted []float64
	notes     []string
}

// readRuns reads every RUNSDIR/*/time.json: w-ID for the warm-up (round 0),
// rN-ID for the timed rounds.
func readRuns(dir string) (*results, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*", "time.json"))
	if err != nil {
		return nil, err
	}
	res := &results{runs: map[string][]runDir{}, warm: map[string]runDir{}, stats: map[string]stat{}, gates: map[string]float64{}}
	for _, p := range paths {
		t, err := readTiming(p)
		if err != nil {
			return nil, err
		}
		d := runDir{Dir: filepath.Dir(p), Timing: t}
		if t.Round == 0 {
			res.warm[t.ID] = d
		} else {
			res.runs[t.ID] = append(res.runs[t.ID], d)
		}
	}
	if len(res.runs) == 0 {
		return nil, fmt.Errorf("no timed runs in %s", dir)
	}
	for id, rs := range res.runs {
		slices.SortFunc(rs, func(a, b runDir) int { return a.Timing.Round - b.Timing.Round })
		var walls, cpus []float64
		var rss []int64
		var exits []int
		for _, r := range rs {
			walls = append(walls, r.Timing.Wall)
			cpus = append(cpus, r.Timing.CPU())
			rss = append(rss, r.Timing.MaxRSS)
			exits = append(exits, r.Timing.ExitCode)
		}
		res.stats[id] = newStat(walls, cpus, rss, exits)
	}

	// The peers' sum, per round in which all of them ran.
	byRound := map[int]map[string]*timing{}
	for _, p := range peers {
		for _, r := range res.runs[p.id] {
			if byRound[r.Timing.Round] == nil {
				byRound[r.Timing.Round] = map[string]*timing{}
			}
			byRound[r.Timing.Round][p.id] = r.Timing
		}
	}
	var walls, cpus []float64
	var rss []int64
	for _, ts := range byRound {
		if len(ts) != len(peers) {
			continue
		}
		var w, c float64
		var m int64
		for _, t := range ts {
			w += t.Wall
			c += t.CPU()
			m = max(m, t.MaxRSS)
		}
		walls, cpus, rss = append(walls, w), append(cpus, c), append(rss, m)
	}
	if len(walls) > 0 {
		res.stats["sum"] = newStat(walls, cpus, rss, nil)
	}

	// The gates' own durations inside `shipline gate`.
	durs := map[string][]float64{}
	for _, r := range res.runs[idShipline] {
		s, err := parseShipline(r.path(shiplineSummary))
		if err != nil {
			res.notes = append(res.notes, fmt.Sprintf("round %d: shipline's summary.json could not be read: %v", r.Timing.Round, err))
			continue
		}
		if len(res.order) == 0 {
			res.order = s.Gates
		}
		together := 0.0
		for g, d := range s.Durations {
			durs[g] = append(durs[g], d)
			if g != "gosec" {
				together = max(together, d)
			}
		}
		if r.Timing.Wall > 0 {
			res.accounted = append(res.accounted, (together+s.Durations["gosec"])/r.Timing.Wall)
		}
	}
	for g, ds := range durs {
		res.gates[g] = median(ds)
	}
	return res, nil
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

// findings is what each tool found in one round, for the comparison.
type findings struct {
	round      int
	shipline   *shiplineRun
	shipExit   int
	vuln       *vulnLevels
	vulnExit   int
	gosec      *gosecRun
	gosecExit  int
	complaints []string
	licExit    int
	report     *licenseReport // from the warm-up's go-licenses report, if any
	problems   []string       // outputs that did not parse
}

// readFindings reads what each tool wrote in the first timed round that
// has all of them, and notes when a later round found something else.
func readFindings(res *results) *findings {
	f := &findings{}
	rounds := map[int]bool{}
	for _, r := range res.runs[idShipline] {
		rounds[r.Timing.Round] = true
	}
	first := 0
	for r := range rounds {
		if first == 0 || r < first {
			first = r
		}
	}
	f.round = first
	pick := func(id string, round int) (runDir, bool) {
		for _, r := range res.runs[id] {
			if r.Timing.Round == round {
				return r, true
			}
		}
		return runDir{}, false
	}
	read := func(d runDir, name string) []byte {
		b, err := os.ReadFile(d.path(name))
		if err != nil {
			f.problems = append(f.problems, err.Error())
		}
		return b
	}
	if d, ok := pick(idShipline, first); ok {
		s, err := parseShipline(d.path(shiplineSummary))
		if err != nil {
			f.problems = append(f.problems, err.Error())
		}
		f.shipline, f.shipExit = s, d.Timing.ExitCode
	}
	if d, ok := pick(idGovulncheck, first); ok {
		v, err := parseGovulncheck(bytes.NewReader(read(d, "stdout")))
		if err != nil {
			f.problems = append(f.problems, "govulncheck: "+err.Error())
		}
		f.vuln, f.vulnExit = v, d.Timing.ExitCode
	}
	if d, ok := pick(idGosec, first); ok {
		g, err := parseGosec(bytes.NewReader(read(d, "stdout")), d.Timing.Dir)
		if err != nil {
			f.problems = append(f.problems, "gosec: "+err.Error())
		}
		f.gosec, f.gosecExit = g, d.Timing.ExitCode
	}
	if d, ok := pick(idGoLicenses, first); ok {
		c, _ := parseGoLicensesCheck(bytes.NewReader(read(d, "stderr")))
		f.complaints, f.licExit = c, d.Timing.ExitCode
	}
	if d, ok := res.warm[idLicenseReport]; ok {
		if rep, err := parseGoLicensesReport(bytes.NewReader(read(d, "stdout"))); err == nil {
			f.report = rep
		} else {
			f.problems = append(f.problems, "go-licenses report: "+err.Error())
		}
	}

	// Every run should find the same; say so when one did not.
	for _, id := range []string{idShipline, idGovulncheck, idGosec, idGoLicenses} {
		var want string
		for i, r := range res.runs[id] {
			fp := fingerprint(r)
			if i == 0 {
				want = fp
			} else if fp != want {
				res.notes = append(res.notes, fmt.Sprintf("%s found something else in round %d than in round %d: %s, then %s", id, r.Timing.Round, res.runs[id][0].Timing.Round, want, fp))
			}
		}
	}
	return f
}

// fingerprint sums up what a run found, to compare rounds.
func fingerprint(d runDir) string {
	switch d.Timing.ID {
	case idShipline:
		s, err := parseShipline(d.path(shiplineSummary))
		if err != nil {
			return "unreadable"
		}
		keys := make([]string, len(s.Gosec))
		for i, is := range s.Gosec {
			keys[i] = is.key()
		}
		slices.Sort(keys)
		sum := sha256.Sum256([]byte(strings.Join(keys, "\n")))
		return fmt.Sprintf("exit %d; vuln %v; gosec %d issues (set %x); license %d modules (%s), %d findings; commits %d findings",
			d.Timing.ExitCode, s.Vuln.all(), len(s.Gosec), sum[:4], s.LicenseModules, countList(s.Licenses), len(s.LicenseFindings), s.Findings["commits"])
	}
	line, err := summarize(d)
	if err != nil {
		return "failed: " + err.Error()
	}
	return line
}

func runReport(args []string) error {
	fset := flag.NewFlagSet("report", flag.ContinueOnError)
	out := fset.String("out", "BENCHMARKS.md", "Markdown file whose section to replace")
	title := fset.String("title", "Gates", "section title, without the ##")
	infoPath := fset.String("info", "", "KEY=VALUE facts about the machine, the module and the tools")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		return errors.New("usage: gatebench report [-out FILE] [-title TITLE] -info FILE RUNSDIR")
	}
	info, err := benchmd.ReadInfo(*infoPath)
	if err != nil {
		return err
	}
	res, err := readRuns(fset.Arg(0))
	if err != nil {
		return err
	}
	f := readFindings(res)
	section := renderSection(*title, info, res, f)
	fmt.Print(section)
	return benchmd.ReplaceSection(*out, *title, section)
}

func formatSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.1f s", s)
}

func formatKiB(k int64) string {
	switch {
	case k <= 0:
		return "?"
	case k >= 1<<20:
		return fmt.Sprintf("%.1f GiB", float64(k)/(1<<20))
	}
	return fmt.Sprintf("%.0f MiB", float64(k)/(1<<10))
}

func formatExits(exits []int) string {
	s := make([]string, len(exits))
	for i, e := range exits {
		s[i] = strconv.Itoa(e)
	}
	return strings.Join(s, ", ")
}

func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// commands describes the four commands for the tables.
var commands = []struct{ id, what string }{
	{idShipline, "all four gates in one process: vuln, license and commits at the same time, then gosec"},
	{idGovulncheck, "known vulnerabilities, with call-graph reachability"},
	{idGosec, "gosec's rules over the module's code"},
	{idGoLicenses, "the license of every library the packages link"},
}

func renderSection(title string, info map[string]string, res *results, f *findings) string {
	get := func(k string) string {
		if v := info[k]; v != "" {
			return v
		}
		return "?"
	}
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	p("## %s\n\n", title)
	p("Written by `bash bench/gates.sh` on %s (see [bench/README.md](bench/README.md)); rerun it to refresh this section.\n\n", get("DATE"))
	p("- Machine: %s × %s (%s), %s; 1-minute load average %s when timing began, from %s to %s during it.\n",
		get("NPROC"), get("CPU"), get("ARCH"), get("GO_VERSION"), get("LOAD_START"), get("LOAD_MIN"), get("LOAD_MAX"))
	p("- Module: Shipline at %s (a clean clone of HEAD): %s packages in `./...`, %s with their dependencies; tests left out by every tool (the default of each).\n",
		get("MODULE_REV"), get("PACKAGES"), get("DEPS"))
	p("- Shipline: built from the work tree (%s), no config file (the default policies).\n", get("SHIPLINE_REV"))
	p("- Peers, each built with %s from the Go module proxy in a throwaway module of its own: govulncheck from golang.org/x/vuln %s and gosec %s, the versions Shipline's go.mod requires (and its gates run as libraries); go-licenses %s (not in go.mod).\n",
		get("GO_VERSION"), get("VULN_VERSION"), get("GOSEC_VERSION"), get("GOLICENSES_VERSION"))
	p("- Vulnerability database: golang.org/x/vulndb@%s from the Go module cache, made into a v1 database by `shipline gate vulndb build` (%s), the same files for both: `--vuln-db DIR` and `-db file://DIR`.\n",
		get("VULNDB_VERSION"), get("VULNDB_INFO"))
	p("- Environment: `GOPROXY=off`, no GOFLAGS, `GOWORK=off`, no user git config; the module cache holds every module.\n")
	rounds := get("RUNS") + " rounds"
	if rounds == "1 rounds" {
		rounds = "1 round"
	}
	p("- Timing: %s. One untimed warm-up run of each command first; then %s, each running the four commands once, in an order that turns by one each round (interleaved, so noise hits all alike). Timing took %s s.\n\n",
		get("TIMER"), rounds, get("TIMING_SECONDS"))

	p("| command | checks | median | min | CPU | peak memory | exit codes | runs |\n|---|---|---:|---:|---:|---:|---|---:|\n")
	for _, c := range commands {
		s, ok := res.stats[c.id]
		label := "`" + get("CMD_"+c.id) + "`"
		if !ok {
			p("| %s | %s | not measured | | | | | |\n", label, c.what)
			continue
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %d |\n", label, c.what,
			formatSeconds(s.median), formatSeconds(s.min), formatSeconds(s.cpu), formatKiB(s.rss), formatExits(s.exits), s.runs)
	}
	sum, haveSum := res.stats["sum"]
	if haveSum {
		p("| the three, one after another | their sum in each round | %s | %s | %s | %s | | %d |\n",
			formatSeconds(sum.median), formatSeconds(sum.min), formatSeconds(sum.cpu), formatKiB(sum.rss), sum.runs)
	}
	p("\n")
	p("CPU is the median user + system time of the command and every process it waited for (go list, ...). Peak memory is the largest resident set of any one process of the command, over the rounds; for the sum, of any of the three.\n\n")

	renderRounds(&b, info, res)

	ship, haveShip := res.stats[idShipline]
	p("| ratio | of medians | of minimums | goal (medians) | |\n|---|---:|---:|---:|---|\n")
	verdict := "not measured"
	if haveShip && haveSum {
		if ship.median < sum.median {
			verdict = "met"
		} else {
			verdict = "**missed**"
		}
		p("| `shipline gate` / the three | %s | %s | < 1× | %s |\n", ratio(ship.median, sum.median), ratio(ship.min, sum.min), verdict)
		p("| CPU: `shipline gate` / the three | %s | — | — | for information |\n", ratio(ship.cpu, sum.cpu))
	} else {
		p("| `shipline gate` / the three | — | — | < 1× | not measured |\n")
	}
	for _, pr := range peers {
		s, ok := res.stats[pr.id]
		if !ok {
			continue
		}
		if haveShip {
			p("| `shipline gate` / `%s` alone | %s | %s | — | for information |\n", pr.id, ratio(ship.median, s.median), ratio(ship.min, s.min))
		}
	}
	p("\n")

	if len(res.order) > 0 {
		p("Inside `shipline gate`, each gate's own time (from its summary.json, median over the rounds), next to the separate tool:\n\n")
		p("| gate | in `shipline gate` | separate tool | median | gate / tool |\n|---|---:|---|---:|---:|\n")
		for _, g := range res.order {
			tool, ts := "—", ""
			var tm float64
			for _, pr := range peers {
				if pr.gate == g {
					if s, ok := res.stats[pr.id]; ok {
						tool, tm = "`"+pr.id+"`", s.median
						ts = formatSeconds(s.median)
					}
				}
			}
			p("| %s | %s | %s | %s | %s |\n", g, formatSeconds(res.gates[g]), tool, ts, ratio(res.gates[g], tm))
		}
		if len(res.accounted) > 0 {
			p("\nThe gates but gosec run at the same time, and gosec runs after them, alone (it loads and type-checks the module itself). In each run the slowest of the others plus gosec took %s of the run's wall time; the rest is start-up, reading the config and git, and writing the reports.\n",
				percentRange(res.accounted))
		}
		p("\n")
	}

	renderFindings(&b, f)

	notes := res.notes
	if n := info["NOTES"]; n != "" {
		notes = append(strings.Split(n, " | "), notes...)
	}
	for _, pr := range f.problems {
		notes = append(notes, "could not compare: "+pr)
	}
	if len(notes) > 0 {
		p("Notes:\n\n")
		for _, n := range notes {
			p("- %s\n", n)
		}
		p("\n")
	}
	return b.String()
}

// renderRounds writes each round's wall times, for a look at the noise.
func renderRounds(b *strings.Builder, info map[string]string, res *results) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	loads := strings.Fields(info["ROUND_LOADS"])
	byRound := map[int]map[string]float64{}
	var rounds []int
	for _, c := range commands {
		for _, r := range res.runs[c.id] {
			n := r.Timing.Round
			if byRound[n] == nil {
				byRound[n] = map[string]float64{}
				rounds = append(rounds, n)
			}
			byRound[n][c.id] = r.Timing.Wall
		}
	}
	slices.Sort(rounds)
	p("Each round (wall times; the load is the 1-minute load average as the round began):\n\n")
	p("| round | load | `shipline gate` | govulncheck | gosec | go-licenses | the three | ratio |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range rounds {
		load := "?"
		if n-1 < len(loads) {
			load = loads[n-1]
		}
		row := byRound[n]
		cell := func(id string) string {
			if w, ok := row[id]; ok {
				return formatSeconds(w)
			}
			return "—"
		}
		sum, all := 0.0, true
		for _, pr := range peers {
			w, ok := row[pr.id]
			sum += w
			all = all && ok
		}
		sumCell, ratioCell := "—", "—"
		if all {
			sumCell = formatSeconds(sum)
			if w, ok := row[idShipline]; ok {
				ratioCell = ratio(w, sum)
			}
		}
		p("| %d | %s | %s | %s | %s | %s | %s | %s |\n", n, load, cell(idShipline), cell(idGovulncheck), cell(idGosec), cell(idGoLicenses), sumCell, ratioCell)
	}
	p("\n")
}

// renderFindings writes the comparison of what the tools found.
func renderFindings(b *strings.Builder, f *findings) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	s := f.shipline
	if s == nil {
		return
	}
	p("What they found (round %d; every round found the same unless a note says otherwise):\n\n", f.round)
	p("| | `shipline gate` | separate tool | agree? |\n|---|---|---|---|\n")
	if f.vuln != nil {
		for _, l := range []struct {
			name     string
			got, sep []string
		}{
			{"vulnerabilities the code calls", s.Vuln.Reachable, f.vuln.Reachable},
			{"… imported, not called", s.Vuln.Imported, f.vuln.Imported},
			{"… required, not imported", s.Vuln.Required, f.vuln.Required},
		} {
			p("| %s | %d | govulncheck: %d | %s |\n", l.name, len(l.got), len(l.sep), compareSets(l.got, l.sep, "IDs"))
		}
	}
	if f.gosec != nil {
		mine := make([]string, len(s.Gosec))
		for i, is := range s.Gosec {
			mine[i] = is.key()
		}
		theirs := make([]string, len(f.gosec.Issues))
		for i, is := range f.gosec.Issues {
			theirs[i] = is.key()
		}
		p("| gosec issues | %d (%s)%s | gosec: %d (%s), %d #nosec | %s |\n",
			len(s.Gosec), bySeverity(s.Gosec), suppressedNote(s.GosecSuppressed), len(f.gosec.Issues), bySeverity(f.gosec.Issues), f.gosec.Nosec,
			compareSets(mine, theirs, "issues (rule, file, line)"))
	}
	lic := fmt.Sprintf("%d modules linked: %s; %d findings", s.LicenseModules, countList(s.Licenses), len(s.LicenseFindings))
	sep := "go-licenses check: "
	if len(f.complaints) == 0 {
		sep += "no complaint"
	} else {
		sep += fmt.Sprintf("%d libraries with a forbidden or unknown license", len(f.complaints))
	}
	if f.report != nil {
		sep += fmt.Sprintf("; go-licenses report (warm-up): %d libraries: %s", f.report.Libraries, countList(f.report.Licenses))
	}
	agree := "yes, neither objects"
	if (len(f.complaints) == 0) != (len(s.LicenseFindings) == 0) {
		agree = "**no**: one objects, the other does not"
	}
	p("| licenses | %s | %s | %s |\n", lic, sep, agree)
	p("| exit code | %d | govulncheck %d, gosec %d, go-licenses %d | |\n\n", f.shipExit, f.vulnExit, f.gosecExit, f.licExit)
	p("Shipline counts modules (one license file at each module's root, by licensecheck); go-licenses counts libraries (the nearest license file above each package, by licenseclassifier), so one module can be two libraries and the numbers differ a little. Shipline lists #nosec-suppressed gosec issues too (not blocking); gosec counts them under #nosec.\n\n")
}

// percentRange writes shares as "97 %" or "95–99 %".
func percentRange(xs []float64) string {
	lo, hi := slices.Min(xs)*100, slices.Max(xs)*100
	if fmt.Sprintf("%.0f", lo) == fmt.Sprintf("%.0f", hi) {
		return fmt.Sprintf("%.0f %%", lo)
	}
	return fmt.Sprintf("%.0f–%.0f %%", lo, hi)
}

func bySeverity(is []gosecIssue) string {
	c := map[string]int{}
	for _, i := range is {
		c[i.Severity]++
	}
	var parts []string
	for _, sev := range []string{"high", "medium", "low"} {
		if c[sev] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[sev], sev))
		}
	}
	return strings.Join(parts, ", ")
}

func suppressedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", and %d suppressed by #nosec", n)
}

// compareSets says whether two lists hold the same items, and if not,
// which are in one only (up to five each).
func compareSets(a, b []string, what string) string {
	ina := map[string]bool{}
	for _, x := range a {
		ina[x] = true
	}
	inb := map[string]bool{}
	for _, x := range b {
		inb[x] = true
	}
	var onlyA, onlyB []string
	for x := range ina {
		if !inb[x] {
			onlyA = append(onlyA, x)
		}
	}
	for x := range inb {
		if !ina[x] {
			onlyB = append(onlyB, x)
		}
	}
	if len(onlyA) == 0 && len(onlyB) == 0 {
		if len(a) == 0 {
			return "yes, none"
		}
		return "yes, the same " + what
	}
	slices.Sort(onlyA)
	slices.Sort(onlyB)
	some := func(xs []string) string {
		if len(xs) > 5 {
			return strings.Join(xs[:5], ", ") + fmt.Sprintf(" and %d more", len(xs)-5)
		}
		return strings.Join(xs, ", ")
	}
	var parts []string
	if len(onlyA) > 0 {
		parts = append(parts, "only Shipline: "+some(onlyA))
	}
	if len(onlyB) > 0 {
		parts = append(parts, "only the tool: "+some(onlyB))
	}
	return "**no**: " + strings.Join(parts, "; ")
}
