// Command fakegcs is a Google Cloud Storage server for Shipline's tests:
// fake-gcs-server's fakestorage with an in-memory backend, on a loopback
// port, started as a separate process by gcstest.Start.
//
// It prints "endpoint http://127.0.0.1:PORT" on standard output once it
// listens, and exits when its standard input is closed (so it never
// outlives the test that started it) or on SIGINT/SIGTERM.
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
	"syscall"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen on `HOST:PORT`")
	buckets := flag.String("buckets", "shipline", "comma-separated `NAMES` of the buckets to create")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("fakegcs: ")

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		NoListener:  true,
		Scheme:      "http",
		ExternalURL: endpoint,
		PublicHost:  ln.Addr().String(),
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range strings.Split(*buckets, ",") {
		if b != "" {
			srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
		}
	}
	fmt.Printf("endpoint %s\n", endpoint)
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
	hs := &http.Server{Handler: srv.HTTPHandler(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(hs.Serve(ln))
}
