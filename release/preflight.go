package release

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gitrepo"
)

// PreflightOutput is what the preflight step checked.
type PreflightOutput struct {
	Checked []string `json:"checked"` // the steps whose checks ran, in order
}

// preflightStep checks, before any work, everything that can fail
// cheaply: a clean work tree, then the checks of every step still to run
// (see Checker). It reports every problem it finds, not just the first.
type preflightStep struct{}

func (preflightStep) Name() string    { return StepPreflight }
func (preflightStep) Always() bool    { return true }
func (preflightStep) Mandatory() bool { return true }

func (preflightStep) Run(ctx context.Context, st *State) error {
	var problems []string
	var first error
	fail := func(who string, err error) {
		if first == nil {
			first = err
		}
		problems = append(problems, who+": "+indentLines(err.Error()))
	}
	if !st.Plan.Snapshot {
		if err := checkClean(ctx, st.Repo, st.Dist); err != nil {
			fail("work tree", err)
		}
	}
	out := &PreflightOutput{Checked: []string{}}
	self := st.step
	for _, s := range st.todo {
		c, ok := s.(Checker)
		if !ok || s.Name() == StepPreflight {
			continue
		}
		st.step = s.Name()
		err := c.Check(ctx, st)
		st.step = self
		if ctx.Err() != nil {
			return ctx.Err()
		}
		out.Checked = append(out.Checked, s.Name())
		if err != nil {
			fail(s.Name(), err)
		}
	}
	st.Preflight = out
	if first != nil {
		msg := "1 problem found before any work:\n  " + problems[0]
		if len(problems) > 1 {
			msg = fmt.Sprintf("%d problems found before any work:\n  %s", len(problems), strings.Join(problems, "\n  "))
		}
		return &shipline.Error{Code: shipline.ErrorCode(first), Message: msg, Err: first}
	}
	st.Logf("ok: checked %s", orNone(out.Checked))
	return nil
}

// checkClean refuses a work tree with uncommitted changes outside the
// dist directory: the release would not be of the commit it names.
func checkClean(ctx context.Context, repo *gitrepo.Repo, dist string) error {
	changed, err := Uncommitted(ctx, repo, dist)
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		return shipline.Errorf(shipline.EINVALID, "uncommitted changes (%s): a release is of a commit; commit or stash them, or pass --snapshot", summarize(changed, 3))
	}
	return nil
}

// Uncommitted returns the changes of the work tree (git status --porcelain
// lines, untracked files included) outside the directories except names.
func Uncommitted(ctx context.Context, repo *gitrepo.Repo, except ...string) ([]string, error) {
	status, err := repo.Status(ctx)
	if err != nil {
		return nil, err
	}
	var skip []string
	for _, dir := range except {
		if r, err := filepath.Rel(repo.Dir, dir); err == nil && filepath.IsLocal(r) {
			skip = append(skip, filepath.ToSlash(r))
		}
	}
	var changed []string
	for _, line := range status {
		if len(line) < 4 {
			continue
		}
		p := strings.TrimSuffix(line[3:], "/")
		inside := false
		for _, s := range skip {
			if p == s || strings.HasPrefix(p, s+"/") {
				inside = true
			}
		}
		if !inside {
			changed = append(changed, line)
		}
	}
	return changed, nil
}

// summarize lists the first n of list and counts the rest.
func summarize(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:n], ", "), len(list)-n)
}

// indentLines indents the lines of a multi-line message after the first.
func indentLines(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "nothing left to check"
	}
	return strings.Join(list, ", ")
}
