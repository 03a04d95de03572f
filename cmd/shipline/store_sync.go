package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/store"
	"github.com/shipline-ci/shipline/storesync"
)

// storeSyncFlags are the flags of 'shipline store sync'.
type storeSyncFlags struct {
	watch       time.Duration
	metricsAddr string
	jobs        int
	deep        bool
	dryRun      bool
}

func (m *Main) storeSyncCommand() *cobra.Command {
	var f storeSyncFlags
	cmd := &cobra.Command{
		Use:   "sync SRC DST",
		Short: "Copy to a mirror store what it lacks of another",
		Long: `Copy to the store DST every committed module version and release of the store
SRC that DST does not have, and rewrite the list, @latest and release index
of what changed. Each store is a directory or a URL (file://, s3://, gs://,
azblob://); a local DST is created when missing.

Both stores are listed once and the names decide: what DST has is neither
read nor written, so a sync costs what is missing, not the size of the
stores. Each missing version is copied as a publish writes it: its manifest
first, then every object, checked against the manifest's SHA-256 while it
streams, then its .info (or artifacts.json) last. A sync that stops at any
point leaves nothing half-visible, and the next one completes it without
copying again what is already there.

A published version never changes: a version DST has with other content is
a conflict, left alone and reported (exit status 1, after copying the
rest). Versions both stores have are compared by their sizes where the
listing gives them (S3, GCS, Azure); --deep compares their manifests.

The lag is reported: how many versions DST lacks and the age of the oldest,
by its .info time. With --watch it syncs again every INTERVAL, and with
--metrics-addr serves the lag and counters as Prometheus metrics at
/metrics. The first SIGINT or SIGTERM finishes the versions in flight and
stops; a second stops at once (the next sync completes what was cut).`,
		Example: `  shipline store sync /srv/store s3://mirror?region=eu-west-1
  shipline store sync s3://releases /backup/store --dry-run --json
  shipline store sync /srv/store gs://mirror --watch 1m --metrics-addr :9100`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return shipline.Errorf(shipline.EUSAGE, "%s takes a source and a destination store, got %d argument(s)", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runStoreSync(cmd.Context(), args[0], args[1], f)
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&f.watch, "watch", 0, "sync again every `INTERVAL` (such as 30s or 5m) until interrupted")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "with --watch, serve Prometheus metrics at http://`HOST:PORT`/metrics")
	fl.IntVar(&f.jobs, "jobs", storesync.DefaultJobs, "copy `N` versions at once")
	fl.BoolVar(&f.deep, "deep", false, "compare the manifests of every version both stores have")
	fl.BoolVar(&f.dryRun, "dry-run", false, "report what is missing and the lag; copy nothing")
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) runStoreSync(ctx context.Context, srcArg, dstArg string, f storeSyncFlags) error {
	switch {
	case f.watch < 0:
		return shipline.Errorf(shipline.EUSAGE, "--watch must be a positive interval such as 1m")
	case f.metricsAddr != "" && f.watch == 0:
		return shipline.Errorf(shipline.EUSAGE, "--metrics-addr serves the metrics of --watch: give --watch INTERVAL too")
	case f.jobs < 1:
		return shipline.Errorf(shipline.EUSAGE, "--jobs must be at least 1")
	}
	srcURL, _ := m.storeURL("", srcArg, "")
	dstURL, _ := m.storeURL("", dstArg, "")
	src, err := store.Open(ctx, srcURL)
	if err != nil {
		return err
	}
	defer src.Close()
	open := store.Create
	if f.dryRun {
		open = store.Open
	}
	dst, err := open(ctx, dstURL)
	if err != nil {
		return err
	}
	defer dst.Close()

	stop := newSignalStopper(ctx)
	defer stop.Close()
	opts := storesync.Options{Jobs: f.jobs, Deep: f.deep, DryRun: f.dryRun, Drain: stop.Drain}
	if f.watch == 0 {
		rep, err := storesync.Sync(stop.Abort, src, dst, opts)
		if err != nil {
			return err
		}
		if m.json {
			if err := writeJSON(m.Stdout, rep); err != nil {
				return err
			}
		} else {
			m.printSync(m.Stdout, rep, true)
		}
		if err := rep.Err(); err != nil {
			return m.reported(err)
		}
		return nil
	}
	return m.watchSync(stop, src, dst, opts, f)
}

// watchSync syncs every interval until the stopper drains, serving the
// metrics when asked to. Its error is the last pass's.
func (m *Main) watchSync(stop *signalStopper, src, dst *store.Store, opts storesync.Options, f storeSyncFlags) error {
	var metrics storesync.Metrics
	if f.metricsAddr != "" {
		ln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			return shipline.Errorf(shipline.EINVALID, "--metrics-addr %s: %v", f.metricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", &metrics)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		fmt.Fprintf(m.Stderr, "shipline store sync: metrics on http://%s/metrics\n", ln.Addr())
	}
	var last error
	for {
		rep, err := storesync.Sync(stop.Abort, src, dst, opts)
		metrics.Observe(rep, err)
		if stop.Abort.Err() != nil {
			return shipline.Errorf(shipline.EINTERNAL, "interrupted again: stopped in the middle of a pass; the next sync completes it")
		}
		switch {
		case err != nil:
			fmt.Fprintf(m.Stderr, "shipline store sync: %v\n", err)
			last = err
		case m.json:
			enc := json.NewEncoder(m.Stdout)
			enc.Encode(rep) // one object a line
			last = rep.Err()
		default:
			m.printSync(m.Stdout, rep, false)
			last = rep.Err()
		}
		if rep != nil && rep.Interrupted {
			last = nil // stopped on purpose; the next run goes on
		}
		select {
		case <-stop.Drain:
			if last == nil {
				return nil
			}
			return m.reported(last)
		case <-time.After(f.watch):
		}
	}
}

// printSync writes a sync's report for a person: the versions copied (with
// all, else only their number), the problems, a summary and the lag.
func (m *Main) printSync(w io.Writer, rep *storesync.Report, all bool) {
	verb := "copied"
	if rep.DryRun {
		verb = "missing"
	}
	if all {
		for _, r := range rep.Copied {
			fmt.Fprintf(w, "copied %s\n", r)
		}
	}
	for _, p := range rep.Conflicts {
		fmt.Fprintf(w, "conflict: %s\n", p.Message)
	}
	for _, p := range rep.Errors {
		fmt.Fprintf(w, "error: %s\n", p.Message)
	}
	stamp := ""
	if !all {
		stamp = rep.Started.UTC().Format(time.RFC3339) + " "
	}
	mods, rels := rep.Modules.Copied, rep.Releases.Copied
	if rep.DryRun {
		mods, rels = rep.Modules.Missing, rep.Releases.Missing
	}
	fmt.Fprintf(w, "%ssync %s to %s: %s %d module version(s) and %d release(s) (%d object(s), %s), %d conflict(s), %d error(s) in %.2fs\n",
		stamp, rep.Source, rep.Destination, verb, mods, rels, rep.ObjectsCopied, bytesText(rep.BytesCopied), len(rep.Conflicts), len(rep.Errors), rep.Seconds)
	lag := rep.After
	if rep.DryRun {
		lag = rep.Before
	}
	fmt.Fprintf(w, "%slag: %s\n", stamp, lagText(lag))
	if rep.Interrupted {
		fmt.Fprintf(w, "%sinterrupted: run the sync again to copy the rest\n", stamp)
	}
}

func lagText(l storesync.Lag) string {
	if l.Versions == 0 && l.Releases == 0 {
		return "none: the destination has every version of the source"
	}
	s := fmt.Sprintf("%d module version(s) and %d release(s) behind", l.Versions, l.Releases)
	if l.Oldest != "" {
		s += fmt.Sprintf("; the oldest, %s, is %s old", l.Oldest, (time.Duration(l.Seconds) * time.Second).String())
	}
	return s
}

func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), "KMGTPE"
	i := -1
	for v >= unit && i < len(suffix)-1 {
		v /= unit
		i++
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " " + string(suffix[i]) + "iB"
}
