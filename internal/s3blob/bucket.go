package s3blob

import (
	"context"
	"encoding/hex"
	"encoding/xml"
	"errors"
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

// bucket is an S3 bucket; it implements driver.Bucket.
type bucket struct {
	blobhttp.Stubs[*Error] // As, ErrorAs, Close

	name      string
	base      *url.URL // scheme, host and path of the service
	pathStyle bool
	region    string
	creds     CredentialsProvider // nil: unsigned requests
	client    *http.Client
	sseType   string
	kmsKeyID  string
	now       func() time.Time
}

var _ driver.Bucket = (*bucket)(nil)

// requestURL returns the URL of the (escaped) object key, or of the bucket
// for "", with the encoded query. Its path is encoded as SigV4 signs it.
func (b *bucket) requestURL(key, query string) string {
	host := b.base.Host
	path := b.base.EscapedPath()
	if b.pathStyle {
		path += "/" + uriEncode(b.name, false)
	} else {
		host = b.name + "." + host
	}
	path += "/" + uriEncode(key, true)
	u := b.base.Scheme + "://" + host + path
	if query != "" {
		u += "?" + query
	}
	return u
}

// encodeQuery encodes q in SigV4's canonical form, which is also what is
// sent: sorted, every name and value encoded by uriEncode.
func encodeQuery(q url.Values) string {
	parts := make([]string, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			parts = append(parts, uriEncode(k, false)+"="+uriEncode(v, false))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "&")
}

// ErrorCode implements driver.Bucket.
func (b *bucket) ErrorCode(err error) gcerrors.ErrorCode { return errorCode(err) }

// errEmptyKey is the error of a read, a look-up or a delete of the empty
// key, which the service would take for the bucket.
var errEmptyKey = codeError(gcerrors.NotFound, "no object has an empty name")

// Attributes implements driver.Bucket with a HEAD request.
func (b *bucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	if key == "" {
		return nil, errEmptyKey
	}
	res, err := b.send(ctx, &request{method: http.MethodHead, key: escapeKey(key), idempotent: true})
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, responseError(res, b.region)
	}
	_ = blobhttp.Drain(res)
	return headerAttributes(res.Header, res.ContentLength), nil
}

// headerAttributes returns an object's attributes from the headers of
// the answer to a HEAD or a GET of the whole object.
func headerAttributes(h http.Header, size int64) *driver.Attributes {
	a := &driver.Attributes{
		CacheControl:       h.Get("Cache-Control"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentEncoding:    h.Get("Content-Encoding"),
		ContentLanguage:    h.Get("Content-Language"),
		ContentType:        h.Get("Content-Type"),
		Size:               max(size, 0),
		ETag:               h.Get("ETag"),
		AsFunc:             blobhttp.NoAs,
	}
	a.MD5 = etagMD5(a.ETag)
	if lm := h.Get("Last-Modified"); lm != "" {
		a.ModTime, _ = http.ParseTime(lm)
	}
	for k, vs := range h {
		name, ok := cutPrefixFold(k, "x-amz-meta-")
		if !ok || len(vs) == 0 {
			continue
		}
		if a.Metadata == nil {
			a.Metadata = map[string]string{}
		}
		a.Metadata[unescapeMetaKey(strings.ToLower(name))] = unescapeMetaValue(vs[0])
	}
	return a
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// etagMD5 returns the MD5 an ETag holds: S3's ETag of an object written
// in one PUT (without SSE-KMS) is the quoted hex MD5 of its data; that of
// a multipart upload has a "-" and is not an MD5.
func etagMD5(etag string) []byte {
	if len(etag) != 34 || etag[0] != '"' || etag[33] != '"' {
		return nil
	}
	sum, err := hex.DecodeString(etag[1:33])
	if err != nil {
		return nil
	}
	return sum
}

// listResult is the answer to ListObjectsV2, the fields the driver uses.
type listResult struct {
	IsTruncated           bool   `xml:"IsTruncated"`
	NextContinuationToken string `xml:"NextContinuationToken"`
	Contents              []struct {
		Key          string `xml:"Key"`
		LastModified string `xml:"LastModified"`
		ETag         string `xml:"ETag"`
		Size         int64  `xml:"Size"`
	} `xml:"Contents"`
	CommonPrefixes []struct {
		Prefix string `xml:"Prefix"`
	} `xml:"CommonPrefixes"`
}

// parseListResult parses the answer to ListObjectsV2 into a page.
func parseListResult(body []byte) (*driver.ListPage, error) {
	var list listResult
	if err := xml.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("s3: invalid answer to ListObjectsV2: %w", err)
	}
	page := &driver.ListPage{}
	for _, c := range list.Contents {
		if c.Size < 0 {
			return nil, fmt.Errorf("s3: ListObjectsV2 gave object %q a negative size", c.Key)
		}
		mod, _ := time.Parse(time.RFC3339Nano, c.LastModified)
		page.Objects = append(page.Objects, &driver.ListObject{
			Key:     unescapeKey(c.Key),
			ModTime: mod,
			Size:    c.Size,
			MD5:     etagMD5(c.ETag),
			AsFunc:  blobhttp.NoAs,
		})
	}
	for _, p := range list.CommonPrefixes {
		page.Objects = append(page.Objects, &driver.ListObject{Key: unescapeKey(p.Prefix), IsDir: true, AsFunc: blobhttp.NoAs})
	}
	// The service gives the objects, then the directories.
	slices.SortFunc(page.Objects, func(a, b *driver.ListObject) int { return strings.Compare(a.Key, b.Key) })
	// The token counts only on a truncated page (gofakes3, for one, gives
	// one on the last page too).
	if list.IsTruncated {
		if list.NextContinuationToken == "" {
			return nil, errors.New("s3: ListObjectsV2 gave a truncated page without a continuation token")
		}
		page.NextPageToken = []byte(list.NextContinuationToken)
	}
	return page, nil
}

// ListPaged implements driver.Bucket with ListObjectsV2.
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
	q := url.Values{"list-type": {"2"}, "max-keys": {strconv.Itoa(pageSize)}}
	if opts.Prefix != "" {
		q.Set("prefix", escapeKey(opts.Prefix))
	}
	if opts.Delimiter != "" {
		q.Set("delimiter", escapeKey(opts.Delimiter))
	}
	if len(opts.PageToken) > 0 {
		q.Set("continuation-token", string(opts.PageToken))
	}
	res, err := b.send(ctx, &request{method: http.MethodGet, query: encodeQuery(q), idempotent: true})
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, responseError(res, b.region)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	return parseListResult(body)
}

// NewRangeReader implements driver.Bucket with a GET, with a Range header
// for part of the object.
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
		h.Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		h.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	res, err := b.send(ctx, &request{method: http.MethodGet, key: escapeKey(key), header: h, idempotent: true})
	if err != nil {
		return nil, err
	}
	switch {
	case res.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// Reading from the end of the object, or past it: nothing to read.
		rerr := responseError(res, b.region)
		r, err := b.emptyReader(ctx, key)
		if err != nil {
			return nil, err
		}
		if offset < r.Attrs.Size {
			return nil, rerr
		}
		return r, nil
	case res.StatusCode != http.StatusOK && res.StatusCode != http.StatusPartialContent:
		return nil, responseError(res, b.region)
	}
	attrs, err := readerAttributes(res)
	if err != nil {
		_ = res.Body.Close()
		return nil, fmt.Errorf("s3: read %s: %w", key, err)
	}
	r := &blobhttp.Reader{Body: res.Body, Attrs: attrs}
	if res.StatusCode == http.StatusOK && (offset > 0 || length > 0) {
		// The server ignored the range: cut the object to it here.
		if _, err := io.CopyN(io.Discard, res.Body, offset); err != nil {
			_ = res.Body.Close()
			return nil, fmt.Errorf("s3: read %s: skip to offset %d: %w", key, offset, err)
		}
		if length > 0 {
			r.Limited, r.Limit = true, length
		}
	}
	return r, nil
}

// readerAttributes returns the attributes of a GET's answer: the size is
// the whole object's, from Content-Range for a part.
func readerAttributes(res *http.Response) (driver.ReaderAttributes, error) {
	a := driver.ReaderAttributes{ContentType: res.Header.Get("Content-Type"), Size: res.ContentLength}
	if lm := res.Header.Get("Last-Modified"); lm != "" {
		a.ModTime, _ = http.ParseTime(lm)
	}
	if res.StatusCode == http.StatusPartialContent {
		total, err := parseContentRange(res.Header.Get("Content-Range"))
		if err != nil {
			return a, err
		}
		a.Size = total
	}
	if a.Size < 0 {
		return a, errors.New("the answer has no length")
	}
	return a, nil
}

// parseContentRange returns the whole size of "bytes FIRST-LAST/SIZE".
func parseContentRange(cr string) (int64, error) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	i := strings.LastIndexByte(rest, '/')
	if !ok || i < 0 {
		return 0, fmt.Errorf("invalid Content-Range %q", cr)
	}
	total, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil || total < 0 {
		return 0, fmt.Errorf("invalid Content-Range %q", cr)
	}
	return total, nil
}

// emptyReader returns a reader of no bytes with the object's attributes.
func (b *bucket) emptyReader(ctx context.Context, key string) (*blobhttp.Reader, error) {
	a, err := b.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &blobhttp.Reader{Body: http.NoBody, Attrs: driver.ReaderAttributes{ContentType: a.ContentType, ModTime: a.ModTime, Size: a.Size}}, nil
}

// sseHeaders adds the server-side encryption headers of writes and copies.
func (b *bucket) sseHeaders(h http.Header) {
	if b.sseType != "" {
		h.Set("X-Amz-Server-Side-Encryption", b.sseType)
	}
	if b.kmsKeyID != "" {
		h.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", b.kmsKeyID)
	}
}

// Copy implements driver.Bucket with CopyObject (objects up to 5 GB, the
// service's limit for one copy).
func (b *bucket) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	switch {
	case srcKey == "":
		return errEmptyKey
	case dstKey == "":
		return codeError(gcerrors.InvalidArgument, "copy: an object name cannot be empty")
	}
	if opts.BeforeCopy != nil {
		if err := opts.BeforeCopy(blobhttp.NoAs); err != nil {
			return err
		}
	}
	h := http.Header{}
	h.Set("X-Amz-Copy-Source", "/"+uriEncode(b.name, false)+"/"+uriEncode(escapeKey(srcKey), true))
	b.sseHeaders(h)
	res, err := b.send(ctx, &request{method: http.MethodPut, key: escapeKey(dstKey), header: h, idempotent: true})
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return responseError(res, b.region)
	}
	// A copy can fail after the service answered 200: the error is then
	// the body.
	return checkOKBody(res, b.region)
}

// checkOKBody reads a 200 answer's body, which may be an <Error> document
// (S3 sends the status before it knows whether a copy or a multipart
// upload's completion succeeds), and closes it.
func checkOKBody(res *http.Response, region string) error {
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if isErrorDocument(body) {
		e := parseErrorBody(http.StatusInternalServerError, body)
		e.RequestID = res.Header.Get("X-Amz-Request-Id")
		return e
	}
	return nil
}

// isErrorDocument reports whether an XML body's root element is <Error>.
func isErrorDocument(body []byte) bool {
	d := xml.NewDecoder(strings.NewReader(string(body)))
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local == "Error"
		}
	}
}

// Delete implements driver.Bucket: a HEAD, so that a missing object is
// NotFound (S3 deletes nothing without complaint), then a DELETE.
func (b *bucket) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	if key == "" {
		return errEmptyKey
	}
	if _, err := b.Attributes(ctx, key); err != nil {
		return err
	}
	if opts.BeforeDelete != nil {
		if err := opts.BeforeDelete(blobhttp.NoAs); err != nil {
			return err
		}
	}
	res, err := b.send(ctx, &request{method: http.MethodDelete, key: escapeKey(key), idempotent: true})
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return responseError(res, b.region)
	}
	return blobhttp.Drain(res)
}

// SignedURL implements driver.Bucket: it is Unimplemented.
func (b *bucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", codeError(gcerrors.Unimplemented, "signed URLs are not supported by Shipline's s3 driver")
}
