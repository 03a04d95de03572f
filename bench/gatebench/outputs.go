package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The tools, by the ids the script gives them.
const (
	idShipline      = "shipline"
	idGovulncheck   = "govulncheck"
	idGosec         = "gosec"
	idGoLicenses    = "go-licenses"
	idLicenseReport = "go-licenses-report" // untimed: the licenses go-licenses finds
)

// okExits are the exit codes that mean a tool did its work: 0 for nothing
// found, and the code each uses for "found something".
var okExits = map[string][]int{
	idShipline:      {0, 1}, // 1: a gate blocked (or could not decide: see the summary)
	idGovulncheck:   {0, 3}, // 3: vulnerabilities the code calls
	idGosec:         {0, 1}, // 1: issues
	idGoLicenses:    {0, 1}, // 1: a forbidden or unknown license (it also exits 1 on errors: see stderr)
	idLicenseReport: {0},
}

// vulnLevels are the vulnerability IDs found at each level, sorted.
type vulnLevels struct {
	Reachable, Imported, Required []string
}

func (v *vulnLevels) all() []string {
	out := slices.Concat(v.Reachable, v.Imported, v.Required)
	slices.Sort(out)
	return slices.Compact(out)
}

func (v *vulnLevels) String() string {
	return fmt.Sprintf("%d IDs (%d reachable, %d imported, %d required)", len(v.all()), len(v.Reachable), len(v.Imported), len(v.Required))
}

// gosecIssue is one issue, keyed for comparison: the rule, the file
// relative to the module root and the first line.
type gosecIssue struct {
	Rule     string
	File     string
	Line     int
	Severity string // low, medium, high
}

func (i gosecIssue) key() string { return fmt.Sprintf("%s %s:%d", i.Rule, i.File, i.Line) }

// shiplineRun is what one `shipline gate` run reported (its summary.json).
type shiplineRun struct {
	Passed    bool
	Gates     []string           // in the order of the summary
	Durations map[string]float64 // seconds, by gate
	Errors    map[string]string  // gates that could not decide
	Findings  map[string]int     // by gate
	Blocking  map[string]int     // by gate

	Vuln            vulnLevels
	Gosec           []gosecIssue // not suppressed
	GosecSuppressed int          // listed as suppressed by #nosec
	LicenseModules  int          // modules checked
	Licenses        map[string]int
	LicenseFindings []string // MODULE: ID
}

// The parts of Shipline's gate summary (summary.json) the report reads.
type summaryJSON struct {
	Passed  bool `json:"passed"`
	Reports []struct {
		Gate     string   `json:"gate"`
		Passed   bool     `json:"passed"`
		Notes    []string `json:"notes"`
		Duration int64    `json:"duration_ns"`
		Error    string   `json:"error"`
		Findings []struct {
			ID         string `json:"id"`
			Severity   string `json:"severity"`
			Module     string `json:"module"`
			Blocking   bool   `json:"blocking"`
			Suppressed string `json:"suppressed"`
			Location   *struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"location"`
		} `json:"findings"`
	} `json:"reports"`
}

var (
	checkedModules = regexp.MustCompile(`^checked (\d+) modules`)
	licenseCount   = regexp.MustCompile(`^(\S+) (\d+)$`)
)

// parseShipline reads the summary.json of a `shipline gate` run. The vuln
// gate's severities stand for the levels (gate/vuln): high for a
// vulnerability the code calls, medium for one only imported, low for one
// only required.
func parseShipline(path string) (*shiplineRun, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the summary.json this benchmark had shipline write into its own run directory
	if err != nil {
		return nil, err
	}
	var s summaryJSON
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &shiplineRun{
		Passed:    s.Passed,
		Durations: map[string]float64{},
		Errors:    map[string]string{},
		Findings:  map[string]int{},
		Blocking:  map[string]int{},
		Licenses:  map[string]int{},
	}
	for _, rep := range s.Reports {
		r.Gates = append(r.Gates, rep.Gate)
		r.Durations[rep.Gate] = float64(rep.Duration) / 1e9
		if rep.Error != "" {
			r.Errors[rep.Gate] = rep.Error
		}
		r.Findings[rep.Gate] = len(rep.Findings)
		for _, f := range rep.Findings {
			if f.Blocking {
				r.Blocking[rep.Gate]++
			}
		}
		switch rep.Gate {
		case "vuln":
			for _, f := range rep.Findings {
				switch f.Severity {
				case "high", "critical":
					r.Vuln.Reachable = append(r.Vuln.Reachable, f.ID)
				case "medium":
					r.Vuln.Imported = append(r.Vuln.Imported, f.ID)
				default:
					r.Vuln.Required = append(r.Vuln.Required, f.ID)
				}
			}
		case "gosec":
			for _, f := range rep.Findings {
				switch {
				case f.ID == "nosec-without-reason":
				case f.Suppressed != "":
					r.GosecSuppressed++
				default:
					is := gosecIssue{Rule: f.ID, Severity: f.Severity}
					if f.Location != nil {
						is.File, is.Line = f.Location.File, f.Location.Line
					}
					r.Gosec = append(r.Gosec, is)
				}
			}
		case "license":
			for _, f := range rep.Findings {
				r.LicenseFindings = append(r.LicenseFindings, f.Module+": "+f.ID)
			}
			for _, n := range rep.Notes {
				if m := checkedModules.FindStringSubmatch(n); m != nil {
					r.LicenseModules, _ = strconv.Atoi(m[1])
				}
				if rest, ok := strings.CutPrefix(n, "modules by license: "); ok {
					for _, part := range strings.Split(rest, ", ") {
						if m := licenseCount.FindStringSubmatch(part); m != nil {
							r.Licenses[m[1]], _ = strconv.Atoi(m[2])
						}
					}
				}
			}
		}
	}
	for _, l := range []*[]string{&r.Vuln.Reachable, &r.Vuln.Imported, &r.Vuln.Required} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	return r, nil
}

var vulnHeading = regexp.MustCompile(`^Vulnerability #\d+: (\S+)`)

// parseGovulncheck reads govulncheck's text output with -show verbose:
// the IDs under "=== Symbol Results ===" are reachable, under "===
// Package Results ===" imported, under "=== Module Results ===" required.
func parseGovulncheck(r io.Reader) (*vulnLevels, error) {
	var v vulnLevels
	var cur *[]string
	sections, none := 0, false
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch strings.TrimSpace(line) {
		case "=== Symbol Results ===":
			cur, sections = &v.Reachable, sections+1
			continue
		case "=== Package Results ===":
			cur, sections = &v.Imported, sections+1
			continue
		case "=== Module Results ===":
			cur, sections = &v.Required, sections+1
			continue
		case "No vulnerabilities found.":
			none = true
		}
		if strings.HasPrefix(line, "Your code is affected") || strings.HasPrefix(line, "Your code doesn't appear") {
			cur = nil
		}
		if m := vulnHeading.FindStringSubmatch(line); m != nil && cur != nil {
			*cur = append(*cur, m[1])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if sections == 0 && !none {
		return nil, errors.New("no results in govulncheck's output (want -show verbose text)")
	}
	for _, l := range []*[]string{&v.Reachable, &v.Imported, &v.Required} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	return &v, nil
}

// gosecRun is what gosec's JSON report holds.
type gosecRun struct {
	Issues       []gosecIssue
	Files        int
	Lines        int
	Nosec        int
	LoadErrors   int // files with "Golang errors"
	GosecVersion string
}

// parseGosec reads gosec's -fmt json report; file names are made relative
// to root.
func parseGosec(r io.Reader, root string) (*gosecRun, error) {
	var doc struct {
		Errors map[string][]json.RawMessage `json:"Golang errors"`
		Issues []struct {
			Severity string `json:"severity"`
			RuleID   string `json:"rule_id"`
			File     string `json:"file"`
			Line     string `json:"line"`
		} `json:"Issues"`
		Stats *struct {
			Files int `json:"files"`
			Lines int `json:"lines"`
			Nosec int `json:"nosec"`
			Found int `json:"found"`
		} `json:"Stats"`
		Version string `json:"GosecVersion"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("read gosec's JSON report: %w", err)
	}
	if doc.Stats == nil {
		return nil, errors.New("gosec's JSON report has no Stats")
	}
	g := &gosecRun{Files: doc.Stats.Files, Lines: doc.Stats.Lines, Nosec: doc.Stats.Nosec, LoadErrors: len(doc.Errors), GosecVersion: doc.Version}
	roots := []string{root}
	if r, err := filepath.EvalSymlinks(root); err == nil && r != root {
		roots = append(roots, r)
	}
	for _, is := range doc.Issues {
		file := filepath.ToSlash(is.File)
		for _, r := range roots {
			if rel, err := filepath.Rel(r, is.File); err == nil && filepath.IsLocal(rel) {
				file = filepath.ToSlash(rel)
				break
			}
		}
		first, _, _ := strings.Cut(is.Line, "-")
		line, _ := strconv.Atoi(first)
		g.Issues = append(g.Issues, gosecIssue{Rule: is.RuleID, File: file, Line: line, Severity: strings.ToLower(is.Severity)})
	}
	return g, nil
}

var licenseComplaint = regexp.MustCompile(`(?i)(license type .* found for library|Not allowed license .* found for library)`)

// parseGoLicensesCheck returns the libraries `go-licenses check` complains
// about on its stderr, one line each.
func parseGoLicensesCheck(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); licenseComplaint.MatchString(line) {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// licenseReport is what `go-licenses report` found: libraries (a module,
// or a directory of one with a license file of its own) by license.
type licenseReport struct {
	Libraries int
	Licenses  map[string]int // "Unknown" for none identified
}

// parseGoLicensesReport reads `go-licenses report`'s CSV: library, URL,
// license.
func parseGoLicensesReport(r io.Reader) (*licenseReport, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rep := &licenseReport{Licenses: map[string]int{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read go-licenses report: %w", err)
		}
		if len(rec) < 3 {
			continue
		}
		rep.Libraries++
		rep.Licenses[rec[2]]++
	}
	if rep.Libraries == 0 {
		return nil, errors.New("go-licenses report listed no library")
	}
	return rep, nil
}

// runDir is one run of one tool: its timing and what it wrote.
type runDir struct {
	Dir    string
	Timing *timing
}

func (d runDir) path(name string) string { return filepath.Join(d.Dir, name) }

// shiplineSummary is where the script has `shipline gate` write its
// reports, inside the run's directory.
const shiplineSummary = "gates/summary.json"

// summarize checks one run and describes what the tool found in a line. It
// fails when the tool did not do its work: an exit code that means an
// error, a gate that could not decide, or output that does not parse.
func summarize(d runDir) (string, error) {
	t := d.Timing
	if !slices.Contains(okExits[t.ID], t.ExitCode) {
		return "", fmt.Errorf("%s exited %d: %s", t.ID, t.ExitCode, lastLines(d.path("stderr"), 5))
	}
	open := func(name string) (*bytes.Reader, error) {
		b, err := os.ReadFile(d.path(name))
		return bytes.NewReader(b), err
	}
	switch t.ID {
	case idShipline:
		r, err := parseShipline(d.path(shiplineSummary))
		if err != nil {
			return "", err
		}
		if len(r.Errors) > 0 {
			var es []string
			for _, g := range r.Gates {
				if e, ok := r.Errors[g]; ok {
					es = append(es, g+": "+e)
				}
			}
			return "", fmt.Errorf("gates that could not decide: %s", strings.Join(es, "; "))
		}
		var ds []string
		for _, g := range r.Gates {
			ds = append(ds, fmt.Sprintf("%s %.1f s", g, r.Durations[g]))
		}
		return fmt.Sprintf("exit %d; vuln %s; gosec %d issues (%d suppressed); license %d modules, %d findings; commits %d findings; gate times: %s",
			t.ExitCode, &r.Vuln, len(r.Gosec), r.GosecSuppressed, r.LicenseModules, len(r.LicenseFindings), r.Findings["commits"], strings.Join(ds, ", ")), nil
	case idGovulncheck:
		f, err := open("stdout")
		if err != nil {
			return "", err
		}
		v, err := parseGovulncheck(f)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("exit %d; %s", t.ExitCode, v), nil
	case idGosec:
		f, err := open("stdout")
		if err != nil {
			return "", err
		}
		g, err := parseGosec(f, t.Dir)
		if err != nil {
			return "", fmt.Errorf("%w; stderr: %s", err, lastLines(d.path("stderr"), 3))
		}
		s := fmt.Sprintf("exit %d; %d issues in %d files (%d lines), %d #nosec", t.ExitCode, len(g.Issues), g.Files, g.Lines, g.Nosec)
		if g.LoadErrors > 0 {
			s += fmt.Sprintf("; %d files with load errors", g.LoadErrors)
		}
		return s, nil
	case idGoLicenses:
		f, err := open("stderr")
		if err != nil {
			return "", err
		}
		c, err := parseGoLicensesCheck(f)
		if err != nil {
			return "", err
		}
		if t.ExitCode != 0 && len(c) == 0 {
			return "", fmt.Errorf("go-licenses check exited %d without naming a license: %s", t.ExitCode, lastLines(d.path("stderr"), 5))
		}
		return fmt.Sprintf("exit %d; %d libraries with a forbidden or unknown license", t.ExitCode, len(c)), nil
	case idLicenseReport:
		f, err := open("stdout")
		if err != nil {
			return "", err
		}
		rep, err := parseGoLicensesReport(f)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d libraries: %s", rep.Libraries, countList(rep.Licenses)), nil
	}
	return "", fmt.Errorf("unknown tool %q", t.ID)
}

// countList writes counts as "A 3, B 1", sorted by key.
func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// lastLines returns the last n non-blank lines of a file, joined by " | ".
func lastLines(path string, n int) string {
	b, err := os.ReadFile(path) // #nosec G304 -- a tool's stderr that this benchmark captured into its own run directory
	if err != nil {
		return err.Error()
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// runSummary is the summary subcommand.
func runSummary(args []string) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: gatebench summary RUNDIR")
	}
	dir := fs.Arg(0)
	t, err := readTiming(filepath.Join(dir, "time.json"))
	if err != nil {
		return err
	}
	line, err := summarize(runDir{Dir: dir, Timing: t})
	if err != nil {
		return err
	}
	fmt.Println(line)
	return nil
}
