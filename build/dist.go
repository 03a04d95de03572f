package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build/archive"
)

// PrepareDist makes dist an empty directory for a build of the module in
// moduleDir. A dist that does not exist is created. A non-empty one is an
// ECONFLICT error unless clean, which removes it first. A dist that is
// moduleDir or holds it is an EINVALID error whatever clean says, so that
// a mistyped --dist cannot remove the module.
func PrepareDist(dist, moduleDir string, clean bool) error {
	if within(moduleDir, dist) {
		return shipline.Errorf(shipline.EINVALID, "dist directory %s holds the module at %s: choose a directory inside it, such as dist", dist, moduleDir)
	}
	entries, err := os.ReadDir(dist)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dist, 0o755)
	case err != nil:
		return shipline.Errorf(shipline.ECONFLICT, "dist directory %s: %v", dist, err)
	case len(entries) == 0:
		return nil
	case !clean:
		return shipline.Errorf(shipline.ECONFLICT, "dist directory %s is not empty: remove it, or pass --clean to have it removed", dist)
	}
	if err := os.RemoveAll(dist); err != nil {
		return fmt.Errorf("clean dist: %w", err)
	}
	return os.MkdirAll(dist, 0o755)
}

// within reports whether path p is dir or inside it, comparing absolute,
// clean paths with symbolic links resolved where they exist.
func within(p, dir string) bool {
	resolve := func(s string) string {
		s = filepath.Clean(s)
		if r, err := filepath.EvalSymlinks(s); err == nil {
			return r
		}
		return s
	}
	rel, err := filepath.Rel(resolve(dir), resolve(p))
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// archiveDocs returns the files that the patterns, relative to dir, match:
// regular files only, in name order, each once. A malformed pattern is an
// EINVALID error; a pattern that matches nothing adds nothing.
func archiveDocs(dir string, patterns []string) ([]archive.File, error) {
	seen := map[string]bool{}
	var files []archive.File
	for _, p := range patterns {
		if !filepath.IsLocal(filepath.FromSlash(p)) {
			return nil, shipline.Errorf(shipline.EINVALID, "archive.files: %q is not a pattern of files inside the module", p)
		}
		matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, shipline.Errorf(shipline.EINVALID, "archive.files: %q: %v", p, err)
		}
		for _, m := range matches {
			info, err := os.Stat(m)
			if err != nil || !info.Mode().IsRegular() {
				continue
			}
			rel, err := filepath.Rel(dir, m)
			if err != nil {
				return nil, err
			}
			name := filepath.ToSlash(rel)
			if !seen[name] {
				seen[name] = true
				files = append(files, archive.File{Name: name, Src: m, Mode: 0o644})
			}
		}
	}
	slices.SortFunc(files, func(a, b archive.File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// hashArtifact reads the finished file at slash path rel in dist once, for
// its SHA-256 and size.
func hashArtifact(dist, rel string, kind shipline.ArtifactKind) (shipline.Artifact, error) {
	a := shipline.Artifact{Name: path.Base(rel), Path: rel, Kind: kind}
	f, err := os.Open(filepath.Join(dist, filepath.FromSlash(rel)))
	if err != nil {
		return a, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return a, fmt.Errorf("hash %s: %w", rel, err)
	}
	a.SHA256, a.Size = hex.EncodeToString(h.Sum(nil)), n
	return a, nil
}

// FormatChecksums returns the checksums file of arts in sha256sum's format:
// one "SHA256  PATH" line per artifact (two spaces; the path relative to
// the dist directory), sorted by path, so that `sha256sum -c` run in the
// dist directory checks every file.
func FormatChecksums(arts []shipline.Artifact) []byte {
	arts = slices.Clone(arts)
	slices.SortFunc(arts, func(a, b shipline.Artifact) int { return strings.Compare(a.Path, b.Path) })
	var b bytes.Buffer
	for _, a := range arts {
		fmt.Fprintf(&b, "%s  %s\n", a.SHA256, a.Path)
	}
	return b.Bytes()
}

// writeChecksums writes ChecksumsFile for arts into dist and returns its
// own artifact.
func writeChecksums(dist string, arts []shipline.Artifact) (shipline.Artifact, error) {
	if err := writeNew(filepath.Join(dist, ChecksumsFile), FormatChecksums(arts)); err != nil {
		return shipline.Artifact{}, err
	}
	return hashArtifact(dist, ChecksumsFile, shipline.KindChecksums)
}

// writeManifest writes res into dist as ManifestFile.
func writeManifest(dist string, res *Result) error {
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return writeNew(filepath.Join(dist, ManifestFile), append(data, '\n'))
}

// writeNew writes data to a new file.
func writeNew(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Difference is a file that two builds did not make the same.
type Difference struct {
	Path string `json:"path"` // relative to the dist directory
	A    string `json:"a"`    // SHA-256 in the first build; "" when it made no such file
	B    string `json:"b"`    // SHA-256 in the second build; "" when it made no such file
}

// Compare returns the artifacts of a and b, matched by path, whose SHA-256
// differ or that only one of them has, sorted by path; nil when the two
// builds made the same files.
func Compare(a, b []shipline.Artifact) []Difference {
	sums := map[string]*Difference{}
	get := func(p string) *Difference {
		if d := sums[p]; d != nil {
			return d
		}
		d := &Difference{Path: p}
		sums[p] = d
		return d
	}
	for _, x := range a {
		get(x.Path).A = x.SHA256
	}
	for _, x := range b {
		get(x.Path).B = x.SHA256
	}
	var out []Difference
	for _, d := range sums {
		if d.A != d.B {
			out = append(out, *d)
		}
	}
	slices.SortFunc(out, func(x, y Difference) int { return strings.Compare(x.Path, y.Path) })
	return out
}
