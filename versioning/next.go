package versioning

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gitrepo"
)

// Next computes the module's current and next version.
//
// The current version is the highest canonical semver tag of the module
// reachable from HEAD. Commits are counted from the last stable tag; a
// breaking change is a major bump (minor while the major version is 0,
// unless MajorOnZero), other commits bump by their type's rule. With Pre,
// the next version is a pre-release of the next stable version, numbered
// one above the highest existing one.
//
// A shallow clone is deepened from the remote, or, when Config.Shallow is
// "fail" or deepening fails, refused with an EINVALID error that says how
// to fetch the whole history.
func Next(ctx context.Context, repo *gitrepo.Repo, opts Options) (*Result, error) {
	if opts.Pre != "" {
		if err := ValidPreID(opts.Pre); err != nil {
			return nil, err
		}
	}
	if err := ensureFullHistory(ctx, repo, opts); err != nil {
		return nil, err
	}
	if repo.Head() == "" {
		return nil, shipline.Errorf(shipline.EINVALID, "the repository at %s has no commits yet: commit something first", repo.Dir)
	}
	// The module and the tags are independent questions: ask git both at once.
	var all []shipline.Tag
	tagsDone := make(chan error, 1)
	go func() {
		var err error
		all, err = repo.Tags(ctx)
		tagsDone <- err
	}()
	mod, err := FindModule(ctx, repo, opts.Module)
	if terr := <-tagsDone; err == nil {
		err = terr
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Module: mod.Dir, ModulePath: mod.Path, Head: repo.Head(), Reasons: []Reason{}}
	if res.Module == "" {
		res.Module = "."
	}
	prefixed := moduleTags(all, mod.TagPrefix)
	tags := mod.ownTags(prefixed)
	rules := RulesFrom(opts.Config.Rules)

	// The highest stable tag is nearly always the base, so its log is read
	// before it is known to be reachable. Unfiltered, the log itself is the
	// proof: a tag is reachable from HEAD exactly when a commit of
	// TAG..HEAD has it as a parent (or it is HEAD), and every commit the
	// log lists is reachable. Filtered by paths, the log cannot tell, so
	// git checks reachability while the log is read, and a log read on a
	// wrong guess is thrown away.
	known := map[string]bool{}
	var spec *speculativeLog
	if top := highestStable(tags); top != nil {
		opts := mod.logOptions(top.tag.Commit + "..HEAD")
		if !opts.Filtered() {
			spec = doneLog(readLog(ctx, repo, opts, rules))
			spec.tag = top.tag.Name
			if spec.err != nil {
				return nil, spec.err
			}
			known[top.tag.Commit] = top.tag.Commit == repo.Head()
			for _, e := range spec.entries {
				known[e.Hash] = true
				if slices.Contains(e.Parents, top.tag.Commit) {
					known[top.tag.Commit] = true
				}
			}
		} else {
			spec = startLog(ctx, repo, opts, rules, top.tag.Name)
		}
	}
	cur, stable, err := current(ctx, repo, tags, known)
	if err != nil {
		spec.cancel()
		return nil, err
	}
	rng := "HEAD"
	if cur != nil {
		res.Current = cur.tag.Name
	}
	base := stable
	if base == nil {
		// The first vN release of a module that moved to /vN in place
		// counts the commits since the last release of the major before.
		if prev := mod.previousMajorTags(prefixed); prev != nil {
			if _, base, err = current(ctx, repo, prev, nil); err != nil {
				spec.cancel()
				return nil, err
			}
		}
	}
	if base != nil {
		res.Base = base.tag.Name
		res.Tag = &base.tag
		rng = base.tag.Commit + "..HEAD"
	}
	if spec != nil && base != nil && spec.tag == base.tag.Name {
		res.Entries, err = spec.wait()
	} else {
		spec.cancel()
		res.Entries, err = readLog(ctx, repo, mod.logOptions(rng), rules)
	}
	if err != nil {
		return nil, err
	}
	for _, e := range res.Entries {
		if e.Msg == nil {
			res.Ignored++
		}
	}
	res.Commits = len(res.Entries)
	bump, why := Decide(res.Entries)
	for _, e := range why {
		res.Reasons = append(res.Reasons, Reason{Hash: e.Hash, Subject: e.Subject, Bump: e.Bump, Breaking: e.Msg != nil && e.Msg.Breaking()})
	}

	// The stable version the commits ask for.
	var next version
	switch {
	case bump == shipline.BumpNone:
		res.Bump = shipline.BumpNone
		res.Next = res.Current
		if res.Current == "" {
			res.Notes = append(res.Notes, "no tag yet and no commit that releases anything: nothing to release")
		} else {
			res.Notes = append(res.Notes, "no commit since "+baseName(res.Base)+" releases anything")
		}
		res.HeadTagged = cur != nil && cur.tag.Commit == repo.Head()
		return res, nil
	case stable == nil:
		next, err = initialVersion(opts.Config.Initial, mod.Path)
		if err != nil {
			return nil, err
		}
		res.Bump = bump
		if base != nil {
			res.Notes = append(res.Notes, "no "+semverMajor(next.String())+" release tag yet: the first release of "+mod.Path+" is "+mod.TagPrefix+next.String()+", with the changes since "+base.tag.Name)
		} else {
			res.Notes = append(res.Notes, "no release tag yet: the first release is "+mod.TagPrefix+next.String())
		}
	default:
		base, _ := parseVersion(stable.v)
		applied := bump
		if bump == shipline.BumpMajor && base.Major == 0 && !opts.Config.MajorOnZero {
			applied = shipline.BumpMinor
			res.Notes = append(res.Notes, "breaking change while the major version is 0: minor bump (set versioning.major-on-zero to bump to v1)")
		}
		res.Bump = applied
		next = base.bump(applied)
	}

	if opts.Pre != "" {
		next = preRelease(next, opts.Pre, tags, cur, repo.Head())
	}
	res.Next = mod.TagPrefix + next.String()
	res.HeadTagged = cur != nil && cur.tag.Name == res.Next && cur.tag.Commit == repo.Head()
	if p := checkPathMajor(mod.Path, next.String()); p != "" {
		res.Problems = append(res.Problems, p)
	}
	return res, nil
}

// preRelease returns the pre-release of stable numbered one above the
// highest existing tag stable-id.K, or the tag at HEAD when HEAD already
// carries a pre-release of stable with that id.
func preRelease(stable version, id string, tags []taggedVersion, cur *taggedVersion, head string) version {
	highest := 0
	for _, t := range tags {
		v, err := parseVersion(t.v)
		if err != nil || v.Major != stable.Major || v.Minor != stable.Minor || v.Patch != stable.Patch {
			continue
		}
		n, ok := v.preNumber(id)
		if !ok {
			continue
		}
		if cur != nil && t.tag.Commit == head && t.tag.Name == cur.tag.Name {
			return v // HEAD is already this pre-release
		}
		highest = max(highest, n)
	}
	stable.Pre = fmt.Sprintf("%s.%d", id, highest+1)
	return stable
}

// initialVersion is the first release: the configured one, or vN.0.0 for
// a module whose path ends in /vN.
func initialVersion(initial, modPath string) (version, error) {
	if initial == "" {
		initial = "v0.1.0"
	}
	v, err := parseVersion(initial)
	if err != nil {
		return version{}, shipline.Errorf(shipline.EINVALID, "versioning.initial: %v", err)
	}
	if m := pathMajorNumber(modPath); m >= 2 && v.Major != m {
		return version{Major: m}, nil
	}
	return v, nil
}

// pathMajorNumber returns N for a module path ending in /vN, and 0 otherwise.
func pathMajorNumber(modPath string) int {
	i := strings.LastIndex(modPath, "/v")
	if i < 0 {
		return 0
	}
	var n int
	if _, err := fmt.Sscanf(modPath[i+2:], "%d", &n); err != nil || fmt.Sprint(n) != modPath[i+2:] {
		return 0
	}
	return n
}

func baseName(tag string) string {
	if tag == "" {
		return "the first commit"
	}
	return tag
}

// ensureFullHistory deepens a shallow clone, or refuses to go on.
func ensureFullHistory(ctx context.Context, repo *gitrepo.Repo, opts Options) error {
	if !repo.Shallow {
		return nil
	}
	const fix = "fetch the whole history with 'git fetch --unshallow --tags' (in GitHub Actions: actions/checkout with fetch-depth: 0) and run shipline again"
	if opts.Config.Shallow == "fail" {
		return shipline.Errorf(shipline.EINVALID, "%s is a shallow clone: its history is cut off, so the version would be computed from part of it; %s", repo.Dir, fix)
	}
	remote := opts.Remote
	if remote == "" {
		remote = "origin"
	}
	url, err := repo.RemoteURL(ctx, remote)
	if err != nil {
		return err
	}
	if url == "" {
		return shipline.Errorf(shipline.EINVALID, "%s is a shallow clone with no remote %q to deepen it from: %s", repo.Dir, remote, fix)
	}
	if err := repo.Unshallow(ctx, remote); err != nil {
		return shipline.Errorf(shipline.EINVALID, "%s is a shallow clone and deepening it from %s failed (%v): %s", repo.Dir, remote, err, fix)
	}
	return nil
}

// readLog reads and classifies the commits of opts.
func readLog(ctx context.Context, repo *gitrepo.Repo, opts gitrepo.LogOptions, rules Rules) ([]Entry, error) {
	var entries []Entry
	err := repo.EachCommit(ctx, opts, func(c shipline.Commit) error {
		entries = append(entries, rules.Classify(c))
		return nil
	})
	return entries, err
}

// speculativeLog is a log read in the background on a guess of the base
// tag; cancel discards it.
type speculativeLog struct {
	tag     string
	stop    context.CancelFunc
	done    chan struct{}
	entries []Entry
	err     error
}

func startLog(ctx context.Context, repo *gitrepo.Repo, opts gitrepo.LogOptions, rules Rules, tag string) *speculativeLog {
	ctx, stop := context.WithCancel(ctx)
	s := &speculativeLog{tag: tag, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.entries, s.err = readLog(ctx, repo, opts, rules)
	}()
	return s
}

// doneLog wraps a log already read.
func doneLog(entries []Entry, err error) *speculativeLog {
	done := make(chan struct{})
	close(done)
	return &speculativeLog{stop: func() {}, done: done, entries: entries, err: err}
}

// wait returns the log's result.
func (s *speculativeLog) wait() ([]Entry, error) {
	<-s.done
	s.stop()
	return s.entries, s.err
}

// cancel stops the log and waits for its git process to end. A nil
// speculativeLog is fine.
func (s *speculativeLog) cancel() {
	if s == nil {
		return
	}
	s.stop()
	<-s.done
}

// highestStable returns the highest stable tag of a list sorted highest
// first, or nil.
func highestStable(tags []taggedVersion) *taggedVersion {
	for i := range tags {
		if semver.Prerelease(tags[i].v) == "" {
			return &tags[i]
		}
	}
	return nil
}
