// Package store is Shipline's versioned artifact store: a Go module proxy
// (the GOPROXY protocol's file layout, so a file:// store is a GOPROXY
// directory as it is) that also keeps each release's files, over any
// gocloud.dev/blob bucket: a local directory, S3 (or anything that speaks
// it), Google Cloud Storage, Azure Blob Storage, or memory.
//
// # Backends
//
// Open takes a URL; the scheme picks the backend (see Schemes):
//
//	/srv/store or file:///srv/store    a local directory
//	s3://BUCKET?region=us-east-1       Amazon S3; for another S3 server add
//	                                   &endpoint=http://HOST:PORT&use_path_style=true
//	gs://BUCKET                        Google Cloud Storage
//	azblob://CONTAINER                 Azure Blob Storage
//	mem://                             memory, for tests
//
// Every URL takes prefix=DIR/ to put the store under a prefix of the
// bucket. s3:// goes through Shipline's own driver (internal/s3blob, which
// keeps the AWS SDK out of every start of the program) and takes
// gocloud.dev's parameters for its scheme: region, endpoint,
// use_path_style (or s3ForcePathStyle), hostname_immutable, disable_https,
// anonymous, profile, dualstack, fips, accelerate, ssetype and kmskeyid
// (and accepts, with no effect, awssdk, rate_limiter_capacity and the
// checksum modes; role= is refused: it does not assume roles);
// gs:// goes through Shipline's own driver (internal/gcsblob, which keeps
// the Google Cloud client libraries out of every start of the program) and
// takes anonymous, access_id, private_key_path and universe_domain;
// azblob:// goes through Shipline's own driver too (internal/azblob, which
// keeps the Azure SDK out of every start) and takes gocloud's
// storage_account, domain, protocol, cdn and localemu. All three refuse other
// parameters by name. Credentials come from each cloud's usual environment
// (for s3://, the AWS SDKs' chain: AWS_ACCESS_KEY_ID and the rest, the
// shared config and credentials files with static keys or
// credential_process, web identity, container and EC2 instance
// credentials; for gs://, Application Default Credentials; for azblob://,
// AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN,
// AZURE_STORAGE_CONNECTION_STRING, or Microsoft Entra ID as azidentity's
// DefaultAzureCredential finds it).
//
// # Layout
//
// Module versions follow the Go module proxy protocol
// (https://go.dev/ref/mod#goproxy-protocol), with module paths and versions
// case-escaped by module.EscapePath and module.EscapeVersion (an upper-case
// letter becomes "!" and its lower case: example.com/!fixture/@v/v1.0.0-!r!c.1.zip):
//
//	$module/@v/list                    committed versions, one a line
//	$module/@v/$version.info           {"Version","Time","Origin"}: written last, the commit marker
//	$module/@v/$version.mod            the go.mod file
//	$module/@v/$version.zip            the module zip
//	$module/@v/$version.shipline.json  the manifest (Manifest): SHA-256 and size of the three above, h1: hashes
//	$module/@latest                    the .info of the latest version
//
// The go command asks a proxy only for list, .info, .mod, .zip and
// @latest, so the manifest beside them does no harm.
//
// Release files live under ReleasesDir, "_releases", whose first path
// element has no dot and so can never be a module path (module paths need
// a dot in their first element; "@" never appears in one):
//
//	_releases/index.json                          every committed release (ReleaseIndex)
//	_releases/$module/@v/$version/artifacts.json  the release (Release): written last, the commit marker
//	_releases/$module/@v/$version/$path           each file, at its slash path in the dist directory
//	_releases/$module/@v/$version.shipline.json   the manifest of the release's objects
//
// # Publishing, immutability and crashes
//
// A version is a set of objects written in a fixed order: its manifest
// (which claims the version), then its files, then its commit marker last
// (.info for a module version, artifacts.json for a release), created only
// if it does not exist. A version whose marker is missing is invisible:
// readers never list it, and a later publish completes or replaces it. So
// a crash at any moment leaves the whole version or none of it visible.
// A committed version never changes: publishing the same content again
// succeeds and changes nothing, other content is refused with an ECONFLICT
// error that names both hashes. The derived objects (list, @latest,
// _releases/index.json) are rewritten after each commit, and again by any
// later publish, from what is committed.
//
// Two publishes of the same version at once are safe when they carry the
// same content (they write the same bytes). With other content, the lease
// and the create-if-absent marker let at most one commit, and the other
// fails with ECONFLICT; on S3, GCS and Azure the marker's create is atomic
// on the server, while a file store checks and renames within one process
// only, so publishers of one file store should not race on one version.
//
// The go command reading a file:// store directly (GOPROXY=file://...)
// sees raw files: it lists versions only from list, but fetching an exact
// version of an unfinished publish could read its .mod or .zip. Served
// through OpenProxyFile, unfinished versions do not exist.
//
// Verify re-hashes every object against its manifest and reports
// corruption, incomplete versions and stale derived objects.
package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob" // mem://
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline"
	_ "github.com/shipline-ci/shipline/internal/azblob"  // azblob://
	_ "github.com/shipline-ci/shipline/internal/gcsblob" // gs://
	_ "github.com/shipline-ci/shipline/internal/s3blob"  // s3://
)

// Schemes returns the URL schemes Open accepts, in the order the help text
// lists them. A URL without a scheme is a local directory.
func Schemes() []string { return []string{"file", "s3", "gs", "azblob", "mem"} }

// DefaultLease is how long an unfinished publish of a version holds it
// against a publish of other content: longer than any publish takes, short
// enough that a crashed publish does not block a corrected one for long.
const DefaultLease = 10 * time.Minute

// Store is an artifact store. Its methods are safe for concurrent use; set
// its fields before the first call.
type Store struct {
	// URL is the store's URL as given to Open, or the name given to New.
	URL string

	// Now is the clock for manifests' times and leases; nil means
	// time.Now.
	Now func() time.Time

	// Lease is how long an unfinished publish holds a version against a
	// publish of other content (see DefaultLease); then another publish
	// may replace it.
	Lease time.Duration

	// Fault, when set, is called before each object is written or
	// deleted, with the operation ("write" or "delete") and the object's
	// name; an error it returns fails the operation as a failing backend
	// would, and nothing is undone. It exists to test crash safety.
	Fault func(op, key string) error

	bucket *blob.Bucket
}

// Open opens the store at rawURL (see the package documentation for the
// URLs). A file store's directory must exist (see Create).
//
// Errors: EINVALID for an unknown scheme (the message lists the supported
// ones) or a malformed URL or parameter; ENOTFOUND for a local directory
// that does not exist; EINVALID for a store that cannot be reached (a
// server that is down, a bucket that does not exist, missing credentials),
// naming the URL and the cause.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	return open(ctx, rawURL, false)
}

// Create is Open, except that it creates a local store's directory (and
// its parents) when it does not exist. Other backends are not created:
// their bucket must exist.
func Create(ctx context.Context, rawURL string) (*Store, error) {
	return open(ctx, rawURL, true)
}

// New returns a store over an open bucket; name is its URL for messages.
// Close closes the bucket.
func New(b *blob.Bucket, name string) *Store {
	return &Store{URL: name, bucket: b}
}

func open(ctx context.Context, rawURL string, create bool) (*Store, error) {
	u, dir, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		if create {
			// #nosec G301 -- a store is shared, not private: a GOPROXY directory that others read (a web server, GOPROXY=file://) and a group may publish to; the umask decides, as for the directories fileblob makes in it
			if err := os.MkdirAll(dir, 0o777); err != nil {
				return nil, shipline.Errorf(shipline.EINVALID, "create store directory %s: %v", dir, err)
			}
		}
		if fi, err := os.Stat(dir); err != nil {
			return nil, shipline.Errorf(shipline.ENOTFOUND, "store directory %s does not exist: check the path, or publish to it first", dir)
		} else if !fi.IsDir() {
			return nil, shipline.Errorf(shipline.EINVALID, "store %s is not a directory", dir)
		}
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "open store %s: %v", rawURL, err)
	}
	if ok, err := b.IsAccessible(ctx); err != nil || !ok {
		_ = b.Close() // the error below says why the store cannot be used
		if err == nil {
			return nil, shipline.Errorf(shipline.ENOTFOUND, "store %s: the bucket does not exist: create it first, or check the name", rawURL)
		}
		return nil, shipline.Errorf(shipline.EINVALID, "store %s cannot be reached: %v: check the URL, that the server is up and the credentials", rawURL, shortErr(err))
	}
	return &Store{URL: rawURL, bucket: b}, nil
}

// ParseURL checks a store URL and returns the URL gocloud.dev opens. For a
// local store (a path, or a file:// URL) it also returns the absolute path
// of its directory; file stores are opened without metadata sidecar files
// and with temporary files beside their targets, so that every write is one
// atomic rename in the store's file system. Errors are EINVALID and, for an
// unknown scheme, list the supported ones.
func ParseURL(rawURL string) (u *url.URL, dir string, err error) {
	if rawURL == "" {
		return nil, "", shipline.Errorf(shipline.EINVALID, "empty store URL: give a directory or a URL such as file:///srv/store or s3://bucket")
	}
	if !strings.Contains(rawURL, "://") {
		abs, err := filepath.Abs(rawURL)
		if err != nil {
			return nil, "", err
		}
		u = &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	} else {
		u, err = url.Parse(rawURL)
		if err != nil {
			return nil, "", shipline.Errorf(shipline.EINVALID, "store URL %q: %v", rawURL, err)
		}
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, "", shipline.Errorf(shipline.EINVALID, "store URL %q: a file URL names a local path: write file:///abs/path", rawURL)
		}
		if u.Path == "" {
			return nil, "", shipline.Errorf(shipline.EINVALID, "store URL %q has no path: write file:///abs/path", rawURL)
		}
		u.Host = ""
		q := u.Query()
		if _, ok := q["metadata"]; !ok {
			q.Set("metadata", string(fileblob.MetadataDontWrite))
		}
		if _, ok := q["no_tmp_dir"]; !ok {
			q.Set("no_tmp_dir", "true")
		}
		u.RawQuery = q.Encode()
		dir = filepath.FromSlash(u.Path)
	case "s3", "gs", "azblob", "mem":
	default:
		return nil, "", shipline.Errorf(shipline.EINVALID, "store URL %q: unknown scheme %q: supported: %s, or a directory path", rawURL, u.Scheme, strings.Join(Schemes(), ", "))
	}
	return u, dir, nil
}

// Close closes the store's bucket.
func (s *Store) Close() error { return s.bucket.Close() }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Store) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return DefaultLease
}

// Object is an object of the store as List reports it.
type Object struct {
	Key     string    `json:"key"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
}

// List calls fn for each object whose name starts with prefix ("" for all),
// in the backend's order (lexical for most; a file store lists a directory
// before a file whose name extends the directory's). An error from fn stops the listing and is
// returned. It lists every object, including those of uncommitted
// versions and stray files; the typed readers (Versions, Releases, ...)
// show only committed ones.
func (s *Store) List(ctx context.Context, prefix string, fn func(Object) error) error {
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s.wrap(err, "list %s", prefix)
		}
		if o.IsDir {
			continue
		}
		if err := fn(Object{Key: o.Key, Size: o.Size, ModTime: o.ModTime}); err != nil {
			return err
		}
	}
}

// read returns the whole object key; an ENOTFOUND error when it does not
// exist.
func (s *Store) read(ctx context.Context, key string) ([]byte, error) {
	data, err := s.bucket.ReadAll(ctx, key)
	if err != nil {
		return nil, s.wrap(err, "read %s", key)
	}
	return data, nil
}

// exists reports whether the object key exists.
func (s *Store) exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.bucket.Exists(ctx, key)
	if err != nil {
		return false, s.wrap(err, "look up %s", key)
	}
	return ok, nil
}

// errExists is returned by write with ifNotExist for an existing object.
var errExists = errors.New("object exists")

// write writes the object key from r. With ifNotExist it fails with
// errExists, and changes nothing, when the object exists.
func (s *Store) write(ctx context.Context, key string, r io.Reader, ifNotExist bool) error {
	if s.Fault != nil {
		if err := s.Fault("write", key); err != nil {
			return s.wrap(err, "write %s", key)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(ctx, key, &blob.WriterOptions{
		ContentType:                 contentType(key),
		IfNotExist:                  ifNotExist,
		DisableContentTypeDetection: true,
	})
	if err != nil {
		return s.wrap(err, "write %s", key)
	}
	if _, err := io.Copy(w, r); err != nil {
		cancel() // abandons the write: nothing is stored
		_ = w.Close()
		return s.wrap(err, "write %s", key)
	}
	if err := w.Close(); err != nil {
		if ifNotExist && gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return errExists
		}
		return s.wrap(err, "write %s", key)
	}
	return nil
}

// writeBytes writes data to the object key.
func (s *Store) writeBytes(ctx context.Context, key string, data []byte, ifNotExist bool) error {
	return s.write(ctx, key, bytes.NewReader(data), ifNotExist)
}

// delete removes the object key; a missing object is not an error.
func (s *Store) delete(ctx context.Context, key string) error {
	if s.Fault != nil {
		if err := s.Fault("delete", key); err != nil {
			return s.wrap(err, "delete %s", key)
		}
	}
	err := s.bucket.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return s.wrap(err, "delete %s", key)
	}
	return nil
}

func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".json") || strings.HasSuffix(key, ".info") || strings.HasSuffix(key, "/"+latestFile):
		return "application/json"
	case strings.HasSuffix(key, ".zip"):
		return "application/zip"
	case strings.HasSuffix(key, ".mod") || strings.HasSuffix(key, "/"+listFile) || strings.HasSuffix(key, ".txt"):
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// wrap turns a backend error into a *shipline.Error with a code and a
// message that names the store and what to do.
func (s *Store) wrap(err error, format string, args ...any) error {
	var se *shipline.Error
	if errors.As(err, &se) {
		return err
	}
	what := fmt.Sprintf(format, args...)
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return &shipline.Error{Code: shipline.ENOTFOUND, Message: fmt.Sprintf("store %s: %s: not found", s.URL, what), Err: err}
	case gcerrors.PermissionDenied:
		return &shipline.Error{Code: shipline.EUNAUTHORIZED, Message: fmt.Sprintf("store %s: %s: permission denied: check the credentials, or that the store is writable", s.URL, what), Err: err}
	case gcerrors.Canceled, gcerrors.DeadlineExceeded:
		return err
	}
	if msg := err.Error(); strings.Contains(msg, "request send failed") || strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") {
		return &shipline.Error{Code: shipline.EINTERNAL, Message: fmt.Sprintf("store %s cannot be reached: %s: %v: check that the server is up and the URL is right, then retry", s.URL, what, shortErr(err)), Err: err}
	}
	if errors.Is(err, os.ErrPermission) || strings.Contains(err.Error(), "read-only file system") {
		return &shipline.Error{Code: shipline.EUNAUTHORIZED, Message: fmt.Sprintf("store %s: %s: %v: the store is read-only; publish to a writable store", s.URL, what, shortErr(err)), Err: err}
	}
	return &shipline.Error{Code: shipline.EINTERNAL, Message: fmt.Sprintf("store %s: %s: %v", s.URL, what, shortErr(err)), Err: err}
}

// shortErr drops gocloud's "blob (key ...) (code=...)" decorations that
// repeat what the message already says.
func shortErr(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "): "); strings.HasPrefix(msg, "blob (") && i > 0 {
		msg = msg[i+3:]
	}
	return msg
}

// Bucket returns the store's bucket, for tools that copy or inspect raw
// objects. Writing through it bypasses every guarantee of the store.
func (s *Store) Bucket() *blob.Bucket { return s.bucket }

// OpenObject opens the object key as it is, committed or not; the caller
// closes it. It returns an ENOTFOUND error for a missing object. Readers
// that must see only committed versions use OpenProxyFile or the typed
// readers.
func (s *Store) OpenObject(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, s.wrap(err, "read %s", key)
	}
	return r, nil
}

// OpenProxyFile opens the file a GOPROXY serves at name, a path relative to
// the proxy's root such as "example.com/!mod/@v/v1.2.3.zip": a module's
// @v/list or @latest, or the .info, .mod or .zip of a committed version.
// Anything else, and the files of an unfinished publish, is an ENOTFOUND
// error, as a proxy answers 404 (or 410) for it.
func (s *Store) OpenProxyFile(ctx context.Context, name string) (io.ReadCloser, error) {
	k, ok := ParseModuleKey(name)
	if !ok || k.File == "manifest" {
		return nil, shipline.Errorf(shipline.ENOTFOUND, "store %s: no such GOPROXY file %q", s.URL, name)
	}
	if k.Version != "" && k.File != "info" {
		if err := s.committed(ctx, k.Module, k.Version); err != nil {
			return nil, err
		}
	}
	return s.OpenObject(ctx, name)
}

// DefaultDir returns the local store used when no URL is given: the
// directory shipline/store in $XDG_DATA_HOME, or in ~/.local/share. Its
// error is EINVALID when there is no home directory either.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "shipline", "store"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", shipline.Errorf(shipline.EINVALID, "no store URL given and no home directory for the default store (%v): pass --store or set release.store in .shipline.yaml", err)
	}
	return filepath.Join(home, ".local", "share", "shipline", "store"), nil
}
