package gitrepo

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
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
	head, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
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
	return &Repo{Dir: top, Shallow: shallow, head: commit}, true
}

// resolveHead resolves the content of HEAD to a commit: a detached object
// name, or "ref: refs/heads/NAME" through a loose ref or packed-refs.
func resolveHead(gitDir, head string) (string, bool) {
	ref, symbolic := strings.CutPrefix(head, "ref: ")
	if !symbolic {
		return head, isObjectName(head)
	}
	if !strings.HasPrefix(ref, "refs/") || strings.Contains(ref, "..") {
		return "", false
	}
	if b, err := os.ReadFile(filepath.Join(gitDir, filepath.FromSlash(ref))); err == nil {
		name := strings.TrimSpace(string(b))
		return name, isObjectName(name)
	}
	f, err := os.Open(filepath.Join(gitDir, "packed-refs"))
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
