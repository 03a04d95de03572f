// Command fakes3 is an S3 server for Shipline's tests: gofakes3 with an
// in-memory backend, on a loopback port, started as a separate process by
// s3test.Start.
//
// It prints "endpoint http://127.0.0.1:PORT" on standard output once it
// listens, and exits when its standard input is closed (so it never
// outlives the test that started it) or on SIGINT/SIGTERM.
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
	var handler http.Handler = faker.Server()
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
		io.Copy(io.Discard, bufio.NewReader(os.Stdin))
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
