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
	"os"
	"time"

	"github.com/shipline-ci/shipline"
)

// pending is an object a publish will write.
type pending struct {
	key    string
	size   int64
	sha256 string                        // hex
	open   func() (io.ReadCloser, error) // its content, again on each call
}

func pendingBytes(key string, data []byte) pending {
	sum := sha256.Sum256(data)
	return pending{key: key, size: int64(len(data)), sha256: hex.EncodeToString(sum[:]),
		open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// versionSet is what one publish of one version writes.
type versionSet struct {
	manifest    *Manifest // Kind, Module, Version and the kind's hashes; commit fills in the rest
	manifestKey string
	files       []pending                 // in the order they are written; the commit marker last
	describe    string                    // "example.com/m@v1.2.3" or "the release of ..."
	same        func(old *Manifest) error // nil when old has the same content, else an ECONFLICT error naming both
}

// commitResult says what commit did.
type commitResult struct {
	created  bool      // the version was committed by this call
	resumed  bool      // an unfinished publish of the same content was completed
	replaced bool      // an unfinished publish of other content was replaced
	manifest *Manifest // the committed manifest
}

// commit writes a version set so that it becomes visible all at once:
//
//  1. If the commit marker exists the version is committed: the same
//     content is a no-op, other content an ECONFLICT error.
//  2. An unfinished publish (a manifest without a marker) of the same
//     content is completed; of other content it is replaced once its lease
//     has run out, and until then refused with ECONFLICT.
//  3. The manifest is written, then every file but the marker, each
//     re-hashed as it is uploaded.
//  4. The manifest is read again: a publish of other content that took the
//     version over in the meantime wins, and this one fails.
//  5. The marker is created only if it does not exist; if another publish
//     created it first, its content decides as in 1.
func (s *Store) commit(ctx context.Context, vs versionSet) (commitResult, error) {
	var res commitResult
	marker := vs.files[len(vs.files)-1].key
	committed, err := s.exists(ctx, marker)
	if err != nil {
		return res, err
	}
	old, err := s.readManifest(ctx, vs.manifestKey)
	switch {
	case committed && err != nil:
		if shipline.ErrorCode(err) == shipline.ENOTFOUND {
			return res, shipline.Errorf(shipline.EINTERNAL, "store %s: %s is committed (%s exists) but has no manifest %s: the store is damaged; run 'shipline store verify %s'", s.URL, vs.describe, marker, vs.manifestKey, s.URL)
		}
		return res, err
	case committed:
		if err := vs.same(old); err != nil {
			return res, err
		}
		res.manifest = old
		return res, nil
	case err == nil:
		if vs.same(old) == nil {
			res.resumed = true
		} else if until := old.Started.Add(s.lease()); s.now().Before(until) {
			return res, shipline.Errorf(shipline.ECONFLICT, "store %s: another publish of %s with other content started at %s by %s and has not finished: wait for it to finish, or, if it crashed, publish again after %s",
				s.URL, vs.describe, old.Started.Format(time.RFC3339), orDash(old.Publisher), until.Format(time.RFC3339))
		} else {
			res.replaced = true
		}
	case shipline.ErrorCode(err) == shipline.ENOTFOUND:
		old = nil
	case shipline.ErrorCode(err) == shipline.EINVALID:
		// An unreadable manifest of an uncommitted version claims nothing.
		old, res.replaced = nil, true
	default:
		return res, err
	}

	m := vs.manifest
	m.Format = manifestFormat
	m.Started = s.now()
	m.Publisher = publisher()
	m.Objects = m.Objects[:0]
	for _, f := range vs.files {
		m.Objects = append(m.Objects, ObjectSum{Key: f.key, SHA256: f.sha256, Size: f.size})
	}
	if err := s.writeBytes(ctx, vs.manifestKey, m.encode(), false); err != nil {
		return res, err
	}
	if old != nil && res.replaced {
		// Objects of the replaced publish that this one does not write.
		for _, o := range old.Objects {
			if m.object(o.Key) == nil {
				if err := s.delete(ctx, o.Key); err != nil {
					return res, err
				}
			}
		}
	}
	for _, f := range vs.files[:len(vs.files)-1] {
		if err := s.writeFile(ctx, f, false); err != nil {
			return res, err
		}
	}
	cur, err := s.readManifest(ctx, vs.manifestKey)
	if err != nil {
		return res, err
	}
	if err := vs.same(cur); err != nil {
		return res, shipline.Errorf(shipline.ECONFLICT, "store %s: another publish took over %s while this one was writing it: %v", s.URL, vs.describe, err)
	}
	err = s.writeFile(ctx, vs.files[len(vs.files)-1], true)
	if errors.Is(err, errExists) {
		cur, err := s.readManifest(ctx, vs.manifestKey)
		if err != nil {
			return res, err
		}
		if err := vs.same(cur); err != nil {
			return res, err
		}
		res.manifest = cur
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.created = true
	res.manifest = m
	return res, nil
}

// writeFile uploads f, checking on the way that its content still has the
// digest it had when the publish was planned: a file is never changed after
// it has been hashed.
func (s *Store) writeFile(ctx context.Context, f pending, ifNotExist bool) error {
	rc, err := f.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return s.writeChecked(ctx, f.key, rc, f.sha256, f.size, ifNotExist)
}

// writeChecked writes key from r, and aborts the write, storing nothing,
// unless r's content has the given SHA-256 and size.
func (s *Store) writeChecked(ctx context.Context, key string, r io.Reader, sum string, size int64, ifNotExist bool) error {
	h := sha256.New()
	cr := &checkReader{r: io.TeeReader(r, h), h: h, sum: sum, size: size, key: key}
	return s.write(ctx, key, cr, ifNotExist)
}

// checkReader fails the read that would end the stream when the content
// read so far does not have the expected digest, so that the writer never
// commits it.
type checkReader struct {
	r    io.Reader
	h    hash.Hash
	sum  string
	size int64
	n    int64
	key  string
}

func (c *checkReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.size {
		return n, fmt.Errorf("the content of %s grew past %d bytes after it was hashed: files must not change while they are published", c.key, c.size)
	}
	if errors.Is(err, io.EOF) {
		if got := hex.EncodeToString(c.h.Sum(nil)); c.n != c.size || got != c.sum {
			return n, fmt.Errorf("the content of %s changed after it was hashed (sha256 %s, %d bytes; now %s, %d bytes): files must not change while they are published", c.key, c.sum, c.size, got, c.n)
		}
	}
	return n, err
}

// readManifest reads and checks the manifest at key.
func (s *Store) readManifest(ctx context.Context, key string) (*Manifest, error) {
	data, err := s.read(ctx, key)
	if err != nil {
		return nil, err
	}
	return ParseManifest(key, data)
}

func publisher() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s pid %d", host, os.Getpid())
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
