package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
)

// This file exports what a tool that copies a store object by object (package
// storesync) needs beyond List, OpenObject and Bucket: the store's own
// checked write, and its regeneration of the derived objects.

// ErrExists is the error of WriteObject with ifNotExist for an object that
// exists; nothing was written.
var ErrExists = errExists

// ErrDigest is wrapped by the error of WriteObject when what it read does
// not have the SHA-256 and size it was given; nothing was written.
var ErrDigest = errors.New("the content does not have the expected SHA-256 and size")

// WriteObject writes the object key from r as a publish writes its objects:
// through the Fault hook, with the layout's content type, and only when r's
// content has the given SHA-256 (hex) and size; otherwise the write is
// abandoned, nothing is stored, and the error wraps ErrDigest. With
// ifNotExist it fails with ErrExists, and changes nothing, when the object
// exists (atomically on S3, GCS and Azure; within one process for a file
// store).
//
// Like Bucket, it bypasses the layout's guarantees: the caller writes a
// version as a publish does (its manifest first, its commit marker last,
// with ifNotExist). Other errors are the backend's, wrapped as the store's
// readers wrap them.
func (s *Store) WriteObject(ctx context.Context, key string, r io.Reader, sum string, size int64, ifNotExist bool) error {
	h := sha256.New()
	return s.write(ctx, key, &digestReader{r: io.TeeReader(r, h), h: h, sum: sum, size: size, key: key}, ifNotExist)
}

// digestReader is checkReader with an error that wraps ErrDigest: it fails
// the read that would end the stream when the content read so far does
// not have the expected digest, so that the writer never commits it.
type digestReader struct {
	r    io.Reader
	h    hash.Hash
	sum  string
	size int64
	n    int64
	key  string
}

func (d *digestReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.n += int64(n)
	if d.n > d.size {
		return n, fmt.Errorf("%s: more than the %d bytes expected: %w", d.key, d.size, ErrDigest)
	}
	if errors.Is(err, io.EOF) {
		if got := hex.EncodeToString(d.h.Sum(nil)); d.n != d.size || got != d.sum {
			return n, fmt.Errorf("%s: sha256 %s, %d bytes, not the %s, %d bytes expected: %w", d.key, got, d.n, d.sum, d.size, ErrDigest)
		}
	}
	return n, err
}

// DeleteObject removes the object key, through the Fault hook; a missing
// object is not an error. It bypasses the layout's guarantees like Bucket.
func (s *Store) DeleteObject(ctx context.Context, key string) error {
	return s.delete(ctx, key)
}

// RefreshModule rewrites a module's list and @latest from its committed
// versions (the store's own derivation, as a publish does after its
// commit), writing only what changed, and @latest before list: so a list
// that names every committed version shows that @latest is up to date too,
// even after a crash between the two writes. It leaves a module without
// committed versions alone. Errors: EINVALID for an invalid module path;
// others from the backend.
func (s *Store) RefreshModule(ctx context.Context, path string) error {
	if err := checkModule(path); err != nil {
		return err
	}
	// derivedModule, listing the module's versions once instead of twice
	// (its latestVersion lists them again).
	versions, err := s.committedVersions(ctx, path)
	if err != nil || len(versions) == 0 {
		return err
	}
	list := []byte(strings.Join(versions, "\n") + "\n")
	k := keysFor(path, "v0.0.0")
	top := latestOf(versions, nil)
	mod, err := s.read(ctx, keysFor(path, top).mod)
	if err != nil && shipline.ErrorCode(err) != shipline.ENOTFOUND {
		return err
	}
	var retracted []modfile.VersionInterval
	if f, err := modfile.ParseLax("go.mod", mod, nil); err == nil {
		for _, r := range f.Retract {
			retracted = append(retracted, r.VersionInterval)
		}
	}
	v := latestOf(versions, retracted)
	if v == "" {
		v = top
	}
	latest, err := s.ReadInfoFile(ctx, path, v)
	if err != nil {
		return err
	}
	for _, o := range []struct {
		key  string
		want []byte
	}{{k.latest, latest}, {k.list, list}} {
		if got, err := s.read(ctx, o.key); err == nil && bytes.Equal(got, o.want) {
			continue
		}
		if err := s.writeBytes(ctx, o.key, o.want, false); err != nil {
			return err
		}
	}
	return nil
}

// RefreshIndex rewrites _releases/index.json from the committed releases
// when it differs, as a release's publish does after its commit.
func (s *Store) RefreshIndex(ctx context.Context) error {
	return s.refreshIndex(ctx)
}

// committedVersions is Versions, faster for a local store opened without
// a key prefix: one read of the module's @v directory by name, where
// fileblob's listing stats each file and looks for its attributes file.
// The names are filtered as Versions filters keys.
func (s *Store) committedVersions(ctx context.Context, path string) ([]string, error) {
	u, root, err := ParseURL(s.URL)
	if err != nil || root == "" || u.Query().Has("prefix") {
		return s.Versions(ctx, path)
	}
	k := keysFor(path, "v0.0.0")
	ents, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(k.dir)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, s.wrap(err, "list %s", k.dir)
	}
	var versions []string
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".info") {
			continue
		}
		if mk, ok := ParseModuleKey(k.dir + e.Name()); ok && mk.Module == path && mk.File == "info" {
			versions = append(versions, mk.Version)
		}
	}
	semver.Sort(versions)
	return versions, nil
}
