package blobhttp

import (
	"io"

	"gocloud.dev/blob/driver"
)

// Reader reads an answer's body; it implements driver.Reader.
type Reader struct {
	// Body is the answer's body; Close closes it.
	Body io.ReadCloser
	// Attrs are the reader's attributes.
	Attrs driver.ReaderAttributes
	// Limited: the server sent more than the range asked for (it ignored
	// the Range header), and Limit is what is left of the range: Read
	// returns io.EOF after it.
	Limited bool
	Limit   int64
	// Hash, when not nil, is fed every byte read, and at io.EOF Check
	// is called: its error, such as a hash that is not the object's, is
	// returned in place of io.EOF.
	Hash  io.Writer
	Check func() error
}

var _ driver.Reader = (*Reader)(nil)

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.Limited {
		if r.Limit <= 0 {
			return 0, io.EOF
		}
		if int64(len(p)) > r.Limit {
			p = p[:r.Limit]
		}
	}
	n, err := r.Body.Read(p)
	if r.Limited {
		if r.Limit -= int64(n); r.Limit == 0 && err == nil {
			err = io.EOF
		}
	}
	if r.Hash != nil {
		_, _ = r.Hash.Write(p[:n]) // a hash never fails
		if err == io.EOF && r.Check != nil {
			if cerr := r.Check(); cerr != nil {
				return n, cerr
			}
		}
	}
	return n, err
}

// Close closes the body.
func (r *Reader) Close() error { return r.Body.Close() }

// Attributes implements driver.Reader.
func (r *Reader) Attributes() *driver.ReaderAttributes { return &r.Attrs }

// As implements driver.Reader: the drivers expose no types.
func (r *Reader) As(any) bool { return false }
