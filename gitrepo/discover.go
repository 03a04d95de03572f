package gitrepo

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
)

// discover finds the work tree around dir by reading the files git itself
// reads, which saves starting a git process on the path every command
// takes. It handles the common layout only: a .git directory with files
// refs, HEAD pointing at a branch or a commit. For anything else (a .git
// file of a linked work tree or submodule, reftable, environment variables
// that move the repository, a symbolic ref chain, an unborn branch) it
// returns ok false and the caller asks git.
func discover(dir string) (r *Repo, ok bool) {
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_OBJECT_DIRECTORY", "GIT_REF_STORAGE"} {
		if _, set := os.LookupEnv(k); set {
			return nil, false
		}
	}
	top, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, false
	}
	// git never goes up into a directory of GIT_CEILING_DIRECTORIES.
	ceilings := map[string]bool{}
	for _, c := range filepath.SplitList(os.Getenv("GIT_CEILING_DIRECTORIES")) {
		if c == "" || !filepath.IsAbs(c) {
			continue
		}
		if r, err := filepath.EvalSymlinks(c); err == nil {
			c = r
		}
		ceilings[filepath.Clean(c)] = true
	}
	for {
		st, err := os.Lstat(filepath.Join(top, ".git"))
		if err == nil {
			if !st.IsDir() {
				return nil, false
			}
			break
		}
		parent := filepath.Dir(top)
		if parent == top || ceilings[parent] {
			return nil, false
		}
		top = parent
	}
	gitDir := filepath.Join(top, ".git")
	if _, err := os.Stat(filepath.Join(gitDir, "reftable")); err == nil {
		return nil, false
	}
	if _, err := os.Stat(filepath.Join(gitDir, "commondir")); err == nil {
		return nil, false
	}
	head, err := os.ReadFile(filepath.Join(gitDir, "HEAD")) // #nosec G304 -- the HEAD file of the .git directory found above
	if err != nil {
		return nil, false
	}
	commit, ok := resolveHead(gitDir, strings.TrimSpace(string(head)))
	if !ok {
		return nil, false
	}
	shallow := false
	if st, err := os.Stat(filepath.Join(gitDir, "shallow")); err == nil && st.Size() > 0 {
		shallow = true
	}
	return &Repo{Dir: top, Shallow: shallow, head: commit, gitDir: gitDir}, true
}

// resolveHead resolves the content of HEAD to a commit: a detached object
// name, or "ref: refs/heads/NAME" through a loose ref or packed-refs.
func resolveHead(gitDir, head string) (string, bool) {
	ref, symbolic := strings.CutPrefix(head, "ref: ")
	if !symbolic {
		return head, isObjectName(head)
	}
	if !strings.HasPrefix(ref, "refs/") || !filepath.IsLocal(filepath.FromSlash(ref)) {
		return "", false
	}
	if b, err := os.ReadFile(filepath.Join(gitDir, filepath.FromSlash(ref))); err == nil { // #nosec G304 G703 -- a ref under .git/refs, checked local above
		name := strings.TrimSpace(string(b))
		return name, isObjectName(name)
	}
	f, err := os.Open(filepath.Join(gitDir, "packed-refs")) // #nosec G304 -- packed-refs of the .git directory found by discover
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	suffix := []byte(" " + ref)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasSuffix(line, suffix) {
			name := string(line[:len(line)-len(suffix)])
			return name, isObjectName(name)
		}
	}
	return "", false
}

// isObjectName reports whether s is a full SHA-1 or SHA-256 object name.
func isObjectName(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// packedTags reads the tags from packed-refs when every tag is packed and
// peeled there, as in a fresh clone or after git pack-refs: then no git
// process is needed. It returns ok false when a tag is stored loose or the
// file does not record peeled values, and the caller asks git.
//
// packed-refs does not say what a lightweight tag points at; one that
// names a tree or a blob, which git's own tooling almost never makes, is
// taken for a commit here and fails later where it is used.
func (r *Repo) packedTags() (tags []shipline.Tag, ok bool) {
	if r.gitDir == "" {
		return nil, false
	}
	loose := false
	_ = filepath.WalkDir(filepath.Join(r.gitDir, "refs", "tags"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			loose = true
			return fs.SkipAll
		}
		return nil
	})
	if loose {
		return nil, false
	}
	data, err := os.ReadFile(filepath.Join(r.gitDir, "packed-refs"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true // no tags at all
	}
	if err != nil {
		return nil, false
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "# pack-refs with:") {
		return nil, false
	}
	traits := strings.Fields(strings.TrimPrefix(lines[0], "# pack-refs with:"))
	if !slices.Contains(traits, "peeled") && !slices.Contains(traits, "fully-peeled") {
		return nil, false
	}
	last := -1 // index of the tag on the line before, for its ^ line
	for _, line := range lines[1:] {
		if peeled, isPeel := strings.CutPrefix(line, "^"); isPeel {
			if last >= 0 && isObjectName(peeled) {
				tags[last].Commit, tags[last].Annotated = peeled, true
			}
			last = -1
			continue
		}
		last = -1
		hash, ref, found := strings.Cut(line, " ")
		if name, isTag := strings.CutPrefix(ref, "refs/tags/"); found && isTag && isObjectName(hash) {
			tags = append(tags, shipline.Tag{Name: name, Commit: hash})
			last = len(tags) - 1
		}
	}
	return tags, true
}
