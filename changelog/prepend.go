package changelog

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/shipline-ci/shipline"
)

// HasVersion reports whether a changelog already holds a section headed by
// version ("## v1.2.0", "## [v1.2.0](...)", with any heading level).
func HasVersion(doc []byte, version string) bool {
	re := regexp.MustCompile(`(?m)^#{1,6}[ \t]+\[?` + regexp.QuoteMeta(version) + `(\]|[ \t]|$)`)
	return re.Match(doc)
}

// Prepend inserts section into the changelog file at path, after its
// top-level "# " title when it has one and otherwise at the top, unless
// the file already has a section for version. It reports whether the file
// changed. A missing file is created with a "# Changelog" title. The file
// is replaced atomically.
func Prepend(path string, version string, section []byte) (bool, error) {
	old, err := os.ReadFile(path) // #nosec G304 -- the changelog file its caller names ('shipline changelog --prepend FILE'), which Prepend is for
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err != nil || len(bytes.TrimSpace(old)) == 0 {
		old = []byte("# Changelog\n")
	}
	if HasVersion(old, version) {
		return false, nil
	}
	section = append(bytes.TrimRight(section, "\n"), '\n')
	var out bytes.Buffer
	head, rest := splitTitle(old)
	out.Write(head)
	if len(head) > 0 {
		out.WriteString("\n")
	}
	out.Write(section)
	if rest = bytes.TrimLeft(rest, "\n"); len(rest) > 0 {
		out.WriteString("\n")
		out.Write(rest)
	}
	return true, writeFileAtomic(path, out.Bytes())
}

// splitTitle splits off everything before the first "## " heading when a
// "# Title" line comes before it: the title and whatever surrounds it, such
// as an introduction or a markdownlint comment.
func splitTitle(doc []byte) (head, rest []byte) {
	s := string(doc)
	end := len(s)
	if i := strings.Index("\n"+s, "\n## "); i >= 0 {
		end = i
	}
	if !strings.HasPrefix(s, "# ") && !strings.Contains(s[:end], "\n# ") {
		return nil, doc
	}
	return []byte(strings.TrimRight(s[:end], "\n") + "\n"), []byte(s[end:])
}

func writeFileAtomic(path string, data []byte) error {
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".changelog-*")
	if err != nil {
		return shipline.Errorf(shipline.EINVALID, "write %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
