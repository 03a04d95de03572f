package gitrepo

import (
	"context"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
)

// Tags returns every tag in the repository with the commit it points at.
// Tags that point at something other than a commit (a tree or a blob) are
// left out.
func (r *Repo) Tags(ctx context.Context) ([]shipline.Tag, error) {
	if tags, ok := r.packedTags(); ok {
		return tags, nil
	}
	out, err := r.run(ctx, "for-each-ref", "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)", "refs/tags")
	if err != nil {
		return nil, err
	}
	var tags []shipline.Tag
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\x00")
		if len(f) != 5 {
			continue
		}
		switch {
		case f[1] == "commit":
			tags = append(tags, shipline.Tag{Name: f[0], Commit: f[2]})
		case f[1] == "tag" && f[3] == "commit":
			tags = append(tags, shipline.Tag{Name: f[0], Commit: f[4], Annotated: true})
		}
	}
	return tags, nil
}

// IsAncestor reports whether commit a is an ancestor of (or equal to)
// commit b.
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := r.run(ctx, "merge-base", "--is-ancestor", a, b)
	if err == nil {
		return true, nil
	}
	if exitCode(err) == 1 {
		return false, nil
	}
	return false, err
}

// TagCommit reports whether refs/tags/name exists, and the commit it points at.
func (r *Repo) TagCommit(ctx context.Context, name string) (string, bool, error) {
	out, err := r.run(ctx, "rev-parse", "-q", "--verify", "refs/tags/"+name+"^{commit}")
	if err != nil {
		if exitCode(err) == 1 {
			return "", false, nil
		}
		return "", false, err
	}
	return strings.TrimSpace(string(out)), true, nil
}

// ResolveCommit returns the commit a revision names, or an ENOTFOUND error.
func (r *Repo) ResolveCommit(ctx context.Context, rev string) (string, error) {
	out, err := r.run(ctx, "rev-parse", "-q", "--verify", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", shipline.Errorf(shipline.ENOTFOUND, "%q does not name a commit in %s: check the name with git log or git tag -l", rev, r.Dir)
	}
	return strings.TrimSpace(string(out)), nil
}

// CreateTag creates an annotated tag at commit with the given message,
// signed with the user's key when sign is set.
func (r *Repo) CreateTag(ctx context.Context, name, commit, message string, sign bool) error {
	mode := "-a"
	if sign {
		mode = "-s"
	}
	cmd := r.command(ctx, "tag", mode, "-F", "-", "--cleanup=verbatim", "--end-of-options", name, commit)
	cmd.Stdin = strings.NewReader(message)
	return runCmd(cmd)
}

// PushTag pushes refs/tags/name, and only it, to remote.
func (r *Repo) PushTag(ctx context.Context, remote, name string) error {
	_, err := r.run(ctx, "push", "--end-of-options", remote, "refs/tags/"+name+":refs/tags/"+name)
	return err
}

// RemoteURL returns the fetch URL of the named remote, or "" when the
// remote does not exist.
func (r *Repo) RemoteURL(ctx context.Context, name string) (string, error) {
	out, err := r.run(ctx, "remote", "get-url", "--end-of-options", name)
	if err != nil {
		if exitCode(err) == 2 || strings.Contains(err.Error(), "No such remote") {
			return "", nil
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Unshallow fetches the rest of a shallow clone's history, and its tags,
// from remote.
func (r *Repo) Unshallow(ctx context.Context, remote string) error {
	if _, err := r.run(ctx, "fetch", "--unshallow", "--tags", "--quiet", "--end-of-options", remote); err != nil {
		return err
	}
	r.Shallow = false
	return nil
}

// Status returns the paths that differ from HEAD in the index or work tree
// (untracked files included, ignored files not), in git status's short form.
func (r *Repo) Status(ctx context.Context) ([]string, error) {
	out, err := r.run(ctx, "status", "--porcelain", "-z", "--untracked-files=normal")
	if err != nil {
		return nil, err
	}
	var lines []string
	fields := strings.Split(string(out), "\x00")
	for i := 0; i < len(fields); i++ {
		l := fields[i]
		if l == "" {
			continue
		}
		lines = append(lines, l)
		// A rename or copy is followed by its original path in a field
		// of its own.
		if len(l) > 2 && (l[0] == 'R' || l[0] == 'C' || l[1] == 'R' || l[1] == 'C') {
			i++
		}
	}
	return lines, nil
}

// ModuleDirs returns the directories, relative to the top of the work tree
// in slash form ("" for the top), that hold a tracked go.mod file.
func (r *Repo) ModuleDirs(ctx context.Context) ([]string, error) {
	files, ok := r.indexPaths(isGoMod)
	if !ok {
		out, err := r.run(ctx, "ls-files", "-z", "--", "go.mod", "*/go.mod")
		if err != nil {
			return nil, err
		}
		// An unmerged go.mod is listed once per stage.
		files = slices.Compact(strings.Split(string(out), "\x00"))
	}
	var dirs []string
	for _, p := range files {
		if p == "" {
			continue
		}
		dir := strings.TrimSuffix(strings.TrimSuffix(p, "go.mod"), "/")
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// MergedTagCommits returns the set of commits, pointed at by tags, that are
// reachable from rev.
func (r *Repo) MergedTagCommits(ctx context.Context, rev string) (map[string]bool, error) {
	out, err := r.run(ctx, "for-each-ref", "--merged="+rev, "--format=%(objectname) %(*objectname)", "refs/tags")
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		for _, h := range strings.Fields(line) {
			set[h] = true
		}
	}
	return set, nil
}

// CurrentRef returns the full name of the branch HEAD is on, such as
// refs/heads/main, or "" when HEAD is detached.
func (r *Repo) CurrentRef(ctx context.Context) (string, error) {
	out, err := r.run(ctx, "symbolic-ref", "-q", "HEAD")
	if err != nil {
		if exitCode(err) == 1 {
			return "", nil
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// CheckPush asks remote whether it would accept refs/tags/name pointing at
// commit, without pushing anything (git push --dry-run): it fails when the
// remote cannot be reached, refuses the credentials, or already has the
// tag at something else. A tag that exists locally is checked as it is
// (an annotated tag object), so a remote that already has the same tag
// accepts it as up to date.
func (r *Repo) CheckPush(ctx context.Context, remote, name, commit string) error {
	src := commit
	if _, ok, err := r.TagCommit(ctx, name); err != nil {
		return err
	} else if ok {
		src = "refs/tags/" + name
	}
	_, err := r.run(ctx, "push", "--dry-run", "--porcelain", "--end-of-options", remote, src+":refs/tags/"+name)
	return err
}
