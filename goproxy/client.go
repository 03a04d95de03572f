package goproxy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzipx "golang.org/x/mod/zip"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/modzip"
	"github.com/shipline-ci/shipline/store"
)

const (
	maxSmallFile = 16 << 20           // .info, .mod, list, @latest: the go command's limit
	maxZipFile   = modzipx.MaxZipFile // .zip: the go command's limit
	bodyExcerpt  = 256                // bytes of an error body kept for messages
	userAgent    = "shipline-goproxy/1"
	dialTimeout  = 30 * time.Second // Client's default TLS handshake timeout
	respTimeout  = 60 * time.Second // Client's default wait for response headers
)

// Client reads a Go module proxy over HTTP (the GOPROXY protocol): the
// upstream of a read-through Handler, or any proxy a tool wants to read.
// Its methods are safe for concurrent use.
type Client struct {
	base *url.URL
	http *http.Client
}

// NewClient returns a client of the proxy at baseURL (http:// or https://,
// as GOPROXY names it). hc is the HTTP client to use; nil means one with
// connection and response-header timeouts and no overall timeout, so that
// large zips can take their time. Its error is EINVALID for a URL that is
// not an absolute http(s) URL.
func NewClient(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, shipline.Errorf(shipline.EINVALID, "upstream proxy %q: want an http:// or https:// URL such as https://proxy.golang.org", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = respTimeout
		tr.TLSHandshakeTimeout = dialTimeout
		hc = &http.Client{Transport: tr}
	}
	return &Client{base: u, http: hc}, nil
}

// URL returns the proxy's base URL.
func (c *Client) URL() string { return c.base.String() }

// StatusError is a proxy's answer other than 200 OK.
type StatusError struct {
	URL        string
	StatusCode int
	Body       string // the start of the response body, for messages
}

func (e *StatusError) Error() string {
	msg := strings.TrimSpace(e.Body)
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("%s: %d %s", e.URL, e.StatusCode, msg)
}

// NotFound reports whether the proxy answered 404 Not Found or 410 Gone,
// which the GOPROXY protocol gives for a module or version it does not
// have.
func (e *StatusError) NotFound() bool {
	return e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusGone
}

// get fetches the file of r and returns its body, which the caller closes.
// Errors: ENOTFOUND wrapping a *StatusError for 404 and 410; EINTERNAL
// (with a *StatusError for other statuses) for anything else.
func (c *Client) get(ctx context.Context, r Request) (io.ReadCloser, int64, error) {
	u := *c.base
	u.Path += "/" + r.Key()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, shipline.Errorf(shipline.EINTERNAL, "upstream proxy %s cannot be reached: %v", c.base, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp.Body, resp.ContentLength, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, bodyExcerpt))
	se := &StatusError{URL: u.String(), StatusCode: resp.StatusCode, Body: strings.ToValidUTF8(string(body), "?")}
	if se.NotFound() {
		return nil, 0, &shipline.Error{Code: shipline.ENOTFOUND, Message: fmt.Sprintf("upstream proxy %s has no %s: %s", c.base, r, se), Err: se}
	}
	return nil, 0, &shipline.Error{Code: shipline.EINTERNAL, Message: fmt.Sprintf("upstream proxy %s: %s", c.base, se), Err: se}
}

// small fetches a small file (list, @latest, .info, .mod) whole.
func (c *Client) small(ctx context.Context, r Request) ([]byte, error) {
	body, _, err := c.get(ctx, r)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, maxSmallFile+1))
	if err != nil {
		return nil, shipline.Errorf(shipline.EINTERNAL, "upstream proxy %s: read %s: %v", c.base, r.Key(), err)
	}
	if len(data) > maxSmallFile {
		return nil, shipline.Errorf(shipline.EINVALID, "upstream proxy %s: %s is larger than %d bytes", c.base, r.Key(), maxSmallFile)
	}
	return data, nil
}

// List returns the versions the proxy lists for a module, in its order
// (the protocol leaves it open), leaving out lines that are not valid
// versions of the module. Errors as Info.
func (c *Client) List(ctx context.Context, path string) ([]string, error) {
	data, err := c.small(ctx, Request{Module: path, File: FileList})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		// A line may carry more fields after the version (the protocol
		// allows it); the version is the first.
		v, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if v != "" && semver.IsValid(v) && module.Check(path, v) == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// Latest returns the proxy's @latest of a module: the .info file, as
// served, and its decoded content. Errors as Info.
func (c *Client) Latest(ctx context.Context, path string) ([]byte, *store.Info, error) {
	data, err := c.small(ctx, Request{Module: path, File: FileLatest})
	if err != nil {
		return nil, nil, err
	}
	info, err := parseInfo(c.base.String(), path, "", data)
	return data, info, err
}

// Info returns the .info file of path@version, as served, and its decoded
// content, checked to name the version asked for. Errors: ENOTFOUND
// wrapping a *StatusError when the proxy answers 404 or 410; EINVALID for a
// malformed answer; EINTERNAL when the proxy cannot be reached or fails.
func (c *Client) Info(ctx context.Context, path, version string) ([]byte, *store.Info, error) {
	data, err := c.small(ctx, Request{Module: path, Version: version, File: FileInfo})
	if err != nil {
		return nil, nil, err
	}
	info, err := parseInfo(c.base.String(), path, version, data)
	return data, info, err
}

// Mod returns the go.mod file of path@version. Errors as Info.
func (c *Client) Mod(ctx context.Context, path, version string) ([]byte, error) {
	return c.small(ctx, Request{Module: path, Version: version, File: FileMod})
}

// Zip writes the module zip of path@version to w and returns its size.
// Errors as Info, and EINVALID for a zip larger than the go command
// accepts.
func (c *Client) Zip(ctx context.Context, path, version string, w io.Writer) (int64, error) {
	body, _, err := c.get(ctx, Request{Module: path, Version: version, File: FileZip})
	if err != nil {
		return 0, err
	}
	defer body.Close()
	n, err := io.Copy(w, io.LimitReader(body, maxZipFile+1))
	if err != nil {
		return n, shipline.Errorf(shipline.EINTERNAL, "upstream proxy %s: download %s@%s.zip: %v", c.base, path, version, err)
	}
	if n > maxZipFile {
		return n, shipline.Errorf(shipline.EINVALID, "upstream proxy %s: the zip of %s@%s is larger than %d bytes", c.base, path, version, int64(maxZipFile))
	}
	return n, nil
}

// Fetched is a module version downloaded and checked by Fetch, ready to
// publish.
type Fetched struct {
	store.ModuleVersion        // Zip is the downloaded file
	ZipHash             string // "h1:" hash of the zip, as go.sum records it
	ModHash             string // "h1:" hash of the go.mod
}

// Fetch downloads path@version (.info, .mod and .zip) into the directory
// dir and checks it as 'shipline publish' checks what it publishes: the
// .info names the version and has a time, the go.mod names the module,
// the zip is a valid module zip of path@version (modzip.CheckZip) whose
// go.mod is the one served, and it computes the h1: hashes go.sum records.
//
// It does not check that the hashes are the ones the world agrees on (a
// checksum database does that); see Options.CheckSum. Errors as Info, and
// EINVALID for content that fails a check.
func (c *Client) Fetch(ctx context.Context, path, version, dir string) (*Fetched, error) {
	if err := modzip.CheckVersion(path, version); err != nil {
		return nil, err
	}
	_, info, err := c.Info(ctx, path, version)
	if err != nil {
		return nil, err
	}
	if info.Time.IsZero() {
		return nil, shipline.Errorf(shipline.EINVALID, "upstream proxy %s: the .info of %s@%s has no Time", c.base, path, version)
	}
	mod, err := c.Mod(ctx, path, version)
	if err != nil {
		return nil, err
	}
	if got := modfile.ModulePath(mod); got != path {
		return nil, shipline.Errorf(shipline.EINVALID, "upstream proxy %s: the go.mod of %s@%s says module %q", c.base, path, version, got)
	}
	zipFile := filepath.Join(dir, "module.zip")
	f, err := os.Create(zipFile) // #nosec G304 -- module.zip, a fixed name, in the scratch directory the caller gives Fetch
	if err != nil {
		return nil, err
	}
	_, err = c.Zip(ctx, path, version, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := modzip.CheckZip(path, version, zipFile); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "upstream proxy %s: %v", c.base, err)
	}
	if zmod, err := zipGoMod(zipFile, path, version); err != nil {
		return nil, err
	} else if !bytes.Equal(zmod, mod) {
		return nil, shipline.Errorf(shipline.EINVALID, "upstream proxy %s: the go.mod in the zip of %s@%s differs from its .mod", c.base, path, version)
	}
	zipHash, err := modzip.HashZip(zipFile)
	if err != nil {
		return nil, err
	}
	modHash, err := modzip.HashMod(mod)
	if err != nil {
		return nil, err
	}
	return &Fetched{
		ModuleVersion: store.ModuleVersion{Path: path, Version: version, Mod: mod, Zip: zipFile, Time: info.Time, Origin: info.Origin},
		ZipHash:       zipHash, ModHash: modHash,
	}, nil
}

// parseInfo decodes a .info file from a proxy; version "" accepts any
// canonical version of the module (for @latest).
func parseInfo(proxy, path, version string, data []byte) (*store.Info, error) {
	var info store.Info
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "upstream proxy %s: .info of %s: %v", proxy, path, err)
	}
	switch {
	case version != "" && info.Version != version:
		return nil, shipline.Errorf(shipline.EINVALID, "upstream proxy %s: the .info of %s@%s says Version %q", proxy, path, version, info.Version)
	case module.CanonicalVersion(info.Version) != info.Version || module.Check(path, info.Version) != nil:
		return nil, shipline.Errorf(shipline.EINVALID, "upstream proxy %s: the .info of %s says Version %q, not a canonical version of the module", proxy, path, info.Version)
	}
	return &info, nil
}

// zipGoMod returns the go.mod file inside the module zip of path@version.
func zipGoMod(zipFile, path, version string) ([]byte, error) {
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "open module zip %s: %v", zipFile, err)
	}
	defer zr.Close()
	want := path + "@" + version + "/go.mod"
	for _, f := range zr.File {
		if f.Name == want {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(io.LimitReader(rc, maxSmallFile))
		}
	}
	return nil, shipline.Errorf(shipline.EINVALID, "the module zip of %s@%s has no go.mod", path, version)
}

// isNotFound reports whether err is a proxy's 404 or 410, and which.
func isNotFound(err error) (status int, ok bool) {
	var se *StatusError
	if errors.As(err, &se) && se.NotFound() {
		return se.StatusCode, true
	}
	return 0, false
}
