// Package gate runs a release's security and compliance gates
// (vulnerabilities, licenses, static analysis, commit policy) over a Go
// module and reports every finding in JSON, SARIF 2.1.0 and plain text.
// Each gate is a Gate; a blocked run names every failed gate and finding.
//
// Run runs a list of gates over one module and returns a Summary; the
// writers (WriteJSON, WriteSARIF, WriteText, WriteFiles) render it. The
// gates themselves live in sub-packages, one per engine: gate/vuln
// (govulncheck), gate/commits (Conventional Commits since the last tag),
// gate/license and gate/gosec. Policy that several gates share, such as
// ignore entries that need a reason and expire, is in this package.
package gate

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Severity orders findings; a gate's policy blocks at or above a threshold.
// It is written as its name ("high") in JSON and config.
type Severity int

// Severities, lowest first.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

// String returns "info", "low", "medium", "high" or "critical".
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses the String form of a Severity, ignoring case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: want one of %s", s, strings.Join(severityNames, ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(p []byte) error {
	v, err := ParseSeverity(string(p))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Location is where a finding is in the module's source.
type Location struct {
	File string `json:"file"` // slash path relative to the module root
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String returns FILE[:LINE[:COL]].
func (l *Location) String() string {
	if l == nil {
		return ""
	}
	s := l.File
	if l.Line > 0 {
		s += fmt.Sprintf(":%d", l.Line)
		if l.Col > 0 {
			s += fmt.Sprintf(":%d", l.Col)
		}
	}
	return s
}

// Frame is one step of how a finding is reached, such as a function on
// the call stack from the module's code to a vulnerable function.
type Frame struct {
	Function string `json:"function,omitempty"` // qualified name, such as example.com/app.main or example.com/lib.(*T).Parse
	Package  string `json:"package,omitempty"`  // import path
	Module   string `json:"module,omitempty"`   // module path@version, "" for the module checked
	// Location is the position in the module checked; nil for a frame in
	// another module (see File).
	Location *Location `json:"location,omitempty"`
	// File is the position of a frame in another module, FILE:LINE:COL
	// relative to that module's root, for people to read.
	File string `json:"file,omitempty"`
}

// String describes the frame in one line: the function (or package) and
// where it is.
func (f Frame) String() string {
	name := f.Function
	if name == "" {
		name = f.Package
	}
	if name == "" {
		name = f.Module
	}
	switch {
	case f.Location != nil:
		return name + " (" + f.Location.String() + ")"
	case f.File != "" && f.Module != "":
		return name + " (" + f.Module + "/" + f.File + ")"
	case f.File != "":
		return name + " (" + f.File + ")"
	}
	return name
}

// Finding is one problem a gate found.
type Finding struct {
	Gate     string    `json:"gate"`               // "vuln", "license", "gosec", "commits"
	ID       string    `json:"id"`                 // GO-2024-1234, a gosec rule such as G401, an SPDX id, a commit hash
	Severity Severity  `json:"severity"`           //
	Module   string    `json:"module,omitempty"`   // module path (and version) concerned
	Package  string    `json:"package,omitempty"`  // package path concerned
	Message  string    `json:"message"`            // for a person: what and what to do
	Location *Location `json:"location,omitempty"` // where in the module's code
	// Trace is how the finding is reached, outermost first, such as the
	// call stack from the module's code to a vulnerable function.
	Trace []string `json:"trace,omitempty"`
	// Blocking reports whether the policy fails the gate on this finding.
	Blocking bool `json:"blocking"`
	// Suppressed says why the finding does not block (an ignore entry with
	// its reason and expiry, a #nosec comment with its reason); "" if it is
	// not suppressed.
	Suppressed string `json:"suppressed,omitempty"`

	// Rule names the rule broken when findings of many IDs share one,
	// such as conventional-commits/1 for commits; "" means ID. SARIF
	// reports use it as the ruleId.
	Rule string `json:"rule,omitempty"`
	// Title names the problem in one line, the same for every finding of
	// the rule (a vulnerability's summary, a gosec rule's name).
	Title string `json:"title,omitempty"`
	// URL is where to read more about the rule, such as
	// https://pkg.go.dev/vuln/GO-2024-1234.
	URL string `json:"url,omitempty"`
	// Aliases are other IDs of the same problem (CVE-..., GHSA-...);
	// ignore entries match them too.
	Aliases []string `json:"aliases,omitempty"`
	// Stack is Trace as frames, outermost first, for machine readers
	// (SARIF code flows); Stack[i] is Trace[i] when both are set.
	Stack []Frame `json:"stack,omitempty"`
}

// RuleID returns Rule, or ID when Rule is "".
func (f *Finding) RuleID() string {
	if f.Rule != "" {
		return f.Rule
	}
	return f.ID
}

// Report is what one gate found.
type Report struct {
	Gate     string        `json:"gate"`
	Passed   bool          `json:"passed"`   // no blocking finding, and no error
	Findings []Finding     `json:"findings"` // every finding, blocking or not
	Notes    []string      `json:"notes,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Error is why the gate could not decide (a module that does not
	// build, a missing database); "" when it decided. A gate with an
	// error has not passed.
	Error string `json:"error,omitempty"`
}

// Blocking returns the findings that fail the gate.
func (r *Report) Blocking() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Blocking {
			out = append(out, f)
		}
	}
	return out
}

// Gate is one check of a module.
type Gate interface {
	// Name is the gate's short name, as in config and reports.
	Name() string
	// Run checks the module. A finding is not an error: an error means the
	// gate could not decide (a module that does not build, a missing or
	// malformed database) and blocks the run with that message.
	Run(ctx context.Context, m *Module) (*Report, error)
}

// Exclusive is implemented by a gate that must not run at the same time
// as other gates, such as one that loads and type-checks the whole module
// and would compete with another doing the same for memory and CPU. Run
// runs exclusive gates one at a time, after the others.
type Exclusive interface {
	Exclusive() bool
}

// Module is the module the gates run on.
type Module struct {
	Dir  string // absolute path of the module root (holds go.mod)
	Path string // module path
}
