// Package vuln is the vulnerability gate: govulncheck (golang.org/x/vuln)
// run in-process over a module's source, with call-graph reachability, or
// over a built binary, against a vulnerability database that works
// offline.
//
// A vulnerability is reachable when the module's code calls a vulnerable
// function (in a binary: when the binary holds one), imported when it
// imports a vulnerable package without calling the vulnerable functions,
// and required when only the module version is vulnerable. The policy
// (Gate.FailOn) says which of these block; ignore entries, each with a
// reason and an expiry date, stop a finding from blocking until they
// expire.
//
// The database is an http(s) URL, a v1 database directory, or a directory
// of OSV files such as the data/osv directory of the golang.org/x/vulndb
// module, which OpenDB indexes (BuildDB) into a cache: see OpenDB.
package vuln

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/vuln/scan"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gate"
)

// Name is the gate's name in config and reports.
const Name = "vuln"

// The policies of Gate.FailOn: which vulnerabilities block.
const (
	FailReachable = "reachable" // the module's code calls a vulnerable function (the default)
	FailImported  = "imported"  // the module imports a vulnerable package, called or not
	FailAny       = "any"       // the module requires a vulnerable module version
)

// Gate is the vulnerability gate. The zero Gate uses golang.org/x/vulndb
// from the Go module cache and blocks on reachable vulnerabilities.
type Gate struct {
	// DB is the vulnerability database: an http(s) URL, a file:// URL or
	// directory of a v1 database, or a directory of OSV files; "" for
	// golang.org/x/vulndb in the module cache. See OpenDB.
	DB string
	// CacheDir keeps the index built from a directory of OSV files;
	// "" for shipline/vulndb in the user's cache directory.
	CacheDir string
	// FailOn is the policy: FailReachable (""), FailImported or FailAny.
	FailOn string
	// Ignore lists accepted vulnerabilities, by ID or alias, each with
	// a reason and an expiry date; an expired entry blocks again.
	Ignore []gate.Ignore
	// Now is the clock that decides whether ignore entries expired;
	// nil for time.Now.
	Now func() time.Time
	// Env is the environment of the go command govulncheck runs to load
	// the module (GOFLAGS, GOPROXY, GOOS, ...); nil for the process's.
	Env []string
}

// Name returns "vuln".
func (g *Gate) Name() string { return Name }

// level is how far a vulnerability reaches into the module.
type level int

const (
	required level = iota // the module version is in the build list
	imported              // a vulnerable package is imported
	called                // a vulnerable function is called (in a binary: present)
)

func (l level) String() string {
	return [...]string{"required", "imported", "reachable"}[l]
}

// blocks reports whether a vulnerability at level l blocks under policy.
func blocks(policy string, l level) bool {
	switch policy {
	case FailAny:
		return true
	case FailImported:
		return l >= imported
	}
	return l == called
}

// check validates the gate's settings.
func (g *Gate) check() error {
	switch g.FailOn {
	case "", FailReachable, FailImported, FailAny:
	default:
		return shipline.Errorf(shipline.EINVALID, "vuln: unknown fail-on policy %q: want reachable, imported or any", g.FailOn)
	}
	for _, ig := range g.Ignore {
		if err := ig.Validate(); err != nil {
			return shipline.Errorf(shipline.EINVALID, "vuln: %v", err)
		}
	}
	return nil
}

func (g *Gate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Gate) cacheDir() string {
	if g.CacheDir != "" {
		return g.CacheDir
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "shipline", "vulndb")
	}
	return filepath.Join(os.TempDir(), "shipline-vulndb")
}

func (g *Gate) env() []string {
	if g.Env != nil {
		return g.Env
	}
	return os.Environ()
}

// Run checks the module's packages (./... in m.Dir, tests left out) with
// govulncheck at symbol level and reports each vulnerability found: one
// finding per vulnerable function called (with the call trace from the
// module's code), or one per vulnerability imported or only required
// (located at the module's go.mod). It is an error (the gate cannot
// decide) when the database is missing or malformed, the module does not
// build, or ctx is done.
func (g *Gate) Run(ctx context.Context, m *gate.Module) (*gate.Report, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	db, err := OpenDB(ctx, g.DB, g.cacheDir(), g.env())
	if err != nil {
		return nil, err
	}
	res, err := govulncheck(ctx, g.env(), db, "-C", m.Dir, "./...")
	if err != nil {
		return nil, err
	}
	rep := g.report(res, m, db)
	return rep, nil
}

// ScanBinary checks a built binary with govulncheck against the
// database db (as OpenDB takes it) under the default policy: a
// vulnerable function present in the binary blocks. See Gate.ScanBinary.
func ScanBinary(ctx context.Context, path, db string) (*gate.Report, error) {
	return (&Gate{DB: db}).ScanBinary(ctx, path)
}

// ScanBinary checks the Go binary at path with govulncheck in binary
// mode under the gate's policy: a vulnerable function the binary holds
// counts as reachable, a vulnerable package it holds (when its symbols
// are stripped) as imported. Findings have no location; their Module and
// Trace name what the binary holds. It is an error when path is not a Go
// binary or the database is missing or malformed.
func (g *Gate) ScanBinary(ctx context.Context, path string) (*gate.Report, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		return nil, shipline.Errorf(shipline.ENOTFOUND, "vuln: %s: no such binary", path)
	}
	db, err := OpenDB(ctx, g.DB, g.cacheDir(), g.env())
	if err != nil {
		return nil, err
	}
	res, err := govulncheck(ctx, g.env(), db, "-mode", "binary", path)
	if err != nil {
		return nil, err
	}
	rep := g.report(res, nil, db)
	rep.Notes = append([]string{"binary " + path}, rep.Notes...)
	return rep, nil
}

// Messages of govulncheck's JSON stream (golang.org/x/vuln
// internal/govulncheck, protocol v1.0.0); only what the gate reads.
type message struct {
	Config  *scanConfig `json:"config,omitempty"`
	OSV     *osvEntry   `json:"osv,omitempty"`
	Finding *finding    `json:"finding,omitempty"`
}

type scanConfig struct {
	ProtocolVersion string `json:"protocol_version"`
	ScannerName     string `json:"scanner_name,omitempty"`
	ScannerVersion  string `json:"scanner_version,omitempty"`
	GoVersion       string `json:"go_version,omitempty"`
	ScanLevel       string `json:"scan_level,omitempty"`
	ScanMode        string `json:"scan_mode,omitempty"`
}

type finding struct {
	OSV          string   `json:"osv,omitempty"`
	FixedVersion string   `json:"fixed_version,omitempty"`
	Trace        []*frame `json:"trace,omitempty"`
}

// frame is one frame of a finding's trace. govulncheck lists the
// vulnerable symbol first and the entry point (in the module) last.
type frame struct {
	Module   string    `json:"module"`
	Version  string    `json:"version,omitempty"`
	Package  string    `json:"package,omitempty"`
	Function string    `json:"function,omitempty"`
	Receiver string    `json:"receiver,omitempty"`
	Position *position `json:"position,omitempty"`
}

type position struct {
	Filename string `json:"filename,omitempty"` // relative to the frame's module root, slash-separated
	Line     int    `json:"line"`
	Column   int    `json:"column"`
}

// result is a parsed govulncheck stream.
type result struct {
	config   scanConfig
	osvs     map[string]*osvEntry
	findings []*finding
}

// govulncheck runs govulncheck in-process with -json against db and
// parses its output.
func govulncheck(ctx context.Context, env []string, db *DB, args ...string) (*result, error) {
	var stdout, stderr bytes.Buffer
	cmd := scan.Command(ctx, append([]string{"-db", db.URL, "-json"}, args...)...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader("")
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start govulncheck: %w", err)
	}
	err := cmd.Wait()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("govulncheck interrupted: %w", ctx.Err())
	}
	if err != nil {
		return nil, scanError(err, stderr.String(), db)
	}
	return parseStream(&stdout)
}

// scanError turns a govulncheck failure into an error for a person.
func scanError(err error, stderr string, db *DB) error {
	msg := strings.TrimSpace(err.Error())
	if s := strings.TrimSpace(stderr); s != "" && !strings.Contains(msg, s) {
		msg += ": " + s
	}
	msg = strings.TrimPrefix(msg, "govulncheck: ")
	switch {
	case strings.HasPrefix(msg, "loading packages"), strings.HasPrefix(msg, "no go.mod file"):
		return shipline.Errorf(shipline.EINVALID, "the module does not build, so it cannot be checked for vulnerabilities (fix it until 'go build ./...' works): %s", loadErrors(msg))
	case strings.Contains(msg, "unrecognized vulndb format"), strings.Contains(msg, "creating client"), strings.Contains(msg, "fetching vulnerabilities"):
		return shipline.Errorf(shipline.EINVALID, "vulnerability database %s cannot be read: %s; %s", db.Source, msg, howToGetDB)
	case strings.Contains(msg, "unrecognized binary format"):
		return shipline.Errorf(shipline.EINVALID, "not a Go binary: %s", msg)
	}
	return shipline.Errorf(shipline.EINVALID, "govulncheck failed: %s", msg)
}

// loadErrors keeps the lines of a package loading failure that say what
// is wrong, joined by "; ".
func loadErrors(msg string) string {
	var keep []string
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "", line == "loading packages:",
			strings.HasPrefix(line, "There are errors with the provided package patterns"),
			strings.HasPrefix(line, "For details on package patterns"),
			strings.HasPrefix(line, "govulncheck only works with Go modules"),
			strings.HasPrefix(line, "Otherwise, run go mod init"),
			strings.HasPrefix(line, "See https://go.dev/doc/modules"):
			continue
		}
		keep = append(keep, strings.TrimPrefix(line, "loading packages: "))
	}
	if len(keep) == 0 {
		return msg
	}
	return strings.Join(keep, "; ")
}

// parseStream reads govulncheck's JSON stream: a sequence of messages,
// each with one of config, progress, SBOM, osv or finding.
func parseStream(r io.Reader) (*result, error) {
	res := &result{osvs: map[string]*osvEntry{}}
	dec := json.NewDecoder(r)
	for {
		var m message
		err := dec.Decode(&m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, shipline.Errorf(shipline.EINTERNAL, "read govulncheck output: %v", err)
		}
		switch {
		case m.Config != nil:
			res.config = *m.Config
		case m.OSV != nil:
			res.osvs[m.OSV.ID] = m.OSV
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			res.findings = append(res.findings, m.Finding)
		}
	}
	return res, nil
}

// byPlace groups the findings of one vulnerability by the innermost
// position of their traces in module m (all in one group for a binary),
// in the order the places first appear.
func byPlace(fs []*finding, m *gate.Module) [][]*finding {
	var keys []string
	groups := map[string][]*finding{}
	for _, f := range fs {
		key := ""
		if m != nil {
			for _, fr := range f.Trace {
				if fr.Module == m.Path && fr.Position != nil {
					key = fmt.Sprintf("%s:%d:%d", fr.Position.Filename, fr.Position.Line, fr.Position.Column)
					break
				}
			}
		}
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], f)
	}
	out := make([][]*finding, len(keys))
	for i, k := range keys {
		out[i] = groups[k]
	}
	return out
}

// listSome lists up to n of names, saying how many more there are.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// levelOf returns how far a finding reaches, from its first frame.
func levelOf(f *finding) level {
	switch top := f.Trace[0]; {
	case top.Function != "":
		return called
	case top.Package != "":
		return imported
	}
	return required
}

// report turns the findings of a scan into the gate's report. m is nil
// for a binary.
func (g *Gate) report(res *result, m *gate.Module, db *DB) *gate.Report {
	policy := g.FailOn
	if policy == "" {
		policy = FailReachable
	}
	rep := &gate.Report{Gate: Name, Findings: []gate.Finding{}}

	// Group the stream's findings by vulnerability, keeping those of
	// the highest level: govulncheck reports a called vulnerability at
	// the module and package levels too.
	byID := map[string][]*finding{}
	top := map[string]level{}
	for _, f := range res.findings {
		l := levelOf(f)
		switch cur, ok := top[f.OSV]; {
		case !ok || l > cur:
			top[f.OSV] = l
			byID[f.OSV] = []*finding{f}
		case l == cur:
			byID[f.OSV] = append(byID[f.OSV], f)
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	var gomod *modfile.File
	if m != nil {
		if data, err := os.ReadFile(filepath.Join(m.Dir, "go.mod")); err == nil {
			gomod, _ = modfile.ParseLax("go.mod", data, nil)
		}
	}
	counts := map[level]int{}
	for _, id := range ids {
		l := top[id]
		counts[l]++
		if l != called {
			// One finding per vulnerability imported or required.
			rep.Findings = append(rep.Findings, g.finding(byID[id][0], l, res.osvs[id], m, gomod, policy))
			continue
		}
		// govulncheck reports each vulnerable function called, with one
		// trace; a vulnerability of a large package (net/http) can have
		// dozens, many through the same call in the module. Report one
		// finding per place in the module (per vulnerability in a
		// binary), with its shortest trace, naming the other vulnerable
		// functions reached from there.
		for _, group := range byPlace(byID[id], m) {
			best := group[0]
			for _, f := range group[1:] {
				if len(f.Trace) < len(best.Trace) {
					best = f
				}
			}
			fd := g.finding(best, l, res.osvs[id], m, gomod, policy)
			var others []string
			for _, f := range group {
				if sym := symbol(f.Trace[0]); sym != symbol(best.Trace[0]) && !slices.Contains(others, sym) {
					others = append(others, sym)
				}
			}
			if len(others) > 0 {
				slices.Sort(others)
				where := " From the same place it also reaches "
				if m == nil {
					where = " It also holds "
				}
				fd.Message += where + listSome(others, 5) + "."
			}
			rep.Findings = append(rep.Findings, fd)
		}
	}
	gate.ApplyIgnores(rep, g.Ignore, g.now())

	note := "database " + db.Source
	if db.Info != nil {
		note += fmt.Sprintf(" (%d entries", db.Info.Entries)
		if !db.Info.Modified.IsZero() {
			note += ", modified " + db.Info.Modified.UTC().Format(time.DateOnly)
		}
		note += ")"
	}
	rep.Notes = append(rep.Notes, note)
	if c := res.config; c.ScanMode != "" {
		scanner := "govulncheck"
		if v := vulnVersion(); v != "" {
			scanner += " (golang.org/x/vuln " + v + ")"
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s, %s mode, standard library of %s", scanner, c.ScanMode, c.GoVersion))
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("policy fail-on %s: %d reachable, %d imported but not called, %d required but not imported", policy, counts[called], counts[imported], counts[required]))
	rep.Passed = len(rep.Blocking()) == 0
	return rep
}

// vulnVersion returns the version of golang.org/x/vuln built in, or ""
// when the build does not say (as in tests).
func vulnVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "golang.org/x/vuln" {
				return d.Version
			}
		}
	}
	return ""
}

// finding converts one govulncheck finding at level l.
func (g *Gate) finding(f *finding, l level, osv *osvEntry, m *gate.Module, gomod *modfile.File, policy string) gate.Finding {
	top := f.Trace[0]
	modv := top.Module
	if top.Version != "" {
		modv += "@" + top.Version
	}
	fd := gate.Finding{
		Gate:     Name,
		ID:       f.OSV,
		Severity: map[level]gate.Severity{called: gate.SeverityHigh, imported: gate.SeverityMedium, required: gate.SeverityLow}[l],
		Module:   modv,
		Package:  top.Package,
		Blocking: blocks(policy, l),
		URL:      "https://pkg.go.dev/vuln/" + f.OSV,
	}
	if osv != nil {
		fd.Title = osv.Summary
		fd.Aliases = osv.Aliases
		if osv.DatabaseSpecific != nil && osv.DatabaseSpecific.URL != "" {
			fd.URL = osv.DatabaseSpecific.URL
		}
	}

	// The trace, outermost first: govulncheck lists the vulnerable
	// symbol first.
	if l == called {
		for i := len(f.Trace) - 1; i >= 0; i-- {
			fr := toFrame(f.Trace[i], m)
			fd.Stack = append(fd.Stack, fr)
			fd.Trace = append(fd.Trace, fr.String())
			if fr.Location != nil {
				// The innermost frame in the module: the call
				// into the vulnerable dependency.
				fd.Location = fr.Location
			}
		}
	}
	if fd.Location == nil && m != nil {
		fd.Location = requireLocation(gomod, top.Module)
	}

	var b strings.Builder
	if fd.Title != "" {
		b.WriteString(strings.TrimSuffix(fd.Title, "."))
		b.WriteString(". ")
	}
	subject := "The module"
	if m == nil {
		subject = "The binary"
	}
	switch l {
	case called:
		verb := "calls"
		if m == nil {
			verb = "holds"
		}
		fmt.Fprintf(&b, "%s %s %s of %s", subject, verb, symbol(top), modv)
	case imported:
		fmt.Fprintf(&b, "%s imports %s of %s but does not call its vulnerable functions", subject, top.Package, modv)
		if syms := symbols(osv, top.Package); len(syms) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(syms, ", "))
		}
	default:
		fmt.Fprintf(&b, "%s requires %s but does not import its vulnerable packages", subject, modv)
		if pkgs := packages(osv); len(pkgs) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(pkgs, ", "))
		}
	}
	b.WriteString(". ")
	switch {
	case f.FixedVersion == "":
		b.WriteString("No fixed version yet.")
	case top.Module == "stdlib":
		fmt.Fprintf(&b, "Fixed in Go %s: build with it.", strings.TrimPrefix(f.FixedVersion, "v"))
	default:
		fmt.Fprintf(&b, "Fixed in %s: go get %s@%s", f.FixedVersion, top.Module, f.FixedVersion)
	}
	fd.Message = b.String()
	return fd
}

// toFrame converts a govulncheck frame; positions in the module checked
// become locations.
func toFrame(f *frame, m *gate.Module) gate.Frame {
	fr := gate.Frame{Function: symbol(f), Package: f.Package}
	inModule := m != nil && f.Module == m.Path
	if !inModule {
		fr.Module = f.Module
		if f.Version != "" {
			fr.Module += "@" + f.Version
		}
	}
	if p := f.Position; p != nil && p.Line > 0 {
		if inModule {
			fr.Location = &gate.Location{File: p.Filename, Line: p.Line, Col: p.Column}
		} else {
			fr.File = fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
		}
	}
	return fr
}

// symbol returns the qualified name of a frame's function, such as
// example.com/lib.(*T).Parse.
func symbol(f *frame) string {
	if f.Function == "" {
		return f.Package
	}
	name := f.Function
	if f.Receiver != "" {
		name = f.Receiver + "." + name
		if strings.HasPrefix(f.Receiver, "*") {
			name = "(" + f.Receiver + ")." + f.Function
		}
	}
	if f.Package == "" {
		return name
	}
	return f.Package + "." + name
}

// symbols returns the vulnerable symbols of package pkg in osv.
func symbols(osv *osvEntry, pkg string) []string {
	if osv == nil {
		return nil
	}
	var out []string
	for _, a := range osv.Affected {
		for _, imp := range a.EcosystemSpecific.Imports {
			if imp.Path == pkg {
				out = append(out, imp.Symbols...)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// packages returns the vulnerable packages osv names.
func packages(osv *osvEntry) []string {
	if osv == nil {
		return nil
	}
	var out []string
	for _, a := range osv.Affected {
		for _, imp := range a.EcosystemSpecific.Imports {
			out = append(out, imp.Path)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// requireLocation returns where go.mod requires mod (or, for the
// standard library, states the Go version), or go.mod itself.
func requireLocation(gomod *modfile.File, mod string) *gate.Location {
	loc := &gate.Location{File: "go.mod"}
	if gomod == nil {
		return loc
	}
	var pos *modfile.Line
	if mod == "stdlib" || mod == "toolchain" {
		switch {
		case gomod.Toolchain != nil:
			pos = gomod.Toolchain.Syntax
		case gomod.Go != nil:
			pos = gomod.Go.Syntax
		}
	}
	for _, r := range gomod.Require {
		if r.Mod.Path == mod {
			pos = r.Syntax
		}
	}
	if pos != nil {
		loc.Line, loc.Col = pos.Start.Line, pos.Start.LineRune
	}
	return loc
}

var _ gate.Gate = (*Gate)(nil)
