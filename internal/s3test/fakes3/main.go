// Command fakes3 is an S3 server for Shipline's tests: gofakes3 with an
// in-memory backend, on a loopback port, started as a separate process by
// s3test.Start.
//
// It prints "endpoint http://127.0.0.1:PORT" on standard output once it
// listens, and exits when its standard input is closed (so it never
// outlives the test that started it) or on SIGINT/SIGTERM.
//
// Where gofakes3 falls short of S3 in ways Shipline's S3 driver relies on,
// a wrapper (fidelity) makes up for it: it keeps the Cache-Control and
// Content-Language of objects (which gofakes3 drops) and checks
// If-None-Match: * on the completion of a multipart upload, atomically
// with conditional PUTs.
//
// With -hang SUFFIX, the first PUT of an object whose name ends in SUFFIX
// hangs until the client goes away, after printing "hang KEY": tests use it
// to stop a publish at an exact point and kill it there.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen on `HOST:PORT`")
	buckets := flag.String("buckets", "shipline", "comma-separated `NAMES` of the buckets to create")
	hang := flag.String("hang", "", "hang the first PUT of an object whose name ends in `SUFFIX`")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("fakes3: ")

	backend := s3mem.New()
	for _, b := range strings.Split(*buckets, ",") {
		if b == "" {
			continue
		}
		if err := backend.CreateBucket(b); err != nil {
			log.Fatalf("create bucket %s: %v", b, err)
		}
	}
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	var handler http.Handler = &fidelity{next: faker.Server(), backend: backend, headers: map[string]http.Header{}, pending: map[string]http.Header{}}
	out := &syncWriter{w: os.Stdout}
	if *hang != "" {
		handler = &hanger{next: handler, suffix: *hang, out: out}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(out, "endpoint http://%s\n", ln.Addr())
	go func() {
		// The parent holds our standard input: when it goes, so do we.
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		os.Exit(0)
	}()
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		<-c
		os.Exit(0)
	}()
	// No ReadTimeout or WriteTimeout: -hang holds a request open on
	// purpose until its client goes away.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

// hanger hangs the first matching PUT until its client goes away.
type hanger struct {
	next   http.Handler
	suffix string
	out    *syncWriter
	once   sync.Once
}

func (h *hanger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, h.suffix) {
		hang := false
		h.once.Do(func() { hang = true })
		if hang {
			fmt.Fprintf(h.out, "hang %s\n", r.URL.Path)
			<-r.Context().Done()
			http.Error(w, "hung", http.StatusServiceUnavailable)
			return
		}
	}
	h.next.ServeHTTP(w, r)
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// keptHeaders are the object headers gofakes3 does not keep, which
// fidelity keeps for it.
var keptHeaders = []string{"Cache-Control", "Content-Language"}

// fidelity makes up for what gofakes3 lacks (see the package
// documentation). Objects are named by their path-style request path.
type fidelity struct {
	next    http.Handler
	backend *s3mem.Backend

	// cond serializes conditional writes, so that the check of a
	// multipart completion is atomic with the PUTs' own.
	cond sync.Mutex

	mu      sync.Mutex
	headers map[string]http.Header // by object path
	pending map[string]http.Header // of multipart uploads, by object path
}

func capture(h http.Header) http.Header {
	kept := http.Header{}
	for _, k := range keptHeaders {
		if v := h.Get(k); v != "" {
			kept.Set(k, v)
		}
	}
	return kept
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (f *fidelity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	path := r.URL.Path
	sw := &statusWriter{ResponseWriter: w}
	// A handler that writes nothing answers 200.
	ok := func() bool { return sw.status == 0 || sw.status/100 == 2 }
	switch {
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		f.next.ServeHTTP(sw, r)
		src, err := url.PathUnescape(r.Header.Get("X-Amz-Copy-Source"))
		if ok() && err == nil {
			f.mu.Lock()
			f.headers[path] = f.headers["/"+strings.TrimPrefix(src, "/")]
			f.mu.Unlock()
		}
	case r.Method == http.MethodPut && !q.Has("partNumber"):
		if r.Header.Get("If-None-Match") != "" {
			f.cond.Lock()
			defer f.cond.Unlock()
		}
		f.next.ServeHTTP(sw, r)
		if ok() {
			f.mu.Lock()
			f.headers[path] = capture(r.Header)
			f.mu.Unlock()
		}
	case r.Method == http.MethodPost && q.Has("uploads"):
		f.next.ServeHTTP(sw, r)
		if ok() {
			f.mu.Lock()
			f.pending[path] = capture(r.Header)
			f.mu.Unlock()
		}
	case r.Method == http.MethodPost && q.Has("uploadId"):
		if r.Header.Get("If-None-Match") == "*" {
			f.cond.Lock()
			defer f.cond.Unlock()
			bucket, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
			if _, err := f.backend.HeadObject(bucket, key); err == nil {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusPreconditionFailed)
				_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>`)
				return
			}
		}
		f.next.ServeHTTP(sw, r)
		if ok() {
			f.mu.Lock()
			f.headers[path] = f.pending[path]
			delete(f.pending, path)
			f.mu.Unlock()
		}
	case r.Method == http.MethodDelete && !q.Has("uploadId"):
		f.next.ServeHTTP(sw, r)
		if ok() {
			f.mu.Lock()
			delete(f.headers, path)
			f.mu.Unlock()
		}
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		f.mu.Lock()
		for k, v := range f.headers[path] {
			w.Header()[k] = v
		}
		f.mu.Unlock()
		f.next.ServeHTTP(w, r)
	default:
		f.next.ServeHTTP(w, r)
	}
}
