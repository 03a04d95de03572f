// Package versioning decides a module's current and next semantic version
// from its tags and its Conventional Commits, by Go's rules: tag prefixes of
// nested modules, /vN module paths for v2 and up, and v0 semantics.
package versioning

import (
	"context"
	"sort"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/conventional"
	"github.com/shipline-ci/shipline/gitrepo"
)

// Options selects what Next computes.
type Options struct {
	Module string // module directory relative to the top of the work tree; "" for the top
	Pre    string // pre-release identifier such as "rc"; "" for a stable version
	Config config.Versioning
	Remote string // remote to deepen a shallow clone from; default "origin"
}

// Entry is a commit with its parsed message; Msg is nil when the message is
// not a Conventional Commit.
type Entry struct {
	shipline.Commit
	Msg  *conventional.Message
	Err  error         // why the message is not a Conventional Commit
	Bump shipline.Bump // what this commit asks for by the rules
}

// Result is the decision: where the module is and where it goes next.
type Result struct {
	Module     string        `json:"module"`                // module directory, "." for the top
	ModulePath string        `json:"module_path,omitempty"` // from go.mod
	Current    string        `json:"current"`               // highest tag reachable from HEAD, "" when none
	Base       string        `json:"base"`                  // last stable tag; commits are counted from it
	Next       string        `json:"next"`                  // the next tag name; Current when Bump is none
	Bump       shipline.Bump `json:"bump"`                  // the increment applied to Base
	Commits    int           `json:"commits"`               // commits considered (Base..HEAD, in the module)
	Head       string        `json:"head"`                  // commit at HEAD
	HeadTagged bool          `json:"head_tagged"`           // Next already names a tag at HEAD
	Reasons    []Reason      `json:"reasons"`               // the commits that decided the bump
	Ignored    int           `json:"non_conventional"`      // commits whose message is not a Conventional Commit
	Problems   []string      `json:"problems,omitempty"`    // why Next cannot be tagged as is (the /vN rule)
	Notes      []string      `json:"notes,omitempty"`       // how the rules applied (v0, first release, pre-release)

	Entries []Entry       `json:"-"` // every commit considered, newest first
	Tag     *shipline.Tag `json:"-"` // Base's tag; nil when there is none
}

// Reason is a commit that decided the bump.
type Reason struct {
	Hash     string        `json:"hash"`
	Subject  string        `json:"subject"`
	Bump     shipline.Bump `json:"bump"`
	Breaking bool          `json:"breaking"`
}

// Rules maps a commit type to the bump it asks for.
type Rules map[string]shipline.Bump

// RulesFrom turns the configured rules into Rules, over the defaults.
func RulesFrom(cfg map[string]string) Rules {
	r := Rules{}
	for t, b := range config.DefaultRules() {
		r[t], _ = shipline.ParseBump(b)
	}
	for t, b := range cfg {
		if v, err := shipline.ParseBump(b); err == nil {
			r[strings.ToLower(t)] = v
		}
	}
	return r
}

// Classify returns the bump a commit asks for: major for a breaking
// change, the type's rule otherwise, and none for merges and messages that
// are not Conventional Commits.
func (r Rules) Classify(c shipline.Commit) Entry {
	e := Entry{Commit: c}
	if c.IsMerge() {
		return e
	}
	msg, err := conventional.Parse(c.Message)
	if err != nil {
		e.Err = err
		return e
	}
	e.Msg = msg
	if msg.Breaking() {
		e.Bump = shipline.BumpMajor
	} else {
		e.Bump = r[msg.Type]
	}
	return e
}

// Decide returns the largest bump the entries ask for and the entries that
// ask for it.
func Decide(entries []Entry) (shipline.Bump, []Entry) {
	var max shipline.Bump
	var why []Entry
	for _, e := range entries {
		switch {
		case e.Bump > max:
			max, why = e.Bump, append(why[:0], e)
		case e.Bump == max && max != shipline.BumpNone:
			why = append(why, e)
		}
	}
	return max, why
}

// taggedVersion is a tag of the module with its parsed version.
type taggedVersion struct {
	tag shipline.Tag
	v   string // without prefix
}

// moduleTags returns the release tags of the module with the given prefix,
// highest version first.
func moduleTags(tags []shipline.Tag, prefix string) []taggedVersion {
	var out []taggedVersion
	for _, t := range tags {
		v, ok := strings.CutPrefix(t.Name, prefix)
		if !ok || !IsReleaseTag(v) {
			continue
		}
		// "api/v1.0.0" is not a tag of the root module even though
		// "api/" could look like part of a version: IsReleaseTag rules it out.
		out = append(out, taggedVersion{tag: t, v: v})
	}
	sort.SliceStable(out, func(i, j int) bool { return semver.Compare(out[i].v, out[j].v) > 0 })
	return out
}

// reachability answers whether tags are reachable from HEAD, with as few
// git processes as the common case allows.
type reachability struct {
	repo   *gitrepo.Repo
	head   string
	known  map[string]bool
	checks int
	merged map[string]bool // every commit of a tag reachable from HEAD, once asked for
}

// maxAncestorChecks bounds the one-tag-at-a-time checks before asking git
// for all reachable tags at once.
const maxAncestorChecks = 3

func (r *reachability) reachable(ctx context.Context, commit string) (bool, error) {
	if commit == r.head {
		return true, nil
	}
	if ok, found := r.known[commit]; found {
		return ok, nil
	}
	if r.merged == nil && r.checks >= maxAncestorChecks {
		m, err := r.repo.MergedTagCommits(ctx, r.head)
		if err != nil {
			return false, err
		}
		r.merged = m
	}
	var ok bool
	if r.merged != nil {
		ok = r.merged[commit]
	} else {
		r.checks++
		var err error
		if ok, err = r.repo.IsAncestor(ctx, commit, r.head); err != nil {
			return false, err
		}
	}
	r.known[commit] = ok
	return ok, nil
}

// Current returns the highest release tag of the module reachable from
// HEAD, and the highest stable one, each nil when there is none.
//
// known holds commits whose reachability is already known; current adds
// to it.
func current(ctx context.Context, repo *gitrepo.Repo, tags []taggedVersion, known map[string]bool) (cur, stable *taggedVersion, err error) {
	if known == nil {
		known = map[string]bool{}
	}
	r := &reachability{repo: repo, head: repo.Head(), known: known}
	for i := range tags {
		t := &tags[i]
		if cur != nil && semver.Prerelease(t.v) != "" {
			continue // only the stable one is still missing
		}
		ok, err := r.reachable(ctx, t.tag.Commit)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		if cur == nil {
			cur = t
		}
		if semver.Prerelease(t.v) == "" {
			return cur, t, nil
		}
	}
	return cur, nil, nil
}
