// Package commitlint checks commit messages against Conventional Commits
// and a project's commit policy (allowed types and scopes, header length).
package commitlint

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/conventional"
)

// Policy is what a commit message must follow beyond the specification.
type Policy struct {
	Types        []string // allowed types (lower case); empty allows any
	Scopes       []string // allowed scopes; empty allows any
	RequireScope bool
	MaxHeader    int // longest header in characters; 0 for no limit
	// AllowAutosquash accepts "fixup! ", "squash! " and "amend! " messages,
	// which git rewrites before they reach a branch.
	AllowAutosquash bool
}

// PolicyFrom returns the policy of a configuration.
func PolicyFrom(c config.Commits) Policy {
	p := Policy{Scopes: c.Scopes, RequireScope: c.RequireScope, MaxHeader: c.MaxHeader}
	for _, t := range c.Types {
		p.Types = append(p.Types, strings.ToLower(t))
	}
	return p
}

// Problem is one way a message breaks the specification or the policy.
type Problem struct {
	File    string `json:"file,omitempty"`    // the message's file, when checking one
	Commit  string `json:"commit,omitempty"`  // the commit, when checking a range
	Subject string `json:"subject,omitempty"` // the commit's subject, when checking a range
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Rule    string `json:"rule"` // "conventional-commits/N" or the config key broken
	Message string `json:"message"`
}

// String formats the problem as "FILE:LINE:COL: message" or
// "HASH subject: LINE:COL: message".
func (p Problem) String() string {
	where := p.File
	if p.Commit != "" {
		where = fmt.Sprintf("%.7s %q", p.Commit, p.Subject)
		return fmt.Sprintf("%s: %d:%d: %s [%s]", where, p.Line, p.Col, p.Message, p.Rule)
	}
	if where == "" || where == "-" {
		where = "<stdin>"
	}
	return fmt.Sprintf("%s:%d:%d: %s [%s]", where, p.Line, p.Col, p.Message, p.Rule)
}

// Check returns every problem of a commit message; none means it passes.
func (p Policy) Check(msg string) []Problem {
	if p.AllowAutosquash {
		for _, prefix := range []string{"fixup! ", "squash! ", "amend! "} {
			if strings.HasPrefix(msg, prefix) {
				return nil
			}
		}
	}
	m, err := conventional.Parse(msg)
	if err != nil {
		var pe *conventional.ParseError
		if errors.As(err, &pe) {
			return []Problem{{Line: pe.Line, Col: pe.Col, Rule: fmt.Sprintf("conventional-commits/%d", pe.Rule), Message: pe.Msg}}
		}
		return []Problem{{Line: 1, Col: 1, Rule: "conventional-commits", Message: err.Error()}}
	}
	var probs []Problem
	header, _, _ := strings.Cut(msg, "\n")
	header = strings.TrimRight(header, "\r")
	if len(p.Types) > 0 && !slices.Contains(p.Types, m.Type) {
		probs = append(probs, Problem{Line: 1, Col: 1, Rule: "commits.types",
			Message: fmt.Sprintf("type %q is not allowed here: use one of %s", m.Type, strings.Join(p.Types, ", "))})
	}
	scopeCol := len(m.Type) + 2
	if m.Scope == "" && p.RequireScope {
		probs = append(probs, Problem{Line: 1, Col: len(m.Type) + 1, Rule: "commits.require-scope",
			Message: fmt.Sprintf("a scope is required: write %s(scope): %s", m.Type, m.Description)})
	}
	// Units other than BREAKING CHANGE are case-insensitive (rule 15).
	if m.Scope != "" && len(p.Scopes) > 0 && !slices.ContainsFunc(p.Scopes, func(s string) bool { return strings.EqualFold(s, m.Scope) }) {
		probs = append(probs, Problem{Line: 1, Col: scopeCol, Rule: "commits.scopes",
			Message: fmt.Sprintf("scope %q is not allowed here: use one of %s", m.Scope, strings.Join(p.Scopes, ", "))})
	}
	if n := utf8.RuneCountInString(header); p.MaxHeader > 0 && n > p.MaxHeader {
		probs = append(probs, Problem{Line: 1, Col: p.MaxHeader + 1, Rule: "commits.max-header-length",
			Message: fmt.Sprintf("the header is %d characters long, more than %d: shorten it and move detail to the body", n, p.MaxHeader)})
	}
	return probs
}
