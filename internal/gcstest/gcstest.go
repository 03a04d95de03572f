// Package gcstest starts a Google Cloud Storage server for tests: the
// fakegcs program in this directory (fake-gcs-server, in memory), built
// with the go command and run as a separate process on 127.0.0.1 with a
// random port (see internal/testproc). Clients reach it as they reach any
// emulator, through STORAGE_EMULATOR_HOST (see Server.Setenv), or by its
// Endpoint.
package gcstest

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline/internal/testproc"
)

// Bucket is the bucket every server starts with.
const Bucket = "shipline"

// Server is a running fakegcs process.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT

	proc *testproc.Process
}

// Start runs a Cloud Storage server for the test and returns it; the
// server stops when the test ends, or on Stop. The test fails when the
// server cannot be started; when it cannot be built (no module proxy, no
// module cache) the test is skipped, except in CI (CI set), where it
// fails.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := testproc.Build(tb, "github.com/shipline-ci/shipline/internal/gcstest/fakegcs")
	s := &Server{proc: testproc.Start(tb, bin, "-buckets", Bucket)}
	s.Endpoint = strings.TrimPrefix(s.proc.Next(tb, "endpoint ", 30*time.Second), "endpoint ")
	return s
}

// Host returns the server's HOST:PORT, the value of STORAGE_EMULATOR_HOST
// that sends a client to it.
func (s *Server) Host() string { return strings.TrimPrefix(s.Endpoint, "http://") }

// Setenv sets STORAGE_EMULATOR_HOST to the server for the rest of the test
// (see testing.T.Setenv: the test cannot be parallel).
func (s *Server) Setenv(t *testing.T) {
	t.Helper()
	t.Setenv("STORAGE_EMULATOR_HOST", s.Host())
}

// URL returns the gs:// URL of Bucket under prefix ("" for the whole
// bucket). It reaches the server only with STORAGE_EMULATOR_HOST set.
func (s *Server) URL(prefix string) string {
	u := "gs://" + Bucket
	if prefix != "" {
		u += "?" + url.Values{"prefix": {prefix}}.Encode()
	}
	return u
}

// Stop stops the server; requests to its endpoint fail from then on.
func (s *Server) Stop() { s.proc.Stop() }
