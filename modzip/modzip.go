// Package modzip makes Go module zip files and the hashes go.sum records
// for them, exactly as the go command computes them: the zip of a module
// version (golang.org/x/mod/zip, with Go's rules: no vendor directories,
// no nested modules, no symbolic links or other irregular files), its
// "h1:" hash, and the "h1:" hash of its go.mod file (go.sum's "/go.mod"
// line).
//
// It works on a directory, normally a clean export of the tagged tree (see
// gitrepo.Repo.Export); it runs no git itself.
package modzip

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"

	"github.com/shipline-ci/shipline"
)

// Zip is a module zip file made by Create, with the hashes go.sum records.
type Zip struct {
	Path    string    // module path
	Version string    // canonical semantic version
	File    string    // the zip file
	Size    int64     // its size in bytes
	SHA256  string    // hex SHA-256 of the zip file's bytes
	Hash    string    // "h1:" hash of the zip's contents, as in go.sum
	Mod     []byte    // the go.mod file
	ModHash string    // "h1:" hash of Mod, as go.sum's "PATH VERSION/go.mod" line
	Files   []string  // slash paths of the files in the zip, sorted
	Omitted []Omitted // files of dir left out, and why
}

// Omitted is a file or directory of the module's directory that is not in
// its zip.
type Omitted struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Options adjust Create.
type Options struct {
	// License is the path of a LICENSE file to add to the zip when dir
	// has none at its top. The go command adds the repository root's
	// LICENSE to the zip of a module in a subdirectory; pass it for such
	// a module to get the same zip, and so the same hash, as the go
	// command and the public checksum database.
	License string
}

// Create writes the zip of module path@version, made from the files of dir,
// to the file zipFile (created or truncated), and returns it with its
// hashes.
//
// It fails with an EINVALID error when path or version are not a valid
// module path and canonical semantic version (module.Check), when dir has
// no go.mod or its module line names another path, and when a file breaks
// the module zip rules (a name that is not portable, case-insensitive
// duplicates, a file too large, a zip over 500 MB); zipFile is then
// removed.
func Create(dir, path, version, zipFile string, opts Options) (z *Zip, err error) {
	if err := CheckVersion(path, version); err != nil {
		return nil, err
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod")) // #nosec G304 -- the go.mod of the module directory the caller zips
	if errors.Is(err, fs.ErrNotExist) {
		return nil, shipline.Errorf(shipline.EINVALID, "%s has no go.mod: publish a Go module, one with a go.mod file", dir)
	} else if err != nil {
		return nil, err
	}
	if got := modfile.ModulePath(mod); got != path {
		return nil, shipline.Errorf(shipline.EINVALID, "the go.mod of %s@%s says module %q: publish it as that path, or fix its module line", path, version, got)
	}
	cf, err := modzip.CheckDir(dir)
	if err != nil && len(cf.Invalid) == 0 && cf.SizeError == nil {
		return nil, fmt.Errorf("list the files of %s: %w", dir, err)
	}
	if err := cf.Err(); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "the files of %s@%s cannot make a module zip: %v", path, version, err)
	}
	// CheckDir reports file paths; the zip wants slash paths relative to dir.
	files := make([]modzip.File, 0, len(cf.Valid)+1)
	hasLicense := false
	for _, p := range cf.Valid {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return nil, err
		}
		slash := filepath.ToSlash(rel)
		hasLicense = hasLicense || slash == "LICENSE"
		files = append(files, dirFile{slash: slash, path: p})
	}
	if opts.License != "" && !hasLicense {
		data, err := os.ReadFile(opts.License)
		switch {
		case err == nil:
			files = append(files, dataFile{name: "LICENSE", data: data})
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}

	f, err := os.Create(zipFile) // #nosec G304 -- the zip file the caller asks Create to write
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			os.Remove(zipFile)
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	mv := module.Version{Path: path, Version: version}
	if err := modzip.Create(cw, mv, files); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "make the zip of %s@%s: %v", path, version, err)
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	z = &Zip{Path: path, Version: version, File: zipFile, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil)), Mod: mod}
	for _, file := range files {
		z.Files = append(z.Files, file.Path())
	}
	slices.Sort(z.Files)
	for _, o := range cf.Omitted {
		p := o.Path
		if rel, err := filepath.Rel(dir, p); err == nil {
			p = filepath.ToSlash(rel)
		}
		z.Omitted = append(z.Omitted, Omitted{Path: p, Reason: o.Err.Error()})
	}
	if z.Hash, err = HashZip(zipFile); err != nil {
		return nil, err
	}
	if z.ModHash, err = HashMod(mod); err != nil {
		return nil, err
	}
	return z, nil
}

// CheckVersion returns an EINVALID error, saying what is wrong, unless path
// is a valid module path and version a canonical semantic version it may
// carry (v2 and up need a /vN path or +incompatible).
func CheckVersion(path, version string) error {
	if err := module.CheckPath(path); err != nil {
		return shipline.Errorf(shipline.EINVALID, "invalid module path: %v", err)
	}
	if err := module.Check(path, version); err != nil {
		return shipline.Errorf(shipline.EINVALID, "invalid module version: %v (want a canonical semantic version such as v1.2.3 that the path allows)", err)
	}
	if module.CanonicalVersion(version) != version {
		return shipline.Errorf(shipline.EINVALID, "invalid module version %q: not canonical; write %q", version, module.CanonicalVersion(version))
	}
	return nil
}

// HashZip returns the "h1:" hash of a module zip file, as go.sum records it.
func HashZip(zipFile string) (string, error) {
	h, err := dirhash.HashZip(zipFile, dirhash.Hash1)
	if err != nil {
		return "", shipline.Errorf(shipline.EINVALID, "hash module zip %s: %v", zipFile, err)
	}
	return h, nil
}

// HashMod returns the "h1:" hash of a go.mod file's contents, as go.sum
// records it on a module's "/go.mod" line.
func HashMod(data []byte) (string, error) {
	return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// CheckZip returns an EINVALID error unless zipFile is a valid module zip
// of path@version.
func CheckZip(path, version, zipFile string) error {
	cf, err := modzip.CheckZip(module.Version{Path: path, Version: version}, zipFile)
	if err == nil {
		err = cf.Err()
	}
	if err != nil {
		return shipline.Errorf(shipline.EINVALID, "%s is not a valid module zip of %s@%s: %v", zipFile, path, version, err)
	}
	return nil
}

type dirFile struct{ slash, path string }

func (f dirFile) Path() string                 { return f.slash }
func (f dirFile) Lstat() (os.FileInfo, error)  { return os.Lstat(f.path) }
func (f dirFile) Open() (io.ReadCloser, error) { return os.Open(f.path) }

type dataFile struct {
	name string
	data []byte
}

func (f dataFile) Path() string                 { return f.name }
func (f dataFile) Lstat() (os.FileInfo, error)  { return dataInfo{f}, nil }
func (f dataFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type dataInfo struct{ f dataFile }

func (i dataInfo) Name() string       { return filepath.Base(i.f.name) }
func (i dataInfo) Size() int64        { return int64(len(i.f.data)) }
func (i dataInfo) Mode() fs.FileMode  { return 0o644 }
func (i dataInfo) ModTime() time.Time { return time.Time{} }
func (i dataInfo) IsDir() bool        { return false }
func (i dataInfo) Sys() any           { return nil }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
