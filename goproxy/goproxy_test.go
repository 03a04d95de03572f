package goproxy_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/goproxy"
	"github.com/shipline-ci/shipline/store"
	"github.com/shipline-ci/shipline/store/storetest"
)

// fixture is a store with example.com/Fixture v1.0.0 and v1.1.0
// committed, v1.2.0 published but not committed (its .info never
// written), and example.com/fixture/v2 v2.0.0-RC.1.
type fixture struct {
	st   *store.Store
	dir  string
	sums map[string]string // object key to SHA-256 of committed versions
}

const fixMod = "example.com/Fixture"

func mustFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	st, err := store.Create(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, dir: dir, sums: map[string]string{}}
	big := strings.Repeat("// padding to make the zip large enough to read in ranges\n", 200)
	for _, mv := range []struct{ path, version string }{
		{fixMod, "v1.0.0"}, {fixMod, "v1.1.0"}, {"example.com/fixture/v2", "v2.0.0-RC.1"},
	} {
		m, _ := storetest.MustModule(t, mv.path, mv.version, map[string]string{"f.go": "package fixture\n" + big + "// " + mv.version + "\n"})
		pub, err := st.PublishModule(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range pub.Objects {
			f.sums[o.Key] = o.SHA256
		}
	}
	// An unfinished publish: everything but the commit marker.
	m, _ := storetest.MustModule(t, fixMod, "v1.2.0", map[string]string{"f.go": "package fixture\n"})
	st.Fault = func(op, key string) error {
		if strings.HasSuffix(key, ".info") {
			return errors.New("injected crash")
		}
		return nil
	}
	if _, err := st.PublishModule(ctx, m); err == nil {
		t.Fatal("the injected crash did not fail the publish")
	}
	st.Fault = nil
	return f
}

func (f *fixture) file(t *testing.T, key string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(key)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func quietLog(t *testing.T) (*log.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() && buf.Len() > 0 {
			t.Logf("proxy log:\n%s", buf.String())
		}
	})
	return log.New(&buf, "", 0), &buf
}

func do(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

const immutable = "public, max-age=31536000, immutable"

func TestHandler(t *testing.T) {
	f := mustFixture(t)
	logger, _ := quietLog(t)
	h := goproxy.Handler(f.st, goproxy.Options{ErrorLog: logger})
	zipKey := "example.com/!fixture/@v/v1.1.0.zip"
	zip := f.file(t, zipKey)
	quoted := func(key string) string { return strconv.Quote(f.sums[key]) }

	for _, tc := range []struct {
		name, method, target string
		header               []string
		status               int
		body                 string // exact, when not ""
		bodyHas              string
		hdr                  map[string]string // headers that must have these values
	}{
		{name: "list", target: "/example.com/!fixture/@v/list", status: 200, body: "v1.0.0\nv1.1.0\n",
			hdr: map[string]string{"Cache-Control": "public, max-age=60", "Content-Type": "text/plain; charset=utf-8"}},
		{name: "latest", target: "/example.com/!fixture/@latest", status: 200, body: string(f.file(t, "example.com/!fixture/@v/v1.1.0.info")),
			hdr: map[string]string{"Cache-Control": "public, max-age=60", "Content-Type": "application/json"}},
		{name: "info", target: "/example.com/!fixture/@v/v1.0.0.info", status: 200, body: string(f.file(t, "example.com/!fixture/@v/v1.0.0.info")),
			hdr: map[string]string{"Cache-Control": immutable, "ETag": quoted("example.com/!fixture/@v/v1.0.0.info"), "Content-Type": "application/json"}},
		{name: "mod", target: "/example.com/!fixture/@v/v1.1.0.mod", status: 200, body: "module example.com/Fixture\n\ngo 1.21\n",
			hdr: map[string]string{"Cache-Control": immutable, "ETag": quoted("example.com/!fixture/@v/v1.1.0.mod")}},
		{name: "zip", target: "/" + zipKey, status: 200, body: string(zip),
			hdr: map[string]string{"Cache-Control": immutable, "ETag": quoted(zipKey), "Content-Type": "application/zip", "Content-Length": strconv.Itoa(len(zip))}},
		{name: "percent-encoded escape", target: "/example.com/%21fixture/@v/v1.1.0.mod", status: 200, bodyHas: "module example.com/Fixture"},
		{name: "escaped version", target: "/example.com/fixture/v2/@v/v2.0.0-!r!c.1.info", status: 200, bodyHas: `"Version":"v2.0.0-RC.1"`},
		{name: "no leading slash needed in list", target: "/example.com/fixture/v2/@v/list", status: 200, body: "v2.0.0-RC.1\n"},

		// Not found: a clean 404 with one short line.
		{name: "unescaped upper case", target: "/example.com/Fixture/@v/list", status: 404, bodyHas: "upper-case letters are written !x"},
		{name: "probe longer path", target: "/example.com/!fixture/sub/pkg/@v/v1.1.0.info", status: 404, body: "not found: example.com/Fixture/sub/pkg@v1.1.0\n",
			hdr: map[string]string{"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "public, max-age=60"}},
		{name: "probe prefix", target: "/example.com/@v/v1.1.0.info", status: 404, bodyHas: "not found: example.com@v1.1.0"},
		{name: "probe list", target: "/example.com/a/b/c/@v/list", status: 404, body: "not found: example.com/a/b/c: no such module\n"},
		{name: "probe latest", target: "/example.com/a/b/@latest", status: 404, bodyHas: "no such module"},
		{name: "unknown version", target: "/example.com/!fixture/@v/v9.9.9.zip", status: 404},
		{name: "unfinished publish info", target: "/example.com/!fixture/@v/v1.2.0.info", status: 404},
		{name: "unfinished publish mod", target: "/example.com/!fixture/@v/v1.2.0.mod", status: 404},
		{name: "unfinished publish zip", target: "/example.com/!fixture/@v/v1.2.0.zip", status: 404},
		{name: "manifest", target: "/example.com/!fixture/@v/v1.1.0.shipline.json", status: 404, bodyHas: "unknown file"},
		{name: "version query", target: "/example.com/!fixture/@v/master.info", status: 404, bodyHas: "does not resolve queries"},
		{name: "non-canonical", target: "/example.com/!fixture/@v/v1.1.info", status: 404},
		{name: "wrong major", target: "/example.com/!fixture/@v/v2.0.0.info", status: 404},
		{name: "release file", target: "/_releases/index.json", status: 404},
		{name: "root", target: "/", status: 404, bodyHas: "this is a Go module proxy"},
		{name: "dot dot", target: "/example.com/!fixture/@v/../@v/v1.1.0.mod", status: 404},
		{name: "sumdb", target: "/sumdb/sum.golang.org/supported", status: 404},

		{name: "post", method: "POST", target: "/example.com/!fixture/@v/list", status: 405, hdr: map[string]string{"Allow": "GET, HEAD"}},

		// Conditional and partial requests.
		{name: "if-none-match", target: "/" + zipKey, header: []string{"If-None-Match", quoted(zipKey)}, status: 304, body: ""},
		{name: "if-none-match other", target: "/" + zipKey, header: []string{"If-None-Match", `"00"`}, status: 200, body: string(zip)},
		{name: "if-none-match list", target: "/example.com/!fixture/@v/list", header: []string{"If-None-Match", etagOf("v1.0.0\nv1.1.0\n")}, status: 304},
		{name: "range", target: "/" + zipKey, header: []string{"Range", "bytes=10-109"}, status: 206, body: string(zip[10:110]),
			hdr: map[string]string{"Content-Range": "bytes 10-109/" + strconv.Itoa(len(zip)), "Content-Length": "100"}},
		{name: "range suffix", target: "/" + zipKey, header: []string{"Range", "bytes=-22"}, status: 206, body: string(zip[len(zip)-22:])},
		{name: "range unsatisfiable", target: "/" + zipKey, header: []string{"Range", "bytes=999999-"}, status: 416},
		{name: "multiple ranges", target: "/" + zipKey, header: []string{"Range", "bytes=0-3,20-23"}, status: 206, bodyHas: string(zip[20:24])},
		{name: "head zip", method: "HEAD", target: "/" + zipKey, status: 200, body: "",
			hdr: map[string]string{"Content-Length": strconv.Itoa(len(zip)), "ETag": quoted(zipKey)}},
		{name: "head missing", method: "HEAD", target: "/example.com/x/@v/list", status: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			resp := do(t, h, method, tc.target, tc.header...)
			got := body(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: status %d (%q); want %d", method, tc.target, resp.StatusCode, got, tc.status)
			}
			if tc.body != "" || tc.status == 304 || method == "HEAD" {
				if got != tc.body {
					t.Errorf("body = %q; want %q", trim(got), trim(tc.body))
				}
			}
			if !strings.Contains(got, tc.bodyHas) {
				t.Errorf("body = %q; want it to contain %q", trim(got), tc.bodyHas)
			}
			if resp.StatusCode >= 400 && (strings.Count(got, "\n") != 1 || len(got) > 300) && method != "HEAD" {
				t.Errorf("error body %q: want one short line", got)
			}
			for k, v := range tc.hdr {
				if g := resp.Header.Get(k); g != v {
					t.Errorf("header %s = %q; want %q", k, g, v)
				}
			}
		})
	}
}

func etagOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return strconv.Quote(hex.EncodeToString(sum[:]))
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// TestHandlerCorrupt checks that an object that is not what its manifest
// recorded is a 500 with a generic body, the detail in the log.
func TestHandlerCorrupt(t *testing.T) {
	f := mustFixture(t)
	key := "example.com/!fixture/@v/v1.0.0.mod"
	if err := os.WriteFile(filepath.Join(f.dir, filepath.FromSlash(key)), []byte("module example.com/Fixture\n// changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logger, buf := quietLog(t)
	h := goproxy.Handler(f.st, goproxy.Options{ErrorLog: logger})
	resp := do(t, h, "GET", "/"+key)
	if got := body(t, resp); resp.StatusCode != 500 || got != "internal error: see the proxy's log\n" {
		t.Errorf("GET corrupt .mod: %d %q; want 500 and a generic message", resp.StatusCode, got)
	}
	if !strings.Contains(buf.String(), "is corrupt") || !strings.Contains(buf.String(), "store verify") {
		t.Errorf("log = %q; want the detail", buf.String())
	}
	// The zip of a committed version that has gone missing.
	os.Remove(filepath.Join(f.dir, "example.com", "!fixture", "@v", "v1.1.0.zip"))
	resp = do(t, h, "GET", "/example.com/!fixture/@v/v1.1.0.zip")
	if resp.StatusCode < 500 {
		t.Errorf("GET missing zip: %d; want a 5xx", resp.StatusCode)
	}
}

// TestHandlerNoManifest serves a version without a manifest (a plain
// GOPROXY directory): .info and .mod get the SHA-256 of what is served as
// their ETag, the zip none.
func TestHandlerNoManifest(t *testing.T) {
	f := mustFixture(t)
	key := "example.com/!fixture/@v/v1.1.0"
	if err := os.Remove(filepath.Join(f.dir, filepath.FromSlash(key+".shipline.json"))); err != nil {
		t.Fatal(err)
	}
	h := goproxy.Handler(f.st, goproxy.Options{})
	for _, ext := range []string{".info", ".mod", ".zip"} {
		resp := do(t, h, "GET", "/"+key+ext)
		got := body(t, resp)
		want := ""
		if ext != ".zip" {
			want = etagOf(got)
		}
		if resp.StatusCode != 200 || got != string(f.file(t, key+ext)) || resp.Header.Get("ETag") != want {
			t.Errorf("GET %s%s: %d, ETag %q; want 200, the file, ETag %q", key, ext, resp.StatusCode, resp.Header.Get("ETag"), want)
		}
	}
}

func TestAccessLog(t *testing.T) {
	f := mustFixture(t)
	var buf bytes.Buffer
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(1500 * time.Microsecond); return clock }
	h := goproxy.AccessLog(&buf, now, goproxy.Handler(f.st, goproxy.Options{}))
	do(t, h, "GET", "/example.com/!fixture/@v/list")
	do(t, h, "HEAD", "/example.com/nope/@v/list")
	do(t, h, "GET", "/example.com/nope/@v/list")
	do(t, h, "GET", "/example.com/%21fixture/@v/list%0a200%20OK")
	want := "2026-01-02T03:04:05.001Z 192.0.2.1:1234 GET /example.com/!fixture/@v/list 200 14B 1.5ms\n" +
		"2026-01-02T03:04:05.004Z 192.0.2.1:1234 HEAD /example.com/nope/@v/list 404 0B 1.5ms\n" +
		"2026-01-02T03:04:05.007Z 192.0.2.1:1234 GET /example.com/nope/@v/list 404 44B 1.5ms\n" +
		"2026-01-02T03:04:05.010Z 192.0.2.1:1234 GET \"/example.com/!fixture/@v/list\\n200 OK\" 404 82B 1.5ms\n"
	if buf.String() != want {
		t.Errorf("access log:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// upstream serves a store over HTTP through Handler, counting requests by
// path.
type upstream struct {
	*httptest.Server
	fix    *fixture
	hits   map[string]*atomic.Int64
	status atomic.Int64 // when not 0, every request gets it
}

func mustUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{fix: mustFixture(t), hits: map[string]*atomic.Int64{}}
	for _, ext := range []string{".info", ".mod", ".zip", "list", "@latest"} {
		u.hits[ext] = new(atomic.Int64)
	}
	h := goproxy.Handler(u.fix.st, goproxy.Options{})
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for ext, n := range u.hits {
			if strings.HasSuffix(r.URL.Path, ext) {
				n.Add(1)
			}
		}
		if s := u.status.Load(); s != 0 {
			http.Error(w, "upstream says "+strconv.Itoa(int(s)), int(s))
			return
		}
		if strings.Contains(r.URL.Path, "/gone/") {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func mustEmptyStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "local"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestReadThrough(t *testing.T) {
	ctx := context.Background()
	up := mustUpstream(t)
	local := mustEmptyStore(t)
	client, err := goproxy.NewClient(up.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	logger, _ := quietLog(t)
	h := goproxy.Handler(local, goproxy.Options{Upstream: client, ErrorLog: logger})

	key := "example.com/!fixture/@v/v1.1.0"
	resp := do(t, h, "GET", "/"+key+".zip")
	if got := body(t, resp); resp.StatusCode != 200 || got != string(up.fix.file(t, key+".zip")) {
		t.Fatalf("GET zip through: %d; want 200 and the upstream's zip", resp.StatusCode)
	}
	if g, w := resp.Header.Get("ETag"), strconv.Quote(up.fix.sums[key+".zip"]); g != w {
		t.Errorf("ETag = %s; want the SHA-256 upstream recorded, %s", g, w)
	}
	// Stored: committed, with the same hashes as upstream's publish.
	if _, err := local.ReadInfo(ctx, fixMod, "v1.1.0"); err != nil {
		t.Fatalf("the version is not in the store after a read-through: %v", err)
	}
	rep, err := local.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("Verify after read-through: %v %+v", err, rep)
	}
	zipsBefore := up.hits[".zip"].Load()
	for _, ext := range []string{".info", ".mod", ".zip"} {
		resp := do(t, h, "GET", "/"+key+ext)
		if resp.StatusCode != 200 || body(t, resp) != string(up.fix.file(t, key+ext)) && ext != ".info" {
			t.Errorf("GET %s again: %d", ext, resp.StatusCode)
		}
	}
	if n := up.hits[".zip"].Load(); n != zipsBefore {
		t.Errorf("the upstream was asked for the zip again (%d times in all): want it served from the store", n)
	}

	// list: the union of local and upstream; @latest: the higher.
	if got := body(t, do(t, h, "GET", "/example.com/!fixture/@v/list")); got != "v1.0.0\nv1.1.0\n" {
		t.Errorf("list through = %q", got)
	}
	if got := body(t, do(t, h, "GET", "/example.com/!fixture/@latest")); !strings.Contains(got, `"v1.1.0"`) {
		t.Errorf("@latest through = %q", got)
	}

	// Not found upstream: 404 and 410 pass through, short bodies.
	for target, want := range map[string]int{
		"/example.com/none/@v/v1.0.0.info": 404, "/example.com/none/@v/list": 404, "/example.com/none/@latest": 404,
		"/example.com/gone/m/@v/v1.0.0.zip": 410, "/example.com/gone/m/@v/list": 410,
	} {
		resp := do(t, h, "GET", target)
		if got := body(t, resp); resp.StatusCode != want || strings.Count(got, "\n") != 1 {
			t.Errorf("GET %s: %d %q; want %d and one line", target, resp.StatusCode, got, want)
		}
	}

	// The upstream failing: 502 for what the store does not have, the
	// store's own answer for what it has.
	up.status.Store(500)
	if resp := do(t, h, "GET", "/example.com/!fixture/@v/v1.0.0.mod"); resp.StatusCode != 502 {
		t.Errorf("GET through a failing upstream: %d; want 502", resp.StatusCode)
	}
	if resp := do(t, h, "GET", "/example.com/!fixture/@v/list"); resp.StatusCode != 200 || body(t, resp) != "v1.1.0\n" {
		t.Errorf("list with a failing upstream: %d; want 200 and the store's list", resp.StatusCode)
	}
	if resp := do(t, h, "GET", "/"+key+".mod"); resp.StatusCode != 200 {
		t.Errorf("GET stored version with a failing upstream: %d; want 200", resp.StatusCode)
	}
}

// TestReadThroughConcurrent checks that concurrent requests for one
// version share one fetch.
func TestReadThroughConcurrent(t *testing.T) {
	up := mustUpstream(t)
	client, _ := goproxy.NewClient(up.URL+"/", nil)
	h := goproxy.Handler(mustEmptyStore(t), goproxy.Options{Upstream: client})
	srv := httptest.NewServer(h)
	defer srv.Close()
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			resp, err := http.Get(srv.URL + "/example.com/!fixture/@v/v1.0.0.zip")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = errors.New(resp.Status)
				}
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := up.hits[".zip"].Load(); got != 1 {
		t.Errorf("upstream zip requests = %d; want 1", got)
	}
}

// TestReadThroughRefused checks that content that fails a check is not
// stored: a zip that is not the module's, and a CheckSum that says no.
func TestReadThroughRefused(t *testing.T) {
	up := mustUpstream(t)
	// Make upstream's v1.0.0 zip the v1.1.0 one: a valid zip of another
	// version.
	z := up.fix.file(t, "example.com/!fixture/@v/v1.1.0.zip")
	os.WriteFile(filepath.Join(up.fix.dir, "example.com", "!fixture", "@v", "v1.0.0.shipline.json"), nil, 0o644) // no ETag checks
	os.Remove(filepath.Join(up.fix.dir, "example.com", "!fixture", "@v", "v1.0.0.shipline.json"))
	os.WriteFile(filepath.Join(up.fix.dir, "example.com", "!fixture", "@v", "v1.0.0.zip"), z, 0o644)

	client, _ := goproxy.NewClient(up.URL, nil)
	local := mustEmptyStore(t)
	logger, buf := quietLog(t)
	var asked atomic.Int64
	h := goproxy.Handler(local, goproxy.Options{Upstream: client, ErrorLog: logger,
		CheckSum: func(ctx context.Context, path, version, zipHash, modHash string) error {
			asked.Add(1)
			if version == "v1.1.0" {
				return errors.New("not in the checksum database")
			}
			return nil
		}})
	for _, v := range []string{"v1.0.0", "v1.1.0"} {
		resp := do(t, h, "GET", "/example.com/!fixture/@v/"+v+".info")
		if resp.StatusCode != 502 {
			t.Errorf("GET %s: %d; want 502", v, resp.StatusCode)
		}
		if _, err := local.ReadInfo(context.Background(), fixMod, v); shipline.ErrorCode(err) != shipline.ENOTFOUND {
			t.Errorf("%s was stored after it was refused: %v", v, err)
		}
	}
	if !strings.Contains(buf.String(), "not a valid module zip") || !strings.Contains(buf.String(), "not in the checksum database") {
		t.Errorf("log = %q; want both reasons", buf.String())
	}
	if asked.Load() != 1 {
		t.Errorf("CheckSum asked %d times; want once (for the valid zip)", asked.Load())
	}
}

func TestNewClient(t *testing.T) {
	for _, u := range []string{"", "proxy.golang.org", "file:///tmp/x", "https://", "https://h/p?x=1", "direct", "off"} {
		if _, err := goproxy.NewClient(u, nil); shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("NewClient(%q) = %v; want EINVALID", u, err)
		}
	}
	c, err := goproxy.NewClient("https://proxy.example.com/go/", nil)
	if err != nil || c.URL() != "https://proxy.example.com/go" {
		t.Errorf("NewClient: %v %v", c, err)
	}
}
