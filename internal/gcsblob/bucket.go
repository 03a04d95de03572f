package gcsblob

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
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

// bucket is a Cloud Storage bucket; it implements driver.Bucket.
type bucket struct {
	blobhttp.Stubs[*Error] // As, ErrorAs, Close

	name     string
	endpoint string // scheme://host, no trailing slash
	client   *http.Client
}

var _ driver.Bucket = (*bucket)(nil)

// object is the JSON API's object resource, the fields the driver uses.
// Request bodies leave the answer-only fields empty.
type object struct {
	Name               string            `json:"name,omitempty"`
	ContentType        string            `json:"contentType,omitempty"`
	CacheControl       string            `json:"cacheControl,omitempty"`
	ContentDisposition string            `json:"contentDisposition,omitempty"`
	ContentEncoding    string            `json:"contentEncoding,omitempty"`
	ContentLanguage    string            `json:"contentLanguage,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
	MD5Hash            string            `json:"md5Hash,omitempty"`
	CRC32C             string            `json:"crc32c,omitempty"`
	Size               string            `json:"size,omitempty"`
	Etag               string            `json:"etag,omitempty"`
	TimeCreated        string            `json:"timeCreated,omitempty"`
	Updated            string            `json:"updated,omitempty"`
}

// objectURL returns the JSON API URL of the (escaped) object name, with
// query q.
func (b *bucket) objectURL(name string, q url.Values) string {
	u := b.endpoint + "/storage/v1/b/" + url.PathEscape(b.name) + "/o/" + url.PathEscape(name)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func newRequest(method, u string, body io.Reader) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, method, u, body)
	}
}

// getJSON sends a GET, retried, and decodes a 200 answer into v.
func (b *bucket) getJSON(ctx context.Context, u string, v any) error {
	res, err := b.send(ctx, true, newRequest(http.MethodGet, u, nil))
	if err != nil {
		return err
	}
	return decodeAnswer(res, v)
}

// decodeAnswer decodes a 2xx answer's JSON body into v, or returns the
// error answer; it closes the body.
func decodeAnswer(res *http.Response, v any) error {
	if res.StatusCode/100 != 2 {
		return responseError(res)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		return fmt.Errorf("gcs: decode the answer to %s %s: %w", res.Request.Method, res.Request.URL.Redacted(), err)
	}
	return nil
}

// ErrorCode implements driver.Bucket.
func (b *bucket) ErrorCode(err error) gcerrors.ErrorCode { return errorCode(err) }

// errEmptyKey is the error of a read, a look-up or a delete of the empty
// key, which the service would take for a listing.
var errEmptyKey = codeError(gcerrors.NotFound, "no object has an empty name")

// Attributes implements driver.Bucket.
func (b *bucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	if key == "" {
		return nil, errEmptyKey
	}
	var o object
	if err := b.getJSON(ctx, b.objectURL(escapeKey(key), nil), &o); err != nil {
		return nil, err
	}
	return o.attributes()
}

func (o *object) attributes() (*driver.Attributes, error) {
	size, err := o.size()
	if err != nil {
		return nil, err
	}
	a := &driver.Attributes{
		CacheControl:       o.CacheControl,
		ContentDisposition: o.ContentDisposition,
		ContentEncoding:    o.ContentEncoding,
		ContentLanguage:    o.ContentLanguage,
		ContentType:        o.ContentType,
		Metadata:           o.Metadata,
		CreateTime:         parseTime(o.TimeCreated),
		ModTime:            parseTime(o.Updated),
		Size:               size,
		MD5:                decodeMD5(o.MD5Hash),
		ETag:               o.Etag,
		AsFunc:             blobhttp.NoAs,
	}
	// The JSON API gives the ETag unquoted; an ETag is a quoted string.
	if a.ETag != "" && !strings.HasPrefix(a.ETag, `"`) && !strings.HasPrefix(a.ETag, `W/"`) {
		a.ETag = strconv.Quote(a.ETag)
	}
	return a, nil
}

func (o *object) size() (int64, error) {
	if o.Size == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(o.Size, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("gcs: object %q has an invalid size %q", o.Name, o.Size)
	}
	return n, nil
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func decodeMD5(s string) []byte {
	if s == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

// ListPaged implements driver.Bucket.
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
	q := url.Values{}
	if opts.Prefix != "" {
		q.Set("prefix", escapeKey(opts.Prefix))
	}
	if opts.Delimiter != "" {
		q.Set("delimiter", escapeKey(opts.Delimiter))
	}
	serverToken, skip := parsePageToken(opts.PageToken)
	if serverToken != "" {
		q.Set("pageToken", serverToken)
	}
	q.Set("maxResults", strconv.Itoa(pageSize))
	q.Set("fields", "items(name,size,updated,md5Hash),prefixes,nextPageToken")
	u := b.endpoint + "/storage/v1/b/" + url.PathEscape(b.name) + "/o?" + q.Encode()
	var list struct {
		Items         []object `json:"items"`
		Prefixes      []string `json:"prefixes"`
		NextPageToken string   `json:"nextPageToken"`
	}
	if err := b.getJSON(ctx, u, &list); err != nil {
		return nil, err
	}
	page := &driver.ListPage{}
	for i := range list.Items {
		o := &list.Items[i]
		size, err := o.size()
		if err != nil {
			return nil, err
		}
		page.Objects = append(page.Objects, &driver.ListObject{
			Key:     unescapeKey(o.Name),
			ModTime: parseTime(o.Updated),
			Size:    size,
			MD5:     decodeMD5(o.MD5Hash),
			AsFunc:  blobhttp.NoAs,
		})
	}
	for _, p := range list.Prefixes {
		page.Objects = append(page.Objects, &driver.ListObject{Key: unescapeKey(p), IsDir: true, AsFunc: blobhttp.NoAs})
	}
	// The service gives the objects, then the directories.
	slices.SortFunc(page.Objects, func(a, b *driver.ListObject) int { return strings.Compare(a.Key, b.Key) })
	page.Objects = page.Objects[min(skip, len(page.Objects)):]
	if len(page.Objects) > pageSize {
		// Cloud Storage counts items and prefixes together against
		// maxResults, but a server that gives more (fake-gcs-server does
		// not count the prefixes) must not make the page larger than
		// asked: the next page is this one again, past what was given.
		page.Objects = page.Objects[:pageSize]
		page.NextPageToken = []byte(cutTokenMark + strconv.Itoa(skip+pageSize) + ":" + serverToken)
	} else if list.NextPageToken != "" {
		page.NextPageToken = []byte(list.NextPageToken)
	}
	return page, nil
}

// cutTokenMark starts a page token of the driver's own: the service's
// token of a page, and how many of the page's entries were given already.
// The service's tokens are base64, so they never start with it.
const cutTokenMark = "\x00cut:"

func parsePageToken(token []byte) (serverToken string, skip int) {
	t, ok := strings.CutPrefix(string(token), cutTokenMark)
	if !ok {
		return string(token), 0
	}
	n, rest, _ := strings.Cut(t, ":")
	skip, err := strconv.Atoi(n)
	if err != nil || skip < 0 {
		return rest, 0
	}
	return rest, skip
}

// NewRangeReader implements driver.Bucket.
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
	name := escapeKey(key)
	if length == 0 {
		return b.emptyReader(ctx, key)
	}
	var rng string
	switch {
	case length > 0:
		rng = fmt.Sprintf("bytes=%d-%d", offset, offset+length-1)
	case offset > 0:
		rng = fmt.Sprintf("bytes=%d-", offset)
	}
	u := b.objectURL(name, url.Values{"alt": {"media"}})
	res, err := b.send(ctx, true, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil && rng != "" {
			req.Header.Set("Range", rng)
		}
		return req, err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case res.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// Reading from the end of the object, or past it: nothing to read.
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
	if r.Attrs.ContentType == "" {
		r.Attrs.ContentType = "application/octet-stream"
	}
	if lm := res.Header.Get("Last-Modified"); lm != "" {
		r.Attrs.ModTime, _ = http.ParseTime(lm)
	}
	if res.StatusCode == http.StatusPartialContent {
		cr := res.Header.Get("Content-Range")
		total, err := strconv.ParseInt(cr[strings.LastIndexByte(cr, '/')+1:], 10, 64)
		if err != nil || !strings.HasPrefix(cr, "bytes ") {
			_ = res.Body.Close()
			return nil, fmt.Errorf("gcs: read %s: invalid Content-Range %q", key, cr)
		}
		r.Attrs.Size = total
	} else {
		// The whole object: served as it is stored, its CRC32C can be
		// checked; served decompressed or ignoring the range, it is cut
		// to the range here.
		var wantCRC uint32
		var checkCRC bool
		if res.Header.Get("Content-Encoding") == "" && !res.Uncompressed {
			wantCRC, checkCRC = parseCRC32C(res.Header)
		}
		if offset > 0 || length > 0 {
			checkCRC = false
			if _, err := io.CopyN(io.Discard, res.Body, offset); err != nil {
				_ = res.Body.Close()
				return nil, fmt.Errorf("gcs: read %s: skip to offset %d: %w", key, offset, err)
			}
		}
		if length > 0 {
			r.Limited, r.Limit = true, length
		}
		if checkCRC {
			crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
			r.Hash = crc
			r.Check = func() error {
				if crc.Sum32() != wantCRC {
					return fmt.Errorf("gcs: the data read has CRC32C %08x, the object's is %08x: corrupted in transit, read it again", crc.Sum32(), wantCRC)
				}
				return nil
			}
		}
	}
	if r.Attrs.Size < 0 || r.Attrs.ModTime.IsZero() {
		// Not in the headers (a decompressed download has no length):
		// ask for the object's metadata.
		a, err := b.Attributes(ctx, key)
		if err != nil {
			_ = res.Body.Close()
			return nil, err
		}
		if r.Attrs.Size < 0 {
			r.Attrs.Size = a.Size
		}
		if r.Attrs.ModTime.IsZero() {
			r.Attrs.ModTime = a.ModTime
		}
	}
	return r, nil
}

// emptyReader returns a reader of no bytes with the object's attributes.
func (b *bucket) emptyReader(ctx context.Context, key string) (*blobhttp.Reader, error) {
	a, err := b.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &blobhttp.Reader{Body: http.NoBody, Attrs: driver.ReaderAttributes{ContentType: ct, ModTime: a.ModTime, Size: a.Size}}, nil
}

// parseCRC32C returns the crc32c value of an X-Goog-Hash header.
func parseCRC32C(h http.Header) (uint32, bool) {
	for _, v := range h.Values("X-Goog-Hash") {
		for part := range strings.SplitSeq(v, ",") {
			val, ok := strings.CutPrefix(strings.TrimSpace(part), "crc32c=")
			if !ok {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(val)
			if err != nil || len(b) != 4 {
				return 0, false
			}
			return binary.BigEndian.Uint32(b), true
		}
	}
	return 0, false
}

// Copy implements driver.Bucket with the rewrite method, which copies any
// object, however large, in as many calls as the service needs.
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
	base := b.objectURL(escapeKey(srcKey), nil) + "/rewriteTo/b/" + url.PathEscape(b.name) + "/o/" + url.PathEscape(escapeKey(dstKey))
	token := ""
	for {
		u := base
		if token != "" {
			u += "?" + url.Values{"rewriteToken": {token}}.Encode()
		}
		res, err := b.send(ctx, false, newRequest(http.MethodPost, u, nil))
		if err != nil {
			return err
		}
		var ans struct {
			Done         bool   `json:"done"`
			RewriteToken string `json:"rewriteToken"`
		}
		if err := decodeAnswer(res, &ans); err != nil {
			return err
		}
		if ans.Done {
			return nil
		}
		if ans.RewriteToken == "" {
			return fmt.Errorf("gcs: copy %s to %s: the service neither finished nor gave a token to go on", srcKey, dstKey)
		}
		token = ans.RewriteToken
	}
}

// Delete implements driver.Bucket.
func (b *bucket) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	if key == "" {
		return errEmptyKey
	}
	if opts.BeforeDelete != nil {
		if err := opts.BeforeDelete(blobhttp.NoAs); err != nil {
			return err
		}
	}
	res, err := b.send(ctx, false, newRequest(http.MethodDelete, b.objectURL(escapeKey(key), nil), nil))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return responseError(res)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return res.Body.Close()
}

// SignedURL implements driver.Bucket: it is Unimplemented.
func (b *bucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", codeError(gcerrors.Unimplemented, "signed URLs are not supported by Shipline's gs driver")
}
