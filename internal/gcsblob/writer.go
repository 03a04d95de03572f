package gcsblob

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// DefaultBufferSize is how much a writer holds before it starts a
// resumable upload, and the size of each of its chunks.
const DefaultBufferSize = 8 << 20

// chunkUnit is the granularity of a resumable upload's chunks.
const chunkUnit = 256 << 10

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
	chunk := DefaultBufferSize
	if opts.BufferSize > 0 {
		// A resumable upload's chunks are whole multiples of 256 KiB.
		chunk = (opts.BufferSize + chunkUnit - 1) / chunkUnit * chunkUnit
	}
	meta := object{
		Name:               escapeKey(key),
		ContentType:        contentType,
		CacheControl:       opts.CacheControl,
		ContentDisposition: opts.ContentDisposition,
		ContentEncoding:    opts.ContentEncoding,
		ContentLanguage:    opts.ContentLanguage,
		Metadata:           opts.Metadata,
	}
	if len(opts.ContentMD5) > 0 {
		meta.MD5Hash = base64.StdEncoding.EncodeToString(opts.ContentMD5)
	}
	return &writer{ctx: ctx, b: b, key: key, meta: meta, ifNotExist: opts.IfNotExist, chunk: chunk}, nil
}

// writer writes an object; it implements driver.Writer.
type writer struct {
	ctx        context.Context
	b          *bucket
	key        string
	meta       object
	ifNotExist bool
	chunk      int

	buf     []byte // not yet sent; at most chunk bytes
	session string // the resumable upload's URL, once started
	sent    int64  // bytes the session has
	err     error  // the first failure; every later call returns it
	closed  bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("gcs: write after Close")
	}
	n, err := blobhttp.Fill(&w.buf, w.chunk, p, func() error { return w.sendChunk(false) })
	if err != nil {
		w.fail(err)
	}
	return n, err
}

// Close sends what is left and ends the upload: the object exists from
// then on. After the writer's context is canceled it sends nothing, ends
// any resumable upload, and returns the context's error.
func (w *writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil {
		if w.session == "" {
			w.err = w.uploadMultipart()
		} else {
			w.err = w.sendChunk(true)
		}
	}
	if w.err != nil {
		w.cancelSession()
	}
	w.buf = nil
	return w.err
}

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// uploadQuery returns the query of an upload request.
func (w *writer) uploadQuery(uploadType string) string {
	q := url.Values{"uploadType": {uploadType}}
	if w.ifNotExist {
		q.Set("ifGenerationMatch", "0")
	}
	return "?" + q.Encode()
}

func (w *writer) uploadURL(uploadType string) string {
	return w.b.endpoint + "/upload/storage/v1/b/" + url.PathEscape(w.b.name) + "/o" + w.uploadQuery(uploadType)
}

// uploadMultipart sends the whole object, metadata and data, in one
// request, with the data's CRC32C for the service to check.
func (w *writer) uploadMultipart() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	meta := w.meta
	var crc [4]byte
	binary.BigEndian.PutUint32(crc[:], crc32.Checksum(w.buf, crc32.MakeTable(crc32.Castagnoli)))
	meta.CRC32C = base64.StdEncoding.EncodeToString(crc[:])
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json; charset=UTF-8"}})
	if err != nil {
		return err
	}
	if _, err := part.Write(metaJSON); err != nil {
		return err
	}
	// The media part needs a type; without one in the metadata the
	// service stores its default, application/octet-stream, either way.
	mediaType := w.meta.ContentType
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	if part, err = mw.CreatePart(textproto.MIMEHeader{"Content-Type": {mediaType}}); err != nil {
		return err
	}
	if _, err := part.Write(w.buf); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	data := body.Bytes()
	u := w.uploadURL("multipart")
	// Without a precondition a repeated upload could replace a newer
	// object: only create-if-absent is retried.
	res, err := w.b.send(w.ctx, w.ifNotExist, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
		if err == nil {
			req.Header.Set("Content-Type", "multipart/related; boundary="+mw.Boundary())
		}
		return req, err
	})
	if err != nil {
		return err
	}
	return finishAnswer(res)
}

// finishAnswer checks the answer to the request that created the object.
func finishAnswer(res *http.Response) error {
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		return responseError(res)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return res.Body.Close()
}

// startSession starts a resumable upload with the object's metadata.
func (w *writer) startSession() error {
	metaJSON, err := json.Marshal(w.meta)
	if err != nil {
		return err
	}
	u := w.uploadURL("resumable")
	// Starting a session creates nothing: it can be repeated.
	res, err := w.b.send(w.ctx, true, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(metaJSON))
		if err == nil {
			req.Header.Set("Content-Type", "application/json; charset=UTF-8")
			if w.meta.ContentType != "" {
				req.Header.Set("X-Upload-Content-Type", w.meta.ContentType)
			}
		}
		return req, err
	})
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		return responseError(res)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	loc := res.Header.Get("Location")
	if loc == "" {
		return errors.New("gcs: the service started a resumable upload without giving its URL")
	}
	w.session = loc
	return nil
}

// sendChunk sends the buffer to the resumable upload, starting it first if
// need be; with last, it ends the upload and the object is created. On a
// network error or an answer worth retrying it asks the service how much
// it has and sends the rest again.
func (w *writer) sendChunk(last bool) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.session == "" {
		if err := w.startSession(); err != nil {
			return err
		}
	}
	start := w.sent
	end := start + int64(len(w.buf)) // exclusive
	wait := retryBase
	for attempt := 1; ; attempt++ {
		data := w.buf[w.sent-start:]
		total := "*"
		if last {
			total = strconv.FormatInt(end, 10)
		}
		cr := "bytes */" + total
		if len(data) > 0 {
			cr = fmt.Sprintf("bytes %d-%d/%s", w.sent, end-1, total)
		}
		done, err := w.put(data, cr)
		if err == nil && done == end {
			if !last {
				w.buf = w.buf[:0]
			}
			return nil
		}
		var e *Error
		if err != nil && errors.As(err, &e) && !blobhttp.Retryable(e.Status) {
			return err
		}
		if attempt >= maxAttempts || w.ctx.Err() != nil {
			if err == nil {
				err = fmt.Errorf("gcs: write %s: the service has %d of the %d bytes sent", w.key, done, end)
			}
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-w.ctx.Done():
			t.Stop()
			return w.ctx.Err()
		case <-t.C:
		}
		wait *= 2
		// Ask what the service has, then send from there.
		if done, err = w.put(nil, "bytes */"+total); err != nil {
			var e *Error
			if errors.As(err, &e) && !blobhttp.Retryable(e.Status) {
				return err
			}
			continue
		}
		if done < start || done > end {
			return fmt.Errorf("gcs: write %s: the service has %d bytes, expected %d to %d", w.key, done, start, end)
		}
		if done == end {
			if !last {
				w.buf = w.buf[:0]
			}
			return nil
		}
		w.sent = done
	}
}

// put sends one request of the resumable upload and returns how many bytes
// the service has: the whole upload once it is finished.
func (w *writer) put(data []byte, contentRange string) (int64, error) {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPut, w.session, bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Range", contentRange)
	req.Header.Set("User-Agent", "shipline-gcsblob")
	res, err := w.b.client.Do(req)
	if err != nil {
		return 0, err
	}
	switch res.StatusCode {
	case http.StatusOK, http.StatusCreated:
		var o object
		if err := decodeAnswer(res, &o); err != nil {
			return 0, err
		}
		w.sent, err = o.size()
		return w.sent, err
	case http.StatusPermanentRedirect: // 308 Resume Incomplete
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		w.sent = 0
		// Range: bytes=0-N when the service has N+1 bytes; none when it
		// has none.
		if r := res.Header.Get("Range"); r != "" {
			i := strings.LastIndexByte(r, '-')
			n, err := strconv.ParseInt(r[i+1:], 10, 64)
			if i < 0 || err != nil {
				return 0, fmt.Errorf("gcs: write %s: invalid Range %q in the answer", w.key, r)
			}
			w.sent = n + 1
		}
		return w.sent, nil
	}
	return 0, responseError(res)
}

// cancelSession ends an unfinished resumable upload, so that the service
// drops what it holds; it is best effort (the service drops it within a
// week anyway).
func (w *writer) cancelSession() {
	if w.session == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, w.session, nil)
	if err != nil {
		return
	}
	if res, err := w.b.client.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
	w.session = ""
}
