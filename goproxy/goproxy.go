// Package goproxy serves a Shipline store over HTTP as a Go module proxy
// (the GOPROXY protocol, https://go.dev/ref/mod#goproxy-protocol), and
// reads such proxies as a client.
//
// # Serving
//
// Handler answers GET and HEAD for $module/@v/list, $module/@latest and
// $module/@v/$version.{info,mod,zip} from a store (package store):
//
//   - Paths are case-escaped as the protocol says ("!f" for "F"); a
//     percent-encoded "!" (%21) is the same thing. Anything that is not
//     such a path, a module the store does not have, a version that is not
//     committed (an unfinished publish does not exist), a version query
//     such as "master" (not resolved here) and the path-prefix probes the
//     go command makes (go get example.com/a/b/c asks for example.com/a/b/c,
//     example.com/a/b and example.com/a) are 404 Not Found with a one-line
//     text body; the go command then tries the next candidate.
//   - A committed version never changes, so .info, .mod and .zip are
//     served with "Cache-Control: public, max-age=31536000, immutable" and
//     a strong ETag, the SHA-256 its manifest recorded (If-None-Match gives
//     304 Not Modified). list and @latest change with each publish: a short
//     max-age (Options.ListMaxAge) and an ETag of their content.
//   - Zips are read from the store with one ranged read per request, so
//     Range requests (and HEAD) cost no more than what they return.
//   - .info and .mod are checked against their manifest's SHA-256 as they
//     are served; a zip is not (a Range request cannot be), and the go
//     command checks it against go.sum or the checksum database anyway.
//     'shipline store verify' re-hashes everything.
//
// Errors inside the proxy are 500 with a generic body; the detail goes to
// Options.ErrorLog. AccessLog wraps a handler with one log line per
// request.
//
// # Read-through
//
// With Options.Upstream, a version the store does not have is fetched from
// the upstream proxy (.info, .mod, .zip), checked (Client.Fetch: a valid
// module zip of that path and version, whose go.mod is the one served),
// and published to the store with store.PublishModule, which records its
// SHA-256s and h1: hashes; then it is served from the store, and every
// later request is served locally. Concurrent requests for one version
// share one fetch. The upstream's 404 and 410 pass through as such; other
// upstream failures are 502 Bad Gateway. list is the union of the store's
// versions and the upstream's; @latest is the higher of the two.
//
// Trust: without Options.CheckSum, what the upstream serves first is what
// the store keeps (trust on first use). Once stored, a version never
// changes, so a later change upstream cannot alter what is served, and the
// go command still checks every zip against go.sum and GOSUMDB on its
// side. CheckSum can look the hashes up in a checksum database before
// anything is stored.
package goproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocloud.dev/gcerrors"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/sync/singleflight"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/store"
)

// Cache-Control values.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheNone      = "no-store"
	// DefaultListMaxAge is the max-age of list, @latest and not-found
	// answers when Options.ListMaxAge is zero.
	DefaultListMaxAge = time.Minute
)

// Options adjust Handler.
type Options struct {
	// Upstream, when set, is the proxy that versions the store does not
	// have are fetched from and stored (see the package documentation).
	Upstream *Client

	// CheckSum, when set, is asked about every version fetched from
	// Upstream before it is stored, with the h1: hashes of its zip and
	// go.mod (as go.sum records them); an error refuses the version, and
	// the request fails with 502. Use it to consult a checksum database.
	CheckSum func(ctx context.Context, path, version, zipHash, modHash string) error

	// ListMaxAge is the max-age of list and @latest, and of 404s;
	// DefaultListMaxAge when zero; negative for no caching.
	ListMaxAge time.Duration

	// ErrorLog receives the detail of internal and upstream errors; nil
	// means the standard logger.
	ErrorLog *log.Logger

	// TempDir is where read-through downloads go; "" for os.TempDir.
	TempDir string

	// MetaCache is how many committed versions' manifests the handler
	// keeps in memory (they never change); 0 means 4096.
	MetaCache int
}

// Handler returns an http.Handler that serves the store s as a Go module
// proxy, at the root of its path: mount it under a prefix with
// http.StripPrefix. See the package documentation for what it answers.
func Handler(s *store.Store, opts Options) http.Handler {
	if opts.MetaCache <= 0 {
		opts.MetaCache = 4096
	}
	return &handler{st: s, opts: opts, meta: map[string]*versionMeta{}}
}

type handler struct {
	st    *store.Store
	opts  Options
	group singleflight.Group

	mu   sync.Mutex
	meta map[string]*versionMeta // module@version of committed versions
}

// versionMeta is what the handler remembers of a committed version.
type versionMeta struct {
	info []byte                     // the .info file
	sums map[string]store.ObjectSum // by key; nil for a version without a manifest
}

// sum returns the manifest's record of key, if any.
func (m *versionMeta) sum(key string) (store.ObjectSum, bool) {
	o, ok := m.sums[key]
	return o, ok
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.text(w, r, http.StatusMethodNotAllowed, cacheNone, "method not allowed: a module proxy answers GET and HEAD")
		return
	}
	req, err := ParsePath(r.URL.Path)
	if err != nil {
		h.notFound(w, r, http.StatusNotFound, err.Error())
		return
	}
	switch req.File {
	case FileList:
		h.serveList(w, r, req)
	case FileLatest:
		h.serveLatest(w, r, req)
	default:
		h.serveVersion(w, r, req)
	}
}

// serveList answers $module/@v/list: the store's, merged with the
// upstream's when there is one.
func (h *handler) serveList(w http.ResponseWriter, r *http.Request, req Request) {
	local, err := h.readSmall(r.Context(), req.Key())
	if err != nil && shipline.ErrorCode(err) != shipline.ENOTFOUND {
		h.internal(w, r, err)
		return
	}
	found := err == nil
	if up := h.opts.Upstream; up != nil {
		versions, uerr := up.List(r.Context(), req.Module)
		switch status, gone := isNotFound(uerr); {
		case uerr == nil:
			local = mergeList(local, versions)
			found = true
		case gone && !found:
			h.notFound(w, r, status, fmt.Sprintf("not found: %s (upstream %s: %d)", req.Module, up.URL(), status))
			return
		case !gone && !found:
			h.upstreamFailed(w, r, uerr)
			return
		case !gone:
			h.logf("%s: serving the store's list alone: %v", req.Key(), uerr)
		}
	}
	if !found {
		h.notFound(w, r, http.StatusNotFound, "not found: "+req.Module+": no such module")
		return
	}
	h.serveSmall(w, r, req, local, h.listCache(), "")
}

// mergeList returns the union of a list file and versions, in semver
// order, one a line.
func mergeList(list []byte, versions []string) []byte {
	all := slices.Clone(versions)
	for _, l := range strings.Split(string(list), "\n") {
		if v := strings.TrimSpace(l); v != "" {
			all = append(all, v)
		}
	}
	semver.Sort(all)
	all = slices.Compact(all)
	if len(all) == 0 {
		return nil
	}
	return []byte(strings.Join(all, "\n") + "\n")
}

// serveLatest answers $module/@latest: the store's, or the upstream's when
// that names a higher version.
func (h *handler) serveLatest(w http.ResponseWriter, r *http.Request, req Request) {
	local, err := h.readSmall(r.Context(), req.Key())
	if err != nil && shipline.ErrorCode(err) != shipline.ENOTFOUND {
		h.internal(w, r, err)
		return
	}
	found := err == nil
	if up := h.opts.Upstream; up != nil {
		data, info, uerr := up.Latest(r.Context(), req.Module)
		switch status, gone := isNotFound(uerr); {
		case uerr == nil:
			if !found || semver.Compare(info.Version, latestVersion(local)) > 0 {
				local, found = data, true
			}
		case gone && !found:
			h.notFound(w, r, status, fmt.Sprintf("not found: %s (upstream %s: %d)", req.Module, up.URL(), status))
			return
		case !gone && !found:
			h.upstreamFailed(w, r, uerr)
			return
		case !gone:
			h.logf("%s: serving the store's @latest alone: %v", req.Key(), uerr)
		}
	}
	if !found {
		h.notFound(w, r, http.StatusNotFound, "not found: "+req.Module+": no such module")
		return
	}
	h.serveSmall(w, r, req, local, h.listCache(), "")
}

// latestVersion returns the Version of a .info file, or "".
func latestVersion(info []byte) string {
	var i struct{ Version string }
	if json.Unmarshal(info, &i) != nil {
		return ""
	}
	return i.Version
}

// serveVersion answers .info, .mod and .zip of a committed version,
// fetching it from the upstream first when the store does not have it.
func (h *handler) serveVersion(w http.ResponseWriter, r *http.Request, req Request) {
	ctx := r.Context()
	meta, err := h.versionMeta(ctx, req.Module, req.Version)
	if shipline.ErrorCode(err) == shipline.ENOTFOUND && h.opts.Upstream != nil {
		if err = h.readThrough(ctx, req.Module, req.Version); err == nil {
			meta, err = h.versionMeta(ctx, req.Module, req.Version)
		} else if status, gone := isNotFound(err); gone {
			h.notFound(w, r, status, fmt.Sprintf("not found: %s (upstream %s: %d)", req, h.opts.Upstream.URL(), status))
			return
		} else if ctx.Err() == nil {
			h.upstreamFailed(w, r, err)
			return
		}
	}
	switch {
	case shipline.ErrorCode(err) == shipline.ENOTFOUND:
		h.notFound(w, r, http.StatusNotFound, "not found: "+req.String())
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	key := req.Key()
	switch req.File {
	case FileInfo:
		h.serveSmall(w, r, req, meta.info, cacheImmutable, etagOf(meta, key))
	case FileMod:
		data, err := h.readSmall(ctx, key)
		if err == nil {
			err = checkSum(meta, key, data)
		}
		if err != nil {
			h.internal(w, r, err)
			return
		}
		h.serveSmall(w, r, req, data, cacheImmutable, etagOf(meta, key))
	case FileZip:
		h.serveZip(w, r, req, meta)
	}
}

// versionMeta returns what the handler needs of a committed version, from
// memory or the store: ENOTFOUND for a version that is not committed.
func (h *handler) versionMeta(ctx context.Context, path, version string) (*versionMeta, error) {
	id := path + "@" + version
	h.mu.Lock()
	m := h.meta[id]
	h.mu.Unlock()
	if m != nil {
		return m, nil
	}
	// The .info is the commit marker: once it exists, the manifest is
	// the committed version's and never changes.
	info, err := h.st.ReadInfoFile(ctx, path, version)
	if err != nil {
		return nil, err
	}
	m = &versionMeta{info: info}
	ep, _ := module.EscapePath(path)
	ev, _ := module.EscapeVersion(version)
	manifestKey := ep + "/@v/" + ev + ".shipline.json"
	data, err := h.readSmall(ctx, manifestKey)
	switch shipline.ErrorCode(err) {
	case "":
		man, err := store.ParseManifest(manifestKey, data)
		if err != nil {
			return nil, err
		}
		m.sums = map[string]store.ObjectSum{}
		for _, o := range man.Objects {
			m.sums[o.Key] = o
		}
	case shipline.ENOTFOUND:
		// A committed version without a manifest (a store written by
		// another tool): .info and .mod get ETags of their content, the
		// zip none.
	default:
		return nil, err
	}
	if err := checkSum(m, Request{Module: path, Version: version, File: FileInfo}.Key(), m.info); err != nil {
		return nil, err
	}
	h.mu.Lock()
	if len(h.meta) >= h.opts.MetaCache {
		for k := range h.meta { // evict one at random
			delete(h.meta, k)
			break
		}
	}
	h.meta[id] = m
	h.mu.Unlock()
	return m, nil
}

// checkSum returns an EINTERNAL error when data is not what the manifest
// recorded for key.
func checkSum(m *versionMeta, key string, data []byte) error {
	o, ok := m.sum(key)
	if !ok {
		return nil
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != o.SHA256 || int64(len(data)) != o.Size {
		return shipline.Errorf(shipline.EINTERNAL, "%s is corrupt: sha256 %s (%d bytes), its manifest records %s (%d bytes): run 'shipline store verify'", key, got, len(data), o.SHA256, o.Size)
	}
	return nil
}

func etagOf(m *versionMeta, key string) string {
	if o, ok := m.sum(key); ok {
		return strconv.Quote(o.SHA256)
	}
	return ""
}

// serveZip serves a module zip with http.ServeContent over a reader that
// opens one ranged read of the object at the first Read.
func (h *handler) serveZip(w http.ResponseWriter, r *http.Request, req Request, meta *versionMeta) {
	key := req.Key()
	size := int64(-1)
	if o, ok := meta.sum(key); ok {
		size = o.Size
	} else {
		a, err := h.st.Bucket().Attributes(r.Context(), key)
		if err != nil {
			h.internal(w, r, fmt.Errorf("%s@%s is committed, but its zip cannot be read: %w", req.Module, req.Version, err))
			return
		}
		size = a.Size
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/zip")
	hd.Set("Cache-Control", cacheImmutable)
	if etag := etagOf(meta, key); etag != "" {
		hd.Set("ETag", etag)
	}
	rd := &objectReader{ctx: r.Context(), st: h.st, key: key, size: size}
	defer rd.Close()
	if r.Method == http.MethodGet && r.Header.Get("Range") == "" && r.Header.Get("If-None-Match") == "" {
		// The whole zip: open it before the headers go out, so that a
		// zip that cannot be read is a clean 500.
		if err := rd.open(); err != nil {
			h.internal(w, r, fmt.Errorf("%s: %w", key, err))
			return
		}
	}
	http.ServeContent(w, r, "", time.Time{}, rd)
	if rd.err != nil && r.Context().Err() == nil {
		h.logf("%s: %v", key, rd.err)
	}
}

// serveSmall serves a file held in memory; etag "" means the SHA-256 of
// its content.
func (h *handler) serveSmall(w http.ResponseWriter, r *http.Request, req Request, data []byte, cacheControl, etag string) {
	if etag == "" {
		sum := sha256.Sum256(data)
		etag = strconv.Quote(hex.EncodeToString(sum[:]))
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType(req.File))
	hd.Set("Cache-Control", cacheControl)
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

func contentType(file string) string {
	switch file {
	case FileInfo, FileLatest:
		return "application/json"
	case FileZip:
		return "application/zip"
	}
	return "text/plain; charset=utf-8"
}

func (h *handler) listCache() string {
	age := h.opts.ListMaxAge
	switch {
	case age == 0:
		age = DefaultListMaxAge
	case age < 0:
		return "no-cache"
	}
	return "public, max-age=" + strconv.Itoa(int(age.Seconds()))
}

// readSmall reads a small object whole: ENOTFOUND when it does not exist.
func (h *handler) readSmall(ctx context.Context, key string) ([]byte, error) {
	rc, err := h.st.OpenObject(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxSmallFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if len(data) > maxSmallFile {
		return nil, shipline.Errorf(shipline.EINTERNAL, "%s is larger than %d bytes", key, maxSmallFile)
	}
	return data, nil
}

// readThrough fetches path@version from the upstream and publishes it to
// the store; concurrent calls for one version share one fetch, which runs
// to its end even when the request that started it goes away.
func (h *handler) readThrough(ctx context.Context, path, version string) error {
	ch := h.group.DoChan(path+"@"+version, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
		defer cancel()
		return nil, h.fetchAndStore(fctx, path, version)
	})
	select {
	case res := <-ch:
		return res.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *handler) fetchAndStore(ctx context.Context, path, version string) error {
	dir, err := os.MkdirTemp(h.opts.TempDir, "shipline-goproxy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f, err := h.opts.Upstream.Fetch(ctx, path, version, dir)
	if err != nil {
		return err
	}
	if h.opts.CheckSum != nil {
		if err := h.opts.CheckSum(ctx, path, version, f.ZipHash, f.ModHash); err != nil {
			return shipline.Errorf(shipline.EINVALID, "%s@%s from upstream %s (zip %s, go.mod %s) refused: %v", path, version, h.opts.Upstream.URL(), f.ZipHash, f.ModHash, err)
		}
	}
	pub, err := h.st.PublishModule(ctx, f.ModuleVersion)
	if err != nil {
		return fmt.Errorf("store %s@%s fetched from upstream %s: %w", path, version, h.opts.Upstream.URL(), err)
	}
	if pub.ZipHash != f.ZipHash || pub.ModHash != f.ModHash {
		// The store already had the version, with other content: it wins.
		h.logf("%s@%s: the store's copy (zip %s) differs from upstream %s (zip %s); serving the store's", path, version, pub.ZipHash, h.opts.Upstream.URL(), f.ZipHash)
	}
	return nil
}

// notFound answers 404 or 410 with a one-line text body.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.text(w, r, status, h.listCache(), msg)
}

// internal answers 500 and logs the detail.
func (h *handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away; nobody reads the answer
	}
	h.logf("%s %s: %v", r.Method, r.URL.Path, err)
	h.text(w, r, http.StatusInternalServerError, cacheNone, "internal error: see the proxy's log")
}

// upstreamFailed answers 502 for an upstream that fails or serves
// something unacceptable, and logs the detail.
func (h *handler) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	h.logf("%s %s: upstream: %v", r.Method, r.URL.Path, err)
	h.text(w, r, http.StatusBadGateway, cacheNone, "bad gateway: the upstream proxy failed or served an invalid module: see the proxy's log")
}

func (h *handler) text(w http.ResponseWriter, r *http.Request, status int, cacheControl, msg string) {
	body := strings.ReplaceAll(msg, "\n", " ") + "\n"
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", cacheControl)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, body) // #nosec G705 -- served as text/plain with X-Content-Type-Options: nosniff (set above), so no browser renders it as HTML
	}
}

func (h *handler) logf(format string, args ...any) {
	if h.opts.ErrorLog != nil {
		h.opts.ErrorLog.Printf(format, args...)
	} else {
		log.Printf("goproxy: "+format, args...)
	}
}

// objectReader is an io.ReadSeeker over a store object of known size that
// opens one ranged read at the first Read after a Seek, so that
// http.ServeContent's seeks cost nothing and a Range request reads only
// from its start.
type objectReader struct {
	ctx  context.Context
	st   *store.Store
	key  string
	size int64
	off  int64
	rc   io.ReadCloser
	err  error // the first read error, for the log
}

func (o *objectReader) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.rc == nil {
		if err := o.open(); err != nil {
			return 0, err
		}
	}
	n, err := o.rc.Read(p)
	o.off += int64(n)
	if err == io.EOF && o.off < o.size {
		err = fmt.Errorf("%d bytes, its manifest records %d: run 'shipline store verify': %w", o.off, o.size, io.ErrUnexpectedEOF)
	}
	if err != nil && err != io.EOF && o.err == nil {
		o.err = err
	}
	return n, err
}

// open starts the ranged read from the current offset.
func (o *objectReader) open() error {
	r, err := o.st.Bucket().NewRangeReader(o.ctx, o.key, o.off, o.size-o.off, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			err = fmt.Errorf("committed, but missing: run 'shipline store verify': %w", err)
		}
		o.err = err
		return err
	}
	o.rc = r
	return nil
}

func (o *objectReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.off + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return 0, errors.New("objectReader.Seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("objectReader.Seek: negative position")
	}
	if abs != o.off && o.rc != nil {
		o.rc.Close()
		o.rc = nil
	}
	o.off = abs
	return abs, nil
}

// Close ends the read in progress, if any.
func (o *objectReader) Close() error {
	if o.rc != nil {
		err := o.rc.Close()
		o.rc = nil
		return err
	}
	return nil
}
