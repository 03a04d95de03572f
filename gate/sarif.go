package gate

import (
	"encoding/json"
	"io"
	"net/url"
	"slices"
)

// SARIF 2.1.0 (OASIS Standard, errata 01): the part of the format that
// gate reports use. Field names and nesting follow the specification;
// see the schema at SARIFSchema.

// SARIFSchema is the $schema URI written into SARIF reports.
const SARIFSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// srcRoot is the uriBaseId of every artifact location: the module root.
const srcRoot = "%SRCROOT%"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	FullName       string      `json:"fullName,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	ShortDescription     sarifMessage   `json:"shortDescription"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConf  `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifRuleConf struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifMessage       `json:"message"`
	Locations    []sarifLocation    `json:"locations,omitempty"`
	CodeFlows    []sarifCodeFlow    `json:"codeFlows,omitempty"`
	Stacks       []sarifStack       `json:"stacks,omitempty"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	Properties   map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
	Message          *sarifMessage          `json:"message,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogicalLocation struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind,omitempty"`
}

type sarifCodeFlow struct {
	ThreadFlows []sarifThreadFlow `json:"threadFlows"`
}

type sarifThreadFlow struct {
	Locations []sarifThreadFlowLocation `json:"locations"`
}

type sarifThreadFlowLocation struct {
	Location sarifLocation `json:"location"`
}

type sarifStack struct {
	Message *sarifMessage     `json:"message,omitempty"`
	Frames  []sarifStackFrame `json:"frames"`
}

type sarifStackFrame struct {
	Location sarifLocation `json:"location"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

// Level returns the SARIF level of a severity: error for high and
// critical, warning for medium, note for low and info.
func (s Severity) Level() string {
	switch {
	case s >= SeverityHigh:
		return "error"
	case s == SeverityMedium:
		return "warning"
	}
	return "note"
}

// WriteSARIF writes s as one SARIF 2.1.0 log with one run per gate: the
// gate is the tool (driver name shipline-NAME) with one rule per finding
// rule; each finding is a result with its rule, a level from its
// severity, its message, its location in the module (a URI relative to
// the module root, uriBaseId %SRCROOT%), its trace as a code flow and a
// stack, and, when an ignore entry or comment suppresses it, a
// suppression with the reason. A gate that could not decide is a run
// whose invocation failed, with the error as a notification.
func WriteSARIF(w io.Writer, s *Summary) error {
	log := sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{}}
	for _, r := range s.Reports {
		log.Runs = append(log.Runs, sarifRunOf(r))
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func sarifRunOf(r *Report) sarifRun {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "shipline-" + r.Gate,
			FullName:       "Shipline gate " + r.Gate,
			InformationURI: "https://github.com/shipline-ci/shipline",
			Rules:          []sarifRule{},
		}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: r.Error == ""}},
		Results:     []sarifResult{},
		Properties:  map[string]any{"passed": r.Passed},
	}
	if r.Error != "" {
		run.Invocations[0].Notifications = []sarifNotification{{Level: "error", Message: sarifMessage{Text: r.Error}}}
	}
	for _, n := range r.Notes {
		run.Invocations[0].Notifications = append(run.Invocations[0].Notifications, sarifNotification{Level: "note", Message: sarifMessage{Text: n}})
	}
	index := map[string]int{}
	for _, f := range r.Findings {
		id := f.RuleID()
		i, ok := index[id]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			index[id] = i
			desc := f.Title
			if desc == "" {
				desc = id
			}
			rule := sarifRule{
				ID:                   id,
				ShortDescription:     sarifMessage{Text: desc},
				DefaultConfiguration: sarifRuleConf{Level: f.Severity.Level()},
				Properties:           map[string]any{"tags": []string{r.Gate}},
			}
			if u, err := url.Parse(f.URL); err == nil && u.IsAbs() {
				rule.HelpURI = f.URL
			}
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
		}
		run.Results = append(run.Results, sarifResultOf(&f, id, i))
	}
	return run
}

func sarifResultOf(f *Finding, rule string, ruleIndex int) sarifResult {
	msg := f.Message
	if msg == "" {
		msg = f.ID
	}
	res := sarifResult{
		RuleID:    rule,
		RuleIndex: ruleIndex,
		Level:     f.Severity.Level(),
		Message:   sarifMessage{Text: msg},
		Properties: map[string]any{
			"id":       f.ID,
			"severity": f.Severity.String(),
			"blocking": f.Blocking,
		},
	}
	if f.Package != "" {
		res.Properties["package"] = f.Package
	}
	if f.Module != "" {
		res.Properties["module"] = f.Module
	}
	if len(f.Aliases) > 0 {
		res.Properties["aliases"] = f.Aliases
	}
	if len(f.Trace) > 0 {
		res.Properties["trace"] = f.Trace
	}
	if f.Location != nil && f.Location.File != "" {
		res.Locations = []sarifLocation{physical(f.Location, nil)}
	}
	if len(f.Stack) > 0 {
		flow := sarifThreadFlow{}
		stack := sarifStack{Message: &sarifMessage{Text: "how " + f.ID + " is reached"}}
		for _, fr := range f.Stack {
			flow.Locations = append(flow.Locations, sarifThreadFlowLocation{Location: frameLocation(fr)})
			stack.Frames = append(stack.Frames, sarifStackFrame{Location: frameLocation(fr)})
		}
		// A SARIF stack lists the innermost frame first.
		slices.Reverse(stack.Frames)
		res.CodeFlows = []sarifCodeFlow{{ThreadFlows: []sarifThreadFlow{flow}}}
		res.Stacks = []sarifStack{stack}
	}
	if f.Suppressed != "" {
		res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: f.Suppressed}}
	}
	return res
}

// physical returns the location of l in the module, with msg if not nil.
func physical(l *Location, msg *sarifMessage) sarifLocation {
	pl := &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: relURI(l.File), URIBaseID: srcRoot}}
	if l.Line > 0 {
		pl.Region = &sarifRegion{StartLine: l.Line}
		if l.Col > 0 {
			pl.Region.StartColumn = l.Col
		}
	}
	return sarifLocation{PhysicalLocation: pl, Message: msg}
}

// frameLocation returns the location of a frame: physical in the module,
// logical (its function or package) elsewhere, with the frame described.
func frameLocation(fr Frame) sarifLocation {
	msg := &sarifMessage{Text: fr.String()}
	if fr.Location != nil && fr.Location.File != "" {
		loc := physical(fr.Location, msg)
		if fr.Function != "" {
			loc.LogicalLocations = []sarifLogicalLocation{{FullyQualifiedName: fr.Function, Kind: "function"}}
		}
		return loc
	}
	loc := sarifLocation{Message: msg}
	switch {
	case fr.Function != "":
		loc.LogicalLocations = []sarifLogicalLocation{{FullyQualifiedName: fr.Function, Kind: "function"}}
	case fr.Package != "":
		loc.LogicalLocations = []sarifLogicalLocation{{FullyQualifiedName: fr.Package, Kind: "namespace"}}
	case fr.Module != "":
		loc.LogicalLocations = []sarifLogicalLocation{{FullyQualifiedName: fr.Module, Kind: "module"}}
	}
	return loc
}

// relURI turns a slash path relative to the module root into a relative
// URI reference, escaping what a URI cannot hold.
func relURI(file string) string {
	return (&url.URL{Path: file}).String()
}
