package azblob

import (
	"bytes"
	"context"
	"crypto/md5" // #nosec G501 -- Content-MD5 is the service's integrity check, not a security one
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// defaultPageSize is the page size of a listing that asks for none.
const defaultPageSize = 1000

// bucket is a Blob service container; it implements driver.Bucket.
type bucket struct {
	blobhttp.Stubs[*Error] // As, ErrorAs, Close

	container string
	service   string // scheme://host[/account], no trailing slash
	cred      Credential
	client    *http.Client
}

var _ driver.Bucket = (*bucket)(nil)

// call is one request of the REST API.
type call struct {
	method string
	blob   string // the escaped blob name; "" for the container
	query  url.Values
	header http.Header
	body   []byte
}

// url returns the request's URL, without credentials.
func (b *bucket) url(c *call) string {
	u := b.service + "/" + url.PathEscape(b.container)
	if c.blob != "" {
		u += "/" + blobPath(c.blob)
	}
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	return u
}

// send sends c, authorized, a new request each time; when idempotent,
// again as blobhttp.Sender.Send does. It returns the last answer whatever
// its status: the caller reads it.
func (b *bucket) send(ctx context.Context, idempotent bool, c *call) (*http.Response, error) {
	u := b.url(c)
	s := blobhttp.Sender{Client: b.client, Attempts: maxAttempts, Wait: retryBase}
	return s.Send(ctx, idempotent, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, c.method, u, bytes.NewReader(c.body))
		if err != nil {
			return nil, err
		}
		if c.body == nil {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		for k, v := range c.header {
			req.Header[k] = v
		}
		req.Header.Set("X-Ms-Version", APIVersion)
		req.Header.Set("User-Agent", "shipline-azblob")
		if b.cred != nil {
			if err := b.cred.Authorize(ctx, req); err != nil {
				return nil, err
			}
		}
		return req, nil
	})
}

// expect sends c and checks the answer's status is want; it closes the
// body and returns the answer's headers.
func (b *bucket) expect(ctx context.Context, idempotent bool, c *call, want ...int) (http.Header, error) {
	res, err := b.send(ctx, idempotent, c)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(want, res.StatusCode) {
		return nil, responseError(res)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	_ = res.Body.Close()
	return res.Header, nil
}

// ErrorCode implements driver.Bucket.
func (b *bucket) ErrorCode(err error) gcerrors.ErrorCode { return errorCode(err) }

// errEmptyKey is the error of a read, a look-up or a delete of the empty
// key, which names the container, not a blob.
var errEmptyKey = codeError(gcerrors.NotFound, "no blob has an empty name")

// Attributes implements driver.Bucket with Get Blob Properties.
func (b *bucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	if key == "" {
		return nil, errEmptyKey
	}
	h, err := b.expect(ctx, true, &call{method: http.MethodHead, blob: escapeKey(key, false)}, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return attributes(h)
}

// attributes reads a blob's properties from the headers of Get Blob
// Properties or Get Blob.
func attributes(h http.Header) (*driver.Attributes, error) {
	size, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil || size < 0 {
		return nil, fmt.Errorf("azblob: invalid Content-Length %q", h.Get("Content-Length"))
	}
	a := &driver.Attributes{
		CacheControl:       h.Get("Cache-Control"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentEncoding:    h.Get("Content-Encoding"),
		ContentLanguage:    h.Get("Content-Language"),
		ContentType:        h.Get("Content-Type"),
		Size:               size,
		MD5:                decodeMD5(h.Get("Content-MD5")),
		ETag:               h.Get("ETag"),
		AsFunc:             blobhttp.NoAs,
	}
	a.ModTime, _ = http.ParseTime(h.Get("Last-Modified"))
	a.CreateTime, _ = http.ParseTime(h.Get("X-Ms-Creation-Time"))
	for k, v := range h {
		name, ok := strings.CutPrefix(strings.ToLower(k), "x-ms-meta-")
		if !ok || len(v) == 0 {
			continue
		}
		if a.Metadata == nil {
			a.Metadata = map[string]string{}
		}
		a.Metadata[blobhttp.HexUnescape(name)] = unescapeMetadataValue(v[0])
	}
	return a, nil
}

func decodeMD5(s string) []byte {
	if s == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != md5.Size {
		return nil
	}
	return b
}

// listResult is the answer of List Blobs, the fields the driver uses.
type listResult struct {
	XMLName    xml.Name   `xml:"EnumerationResults"`
	Blobs      []listBlob `xml:"Blobs>Blob"`
	Prefixes   []listName `xml:"Blobs>BlobPrefix>Name"`
	NextMarker string     `xml:"NextMarker"`
}

type listName struct {
	Encoded bool   `xml:"Encoded,attr"`
	Value   string `xml:",chardata"`
}

// name returns the blob name, URL-decoded when the service encoded it
// (names with characters XML cannot carry).
func (n listName) name() (string, error) {
	if !n.Encoded {
		return n.Value, nil
	}
	s, err := url.PathUnescape(n.Value)
	if err != nil {
		return "", fmt.Errorf("azblob: invalid encoded name %q in a listing", n.Value)
	}
	return s, nil
}

type listBlob struct {
	Name       listName `xml:"Name"`
	Properties struct {
		LastModified  string `xml:"Last-Modified"`
		ContentLength string `xml:"Content-Length"`
		ContentMD5    string `xml:"Content-MD5"`
	} `xml:"Properties"`
}

// parseList parses an answer of List Blobs into the page's objects, in key
// order, and the next marker.
func parseList(body []byte) ([]*driver.ListObject, string, error) {
	var l listResult
	if err := xml.Unmarshal(body, &l); err != nil {
		return nil, "", fmt.Errorf("azblob: invalid listing: %w", err)
	}
	objs := make([]*driver.ListObject, 0, len(l.Blobs)+len(l.Prefixes))
	for _, bl := range l.Blobs {
		name, err := bl.Name.name()
		if err != nil {
			return nil, "", err
		}
		size, err := strconv.ParseInt(bl.Properties.ContentLength, 10, 64)
		if err != nil || size < 0 {
			return nil, "", fmt.Errorf("azblob: blob %q has an invalid Content-Length %q in a listing", name, bl.Properties.ContentLength)
		}
		mod, _ := http.ParseTime(bl.Properties.LastModified)
		objs = append(objs, &driver.ListObject{
			Key: blobhttp.HexUnescape(name), ModTime: mod, Size: size,
			MD5: decodeMD5(bl.Properties.ContentMD5), AsFunc: blobhttp.NoAs,
		})
	}
	for _, p := range l.Prefixes {
		name, err := p.name()
		if err != nil {
			return nil, "", err
		}
		objs = append(objs, &driver.ListObject{Key: blobhttp.HexUnescape(name), IsDir: true, AsFunc: blobhttp.NoAs})
	}
	slices.SortFunc(objs, func(a, b *driver.ListObject) int { return strings.Compare(a.Key, b.Key) })
	return objs, l.NextMarker, nil
}

// ListPaged implements driver.Bucket with List Blobs.
func (b *bucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	if opts.BeforeList != nil {
		if err := opts.BeforeList(blobhttp.NoAs); err != nil {
			return nil, err
		}
	}
	pageSize := opts.PageSize
	if pageSize <= 0 {
		pageSize = defaultPageSize
	}
	q := url.Values{"restype": {"container"}, "comp": {"list"}, "maxresults": {strconv.Itoa(min(pageSize, 5000))}}
	if opts.Prefix != "" {
		q.Set("prefix", escapeKey(opts.Prefix, true))
	}
	if opts.Delimiter != "" {
		q.Set("delimiter", escapeKey(opts.Delimiter, true))
	}
	if len(opts.PageToken) > 0 {
		q.Set("marker", string(opts.PageToken))
	}
	res, err := b.send(ctx, true, &call{method: http.MethodGet, query: q})
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, responseError(res)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	objs, next, err := parseList(body)
	if err != nil {
		return nil, err
	}
	page := &driver.ListPage{Objects: objs}
	if next != "" {
		page.NextPageToken = []byte(next)
	}
	return page, nil
}

// NewRangeReader implements driver.Bucket with Get Blob and x-ms-range.
func (b *bucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	if key == "" {
		return nil, errEmptyKey
	}
	if offset < 0 {
		return nil, codeError(gcerrors.InvalidArgument, fmt.Sprintf("read %s: negative offset %d", key, offset))
	}
	if opts.BeforeRead != nil {
		if err := opts.BeforeRead(blobhttp.NoAs); err != nil {
			return nil, err
		}
	}
	if length == 0 {
		return b.emptyReader(ctx, key)
	}
	h := http.Header{}
	switch {
	case length > 0:
		h.Set("X-Ms-Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		h.Set("X-Ms-Range", fmt.Sprintf("bytes=%d-", offset))
	}
	res, err := b.send(ctx, true, &call{method: http.MethodGet, blob: escapeKey(key, false), header: h})
	if err != nil {
		return nil, err
	}
	switch {
	case res.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// Reading from the end of the blob, or past it: nothing to read.
		rerr := responseError(res)
		r, err := b.emptyReader(ctx, key)
		if err != nil {
			return nil, err
		}
		if offset < r.Attrs.Size {
			return nil, rerr
		}
		return r, nil
	case res.StatusCode != http.StatusOK && res.StatusCode != http.StatusPartialContent:
		return nil, responseError(res)
	}
	r := &blobhttp.Reader{Body: res.Body, Attrs: driver.ReaderAttributes{
		ContentType: res.Header.Get("Content-Type"),
		Size:        res.ContentLength,
	}}
	r.Attrs.ModTime, _ = http.ParseTime(res.Header.Get("Last-Modified"))
	if res.StatusCode == http.StatusPartialContent {
		cr := res.Header.Get("Content-Range")
		total, err := strconv.ParseInt(cr[strings.LastIndexByte(cr, '/')+1:], 10, 64)
		if err != nil || !strings.HasPrefix(cr, "bytes ") {
			_ = res.Body.Close()
			return nil, fmt.Errorf("azblob: read %s: invalid Content-Range %q", key, cr)
		}
		r.Attrs.Size = total
	} else if want := decodeMD5(res.Header.Get("Content-MD5")); want != nil && offset == 0 {
		// The whole blob, with the MD5 it was stored with.
		sum := md5.New() // #nosec G401 -- the service's integrity check
		r.Hash = sum
		r.Check = func() error {
			if got := sum.Sum(nil); !bytes.Equal(got, want) {
				return fmt.Errorf("azblob: the data read has MD5 %x, the blob's is %x: corrupted in transit, read it again", got, want)
			}
			return nil
		}
	}
	if r.Attrs.Size < 0 {
		_ = res.Body.Close()
		return nil, fmt.Errorf("azblob: read %s: the answer has no Content-Length", key)
	}
	return r, nil
}

// emptyReader returns a reader of no bytes with the blob's attributes.
func (b *bucket) emptyReader(ctx context.Context, key string) (*blobhttp.Reader, error) {
	a, err := b.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &blobhttp.Reader{Body: http.NoBody, Attrs: driver.ReaderAttributes{ContentType: a.ContentType, ModTime: a.ModTime, Size: a.Size}}, nil
}

// copyPoll is the first wait between looks at a pending copy; it doubles
// up to copyPollMax.
var (
	copyPoll    = 100 * time.Millisecond
	copyPollMax = 2 * time.Second
)

// Copy implements driver.Bucket with Copy Blob, and waits for a copy the
// service runs in the background to finish.
func (b *bucket) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	switch {
	case srcKey == "":
		return errEmptyKey
	case dstKey == "":
		return codeError(gcerrors.InvalidArgument, "copy: a blob name cannot be empty")
	}
	if opts.BeforeCopy != nil {
		if err := opts.BeforeCopy(blobhttp.NoAs); err != nil {
			return err
		}
	}
	src := b.url(&call{blob: escapeKey(srcKey, false)})
	if sas, ok := b.cred.(*SAS); ok {
		// The source is read with the same token.
		src += "?" + sas.addTo("")
	}
	dst := escapeKey(dstKey, false)
	h, err := b.expect(ctx, false, &call{method: http.MethodPut, blob: dst, header: http.Header{"X-Ms-Copy-Source": {src}}}, http.StatusAccepted, http.StatusCreated)
	if err != nil {
		return err
	}
	wait := copyPoll
	for {
		switch status := h.Get("X-Ms-Copy-Status"); status {
		case "success", "":
			return nil
		case "pending":
		default:
			return fmt.Errorf("azblob: copy %s to %s: %s: %s", srcKey, dstKey, status, h.Get("X-Ms-Copy-Status-Description"))
		}
		if err := blobhttp.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, copyPollMax)
		if h, err = b.expect(ctx, true, &call{method: http.MethodHead, blob: dst}, http.StatusOK); err != nil {
			return err
		}
	}
}

// Delete implements driver.Bucket with Delete Blob (and its snapshots).
func (b *bucket) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	if key == "" {
		return errEmptyKey
	}
	if opts.BeforeDelete != nil {
		if err := opts.BeforeDelete(blobhttp.NoAs); err != nil {
			return err
		}
	}
	_, err := b.expect(ctx, false, &call{method: http.MethodDelete, blob: escapeKey(key, false)}, http.StatusAccepted, http.StatusOK)
	return err
}

// SignedURL implements driver.Bucket: it is Unimplemented.
func (b *bucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", codeError(gcerrors.Unimplemented, "signed URLs are not supported by Shipline's azblob driver")
}
