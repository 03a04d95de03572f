package versioning

import (
	"context"
	"sort"
	"time"

	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gitrepo"
)

// Span is the commits of one release: those reachable from its tag and
// from no earlier release's tag, newest first.
type Span struct {
	Version  string    // tag name; for changes not yet released, the next version
	Previous string    // tag name of the release before, "" for the first
	Commit   string    // the tagged commit (HEAD for changes not yet released)
	Date     time.Time // committer time of Commit
	Released bool      // whether Version is an existing tag
	Entries  []Entry
}

// Unreleased returns the span of the commits since the last stable tag,
// headed by the next version, from a Next result. It returns nil when
// nothing is to be released.
func Unreleased(res *Result) *Span {
	if res.Bump == shipline.BumpNone || len(res.Entries) == 0 {
		return nil
	}
	s := &Span{Version: res.Next, Previous: res.Base, Commit: res.Head, Entries: res.Entries}
	s.Date = res.Entries[0].Time
	for _, e := range res.Entries {
		if e.Hash == res.Head {
			s.Date = e.Time
		}
	}
	return s
}

// Since returns the commits of the module from tag (exclusive) to HEAD as
// one span headed by version.
func Since(ctx context.Context, repo *gitrepo.Repo, opts Options, tag, version string) (*Span, error) {
	mod, err := FindModule(ctx, repo, opts.Module)
	if err != nil {
		return nil, err
	}
	from, err := repo.ResolveCommit(ctx, tag)
	if err != nil {
		return nil, err
	}
	if ok, err := repo.IsAncestor(ctx, from, repo.Head()); err != nil {
		return nil, err
	} else if !ok {
		return nil, shipline.Errorf(shipline.EINVALID, "%s is not an ancestor of HEAD: --since takes a tag in the current branch's history", tag)
	}
	rules := RulesFrom(opts.Config.Rules)
	s := &Span{Version: version, Previous: tag, Commit: repo.Head()}
	err = repo.EachCommit(ctx, mod.logOptions(from+"..HEAD"), func(c shipline.Commit) error {
		if c.Hash == s.Commit {
			s.Date = c.Time
		}
		s.Entries = append(s.Entries, rules.Classify(c))
		return nil
	})
	return s, err
}

// History returns every release of the module reachable from HEAD, newest
// first, each with its commits; the changes since the last release come
// first, headed by next, when next is not "". Pre-release tags do not form
// spans of their own: their commits belong to the stable release after them.
func History(ctx context.Context, repo *gitrepo.Repo, opts Options, next string) ([]Span, error) {
	mod, err := FindModule(ctx, repo, opts.Module)
	if err != nil {
		return nil, err
	}
	all, err := repo.Tags(ctx)
	if err != nil {
		return nil, err
	}

	// One walk of the whole history gives the graph; a second, filtered by
	// path, says which commits belong to the module, when it is not the
	// whole repository.
	var inModule map[string]bool
	filterErr := make(chan error, 1)
	if mod.Dir != "" || len(mod.Nested) > 0 {
		inModule = map[string]bool{}
		go func() {
			filterErr <- repo.EachCommit(ctx, mod.logOptions("HEAD"), func(c shipline.Commit) error {
				inModule[c.Hash] = true
				return nil
			})
		}()
	} else {
		filterErr <- nil
	}
	rules := RulesFrom(opts.Config.Rules)
	var commits []shipline.Commit
	index := map[string]int{}
	err = repo.EachCommit(ctx, gitrepo.LogOptions{Range: "HEAD"}, func(c shipline.Commit) error {
		index[c.Hash] = len(commits)
		commits = append(commits, c)
		return nil
	})
	if ferr := <-filterErr; err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}

	// Stable tags of the module in the history, lowest version first.
	var tags []taggedVersion
	for _, t := range mod.lineageTags(moduleTags(all, mod.TagPrefix)) {
		if _, ok := index[t.tag.Commit]; ok && semver.Prerelease(t.v) == "" {
			tags = append(tags, t)
		}
	}
	sort.SliceStable(tags, func(i, j int) bool { return semver.Compare(tags[i].v, tags[j].v) < 0 })

	owner := make([]int, len(commits)) // span number + 1; 0 while unclaimed
	claim := func(from string, span int) {
		stack := []string{from}
		for len(stack) > 0 {
			h := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			i, ok := index[h]
			if !ok || owner[i] != 0 {
				continue
			}
			owner[i] = span + 1
			stack = append(stack, commits[i].Parents...)
		}
	}
	spans := make([]Span, 0, len(tags)+1)
	prev := ""
	for _, t := range tags {
		c := commits[index[t.tag.Commit]]
		spans = append(spans, Span{Version: t.tag.Name, Previous: prev, Commit: c.Hash, Date: c.Time, Released: true})
		claim(c.Hash, len(spans)-1)
		prev = t.tag.Name
	}
	if next != "" && len(commits) > 0 {
		spans = append(spans, Span{Version: next, Previous: prev, Commit: commits[0].Hash, Date: commits[0].Time})
		claim(commits[0].Hash, len(spans)-1)
	}
	for i, c := range commits { // in log order, so each span is newest first
		if owner[i] == 0 || (inModule != nil && !inModule[c.Hash]) {
			continue
		}
		s := &spans[owner[i]-1]
		s.Entries = append(s.Entries, rules.Classify(c))
	}
	// Newest first; drop an unreleased span with nothing in it.
	out := make([]Span, 0, len(spans))
	for i := len(spans) - 1; i >= 0; i-- {
		if !spans[i].Released && len(spans[i].Entries) == 0 {
			continue
		}
		out = append(out, spans[i])
	}
	return out, nil
}
