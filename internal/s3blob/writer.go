package s3blob

import (
	"context"
	"crypto/md5" // #nosec G501 -- Content-MD5 is S3's integrity check of an upload, not a security function
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// DefaultBufferSize is how much a writer holds before it starts a
// multipart upload, and the size of each of its parts.
const DefaultBufferSize = 8 << 20

// minPartSize is S3's smallest part but the last (a variable for tests of
// servers that do not enforce it).
var minPartSize = 5 << 20

// maxParts is S3's largest number of parts of an upload.
const maxParts = 10000

// NewTypedWriter implements driver.Bucket. Nothing is sent before the
// writer holds more than the buffer size, or is closed.
func (b *bucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	if key == "" {
		return nil, codeError(gcerrors.InvalidArgument, "write: an object name cannot be empty")
	}
	if opts.BeforeWrite != nil {
		if err := opts.BeforeWrite(blobhttp.NoAs); err != nil {
			return nil, err
		}
	}
	part := DefaultBufferSize
	if opts.BufferSize > 0 {
		part = max(opts.BufferSize, minPartSize)
	}
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for k, v := range map[string]string{
		"Cache-Control":       opts.CacheControl,
		"Content-Disposition": opts.ContentDisposition,
		"Content-Encoding":    opts.ContentEncoding,
		"Content-Language":    opts.ContentLanguage,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	for k, v := range opts.Metadata {
		h["X-Amz-Meta-"+escapeMetaKey(k)] = []string{escapeMetaValue(v)}
	}
	b.sseHeaders(h)
	return &writer{ctx: ctx, b: b, key: escapeKey(key), header: h, ifNotExist: opts.IfNotExist, contentMD5: opts.ContentMD5, part: part}, nil
}

// writer writes an object; it implements driver.Writer.
type writer struct {
	ctx        context.Context
	b          *bucket
	key        string // escaped
	header     http.Header
	ifNotExist bool
	contentMD5 []byte // the caller's, for a single PUT
	part       int

	buf      []byte // not yet sent; at most part bytes
	uploadID string // the multipart upload's, once started
	parts    []completedPart
	err      error // the first failure; every later call returns it
	closed   bool
}

type completedPart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("s3: write after Close")
	}
	// A part sent when full and more is to come is not the last.
	n, err := blobhttp.Fill(&w.buf, w.part, p, w.sendPart)
	if err != nil {
		w.fail(err)
	}
	return n, err
}

// Close sends what is left and ends the upload: the object exists from
// then on. After the writer's context is canceled it sends nothing, aborts
// any multipart upload, and returns the context's error.
func (w *writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil {
		if err := w.ctx.Err(); err != nil {
			w.err = err
		} else if w.uploadID == "" {
			w.err = w.putObject()
		} else if err := w.sendPart(); err != nil {
			w.err = err
		} else {
			w.err = w.complete()
		}
	}
	if w.err != nil {
		w.abort()
	}
	w.buf = nil
	return w.err
}

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func contentMD5(data []byte) string {
	sum := md5.Sum(data) // #nosec G401 -- Content-MD5 is S3's integrity check of an upload, not a security function
	return base64.StdEncoding.EncodeToString(sum[:])
}

// putObject writes the whole object in one PUT.
func (w *writer) putObject() error {
	h := w.header.Clone()
	if len(w.contentMD5) > 0 {
		h.Set("Content-Md5", base64.StdEncoding.EncodeToString(w.contentMD5))
	} else {
		h.Set("Content-Md5", contentMD5(w.buf))
	}
	if w.ifNotExist {
		h.Set("If-None-Match", "*")
	}
	res, err := w.b.send(w.ctx, &request{method: http.MethodPut, key: w.key, header: h, body: w.buf, idempotent: true})
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return responseError(res, w.b.region)
	}
	return blobhttp.Drain(res)
}

// start starts the multipart upload.
func (w *writer) start() error {
	res, err := w.b.send(w.ctx, &request{method: http.MethodPost, key: w.key, query: "uploads=", header: w.header, idempotent: true})
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return responseError(res, w.b.region)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	id, err := parseInitiateResult(body)
	if err != nil {
		return err
	}
	w.uploadID = id
	return nil
}

// parseInitiateResult returns the upload ID of CreateMultipartUpload's
// answer.
func parseInitiateResult(body []byte) (string, error) {
	var ans struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal(body, &ans); err != nil {
		return "", fmt.Errorf("s3: invalid answer to CreateMultipartUpload: %w", err)
	}
	if ans.UploadID == "" {
		return "", errors.New("s3: CreateMultipartUpload gave no upload ID")
	}
	return ans.UploadID, nil
}

// sendPart sends the buffer as the next part, starting the multipart
// upload first if need be.
func (w *writer) sendPart() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.uploadID == "" {
		if err := w.start(); err != nil {
			return err
		}
	}
	n := len(w.parts) + 1
	if n > maxParts {
		return codeError(gcerrors.InvalidArgument, fmt.Sprintf("write %s: more than %d parts: set a larger WriterOptions.BufferSize", unescapeKey(w.key), maxParts))
	}
	q := url.Values{"partNumber": {strconv.Itoa(n)}, "uploadId": {w.uploadID}}
	h := http.Header{}
	h.Set("Content-Md5", contentMD5(w.buf))
	res, err := w.b.send(w.ctx, &request{method: http.MethodPut, key: w.key, query: encodeQuery(q), header: h, body: w.buf, idempotent: true})
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return responseError(res, w.b.region)
	}
	_ = blobhttp.Drain(res)
	etag := res.Header.Get("ETag")
	if etag == "" {
		return fmt.Errorf("s3: write %s: part %d was answered without an ETag", unescapeKey(w.key), n)
	}
	w.parts = append(w.parts, completedPart{PartNumber: n, ETag: etag})
	w.buf = w.buf[:0]
	return nil
}

// complete ends the multipart upload: the object exists from then on.
// With IfNotExist, the service refuses to complete it over an object.
func (w *writer) complete() error {
	body, err := xml.Marshal(struct {
		XMLName xml.Name        `xml:"CompleteMultipartUpload"`
		Parts   []completedPart `xml:"Part"`
	}{Parts: w.parts})
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	if w.ifNotExist {
		h.Set("If-None-Match", "*")
	}
	q := url.Values{"uploadId": {w.uploadID}}
	// Not repeated: after a lost answer to a completion that succeeded,
	// a second one would fail (NoSuchUpload), or with IfNotExist find the
	// object it made.
	res, err := w.b.send(w.ctx, &request{method: http.MethodPost, key: w.key, query: encodeQuery(q), header: h, body: body})
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return responseError(res, w.b.region)
	}
	if err := checkOKBody(res, w.b.region); err != nil {
		return err
	}
	w.uploadID = ""
	return nil
}

// abort ends an unfinished multipart upload, so that the service drops its
// parts; it is best effort (a bucket's lifecycle rule can drop what is
// left).
func (w *writer) abort() {
	if w.uploadID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 10*time.Second)
	defer cancel()
	q := url.Values{"uploadId": {w.uploadID}}
	if res, err := w.b.send(ctx, &request{method: http.MethodDelete, key: w.key, query: encodeQuery(q), idempotent: true}); err == nil {
		_ = blobhttp.Drain(res)
	}
	w.uploadID = ""
}
