package azblob

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/aztest"
	"github.com/shipline-ci/shipline/internal/blobhttp/blobhttptest"
)

func devKey(t testing.TB) *SharedKey {
	t.Helper()
	k, err := NewSharedKey(aztest.Account, aztest.Key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestDriverConformance runs gocloud's driver conformance suite against
// Azurite. Non-slash delimiters are not tested only because Azurite cuts
// the prefixes of a delimiter of several characters to its first one;
// the service takes any delimiter, and the driver passes it on.
func TestDriverConformance(t *testing.T) {
	srv := aztest.Start(t)
	cred := devKey(t)
	blobhttptest.Run(t, &blobhttptest.Harness{
		Open: func(name string) (driver.Bucket, error) {
			return openBucket(name, &Options{ServiceURL: srv.Endpoint, Credential: cred})
		},
		Bucket:      aztest.Container,
		Nonexistent: "shipline-no-such-container",
	}, func(e *Error) error {
		if e.Status != http.StatusNotFound || e.Code != "BlobNotFound" {
			return fmt.Errorf("ErrorAs gave %d %s; want 404 BlobNotFound", e.Status, e.Code)
		}
		return nil
	})
}

// open returns a bucket of the server at endpoint with Shared Key, closed
// when the test ends.
func open(t *testing.T, srv *aztest.Server) *blob.Bucket {
	t.Helper()
	b, err := OpenBucket(context.Background(), aztest.Container, &Options{ServiceURL: srv.Endpoint, Credential: devKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestOpenURL opens azblob:// URLs through gocloud's default URL mux, with
// the credentials of the environment.
func TestOpenURL(t *testing.T) {
	srv := aztest.Start(t)
	ctx := context.Background()
	clear := func(t *testing.T) {
		for _, k := range []string{EnvAccount, EnvKey, EnvSASToken, EnvConnectionString, envConnectionString2, EnvDomain, EnvProtocol, EnvIsCDN, EnvIsLocalEmulator} {
			t.Setenv(k, "")
		}
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		url  string
	}{
		{"connection string", map[string]string{EnvConnectionString: srv.ConnectionString()}, "azblob://" + aztest.Container},
		{"connection string prefix", map[string]string{EnvConnectionString: srv.ConnectionString()}, "azblob://" + aztest.Container + "?prefix=dir/"},
		{"shared key and parameters", map[string]string{EnvAccount: aztest.Account, EnvKey: aztest.Key},
			"azblob://" + aztest.Container + "?protocol=http&domain=" + srv.Host + "&localemu=true"},
		{"shared key and environment", map[string]string{EnvAccount: aztest.Account, EnvKey: aztest.Key, EnvProtocol: "http", EnvDomain: srv.Host, EnvIsLocalEmulator: "true"},
			"azblob://" + aztest.Container},
		{"storage_account", map[string]string{EnvAccount: "other", EnvKey: aztest.Key, EnvProtocol: "http", EnvDomain: srv.Host},
			"azblob://" + aztest.Container + "?storage_account=" + aztest.Account},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clear(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			b, err := blob.OpenBucket(ctx, tc.url)
			if err != nil {
				t.Fatalf("OpenBucket(%q): %v", tc.url, err)
			}
			defer b.Close()
			if ok, err := b.IsAccessible(ctx); !ok || err != nil {
				t.Errorf("IsAccessible(%q) = %v, %v; want true", tc.url, ok, err)
			}
			if err := b.WriteAll(ctx, "open-url.txt", []byte(tc.name), nil); err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("prefix and missing container", func(t *testing.T) {
		clear(t)
		t.Setenv(EnvConnectionString, "UseDevelopmentStorage=true;BlobEndpoint="+srv.Endpoint)
		b, err := blob.OpenBucket(ctx, "azblob://"+aztest.Container+"?prefix=dir/")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.WriteAll(ctx, "a.txt", []byte("a"), nil); err != nil {
			t.Fatal(err)
		}
		if got, err := open(t, srv).ReadAll(ctx, "dir/a.txt"); err != nil || string(got) != "a" {
			t.Errorf("dir/a.txt = %q, %v; want %q", got, err, "a")
		}
		missing, err := blob.OpenBucket(ctx, "azblob://shipline-no-such-container")
		if err != nil {
			t.Fatal(err)
		}
		defer missing.Close()
		if ok, err := missing.IsAccessible(ctx); ok || err != nil {
			t.Errorf("IsAccessible(missing container) = %v, %v; want false, nil", ok, err)
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		clear(t)
		t.Setenv(EnvConnectionString, "AccountName="+aztest.Account+";AccountKey=d3Jvbmc=;BlobEndpoint="+srv.Endpoint)
		b, err := blob.OpenBucket(ctx, "azblob://"+aztest.Container)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		_, err = b.ReadAll(ctx, "open-url.txt")
		var e *Error
		if gcerrors.Code(err) != gcerrors.PermissionDenied || !b.ErrorAs(err, &e) || e.Code != "AuthorizationFailure" && e.Code != "AuthenticationFailed" {
			t.Errorf("read with a wrong key: %v (code %v); want PermissionDenied from AuthenticationFailed", err, gcerrors.Code(err))
		}
	})
}

// TestLargeWrite writes blobs above the buffer size (blocks and a block
// list) and checks what is read back and the MD5 the service keeps.
func TestLargeWrite(t *testing.T) {
	srv := aztest.Start(t)
	b := open(t, srv)
	ctx := context.Background()
	data := testData(3*64<<10 + 17)
	for _, tc := range []struct {
		name string
		opts *blob.WriterOptions
	}{
		{"blocks", &blob.WriterOptions{BufferSize: 64 << 10}},
		{"blocks if not exist", &blob.WriterOptions{BufferSize: 64 << 10, IfNotExist: true}},
		{"one put", nil},
	} {
		key := "large/" + strings.ReplaceAll(tc.name, " ", "-")
		if err := b.WriteAll(ctx, key, data, tc.opts); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := b.ReadAll(ctx, key)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: read %d bytes, %v; want the %d written", tc.name, len(got), err, len(data))
		}
		a, err := b.Attributes(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if want := md5sum(data); !bytes.Equal(a.MD5, want) {
			t.Errorf("%s: MD5 %x; want %x", tc.name, a.MD5, want)
		}
		if tc.opts != nil && tc.opts.IfNotExist {
			err := b.WriteAll(ctx, key, data, tc.opts)
			if gcerrors.Code(err) != gcerrors.FailedPrecondition {
				t.Errorf("%s: second write = %v; want FailedPrecondition", tc.name, err)
			}
		}
	}

	// A canceled write commits nothing.
	cctx, cancel := context.WithCancel(ctx)
	w, err := b.NewWriter(cctx, "large/canceled", &blob.WriterOptions{BufferSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); err == nil {
		t.Error("Close after cancel = nil; want an error")
	}
	if ok, err := b.Exists(ctx, "large/canceled"); ok || err != nil {
		t.Errorf("Exists(canceled) = %v, %v; want false", ok, err)
	}
}

// TestIfNotExistRace writes one key from many writers at once: exactly one
// succeeds.
func TestIfNotExistRace(t *testing.T) {
	srv := aztest.Start(t)
	b := open(t, srv)
	ctx := context.Background()
	var wg sync.WaitGroup
	var ok, conflict atomic.Int32
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := b.WriteAll(ctx, "race/marker", []byte{byte(i)}, &blob.WriterOptions{IfNotExist: true})
			switch gcerrors.Code(err) {
			case gcerrors.OK:
				ok.Add(1)
			case gcerrors.FailedPrecondition:
				conflict.Add(1)
			default:
				t.Errorf("write: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != 7 {
		t.Errorf("%d writes succeeded and %d conflicted; want 1 and 7", ok.Load(), conflict.Load())
	}
}

// TestRetries puts a proxy in front of Azurite that answers 503 to every
// other request: reads and lists succeed, an unconditional write is not
// repeated.
func TestRetries(t *testing.T) {
	srv := aztest.Start(t)
	target, _ := url.Parse("http://" + srv.Host)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var n atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 1 {
			w.Header().Set("X-Ms-Error-Code", "ServerBusy")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	defer func(d time.Duration) { retryBase = d }(retryBase)
	retryBase = 0
	b, err := OpenBucket(context.Background(), aztest.Container, &Options{ServiceURL: front.URL + "/" + aztest.Account, Credential: devKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := b.WriteAll(ctx, "retry/a", []byte("a"), &blob.WriterOptions{IfNotExist: true}); err != nil {
		t.Fatalf("create-if-absent write: %v", err)
	}
	if got, err := b.ReadAll(ctx, "retry/a"); err != nil || string(got) != "a" {
		t.Errorf("read = %q, %v", got, err)
	}
	if _, err := b.List(&blob.ListOptions{Prefix: "retry/"}).Next(ctx); err != nil {
		t.Errorf("list: %v", err)
	}
	n.Store(0)
	err = b.WriteAll(ctx, "retry/b", []byte("b"), nil)
	if gcerrors.Code(err) != gcerrors.ResourceExhausted {
		t.Errorf("unconditional write through a busy server = %v; want ResourceExhausted, not retried", err)
	}
}

// TestServerDown checks that a bucket whose server is gone fails, not hangs.
func TestServerDown(t *testing.T) {
	srv := aztest.Start(t)
	b := open(t, srv)
	srv.Stop()
	defer func(d time.Duration) { retryBase = d }(retryBase)
	retryBase = 0
	if _, err := b.ReadAll(context.Background(), "x"); err == nil {
		t.Error("read from a stopped server succeeded")
	}
}

func testData(n int) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*13 + i/251)
	}
	return data
}

func md5sum(p []byte) []byte { s := md5.Sum(p); return s[:] }
