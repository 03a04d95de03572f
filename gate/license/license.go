// Package license is the license gate: it identifies the license of every
// module whose packages a module links, from the module's own license
// files, and checks them against allow and deny lists of SPDX
// identifiers.
//
// Which modules: by default those providing a package of 'go list -deps
// ./...' in the module's directory, for the platform and build tags of
// the environment: the code a release ships. Modules that are only
// required (or only used by tests) ship nothing, so their licenses do not
// bind the release; Options.AllModules checks the whole build list ('go
// list -m all') instead. The main module is never checked.
//
// How: the license files at the root of each module's directory in the
// module cache (LICENSE*, LICENCE*, COPYING*, ..., see IsLicenseFile) are
// classified by github.com/google/licensecheck, which knows the SPDX
// license texts and reports what share of a file they cover. A file must
// be covered at least Options.MinCoverage percent to name a license; a
// module with no such file has an unknown license, which fails the gate
// unless the policy says to warn. How several licenses and the GNU
// licenses' -only/-or-later ambiguity are judged is described on Policy.
//
// The gate runs the go command, so it works offline when the module
// cache holds every module (GOFLAGS=-mod=mod and GOPROXY=off in
// Options.Env make that explicit); a module that is not in the cache and
// cannot be downloaded is an error naming it. In vendor mode the license
// files come from vendor/MODULE/, where 'go mod vendor' copies them
// (AllModules does not work in vendor mode: the vendor directory does not
// hold the build list).
package license

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/google/licensecheck"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gate"
)

// Name is the gate's name in config and reports.
const Name = "license"

// Options configures the license gate.
type Options struct {
	// LicenseGate is the policy as .shipline.yaml gives it (gates.license):
	// allow and deny lists of SPDX identifiers, and what an unidentified
	// license does ("fail", the default here, or "warn").
	config.LicenseGate
	// MinCoverage is the percentage of a license file that known license
	// texts must cover for the file to name a license; 0 means
	// DefaultMinCoverage (75).
	MinCoverage float64
	// AllModules checks every module of the build list, not only those
	// whose packages are linked into the module's packages.
	AllModules bool
	// Env is added to the environment of the go commands the gate runs,
	// as KEY=VALUE (GOFLAGS, GOPROXY, GOMODCACHE, GOOS, ...).
	Env []string
}

// Gate is the license gate; it implements gate.Gate.
type Gate struct {
	opts   Options
	policy *Policy
}

var _ gate.Gate = (*Gate)(nil)

// New returns the license gate for opts. It returns an EINVALID
// *shipline.Error for a license identifier licensecheck does not know,
// one both allowed and denied, a bad unknown value or a coverage above
// 100.
func New(opts Options) (*Gate, error) {
	if opts.MinCoverage < 0 || opts.MinCoverage > 100 {
		return nil, shipline.Errorf(shipline.EINVALID, "license gate: minimum coverage %v is not a percentage between 0 and 100", opts.MinCoverage)
	}
	if opts.MinCoverage == 0 {
		opts.MinCoverage = DefaultMinCoverage
	}
	p, err := NewPolicy(opts.Allow, opts.Deny, opts.Unknown)
	if err != nil {
		return nil, err
	}
	return &Gate{opts: opts, policy: p}, nil
}

// Name returns "license".
func (g *Gate) Name() string { return Name }

// Run checks the licenses of m's dependencies. Every module that breaks
// the policy is a finding (see Policy.Evaluate); the notes say how many
// modules were checked and count them by license. It returns an error
// when the modules cannot be listed (a go.mod that does not load, a
// module missing from the cache offline) or a module's directory cannot
// be read.
func (g *Gate) Run(ctx context.Context, m *gate.Module) (*gate.Report, error) {
	// Compiling licensecheck's patterns takes a while the first time:
	// do it while the go command lists the modules.
	go licensecheck.Scan(nil)

	var (
		mods []*goModule
		err  error
		what string
	)
	if g.opts.AllModules {
		mods, err = g.buildList(ctx, m.Dir)
		what = "in the build list (go list -m all)"
	} else {
		mods, err = g.linkedModules(ctx, m.Dir)
		if err == nil {
			fromVendor(m.Dir, mods)
			err = g.download(ctx, m.Dir, mods)
		}
		what = "linked into ./... (go list -deps)"
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].String() < mods[j].String() })

	dets := make([]Detection, len(mods))
	errs := make([]error, len(mods))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, mod := range mods {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if ctx.Err() != nil {
				return
			}
			dets[i], errs[i] = Detect(mod.source().Dir, g.opts.MinCoverage)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	rep := &gate.Report{Gate: Name, Findings: []gate.Finding{}}
	count := map[string]int{}
	for i, mod := range mods {
		if errs[i] != nil {
			return nil, fmt.Errorf("module %s: %w", mod, errs[i])
		}
		fs := g.policy.Evaluate(mod.String(), dets[i])
		if r := mod.Replace; r != nil {
			for j := range fs {
				fs[j].Message += fmt.Sprintf(" (module replaced by %s)", r)
			}
		}
		rep.Findings = append(rep.Findings, fs...)
		if len(dets[i].Licenses) == 0 {
			count[Unknown]++
		}
		for _, l := range dets[i].Licenses {
			count[l.ID]++
		}
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("checked %d modules %s", len(mods), what))
	if len(count) > 0 {
		ids := make([]string, 0, len(count))
		for id := range count {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for i, id := range ids {
			ids[i] = fmt.Sprintf("%s %d", id, count[id])
		}
		rep.Notes = append(rep.Notes, "modules by license: "+strings.Join(ids, ", "))
	}
	rep.Passed = len(rep.Blocking()) == 0
	return rep, nil
}
