package pipeline

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

// The kinds of event.
const (
	Push   = "push"   // commits pushed to a branch
	Tag    = "tag"    // a tag pushed
	Manual = "manual" // a run asked for by a person
	Cron   = "cron"   // a scheduled run
)

// Kinds are the kinds of event, as when.event names them.
var Kinds = []string{Push, Tag, Manual, Cron}

// Event is what happened that may trigger pipelines.
type Event struct {
	Kind string // one of Kinds
	// Ref is the full ref the event is about: refs/heads/BRANCH for a
	// push, refs/tags/TAG for a tag; the ref run on for manual and cron.
	Ref string
	// ChangedFiles are the files the event changed, slash-separated and
	// relative to the repository root. nil means unknown (a tag, a manual
	// run): when.paths then holds. Empty but not nil means none changed.
	ChangedFiles []string
}

// Branch returns the branch of the ref (main for refs/heads/main), or ""
// when the ref is not a branch.
func (e Event) Branch() string {
	b, _ := strings.CutPrefix(e.Ref, "refs/heads/")
	if b == e.Ref {
		return ""
	}
	return b
}

// TagName returns the tag of the ref (v1.2.0 for refs/tags/v1.2.0), or ""
// when the ref is not a tag.
func (e Event) TagName() string {
	t, ok := strings.CutPrefix(e.Ref, "refs/tags/")
	if !ok {
		return ""
	}
	return t
}

// Validate checks that the event is one a pipeline can match: a known
// kind, a full ref (refs/...), refs/heads/ for a push and refs/tags/ for a
// tag, and changed files that are relative paths inside the repository.
// The error is EINVALID.
func (e Event) Validate() error {
	if !slices.Contains(Kinds, e.Kind) {
		return shipline.Errorf(shipline.EINVALID, "unknown event %q: want one of %s", e.Kind, strings.Join(Kinds, ", "))
	}
	switch {
	case !strings.HasPrefix(e.Ref, "refs/") || len(e.Ref) == len("refs/"):
		return shipline.Errorf(shipline.EINVALID, "ref %q is not a full ref such as refs/heads/main or refs/tags/v1.2.0", e.Ref)
	case e.Kind == Push && e.Branch() == "":
		return shipline.Errorf(shipline.EINVALID, "a push event is on a branch (refs/heads/...), not %s; a pushed tag is a tag event", e.Ref)
	case e.Kind == Tag && e.TagName() == "":
		return shipline.Errorf(shipline.EINVALID, "a tag event is on a tag (refs/tags/...), not %s", e.Ref)
	}
	for _, f := range e.ChangedFiles {
		if c := path.Clean(f); f == "" || path.IsAbs(f) || c == ".." || strings.HasPrefix(c, "../") {
			return shipline.Errorf(shipline.EINVALID, "changed file %q is not a path relative to the repository root", f)
		}
	}
	return nil
}

// changed returns the event's changed files cleaned ("./a.go" is "a.go"),
// nil when unknown.
func (e Event) changed() []string {
	if e.ChangedFiles == nil {
		return nil
	}
	out := make([]string, len(e.ChangedFiles))
	for i, f := range e.ChangedFiles {
		out[i] = path.Clean(f)
	}
	return out
}

// check evaluates the conditions of w that are decided by the event
// (event, ref, branch and paths; not status), at key path at, such as
// "when". It returns "" when they hold, else why not, starting with the
// key path of the condition that does not hold. It is an error when a ref
// pattern is not a regular expression (Parse rejects those).
func check(w config.When, ev Event, at string) (string, error) {
	if len(w.Event) > 0 && !slices.Contains(w.Event, ev.Kind) {
		return fmt.Sprintf("%s.event: %s is not %s", at, ev.Kind, oneOf(w.Event)), nil
	}
	for _, x := range w.Ref.Include {
		if _, err := regexp.Compile(x); err != nil {
			return "", shipline.Errorf(shipline.EINVALID, "%s.ref.include: %q: %v", at, x, err)
		}
	}
	if len(w.Ref.Include) > 0 && !slices.ContainsFunc(w.Ref.Include, func(x string) bool {
		return regexp.MustCompile(x).MatchString(ev.Ref)
	}) {
		return fmt.Sprintf("%s.ref.include: %s matches none of %s", at, ev.Ref, strings.Join(w.Ref.Include, ", ")), nil
	}
	for _, x := range w.Ref.Exclude {
		re, err := regexp.Compile(x)
		if err != nil {
			return "", shipline.Errorf(shipline.EINVALID, "%s.ref.exclude: %q: %v", at, x, err)
		}
		if re.MatchString(ev.Ref) {
			return fmt.Sprintf("%s.ref.exclude: %s matches %s", at, ev.Ref, x), nil
		}
	}
	if len(w.Branch) > 0 {
		b := ev.Branch()
		if b == "" {
			return fmt.Sprintf("%s.branch: %s is not a branch", at, ev.Ref), nil
		}
		if _, ok := matchAny(w.Branch, b); !ok {
			return fmt.Sprintf("%s.branch: %s matches none of %s", at, b, strings.Join(w.Branch, ", ")), nil
		}
	}
	files := ev.changed()
	if (len(w.Paths.Include) > 0 || len(w.Paths.Exclude) > 0) && files != nil {
		if len(files) == 0 {
			return fmt.Sprintf("%s.paths: no file changed", at), nil
		}
		included := false
		for _, f := range files {
			if _, ok := matchAny(w.Paths.Include, f); ok || len(w.Paths.Include) == 0 {
				included = true
				if _, excluded := matchAny(w.Paths.Exclude, f); !excluded {
					return "", nil
				}
			}
		}
		if !included {
			return fmt.Sprintf("%s.paths.include: no changed file matches %s", at, strings.Join(w.Paths.Include, ", ")), nil
		}
		return fmt.Sprintf("%s.paths.exclude: every changed file that counts matches %s", at, strings.Join(w.Paths.Exclude, ", ")), nil
	}
	return "", nil
}

// oneOf describes a list of choices: "push", "push or tag", "one of a, b, c".
func oneOf(list []string) string {
	switch len(list) {
	case 1:
		return list[0]
	case 2:
		return list[0] + " or " + list[1]
	}
	return "one of " + strings.Join(list, ", ")
}
