package azblob

import (
	"context"
	"crypto/md5" // #nosec G501 -- Content-MD5 is the service's integrity check, not a security one
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"

	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// DefaultBufferSize is the largest blob a writer sends in one Put Blob, and
// the size of each block of a larger one.
const DefaultBufferSize = 8 << 20

// maxBlocks is the most blocks a block blob has.
const maxBlocks = 50000

// NewTypedWriter implements driver.Bucket. Nothing is sent before the
// writer holds more than the buffer size, or is closed.
func (b *bucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	if key == "" {
		return nil, codeError(gcerrors.InvalidArgument, "write: a blob name cannot be empty")
	}
	if opts.BeforeWrite != nil {
		if err := opts.BeforeWrite(blobhttp.NoAs); err != nil {
			return nil, err
		}
	}
	size := DefaultBufferSize
	if opts.BufferSize > 0 {
		size = opts.BufferSize
	}
	// Properties, as Put Blob and Put Block List take them.
	h := http.Header{}
	for k, v := range map[string]string{
		"X-Ms-Blob-Content-Type":        contentType,
		"X-Ms-Blob-Cache-Control":       opts.CacheControl,
		"X-Ms-Blob-Content-Disposition": opts.ContentDisposition,
		"X-Ms-Blob-Content-Encoding":    opts.ContentEncoding,
		"X-Ms-Blob-Content-Language":    opts.ContentLanguage,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	for k, v := range opts.Metadata {
		e := escapeMetadataKey(k)
		name := "X-Ms-Meta-" + e
		if _, dup := h[name]; dup {
			return nil, codeError(gcerrors.InvalidArgument, fmt.Sprintf("metadata keys %q and another escape to the same name %q", k, e))
		}
		h[name] = []string{escapeMetadataValue(v)}
	}
	if opts.IfNotExist {
		h.Set("If-None-Match", "*")
	}
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	return &writer{
		ctx: ctx, b: b, key: key, blob: escapeKey(key, false), header: h,
		wantMD5: opts.ContentMD5, ifNotExist: opts.IfNotExist, size: size,
		id: id, md5: md5.New(), // #nosec G401 -- the service's integrity check
	}, nil
}

// writer writes a blob; it implements driver.Writer.
type writer struct {
	ctx        context.Context
	b          *bucket
	key, blob  string
	header     http.Header // the blob's properties and conditions
	wantMD5    []byte
	ifNotExist bool
	size       int
	id         [12]byte // the writer's part of every block ID

	buf    []byte    // not yet sent; at most size bytes
	blocks []string  // the IDs of the blocks sent
	md5    hash.Hash // of all the data
	err    error     // the first failure; every later call returns it
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("azblob: write after Close")
	}
	_, _ = w.md5.Write(p) // a hash never fails
	// Full, and more to come: a block.
	n, err := blobhttp.Fill(&w.buf, w.size, p, w.putBlock)
	if err != nil {
		w.err = err
	}
	return n, err
}

// Close sends what is left and commits the blob: it exists from then on.
// After the writer's context is canceled it commits nothing and returns
// the context's error (blocks sent and not committed are dropped by the
// service within a week).
func (w *writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil {
		if err := w.ctx.Err(); err != nil {
			w.err = err
		} else if w.blocks == nil {
			w.err = w.putBlob()
		} else if w.err = w.putBlock(); w.err == nil {
			w.err = w.putBlockList()
		}
	}
	w.buf = nil
	return w.err
}

func b64(p []byte) string { return base64.StdEncoding.EncodeToString(p) }

// putBlob creates the blob with the buffer, in one request, with its MD5
// for the service to check and keep. Without a precondition a repeated
// upload could replace a newer blob: only create-if-absent is retried.
func (w *writer) putBlob() error {
	h := w.header.Clone()
	h.Set("X-Ms-Blob-Type", "BlockBlob")
	sum := w.md5.Sum(nil)
	if w.wantMD5 != nil {
		sum = w.wantMD5 // the service refuses data that does not match
	}
	h.Set("Content-MD5", b64(sum))
	body := w.buf
	if body == nil {
		body = []byte{}
	}
	_, err := w.b.expect(w.ctx, w.ifNotExist, &call{method: http.MethodPut, blob: w.blob, header: h, body: body}, http.StatusCreated)
	return err
}

// putBlock sends the buffer as the next block, with its MD5. Sending a
// block again replaces it with the same bytes: it is retried.
func (w *writer) putBlock() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if len(w.blocks) >= maxBlocks {
		return codeError(gcerrors.InvalidArgument, fmt.Sprintf("write %s: more than %d blocks of %d bytes: use a larger WriterOptions.BufferSize", w.key, maxBlocks, w.size))
	}
	var raw [16]byte
	copy(raw[:], w.id[:])
	binary.BigEndian.PutUint32(raw[12:], uint32(len(w.blocks))) // #nosec G115 -- at most maxBlocks
	id := b64(raw[:])
	sum := md5.Sum(w.buf) // #nosec G401 -- the service's integrity check
	q := url.Values{"comp": {"block"}, "blockid": {id}}
	h := http.Header{"Content-Md5": {b64(sum[:])}}
	if _, err := w.b.expect(w.ctx, true, &call{method: http.MethodPut, blob: w.blob, query: q, header: h, body: w.buf}, http.StatusCreated); err != nil {
		return err
	}
	w.blocks = append(w.blocks, id)
	w.buf = w.buf[:0]
	return nil
}

// putBlockList commits the blocks, with the blob's properties and the MD5
// of the whole data.
func (w *writer) putBlockList() error {
	type blockList struct {
		XMLName xml.Name `xml:"BlockList"`
		Latest  []string `xml:"Latest"`
	}
	body, err := xml.Marshal(blockList{Latest: w.blocks})
	if err != nil {
		return err
	}
	sum := w.md5.Sum(nil)
	if w.wantMD5 != nil && string(w.wantMD5) != string(sum) {
		return codeError(gcerrors.InvalidArgument, fmt.Sprintf("write %s: the data has MD5 %x, not the %x WriterOptions.ContentMD5 says", w.key, sum, w.wantMD5))
	}
	h := w.header.Clone()
	h.Set("X-Ms-Blob-Content-Md5", b64(sum))
	h.Set("Content-Type", "application/xml")
	_, err = w.b.expect(w.ctx, w.ifNotExist, &call{method: http.MethodPut, blob: w.blob, query: url.Values{"comp": {"blocklist"}}, header: h, body: append([]byte(xml.Header), body...)}, http.StatusCreated)
	return err
}
