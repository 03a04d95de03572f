package build

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build/archive"
)

// Files and durability: Run writes every file of the dist directory once,
// with O_EXCL, and syncs none of them. go build does not sync the binaries
// either, so syncing the rest would not make a dist directory durable, and
// it need not be: every file's SHA-256 is in artifacts.json (and in the
// journal of a release, which is synced), a file that a crash lost or cut
// short no longer has it (release checks every digest before it resumes
// after a build), and building the same commit again gives the same bytes.
// Syncing the archives cost about a tenth of a second of waiting for the
// disk per 20 MB archive, with a build slot idle.

// Permissions: the dist directory and its subdirectories are 0755 and its
// files 0644 (binaries 0755, as go build writes them): they are the public
// artifacts of a release, meant to be read by everyone (published,
// uploaded, served) and run.

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
		return os.MkdirAll(dist, 0o755) // #nosec G301 -- the dist directory holds public release artifacts, for everyone to read
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
	return os.MkdirAll(dist, 0o755) // #nosec G301 -- the dist directory holds public release artifacts, for everyone to read
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

// digest is an io.Writer that hashes what it is given with SHA-256 and
// counts it: the digest of a file computed from the read or the write that
// is done anyway (archiving a binary, writing an archive), so that no file
// is read again only to be hashed.
type digest struct {
	h hash.Hash
	n int64
}

func newDigest() *digest { return &digest{h: sha256.New()} }

// Write never fails.
func (d *digest) Write(p []byte) (int, error) {
	d.h.Write(p)
	d.n += int64(len(p))
	return len(p), nil
}

// artifact returns the artifact of the file at slash path rel whose bytes
// d was given, all of them and nothing else.
func (d *digest) artifact(rel string, kind shipline.ArtifactKind) shipline.Artifact {
	return shipline.Artifact{Name: path.Base(rel), Path: rel, Kind: kind, SHA256: hex.EncodeToString(d.h.Sum(nil)), Size: d.n}
}

// writeArchive writes the archive of files, in format f at level, to the
// new file at slash path rel in dist, and returns its artifact, hashed
// from the bytes as they are written: the archive is complete when its
// digest is, and nothing writes to it afterwards. On failure it removes
// what it wrote.
func writeArchive(dist, rel string, f archive.Format, files []archive.File, mtime time.Time, level int) (a shipline.Artifact, err error) {
	name := filepath.Join(dist, filepath.FromSlash(rel))
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) // #nosec G302 G304 -- a new archive in the dist directory: a public release artifact, for everyone to read
	if err != nil {
		return a, err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(name) // best effort: the error that matters is err
		}
	}()
	d := newDigest()
	w := bufio.NewWriterSize(io.MultiWriter(out, d), 1<<20)
	if err := archive.Write(w, f, files, mtime, level); err != nil {
		return a, err
	}
	if err := w.Flush(); err != nil {
		return a, err
	}
	return d.artifact(rel, shipline.KindArchive), nil
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
	data := FormatChecksums(arts)
	if err := writeNew(filepath.Join(dist, ChecksumsFile), data); err != nil {
		return shipline.Artifact{}, err
	}
	sum := sha256.Sum256(data)
	return shipline.Artifact{Name: ChecksumsFile, Path: ChecksumsFile, Kind: shipline.KindChecksums, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}, nil
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
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) // #nosec G302 G304 -- a new file in the dist directory (checksums.txt, artifacts.json): a public release artifact, for everyone to read
	if err != nil {
		return err
	}
	_, err = f.Write(data)
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
