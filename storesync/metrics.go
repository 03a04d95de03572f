package storesync

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Metrics gathers the reports of repeated syncs (shipline store sync
// --watch) and serves them in the Prometheus text exposition format
// (version 0.0.4). The zero value is ready to use; it is safe for
// concurrent use.
type Metrics struct {
	mu          sync.Mutex
	observed    bool
	lag         Lag
	conflicts   int
	errors      int
	passes      map[string]int64 // by result: ok, incomplete, failed
	objects     int64
	bytes       int64
	versions    int64
	lastPass    time.Time
	lastSeconds float64
	lastSuccess time.Time
}

// Observe records one sync: its report and the error Sync returned. A
// pass is "ok" when it left nothing undone, "incomplete" when it ran but
// left conflicts, errors or an interruption, and "failed" when it could
// not run (err != nil); a failed pass leaves the lag as it was.
func (m *Metrics) Observe(rep *Report, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.passes == nil {
		m.passes = map[string]int64{"ok": 0, "incomplete": 0, "failed": 0}
	}
	end := rep.Started.Add(time.Duration(rep.Seconds * float64(time.Second)))
	m.lastPass, m.lastSeconds = end, rep.Seconds
	m.objects += int64(rep.ObjectsCopied)
	m.bytes += rep.BytesCopied
	m.versions += int64(len(rep.Copied))
	switch {
	case err != nil:
		m.passes["failed"]++
		return
	case rep.Err() != nil:
		m.passes["incomplete"]++
	default:
		m.passes["ok"]++
		m.lastSuccess = end
	}
	m.observed = true
	m.lag, m.conflicts, m.errors = rep.After, len(rep.Conflicts), len(rep.Errors)
}

// WriteTo writes the metrics in the text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b bytes.Buffer
	metric := func(name, typ, help string, samples ...string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, s := range samples {
			fmt.Fprintf(&b, "%s%s\n", name, s)
		}
	}
	num := func(v float64) string { return " " + strconv.FormatFloat(v, 'g', -1, 64) }
	ts := func(t time.Time) string {
		if t.IsZero() {
			return num(0)
		}
		return num(float64(t.UnixMilli()) / 1000)
	}
	if m.observed {
		metric("shipline_sync_lag_versions", "gauge", "Module versions the source has and the destination does not, after the last pass.", num(float64(m.lag.Versions)))
		metric("shipline_sync_lag_releases", "gauge", "Releases the source has and the destination does not, after the last pass.", num(float64(m.lag.Releases)))
		metric("shipline_sync_lag_seconds", "gauge", "Age of the oldest version the destination lacks, by its own time, after the last pass; 0 when none.", num(m.lag.Seconds))
		metric("shipline_sync_conflicts", "gauge", "Versions with other content at the destination, left alone, in the last pass.", num(float64(m.conflicts)))
		metric("shipline_sync_errors", "gauge", "Versions that could not be copied in the last pass.", num(float64(m.errors)))
	}
	p := m.passes
	metric("shipline_sync_passes_total", "counter", "Sync passes by result: ok, incomplete (conflicts, errors, interrupted), failed (could not run).",
		fmt.Sprintf(`{result="ok"} %d`, p["ok"]), fmt.Sprintf(`{result="incomplete"} %d`, p["incomplete"]), fmt.Sprintf(`{result="failed"} %d`, p["failed"]))
	metric("shipline_sync_copied_versions_total", "counter", "Module versions and releases committed at the destination.", num(float64(m.versions)))
	metric("shipline_sync_copied_objects_total", "counter", "Objects written to the destination.", num(float64(m.objects)))
	metric("shipline_sync_copied_bytes_total", "counter", "Bytes written to the destination.", num(float64(m.bytes)))
	metric("shipline_sync_last_pass_duration_seconds", "gauge", "How long the last pass took.", num(m.lastSeconds))
	metric("shipline_sync_last_pass_timestamp_seconds", "gauge", "When the last pass ended, in Unix time.", ts(m.lastPass))
	metric("shipline_sync_last_success_timestamp_seconds", "gauge", "When the last pass that left nothing undone ended, in Unix time; 0 before the first.", ts(m.lastSuccess))
	n, err := w.Write(b.Bytes())
	return int64(n), err
}

// ServeHTTP serves the metrics, for a Prometheus scrape of /metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	m.WriteTo(w)
}
