package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/goproxy"
	"github.com/shipline-ci/shipline/store"
)

// serveProxyFlags are the flags of 'shipline serve-proxy'.
type serveProxyFlags struct {
	store        string
	addr         string
	addrFile     string
	upstream     string
	accessLog    string
	drainTimeout time.Duration
	listMaxAge   time.Duration
}

func (m *Main) serveProxyCommand() *cobra.Command {
	var f serveProxyFlags
	cmd := &cobra.Command{
		Use:   "serve-proxy",
		Short: "Serve the artifact store as a Go module proxy over HTTP",
		Long: `Serve the artifact store over HTTP as a Go module proxy (the GOPROXY
protocol), for the go command: GOPROXY=http://HOST:PORT.

Only committed versions exist: an unfinished publish is 404, as are unknown
modules and the path-prefix probes the go command makes. .info, .mod and
.zip never change once published and are served as immutable, with their
SHA-256 as ETag; list and @latest with a short max-age. Range requests,
HEAD and If-None-Match are answered.

With --upstream, versions the store lacks are fetched from that proxy,
checked (a valid module zip of that version whose go.mod is the one served),
published to the store with their hashes recorded, and served from the
store from then on; the upstream's 404 and 410 pass through. What the
upstream serves first is kept (trust on first use): the go command still
checks every zip against go.sum and GOSUMDB.

One access log line per request goes to standard error (--access-log).
The first SIGINT or SIGTERM stops accepting connections and lets requests
in flight finish (for at most --drain-timeout); a second stops at once.

The store is --store, else release.store of .shipline.yaml, else the
directory shipline/store in $XDG_DATA_HOME (~/.local/share).`,
		Example: `  shipline serve-proxy --store /srv/store --addr :8080
  shipline serve-proxy --store s3://modules?region=eu-west-1 --upstream https://proxy.golang.org
  shipline serve-proxy --addr 127.0.0.1:0 --addr-file proxy.addr`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runServeProxy(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.store, "store", "", "serve the store at `URL` (a directory, file://, s3://, gs://, azblob://)")
	fl.StringVar(&f.addr, "addr", "localhost:8080", "listen on `HOST:PORT`; port 0 picks a free one")
	fl.StringVar(&f.addrFile, "addr-file", "", "write the address listened on (HOST:PORT) to `FILE` once listening")
	fl.StringVar(&f.upstream, "upstream", "", "fetch and store versions the store lacks from the proxy at `URL`")
	fl.StringVar(&f.accessLog, "access-log", "-", "append access log lines to `FILE`; - for standard error, off for none")
	fl.DurationVar(&f.drainTimeout, "drain-timeout", 30*time.Second, "on the first signal, wait at most `DURATION` for requests in flight")
	fl.DurationVar(&f.listMaxAge, "list-max-age", goproxy.DefaultListMaxAge, "Cache-Control max-age of list, @latest and 404s")
	return cmd
}

func (m *Main) runServeProxy(ctx context.Context, f serveProxyFlags) error {
	if f.drainTimeout <= 0 {
		return shipline.Errorf(shipline.EUSAGE, "--drain-timeout must be positive")
	}
	url, err := m.configuredStore(ctx, f.store)
	if err != nil {
		return err
	}
	opts := goproxy.Options{ListMaxAge: f.listMaxAge, ErrorLog: log.New(m.Stderr, "shipline serve-proxy: ", log.LstdFlags|log.LUTC)}
	if f.upstream != "" {
		if opts.Upstream, err = goproxy.NewClient(f.upstream, nil); err != nil {
			return &shipline.Error{Code: shipline.EUSAGE, Message: "--upstream: " + err.Error(), Err: err}
		}
	}
	var access io.Writer
	switch f.accessLog {
	case "-":
		access = m.Stderr
	case "off", "":
	default:
		name := f.accessLog
		if !filepath.IsAbs(name) {
			name = filepath.Join(m.workDir(), name)
		}
		// Readable by its owner only: the log holds the clients' addresses
		// and the module paths they ask for, which may be private. An
		// existing file keeps its mode, so an operator who wants it shared
		// creates it first.
		file, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600) // #nosec G304 -- the access log file named by --access-log
		if err != nil {
			return shipline.Errorf(shipline.EINVALID, "--access-log: %v", err)
		}
		defer file.Close()
		access = file
	}

	st, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer st.Close()
	var h http.Handler = goproxy.Handler(st, opts)
	if access != nil {
		h = goproxy.AccessLog(access, nil, h)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return shipline.Errorf(shipline.EINVALID, "--addr %s: %v", f.addr, err)
	}
	addr := ln.Addr().String()
	if f.addrFile != "" {
		if err := writeAddrFile(m.pathArg(f.addrFile), []byte(addr+"\n")); err != nil {
			ln.Close()
			return err
		}
	}
	fmt.Fprintf(m.Stderr, "shipline serve-proxy: serving %s as a Go module proxy on http://%s\n", url, addr)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          opts.ErrorLog,
	}
	stop := newSignalStopper(ctx)
	defer stop.Close()
	return serveUntilStopped(srv, ln, stop, f.drainTimeout, m.Stderr, "shipline serve-proxy")
}

// configuredStore returns the store URL of a --store flag, else of the
// repository's config (when run in one), else the default directory.
func (m *Main) configuredStore(ctx context.Context, flag string) (string, error) {
	configured, root := "", ""
	if flag == "" {
		if ws, err := m.open(ctx); err == nil {
			configured, root = ws.cfg.Release.Store, ws.repo.Dir
		} else if shipline.ErrorCode(err) != shipline.ENOTFOUND {
			return "", err
		}
	}
	return m.storeURL(configured, flag, root)
}

// pathArg makes a path relative to the working directory absolute.
func (m *Main) pathArg(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(m.workDir(), name)
}

// writeAddrFile writes a file whole, so that a reader polling for it
// never sees a part.
func writeAddrFile(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil { // #nosec G306 -- the file tells other programs where to connect: an address, nothing secret
		return err
	}
	return os.Rename(tmp, name)
}

// serveUntilStopped serves srv on ln until the signalStopper drains: then it
// stops accepting connections and waits for the requests in flight, for
// at most timeout or until the signalStopper aborts.
func serveUntilStopped(srv *http.Server, ln net.Listener, stop *signalStopper, timeout time.Duration, log io.Writer, name string) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return shipline.Errorf(shipline.EINTERNAL, "%s: serve: %v", name, err)
	case <-stop.Drain:
	}
	fmt.Fprintf(log, "%s: stopping: finishing the requests in flight (at most %s; interrupt again to stop at once)\n", name, timeout)
	ctx, cancel := context.WithTimeout(stop.Abort, timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
		<-errc
		why := "timed out"
		if stop.Abort.Err() != nil {
			why = "interrupted again"
		}
		return shipline.Errorf(shipline.EINTERNAL, "%s: %s: stopped with requests in flight", name, why)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return shipline.Errorf(shipline.EINTERNAL, "%s: serve: %v", name, err)
	}
	fmt.Fprintf(log, "%s: stopped\n", name)
	return nil
}

// signalStopper turns the first SIGINT or SIGTERM, or the end of the command's
// context, into a drain (Drain is closed), and a second signal into an
// abort (Abort is cancelled).
type signalStopper struct {
	Drain <-chan struct{}
	Abort context.Context

	sigs   chan os.Signal
	cancel context.CancelFunc
	done   chan struct{}
}

func newSignalStopper(ctx context.Context) *signalStopper {
	drain := make(chan struct{})
	abort, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &signalStopper{Drain: drain, Abort: abort, sigs: make(chan os.Signal, 4), cancel: cancel, done: make(chan struct{})}
	signal.Notify(s.sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		ctxDone := ctx.Done()
		signals := 0
		drained := false
		startDrain := func() {
			if !drained {
				drained = true
				close(drain)
			}
		}
		for {
			select {
			case <-s.sigs:
				// When the context ended because of a signal, the same
				// signal arrives here too: it is still the first.
				signals++
				startDrain()
				if signals >= 2 {
					cancel()
					return
				}
			case <-ctxDone:
				ctxDone = nil
				startDrain()
			case <-s.done:
				return
			}
		}
	}()
	return s
}

// Close stops listening for signals.
func (s *signalStopper) Close() {
	signal.Stop(s.sigs)
	close(s.done)
	s.cancel()
}
