// Package changelog turns releases and their Conventional Commits into a
// Markdown changelog through a Go text/template, with commit and compare
// links for GitHub, GitLab and Gitea/Forgejo remotes.
package changelog

import (
	"bytes"
	_ "embed"
	"strings"
	"text/template"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/conventional"
)

// Commit is a commit with its parsed message (nil when the message is not
// a Conventional Commit).
type Commit struct {
	shipline.Commit
	Msg *conventional.Message
}

// Release is one section of the changelog: a version and its groups.
type Release struct {
	Version    string    `json:"version"`
	Previous   string    `json:"previous,omitempty"`
	Date       time.Time `json:"date"`
	Released   bool      `json:"released"`
	CompareURL string    `json:"compare_url,omitempty"`
	Groups     []Group   `json:"groups"`
}

// Group is a titled list of changes, such as "Features".
type Group struct {
	Title string `json:"title"`
	Items []Item `json:"items"`
}

// Item is one change.
type Item struct {
	Type        string `json:"type,omitempty"`
	Scope       string `json:"scope,omitempty"`
	Description string `json:"description"`
	Hash        string `json:"hash"`
	Short       string `json:"short"`
	URL         string `json:"url,omitempty"`
	Breaking    bool   `json:"breaking,omitempty"`
}

// BreakingTitle is the title of the group of breaking changes, which comes
// before every other group.
const BreakingTitle = "Breaking Changes"

// OtherTitle is the title of the group of commits whose type no section
// names, when the configuration asks for it.
const OtherTitle = "Other Changes"

// Options say how commits are grouped and linked.
type Options struct {
	Sections []config.Section
	Other    bool
	Links    Links
}

// NewRelease groups the commits of a release: breaking changes first (by
// their BREAKING CHANGE notes, or the description), then the sections in
// order, then other types when opts.Other is set. Commits that are not
// Conventional Commits and merges are left out. Commits stay in the order
// given within a group.
func NewRelease(version, previous string, date time.Time, released bool, commits []Commit, opts Options) Release {
	r := Release{Version: version, Previous: previous, Date: date, Released: released, Groups: []Group{}}
	if previous != "" {
		r.CompareURL = opts.Links.Compare(previous, version)
	}
	sectionOf := map[string]int{}
	for i, s := range opts.Sections {
		for _, t := range s.Types {
			sectionOf[strings.ToLower(t)] = i
		}
	}
	breaking := Group{Title: BreakingTitle}
	groups := make([]Group, len(opts.Sections))
	for i, s := range opts.Sections {
		groups[i].Title = s.Title
	}
	other := Group{Title: OtherTitle}
	for _, c := range commits {
		if c.Msg == nil || c.IsMerge() {
			continue
		}
		item := Item{
			Type:        c.Msg.Type,
			Scope:       c.Msg.Scope,
			Description: c.Msg.Description,
			Hash:        c.Hash,
			Short:       c.Short(),
			URL:         opts.Links.Commit(c.Hash),
			Breaking:    c.Msg.Breaking(),
		}
		if item.Breaking {
			for _, note := range c.Msg.BreakingNotes() {
				b := item
				b.Description = note
				breaking.Items = append(breaking.Items, b)
			}
		}
		if i, ok := sectionOf[c.Msg.Type]; ok {
			groups[i].Items = append(groups[i].Items, item)
		} else if opts.Other {
			other.Items = append(other.Items, item)
		}
	}
	for _, g := range append(append([]Group{breaking}, groups...), other) {
		if len(g.Items) > 0 {
			r.Groups = append(r.Groups, g)
		}
	}
	return r
}

//go:embed default.tmpl
var defaultTemplate string

// Template is a parsed changelog template. Its data is a Data value.
type Template struct{ t *template.Template }

// Data is what a template is executed with.
type Data struct {
	Releases []Release
}

// DefaultTemplate returns the built-in template.
func DefaultTemplate() *Template {
	t, err := ParseTemplate("default", defaultTemplate)
	if err != nil {
		panic(err)
	}
	return t
}

// ParseTemplate parses a user's template text. The functions "indent"
// (indent continuation lines of a multi-line string) and "date" (format a
// time as 2006-01-02) are available. Errors are EINVALID and say where.
func ParseTemplate(name, text string) (*Template, error) {
	t, err := template.New(name).Funcs(funcs).Parse(text)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "changelog template: %v", err)
	}
	return &Template{t: t}, nil
}

var funcs = template.FuncMap{
	"indent": indent,
	"date":   func(t time.Time) string { return t.UTC().Format("2006-01-02") },
}

// Render executes the template over the releases.
func (t *Template) Render(releases []Release) ([]byte, error) {
	var buf bytes.Buffer
	if err := t.t.Execute(&buf, Data{Releases: releases}); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "changelog template: %v", err)
	}
	return buf.Bytes(), nil
}

// indent indents every line of s but the first by n spaces, leaving blank
// lines empty.
func indent(n int, s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	pad := strings.Repeat(" ", n)
	for i := 1; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" {
			lines[i] = pad + lines[i]
		} else {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}
