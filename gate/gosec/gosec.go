// Package gosec is the static analysis gate: the security rules of gosec
// (github.com/securego/gosec/v2, used as a library) over the packages of
// a module.
//
// The module's packages ('./...', test files left out: they do not ship)
// are loaded and type-checked once with golang.org/x/tools/go/packages;
// then every package gets gosec's AST rules and its SSA analyzers (taint
// analysis and the like), G101 to G710. Each issue is a finding with the
// rule as ID, gosec's severity, the file relative to the module root, and
// a message with gosec's details, its confidence and the CWE.
//
// Policy: an issue at or above the severity threshold blocks; one below
// it is reported only. Include and exclude lists choose the rules.
//
// Suppressions: gosec's '#nosec' comments (also '#nosec G401 G501',
// '//gosec:disable G401') are honoured, and the issues they suppress are
// still listed, not blocking, with the comment's reason in Suppressed: a
// suppression is an exception that reviewers should see. The reason is
// what follows ' -- ' in the comment ('#nosec G401 -- checksum only').
// A suppression without a reason is honoured too, so that adopting the
// gate does not fail every module that has a bare '#nosec'; the issue is
// listed as suppressed, and a separate non-blocking finding,
// nosec-without-reason, asks for the reason. With Options.RequireReason a
// suppression without a reason is not honoured: its issue blocks as if
// there were no comment.
//
// The gate implements gate.Exclusive: it loads and type-checks the whole
// module and should not compete with the vulnerability gate doing the
// same.
package gosec

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	securego "github.com/securego/gosec/v2"
	"github.com/securego/gosec/v2/analyzers"
	"github.com/securego/gosec/v2/issue"
	"github.com/securego/gosec/v2/rules"
	"golang.org/x/tools/go/packages"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gate"
)

// Name is the gate's name in config and reports.
const Name = "gosec"

// Version is the version of gosec whose rules the gate runs (the one
// go.mod requires).
const Version = "v2.29.0"

// NosecWithoutReason is the ID of the finding that a #nosec comment
// suppressed an issue without giving a reason.
const NosecWithoutReason = "nosec-without-reason"

// Options configures the gosec gate.
type Options struct {
	// GosecGate is the policy as .shipline.yaml gives it (gates.gosec):
	// the lowest severity that blocks ("low", "medium" or "high"; ""
	// means "medium"), and the rules to include (empty: all) and
	// exclude, such as G104.
	config.GosecGate
	// RequireReason makes a #nosec without a reason ("-- why") not
	// suppress anything.
	RequireReason bool
	// BuildTags are the build tags the packages are loaded with.
	BuildTags []string
	// Concurrency is how many packages are checked at once; 0 means
	// GOMAXPROCS.
	Concurrency int
	// Env is added to the environment of the go command that lists the
	// packages, as KEY=VALUE (GOFLAGS, GOPROXY, GOOS, ...).
	Env []string
}

// Gate is the gosec gate; it implements gate.Gate and gate.Exclusive.
type Gate struct {
	opts      Options
	threshold gate.Severity
	rules     rules.RuleList
	analyzers *analyzers.AnalyzerList
	titles    map[string]string // rule ID -> gosec's description
}

var (
	_ gate.Gate      = (*Gate)(nil)
	_ gate.Exclusive = (*Gate)(nil)
)

// New returns the gosec gate for opts. It returns an EINVALID
// *shipline.Error for a severity other than low, medium or high, a rule
// gosec does not know, or include and exclude lists that leave no rule.
func New(opts Options) (*Gate, error) {
	g := &Gate{opts: opts, titles: map[string]string{}}
	switch strings.ToLower(opts.Severity) {
	case "low":
		g.threshold = gate.SeverityLow
	case "", "medium":
		g.threshold = gate.SeverityMedium
	case "high":
		g.threshold = gate.SeverityHigh
	default:
		return nil, shipline.Errorf(shipline.EINVALID, "gosec gate: severity %q is not one of low, medium, high", opts.Severity)
	}
	known := Rules()
	var bad []string
	for _, id := range slices.Concat(opts.Include, opts.Exclude) {
		if !slices.Contains(known, id) {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "gosec gate: unknown rule %s: gosec %s knows %s", strings.Join(bad, ", "), Version, strings.Join(known, " "))
	}
	var rf []rules.RuleFilter
	var af []analyzers.AnalyzerFilter
	if len(opts.Include) > 0 {
		rf = append(rf, rules.NewRuleFilter(false, opts.Include...))
		af = append(af, analyzers.NewAnalyzerFilter(false, opts.Include...))
	}
	if len(opts.Exclude) > 0 {
		rf = append(rf, rules.NewRuleFilter(true, opts.Exclude...))
		af = append(af, analyzers.NewAnalyzerFilter(true, opts.Exclude...))
	}
	g.rules = rules.Generate(false, rf...)
	g.analyzers = analyzers.Generate(false, af...)
	if len(g.rules.Rules)+len(g.analyzers.Analyzers) == 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "gosec gate: include and exclude leave no rule to run")
	}
	for id, r := range g.rules.Rules {
		g.titles[id] = r.Description
	}
	for id, a := range g.analyzers.Analyzers {
		g.titles[id] = a.Description
	}
	return g, nil
}

// Rules returns the IDs of every rule and analyzer gosec has, sorted.
func Rules() []string {
	var ids []string
	for id := range rules.Generate(false).Rules {
		ids = append(ids, id)
	}
	for id := range analyzers.Generate(false).Analyzers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

// Name returns "gosec".
func (g *Gate) Name() string { return Name }

// Exclusive returns true: the gate loads and type-checks the whole module.
func (g *Gate) Exclusive() bool { return true }

// Run checks m's packages. It returns an error when the packages do not
// load or type-check (the gate cannot judge code that does not build).
func (g *Gate) Run(ctx context.Context, m *gate.Module) (*gate.Report, error) {
	cfg := &packages.Config{
		Context: ctx,
		Dir:     m.Dir,
		Env:     append(os.Environ(), g.opts.Env...),
		Mode:    securego.LoadMode,
	}
	if len(g.opts.BuildTags) > 0 {
		cfg.BuildFlags = []string{"-tags=" + strings.Join(g.opts.BuildTags, ",")}
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("load packages: %w", err)
	}
	if err := loadErrors(pkgs, m.Dir); err != nil {
		return nil, err
	}

	results := make([]pkgResult, len(pkgs))
	workers := g.opts.Concurrency
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i, p := range pkgs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if ctx.Err() == nil {
				results[i] = g.check(p)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	rep := &gate.Report{Gate: Name, Findings: []gate.Finding{}}
	var files, lines, nosec int
	for i, r := range results {
		files += r.metrics.NumFiles
		lines += r.metrics.NumLines
		nosec += r.metrics.NumNosec
		for _, is := range r.issues {
			rep.Findings = append(rep.Findings, g.findings(pkgs[i].PkgPath, m.Dir, is)...)
		}
		for _, e := range r.problems {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: %s", pkgs[i].PkgPath, relPaths(e, m.Dir)))
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool { return less(&rep.Findings[i], &rep.Findings[j]) })
	rep.Notes = append([]string{fmt.Sprintf("gosec %s: %d rules over %d packages (%d files, %d lines); %d #nosec comments; blocking at %s severity and above",
		Version, len(g.titles), len(pkgs), files, lines, nosec, g.threshold)}, rep.Notes...)
	rep.Passed = len(rep.Blocking()) == 0
	return rep, nil
}

// pkgResult is what gosec found in one package.
type pkgResult struct {
	issues   []*issue.Issue
	metrics  securego.Metrics
	problems []string // gosec's errors and logged failures
}

// check runs the rules and analyzers over one package with an analyzer
// of its own.
func (g *Gate) check(p *packages.Package) (res pkgResult) {
	var logs bytes.Buffer
	logger := log.New(&logs, "", 0)
	defer func() {
		if r := recover(); r != nil {
			res.problems = append(res.problems, fmt.Sprintf("gosec failed: %v", r))
		}
	}()
	a := securego.NewAnalyzer(securego.NewConfig(), false, false, true, 1, logger)
	a.LoadRules(g.rules.RulesInfo())
	a.LoadAnalyzers(g.analyzers.AnalyzersInfo())
	a.CheckRules(p)
	a.CheckAnalyzers(p)
	issues, metrics, errs := a.Report()
	res.issues = issues
	if metrics != nil {
		res.metrics = *metrics
	}
	files := make([]string, 0, len(errs))
	for f := range errs {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		for _, e := range errs[f] {
			res.problems = append(res.problems, fmt.Sprintf("%s:%d:%d: %s", f, e.Line, e.Column, e.Err))
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		// gosec logs progress too; keep its failures: "Rule error: ...",
		// "Error building the SSA ...", "Panic when running ...".
		if strings.HasPrefix(line, "Rule error") || strings.HasPrefix(line, "Error ") || strings.HasPrefix(line, "Panic ") {
			res.problems = append(res.problems, line)
		}
	}
	return res
}

// findings turns one gosec issue into findings: the issue itself and, for
// a suppression without a reason, the finding that asks for one.
func (g *Gate) findings(pkg, root string, is *issue.Issue) []gate.Finding {
	f := gate.Finding{
		Gate:     Name,
		ID:       is.RuleID,
		Severity: severity(is.Severity),
		Package:  pkg,
		Title:    g.titles[is.RuleID],
		Location: location(is, root),
	}
	f.Message = is.What + " (confidence " + strings.ToLower(is.Confidence.String())
	if w := is.Cwe; w != nil && w.ID != "" {
		f.Message += "; " + w.SprintID()
		if w.Name != "" {
			f.Message += ": " + w.Name
		}
		f.URL = w.SprintURL()
	}
	f.Message += ")"
	f.Blocking = f.Severity >= g.threshold

	if len(is.Suppressions) == 0 {
		return []gate.Finding{f}
	}
	var reasons []string
	for _, s := range is.Suppressions {
		if r := strings.TrimSpace(s.Justification); r != "" && !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) > 0 {
		f.Suppressed = "#nosec: " + strings.Join(reasons, "; ")
		f.Blocking = false
		return []gate.Finding{f}
	}
	if g.opts.RequireReason {
		f.Message += "; its #nosec comment gives no reason (#nosec " + is.RuleID + " -- why), so it does not suppress the issue"
		return []gate.Finding{f}
	}
	f.Suppressed = "#nosec without a reason"
	f.Blocking = false
	ask := gate.Finding{
		Gate:     Name,
		ID:       NosecWithoutReason,
		Severity: gate.SeverityLow,
		Package:  pkg,
		Title:    "Suppression without a reason",
		Location: f.Location,
		Message:  fmt.Sprintf("a #nosec comment suppresses %s (%s) without saying why: write it as '#nosec %s -- REASON'", is.RuleID, is.What, is.RuleID),
	}
	return []gate.Finding{f, ask}
}

// severity maps gosec's scores to the gate's severities.
func severity(s issue.Score) gate.Severity {
	switch s {
	case issue.High:
		return gate.SeverityHigh
	case issue.Medium:
		return gate.SeverityMedium
	}
	return gate.SeverityLow
}

// location returns where the issue is, its file relative to root. gosec
// gives a line range ("12-14") for a multi-line node; the first line is
// used.
func location(is *issue.Issue, root string) *gate.Location {
	loc := &gate.Location{File: filepath.ToSlash(is.File)}
	roots := []string{root}
	if r, err := filepath.EvalSymlinks(root); err == nil && r != root {
		roots = append(roots, r)
	}
	for _, r := range roots {
		if rel, err := filepath.Rel(r, is.File); err == nil && filepath.IsLocal(rel) {
			loc.File = filepath.ToSlash(rel)
			break
		}
	}
	line, _, _ := strings.Cut(is.Line, "-")
	loc.Line, _ = strconv.Atoi(line)
	loc.Col, _ = strconv.Atoi(is.Col)
	return loc
}

// loadErrors returns an error listing the errors of the packages that
// did not load or type-check, with paths relative to root.
func loadErrors(pkgs []*packages.Package, root string) error {
	var errs []string
	for _, p := range pkgs {
		// A package that does not compile has the compiler's errors
		// (from 'go list -export') and the type checker's: keep the
		// latter, which have positions.
		typed := slices.ContainsFunc(p.Errors, func(e packages.Error) bool { return e.Kind != packages.ListError })
		for _, e := range p.Errors {
			if !typed || e.Kind != packages.ListError {
				errs = append(errs, relPaths(e.Error(), root))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	const max = 10
	if len(errs) > max {
		errs = append(errs[:max], fmt.Sprintf("and %d more", len(errs)-max))
	}
	return fmt.Errorf("the module's packages do not build:\n%s", strings.Join(errs, "\n"))
}

// relPaths shortens the paths under root in s.
func relPaths(s, root string) string {
	return strings.ReplaceAll(s, root+string(filepath.Separator), "")
}

// less orders findings by file, line, column and ID.
func less(a, b *gate.Finding) bool {
	la, lb := a.Location, b.Location
	if la != nil && lb != nil {
		if la.File != lb.File {
			return la.File < lb.File
		}
		if la.Line != lb.Line {
			return la.Line < lb.Line
		}
		if la.Col != lb.Col {
			return la.Col < lb.Col
		}
	}
	return a.ID < b.ID
}
