// Package gate runs a release's security and compliance gates
// (vulnerabilities, licenses, static analysis, commit policy) over a Go
// module and reports every finding in JSON, SARIF 2.1.0 and plain text.
// Each gate is a Gate; a blocked run names every failed gate and finding.
package gate

import (
	"context"
	"time"
)

// Severity orders findings; a gate's policy blocks at or above a threshold.
type Severity int

// Severities, lowest first.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

// Location is where a finding is in the module's source.
type Location struct {
	File string `json:"file"` // slash path relative to the module root
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
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
}

// Report is what one gate found.
type Report struct {
	Gate     string        `json:"gate"`
	Passed   bool          `json:"passed"`   // no blocking finding
	Findings []Finding     `json:"findings"` // every finding, blocking or not
	Notes    []string      `json:"notes,omitempty"`
	Duration time.Duration `json:"duration_ns"`
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

// Module is the module the gates run on.
type Module struct {
	Dir  string // absolute path of the module root (holds go.mod)
	Path string // module path
}
