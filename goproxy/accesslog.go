package goproxy

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// AccessLog returns next wrapped so that every request writes one line to
// w when it ends:
//
//	2026-01-02T03:04:05.678Z 127.0.0.1:50412 GET /example.com/!m/@v/list 200 14B 1.2ms
//
// the time it began (UTC), the client's address, the method, the path
// (percent-decoded, as the go command escapes "!" as %21; quoted when it
// holds blanks, control characters or invalid UTF-8), the status, the
// bytes of the response body and the duration. Lines are written whole,
// one at a time; now is the clock (nil for time.Now).
func AccessLog(w io.Writer, now func() time.Time, next http.Handler) http.Handler {
	if now == nil {
		now = time.Now
	}
	var mu sync.Mutex
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := now()
		cw := &countingWriter{ResponseWriter: rw}
		defer func() {
			line := fmt.Sprintf("%s %s %s %s %d %dB %s\n", start.UTC().Format("2006-01-02T15:04:05.000Z"),
				r.RemoteAddr, r.Method, logPath(r.URL.Path), cw.status(), cw.n, roundDuration(now().Sub(start)))
			mu.Lock()
			io.WriteString(w, line)
			mu.Unlock()
		}()
		next.ServeHTTP(cw, r)
	})
}

// logPath returns p as it can go into a log line: as it is, or quoted.
func logPath(p string) string {
	if !utf8.ValidString(p) || strings.IndexFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '"' || !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(p)
	}
	return p
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// countingWriter records the status and counts the body's bytes.
type countingWriter struct {
	http.ResponseWriter
	code int
	n    int64
}

func (c *countingWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countingWriter) status() int {
	if c.code == 0 {
		return http.StatusOK
	}
	return c.code
}

// Unwrap gives http.ResponseController the underlying writer.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
