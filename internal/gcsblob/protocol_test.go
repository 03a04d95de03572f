package gcsblob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"gocloud.dev/blob"

	"github.com/shipline-ci/shipline/internal/gcstest"
)

// resumableServer speaks the resumable upload protocol as Cloud Storage
// documents it, which fake-gcs-server does not fully do (it takes a status
// query, "bytes */*", for the end of the upload): it keeps the bytes each
// chunk starts at what it has, answers a status query with what it has,
// and lets a test lose answers and keep less than it was sent.
//
// It exists only to test the writer's recovery; everything else is tested
// against fake-gcs-server.
type resumableServer struct {
	mu   sync.Mutex
	have []byte
	done bool
	puts int
	// fault, called for each PUT with data (by its 1-based number), says
	// whether to keep the data (keep: how many bytes of it, -1 for all)
	// and whether to answer 503 instead of the truth.
	fault func(put int) (keep int, fail bool)
}

func (s *resumableServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Query().Get("uploadType") == "resumable":
		w.Header().Set("Location", "http://"+r.Host+"/session")
		return
	case r.Method == http.MethodPut && r.URL.Path == "/session":
	default:
		http.Error(w, "unexpected request "+r.Method+" "+r.URL.String(), http.StatusBadRequest)
		return
	}
	data, _ := io.ReadAll(r.Body)
	spec, ok := strings.CutPrefix(r.Header.Get("Content-Range"), "bytes ")
	rng, total, _ := strings.Cut(spec, "/")
	if !ok {
		http.Error(w, "bad Content-Range", http.StatusBadRequest)
		return
	}
	if rng != "*" {
		first, _, _ := strings.Cut(rng, "-")
		start, err := strconv.Atoi(first)
		if err != nil || start > len(s.have) {
			http.Error(w, "chunk does not start at what the service has", http.StatusBadRequest)
			return
		}
		s.puts++
		keep, fail := -1, false
		if s.fault != nil {
			keep, fail = s.fault(s.puts)
		}
		data = data[len(s.have)-start:]
		if keep >= 0 && keep < len(data) {
			data = data[:keep]
		}
		s.have = append(s.have, data...)
		if fail {
			http.Error(w, `{"error":{"code":503,"message":"lost"}}`, http.StatusServiceUnavailable)
			return
		}
	}
	if n, err := strconv.Atoi(total); err == nil && n == len(s.have) {
		s.done = true
		fmt.Fprintf(w, `{"name":"obj","size":"%d"}`, len(s.have))
		return
	}
	if len(s.have) > 0 {
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", len(s.have)-1))
	}
	w.WriteHeader(http.StatusPermanentRedirect)
}

// TestResumableRecovery loses answers to chunks and keeps only part of a
// chunk: the writer asks what the service has and sends the rest.
func TestResumableRecovery(t *testing.T) {
	old := retryBase
	retryBase = 0
	t.Cleanup(func() { retryBase = old })
	for _, tc := range []struct {
		name  string
		fault func(put int) (int, bool)
	}{
		{"no faults", nil},
		{"answer lost after the data was kept", func(put int) (int, bool) { return -1, put == 2 }},
		{"failed before keeping anything", func(put int) (int, bool) {
			if put == 1 {
				return 0, true
			}
			return -1, false
		}},
		{"kept half a chunk", func(put int) (int, bool) {
			if put == 2 {
				return chunkUnit, false
			}
			return -1, false
		}},
		{"last chunk's answer lost", func(put int) (int, bool) { return -1, put == 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := &resumableServer{fault: tc.fault}
			srv := httptest.NewServer(rs)
			defer srv.Close()
			b := open(t, srv.URL)
			data := testData(4*chunkUnit + 7) // two chunks of two units, and the rest
			if err := b.WriteAll(context.Background(), "obj", data, &blob.WriterOptions{BufferSize: 2 * chunkUnit}); err != nil {
				t.Fatal(err)
			}
			rs.mu.Lock()
			defer rs.mu.Unlock()
			if !rs.done || !bytes.Equal(rs.have, data) {
				t.Errorf("the service has %d bytes (finished %v); want the %d written", len(rs.have), rs.done, len(data))
			}
		})
	}
}

// TestCorruptRead flips a byte of a whole-object download: the read fails
// instead of giving wrong bytes.
func TestCorruptRead(t *testing.T) {
	srv := gcstest.Start(t)
	u, _ := url.Parse(srv.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(res *http.Response) error {
		if res.Request.URL.Query().Get("alt") != "media" {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		res.Body.Close()
		if len(body) > 0 {
			body[len(body)/2] ^= 1
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		return nil
	}
	proxy := httptest.NewServer(rp)
	defer proxy.Close()
	good := open(t, srv.Endpoint)
	ctx := context.Background()
	if err := good.WriteAll(ctx, "c", []byte("some bytes to corrupt"), nil); err != nil {
		t.Fatal(err)
	}
	_, err := open(t, proxy.URL).ReadAll(ctx, "c")
	if err == nil || !strings.Contains(err.Error(), "CRC32C") {
		t.Errorf("read of corrupted data: %v; want a CRC32C error", err)
	}
}

// TestDefaultCredentials looks up a service account key file named by
// GOOGLE_APPLICATION_CREDENTIALS whose token endpoint is a local server,
// and checks that every request carries the token, fetched once, for the
// read-write scope.
func TestDefaultCredentials(t *testing.T) {
	srv := gcstest.Start(t)
	ctx := context.Background()

	var mu sync.Mutex
	var tokenRequests int
	var scopes []string
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			http.Error(w, "bad grant", http.StatusBadRequest)
			return
		}
		parts := strings.Split(r.Form.Get("assertion"), ".")
		var claims struct {
			Scope string `json:"scope"`
		}
		if len(parts) == 3 {
			if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
				_ = json.Unmarshal(b, &claims)
			}
		}
		mu.Lock()
		tokenRequests++
		scopes = append(scopes, claims.Scope)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokens.Close()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "shipline-test",
		"private_key_id": "k1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   "publisher@shipline-test.iam.gserviceaccount.com",
		"client_id":      "1",
		"token_uri":      tokens.URL + "/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(path, keyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)
	t.Setenv(EmulatorEnv, "")

	var auths []string
	target, _ := url.Parse(srv.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	o := new(URLOpener)
	c, err := o.credentials(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.endpoint != DefaultEndpoint {
		t.Errorf("endpoint = %q; want %q", c.endpoint, DefaultEndpoint)
	}
	if again, _ := o.credentials(ctx, ""); again != c {
		t.Error("the credentials were looked up again; want them kept")
	}
	if other, err := o.credentials(ctx, "example.com"); err != nil || other.endpoint != "https://storage.example.com" {
		t.Errorf("credentials for universe example.com: endpoint %v, %v; want https://storage.example.com", other, err)
	}
	// Opening by URL sends nothing, so it works here too.
	if b, err := o.OpenBucketURL(ctx, &url.URL{Scheme: Scheme, Host: gcstest.Bucket}); err != nil {
		t.Errorf("OpenBucketURL with default credentials: %v", err)
	} else {
		b.Close()
	}

	b, err := OpenBucket(ctx, gcstest.Bucket, &Options{Endpoint: proxy.URL, Client: c.client})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteAll(ctx, "authed", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := b.ReadAll(ctx, "authed"); err != nil || string(got) != "x" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if tokenRequests != 1 || len(scopes) != 1 || scopes[0] != ScopeReadWrite {
		t.Errorf("%d token requests for scopes %q; want 1 for %s", tokenRequests, scopes, ScopeReadWrite)
	}
	if len(auths) < 2 {
		t.Fatalf("the server saw %d requests; want at least 2", len(auths))
	}
	for i, a := range auths {
		if a != "Bearer tok-1" {
			t.Errorf("request %d: Authorization %q; want Bearer tok-1", i, a)
		}
	}
}

// TestRangeIgnored reads ranges through a proxy that drops the Range
// header, as a server may: the whole object comes back, and the reader
// gives only the range.
func TestRangeIgnored(t *testing.T) {
	srv := gcstest.Start(t)
	u, _ := url.Parse(srv.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(u)
	director := rp.Director
	rp.Director = func(r *http.Request) {
		director(r)
		r.Header.Del("Range")
	}
	proxy := httptest.NewServer(rp)
	defer proxy.Close()
	ctx := context.Background()
	data := testData(1000)
	if err := open(t, srv.Endpoint).WriteAll(ctx, "ranged", data, nil); err != nil {
		t.Fatal(err)
	}
	b := open(t, proxy.URL)
	for _, tc := range []struct{ offset, length int64 }{{0, 10}, {10, 5}, {990, -1}, {500, 500}, {999, 1}} {
		r, err := b.NewRangeReader(ctx, "ranged", tc.offset, tc.length, nil)
		if err != nil {
			t.Fatal(err)
		}
		end := int64(len(data))
		if tc.length >= 0 {
			end = tc.offset + tc.length
		}
		if err := iotest.TestReader(r, data[tc.offset:end]); err != nil {
			t.Errorf("range %d+%d: %v", tc.offset, tc.length, err)
		}
		if r.Size() != int64(len(data)) {
			t.Errorf("range %d+%d: Size() = %d; want %d", tc.offset, tc.length, r.Size(), len(data))
		}
		r.Close()
	}
}
