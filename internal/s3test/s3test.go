// Package s3test starts an S3 server for tests: the fakes3 program in this
// directory (gofakes3, in memory, with what it lacks of S3 made up for:
// see fakes3's documentation), built with the go command and run as a
// separate process on 127.0.0.1 with a random port (see internal/testproc).
package s3test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline/internal/testproc"
)

// Bucket is the bucket every server starts with.
const Bucket = "shipline"

// Options adjust StartServer.
type Options struct {
	// Hang makes the first PUT of an object whose name ends in Hang wait
	// until its client goes away; Server.WaitHang tells when it started.
	Hang string
}

// Server is a running fakes3 process.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT

	proc *testproc.Process
}

// Start runs an S3 server for the test and returns its endpoint; the server
// stops when the test ends.
func Start(tb testing.TB) (endpoint string) {
	tb.Helper()
	return StartServer(tb, Options{}).Endpoint
}

// StartServer runs an S3 server with options for the test; it stops when
// the test ends, or on Stop.
func StartServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	bin := testproc.Build(tb, "github.com/shipline-ci/shipline/internal/s3test/fakes3")
	args := []string{"-buckets", Bucket}
	if opts.Hang != "" {
		args = append(args, "-hang", opts.Hang)
	}
	s := &Server{proc: testproc.Start(tb, bin, args...)}
	s.Endpoint = strings.TrimPrefix(s.proc.Next(tb, "endpoint ", 30*time.Second), "endpoint ")
	return s
}

// URL returns the store URL of bucket on the server, for Shipline's s3
// driver (internal/s3blob): path-style requests to the endpoint,
// anonymous, so that no credentials are looked up.
func (s *Server) URL(prefix string) string {
	q := url.Values{}
	q.Set("endpoint", s.Endpoint)
	q.Set("use_path_style", "true")
	q.Set("region", "us-east-1")
	q.Set("anonymous", "true")
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	return "s3://" + Bucket + "?" + q.Encode()
}

// URL is Server.URL for a server started with Start.
func URL(endpoint, prefix string) string {
	return (&Server{Endpoint: endpoint}).URL(prefix)
}

// WaitHang waits until the server hangs a PUT (see Options.Hang) and
// returns the request's path.
func (s *Server) WaitHang(tb testing.TB, timeout time.Duration) string {
	tb.Helper()
	return strings.TrimPrefix(s.proc.Next(tb, "hang ", timeout), "hang ")
}

// Stop stops the server; requests to its endpoint fail from then on.
func (s *Server) Stop() { s.proc.Stop() }
