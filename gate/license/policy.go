package license

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/licensecheck"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gate"
)

// Unknown is the finding ID of a module whose license cannot be
// identified: no license file, or none that known license texts cover
// well enough.
const Unknown = "unknown"

// Rules of the gate's findings, the SARIF rule of each (Finding.Rule); the
// finding's ID is the SPDX identifier concerned.
const (
	RuleDenied     = "license-denied"      // a license on the deny list
	RuleNotAllowed = "license-not-allowed" // no license of the module is on the allow list
	RuleUnknown    = "license-unknown"     // no license identified
)

// Found is one license identified in a module.
type Found struct {
	ID       string  // licensecheck's identifier: an SPDX identifier, or one of its additions such as GPL-3.0 (see Policy)
	File     string  // slash path of the license file, relative to the module root
	Coverage float64 // percent of the file's words that known license texts cover
}

// Unidentified is a license file that known license texts do not cover
// well enough to name its license.
type Unidentified struct {
	File     string   // slash path relative to the module root
	Coverage float64  // percent of the file's words covered
	Partial  []string // the licenses that do match part of it, if any
}

// Detection is what a module's license files say.
type Detection struct {
	Licenses     []Found        // identified licenses, at most one per ID, in file order
	Unidentified []Unidentified // license files below the coverage threshold
	MinCoverage  float64        // the threshold used, in percent
}

// Policy decides which licenses a release accepts.
//
// Identifiers are licensecheck's, which are SPDX's (deprecated ones left
// out) plus a few additions. One addition matters for policy: from the
// text of the GNU licenses alone one cannot tell "GPL-3.0-only" from
// "GPL-3.0-or-later" (the choice is in each source file's header), so for
// such a text licensecheck reports the bare "GPL-3.0". The policy reads a
// bare identifier as "one of its -only and -or-later forms, unknown
// which", on both sides: a bare GPL-3.0 found is denied when either form
// is denied, and allowed only when both are allowed; a bare GPL-3.0 in a
// list stands for both forms.
//
// A module with several licenses (LICENSE-MIT and LICENSE-APACHE, or one
// file holding two texts) passes when at least one of them is allowed
// (or the allow list is empty) and none is denied. The files do not say
// whether the licenses are alternatives ("MIT OR Apache-2.0", the common
// case in Go modules) or all apply ("MIT AND GPL-3.0" when code under
// another license is bundled), so the allow side reads them as
// alternatives and the deny side, conservatively, as all applying.
type Policy struct {
	allow, deny         map[string]bool // concrete forms of the listed identifiers
	allowList, denyList []string        // as given, for messages
	warnUnknown         bool
}

// NewPolicy returns the policy for allow and deny lists of license
// identifiers and what an unidentified license does: "fail" (also for "")
// or "warn". Identifiers are matched without regard to case. It returns an
// EINVALID *shipline.Error for an identifier licensecheck does not know
// (with a suggestion where a close one exists), one on both lists, or a
// bad unknown value.
func NewPolicy(allow, deny []string, unknown string) (*Policy, error) {
	p := &Policy{allow: map[string]bool{}, deny: map[string]bool{}}
	switch unknown {
	case "", "fail":
	case "warn":
		p.warnUnknown = true
	default:
		return nil, shipline.Errorf(shipline.EINVALID, "license gate: unknown: %q is not one of fail, warn", unknown)
	}
	var problems []string
	for _, l := range []struct {
		key   string
		ids   []string
		set   map[string]bool
		given *[]string
	}{{"allow", allow, p.allow, &p.allowList}, {"deny", deny, p.deny, &p.denyList}} {
		for _, id := range l.ids {
			canon, err := CanonicalID(id)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", l.key, err))
				continue
			}
			*l.given = append(*l.given, canon)
			for _, c := range forms(canon) {
				l.set[c] = true
			}
		}
	}
	for _, id := range p.denyList {
		if slices.Contains(p.allowList, id) {
			problems = append(problems, fmt.Sprintf("%s is both allowed and denied", id))
		}
	}
	if len(problems) > 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "license gate: %s", strings.Join(problems, "; "))
	}
	return p, nil
}

// WarnUnknown reports whether an unidentified license only warns.
func (p *Policy) WarnUnknown() bool { return p.warnUnknown }

// Evaluate returns the findings for one module, named mod (path@version),
// given what its license files say; none when the module passes. Denied
// and not-allowed findings block; unknown ones block unless the policy
// warns.
func (p *Policy) Evaluate(mod string, d Detection) []gate.Finding {
	if len(d.Licenses) == 0 {
		return []gate.Finding{{
			Gate:     Name,
			ID:       Unknown,
			Rule:     RuleUnknown,
			Title:    "License not identified",
			Severity: gate.SeverityMedium,
			Module:   mod,
			Message:  unknownMessage(d),
			Blocking: !p.warnUnknown,
		}}
	}
	var out []gate.Finding
	for _, l := range d.Licenses {
		if by := p.deniedBy(l.ID); len(by) > 0 {
			msg := fmt.Sprintf("%s is %s (%.0f%% of the file matched), denied by gates.license.deny (%s)", l.File, l.ID, l.Coverage, strings.Join(by, ", "))
			if len(forms(l.ID)) > 1 {
				msg += fmt.Sprintf("; the license text alone does not say which of %s applies", strings.Join(forms(l.ID), " or "))
			}
			out = append(out, gate.Finding{
				Gate: Name, ID: l.ID, Rule: RuleDenied, Title: "Denied license",
				Severity: gate.SeverityHigh, Module: mod, Message: msg + ": replace the dependency or change the policy",
				Blocking: true,
			})
		}
	}
	if len(out) > 0 || len(p.allow) == 0 {
		return out
	}
	for _, l := range d.Licenses {
		if p.allowed(l.ID) {
			return nil
		}
	}
	for _, l := range d.Licenses {
		msg := fmt.Sprintf("%s is %s (%.0f%% of the file matched), which gates.license.allow (%s) does not list", l.File, l.ID, l.Coverage, strings.Join(p.allowList, ", "))
		if len(forms(l.ID)) > 1 {
			msg += fmt.Sprintf("; the license text alone does not say which of %s applies, so both must be allowed", strings.Join(forms(l.ID), " or "))
		}
		out = append(out, gate.Finding{
			Gate: Name, ID: l.ID, Rule: RuleNotAllowed, Title: "License not allowed",
			Severity: gate.SeverityHigh, Module: mod, Message: msg,
			Blocking: true,
		})
	}
	return out
}

// deniedBy returns the deny-list forms that id may be.
func (p *Policy) deniedBy(id string) []string {
	var by []string
	for _, f := range forms(id) {
		if p.deny[f] {
			by = append(by, f)
		}
	}
	return by
}

// allowed reports whether every form id may be is allowed.
func (p *Policy) allowed(id string) bool {
	for _, f := range forms(id) {
		if !p.allow[f] {
			return false
		}
	}
	return true
}

func unknownMessage(d Detection) string {
	if len(d.Unidentified) == 0 {
		return "no license file (LICENSE, LICENCE, COPYING, ...) at the module root: ask the authors to add one, or check the license by hand and replace or accept the dependency"
	}
	parts := make([]string, len(d.Unidentified))
	for i, u := range d.Unidentified {
		s := fmt.Sprintf("%s: %.0f%% of the file matched known license texts", u.File, u.Coverage)
		if len(u.Partial) > 0 {
			s += " (partly " + strings.Join(u.Partial, ", ") + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, "; ") + fmt.Sprintf(", below the %.0f%% needed to name a license: check the license by hand", d.MinCoverage)
}

// knownIDs holds licensecheck's identifiers by their upper-case form.
var knownIDs = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, l := range licensecheck.BuiltinLicenses() {
		m[strings.ToUpper(l.ID)] = l.ID
	}
	return m
})

// CanonicalID returns id as licensecheck spells it (SPDX's spelling), or
// an error naming close identifiers when licensecheck does not know it.
func CanonicalID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if c, ok := knownIDs()[strings.ToUpper(id)]; ok {
		return c, nil
	}
	var near []string
	up := strings.ToUpper(strings.TrimSuffix(id, "+"))
	for k, v := range knownIDs() {
		if up != "" && (strings.HasPrefix(k, up) || strings.HasPrefix(up, k) && len(k) >= 3) {
			near = append(near, v)
		}
	}
	sort.Strings(near)
	if len(near) > 8 {
		near = near[:8]
	}
	if len(near) > 0 {
		return "", fmt.Errorf("unknown license identifier %q; did you mean %s?", id, strings.Join(near, ", "))
	}
	return "", fmt.Errorf("unknown license identifier %q: use an SPDX identifier such as MIT, Apache-2.0 or GPL-3.0-only", id)
}

// forms returns the concrete identifiers id may stand for: for a bare
// GNU identifier such as GPL-3.0 (one whose -only and -or-later forms are
// both known), those two forms; otherwise id itself.
func forms(id string) []string {
	k := knownIDs()
	only, later := id+"-only", id+"-or-later"
	if _, ok := k[strings.ToUpper(only)]; ok {
		if _, ok := k[strings.ToUpper(later)]; ok {
			return []string{only, later}
		}
	}
	return []string{id}
}
