package config

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/mod/semver"
	"gopkg.in/yaml.v3"
)

// check runs the semantic checks on the values the file gives, after
// decoding root into cfg. Defaults are valid by construction, and values
// that failed to decode were reported already, so only values that are in
// the file and decoded are checked.
//
// The JSON Schema states the same rules (see constraints in schema.go).
func (d *decoder) check(cfg *Config, root *yaml.Node) {
	switch n := d.given("version"); {
	case n == nil && !d.bad["version"]:
		d.addAt(root, "", "the file has no version; add %q", "version: 1")
	case n != nil && cfg.Version != 1:
		d.addAt(n, "version", "unsupported config version %d; this shipline reads version 1", cfg.Version)
	}

	if n := d.given("versioning.initial"); n != nil {
		if v := cfg.Versioning.Initial; !semver.IsValid(v) || semver.Canonical(v) != v {
			msg := fmt.Sprintf("%s is not a canonical semantic version such as v0.1.0", quote(v))
			if c := canonical(v); c != "" {
				msg += fmt.Sprintf("; did you mean %q?", c)
			}
			d.addAt(n, "versioning.initial", "%s", msg)
		}
	}

	if n := d.given("commits.max-header-length"); n != nil && cfg.Commits.MaxHeader < 0 {
		d.addAt(n, "commits.max-header-length", "must be 0 (no limit) or more, found %d", cfg.Commits.MaxHeader)
	}
	if d.given("commits.types") != nil {
		for i, t := range cfg.Commits.Types {
			d.checkType(fmt.Sprintf("commits.types[%d]", i), t)
		}
	}

	if d.given("changelog.sections") != nil {
		d.checkSections(cfg.Changelog.Sections)
	}
	if n := d.given("changelog.remote.url"); n != nil && cfg.Changelog.Remote.URL != "" {
		if u, err := url.Parse(cfg.Changelog.Remote.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			d.addAt(n, "changelog.remote.url", "%s is not a web URL such as https://github.com/org/repo", quote(cfg.Changelog.Remote.URL))
		}
	}
	if n := d.given("changelog.remote.name"); n != nil && cfg.Changelog.Remote.Name == "" {
		d.addAt(n, "changelog.remote.name", "must name a git remote, such as origin")
	}
	d.checkArchive(cfg)
	d.checkPipelines(cfg)
	d.checkGates(cfg)
	d.checkRelease(cfg)
}

// checkSections checks that every section has a title and types, and that
// no commit type is listed twice.
func (d *decoder) checkSections(sections []Section) {
	type listed struct {
		title string
		node  *yaml.Node
	}
	seen := map[string]listed{}
	for i, s := range sections {
		p := fmt.Sprintf("changelog.sections[%d]", i)
		at := d.given(p)
		if at == nil {
			continue
		}
		if tp := p + ".title"; !d.bad[tp] && strings.TrimSpace(s.Title) == "" {
			d.addAt(orNode(d.nodes[tp], at), tp, "a section needs a title")
		}
		if tp := p + ".types"; !d.bad[tp] && len(s.Types) == 0 {
			d.addAt(orNode(d.nodes[tp], at), tp, "a section needs at least one commit type, such as types: [docs]")
		}
		for j, t := range s.Types {
			tp := fmt.Sprintf("%s.types[%d]", p, j)
			if !d.checkType(tp, t) {
				continue
			}
			if first, ok := seen[t]; ok {
				d.addAt(d.nodes[tp], tp, "type %s is already listed in section %s (line %d)", quote(t), quote(first.title), first.node.Line)
				continue
			}
			seen[t] = listed{s.Title, d.nodes[tp]}
		}
	}
}

// checkType checks that the commit type t given at path looks like one. It
// reports whether t was given and is fine.
func (d *decoder) checkType(path, t string) bool {
	n := d.given(path)
	if n == nil {
		return false
	}
	if !commitType().MatchString(t) {
		d.addAt(n, path, "%s is not a commit type: use only letters, digits, '-' and '_'", quote(t))
		return false
	}
	return true
}

// canonical returns the canonical form of a version written loosely (v1.2,
// 1.2.3), or "" if there is none.
func canonical(v string) string {
	for _, c := range []string{v, "v" + v} {
		if semver.IsValid(c) {
			return semver.Canonical(c)
		}
	}
	return ""
}

func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}
