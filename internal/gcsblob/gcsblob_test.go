package gcsblob

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/blobhttp/blobhttptest"
	"github.com/shipline-ci/shipline/internal/gcstest"
)

// TestDriverConformance runs gocloud's driver conformance suite against
// fake-gcs-server. Non-slash delimiters are not tested only because
// fake-gcs-server cuts the prefixes of a delimiter of several characters
// to its first one; Cloud Storage takes any delimiter, and the driver
// passes it on.
func TestDriverConformance(t *testing.T) {
	srv := gcstest.Start(t)
	blobhttptest.Run(t, &blobhttptest.Harness{
		Open: func(name string) (driver.Bucket, error) {
			return openBucket(name, &Options{Endpoint: srv.Endpoint})
		},
		Bucket:      gcstest.Bucket,
		Nonexistent: "shipline-no-such-bucket",
	}, func(e *Error) error {
		if e.Status != http.StatusNotFound {
			return fmt.Errorf("ErrorAs gave status %d; want 404", e.Status)
		}
		return nil
	})
}

// open returns a bucket of the server at endpoint, closed when the test
// ends.
func open(t *testing.T, endpoint string) *blob.Bucket {
	t.Helper()
	b, err := OpenBucket(context.Background(), gcstest.Bucket, &Options{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestOpenURL opens gs:// URLs through gocloud's default URL mux, with
// STORAGE_EMULATOR_HOST naming the server.
func TestOpenURL(t *testing.T) {
	srv := gcstest.Start(t)
	srv.Setenv(t)
	ctx := context.Background()
	for _, u := range []string{
		"gs://" + gcstest.Bucket,
		"gs://" + gcstest.Bucket + "?prefix=dir/",
		"gs://" + gcstest.Bucket + "?anonymous=true&grpc=false&zonal=false",
		"gs://" + gcstest.Bucket + "?access_id=-&private_key_path=/nonexistent",
		"gs://" + gcstest.Bucket + "?universe_domain=example.com",
	} {
		b, err := blob.OpenBucket(ctx, u)
		if err != nil {
			t.Errorf("OpenBucket(%q): %v", u, err)
			continue
		}
		if ok, err := b.IsAccessible(ctx); !ok || err != nil {
			t.Errorf("IsAccessible(%q) = %v, %v; want true", u, ok, err)
		}
		b.Close()
	}

	b, err := blob.OpenBucket(ctx, "gs://"+gcstest.Bucket+"?prefix=dir/")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteAll(ctx, "a.txt", []byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	whole := open(t, srv.Endpoint)
	if got, err := whole.ReadAll(ctx, "dir/a.txt"); err != nil || string(got) != "a" {
		t.Errorf("dir/a.txt = %q, %v; want %q", got, err, "a")
	}

	missing, err := blob.OpenBucket(ctx, "gs://shipline-no-such-bucket")
	if err != nil {
		t.Fatal(err)
	}
	defer missing.Close()
	if ok, err := missing.IsAccessible(ctx); ok || err != nil {
		t.Errorf("IsAccessible(missing bucket) = %v, %v; want false, nil", ok, err)
	}
}

func TestOpenURLErrors(t *testing.T) {
	t.Setenv(EmulatorEnv, "127.0.0.1:1") // no credentials are looked up
	for _, tc := range []struct{ url, want string }{
		{"gs://b?bogus=1", `unknown query parameter "bogus"`},
		{"gs://b?anonymous=maybe", `invalid value "maybe" for query parameter "anonymous"`},
		{"gs://b?grpc=true", "grpc=true is not supported"},
		{"gs://b?zonal=1", "zonal=true is not supported"},
		{"gs://b?universe_domain=a/b", `invalid value "a/b" for query parameter "universe_domain"`},
		{"gs://?prefix=x/", "no bucket name"},
	} {
		b, err := blob.OpenBucket(context.Background(), tc.url)
		if err == nil {
			b.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenBucket(%q) = %v; want an error containing %q", tc.url, err, tc.want)
		}
	}
}

func TestEmulatorEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"localhost:4443":          "http://localhost:4443",
		"http://127.0.0.1:9000/":  "http://127.0.0.1:9000",
		"https://gcs.example:443": "https://gcs.example:443",
	} {
		t.Setenv(EmulatorEnv, in)
		if got := EmulatorEndpoint(); got != want {
			t.Errorf("STORAGE_EMULATOR_HOST=%q: EmulatorEndpoint() = %q; want %q", in, got, want)
		}
	}
}

// TestLargeWrite writes objects around the buffer size, so that both the
// multipart and the resumable upload run, and reads them whole and in
// ranges.
func TestLargeWrite(t *testing.T) {
	srv := gcstest.Start(t)
	b := open(t, srv.Endpoint)
	ctx := context.Background()
	const bufSize = chunkUnit
	for _, size := range []int{0, 1, bufSize - 1, bufSize, bufSize + 1, 3*bufSize + 17} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(i * 7 % 251)
			}
			key := fmt.Sprintf("large/%d", size)
			w, err := b.NewWriter(ctx, key, &blob.WriterOptions{BufferSize: bufSize, ContentType: "application/x-test", Metadata: map[string]string{"k": "v"}})
			if err != nil {
				t.Fatal(err)
			}
			// Odd-sized writes cross the chunk boundaries anywhere.
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 100_003)
				if _, err := w.Write(rest[:n]); err != nil {
					t.Fatal(err)
				}
				rest = rest[n:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := b.ReadAll(ctx, key)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("ReadAll = %d bytes, %v; want the %d written", len(got), err, len(data))
			}
			a, err := b.Attributes(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			sum := md5.Sum(data)
			if a.Size != int64(size) || !bytes.Equal(a.MD5, sum[:]) || a.ContentType != "application/x-test" || a.Metadata["k"] != "v" {
				t.Errorf("Attributes = size %d, md5 %x, type %q, metadata %v; want %d, %x, application/x-test, k=v", a.Size, a.MD5, a.ContentType, a.Metadata, size, sum)
			}
			if size > 10 {
				r, err := b.NewRangeReader(ctx, key, int64(size)-10, 5, nil)
				if err != nil {
					t.Fatal(err)
				}
				part, err := io.ReadAll(r)
				r.Close()
				if err != nil || !bytes.Equal(part, data[size-10:size-5]) || r.Size() != int64(size) {
					t.Errorf("range read = %x (size %d), %v; want %x (size %d)", part, r.Size(), err, data[size-10:size-5], size)
				}
			}
			// From the end: nothing to read, not an error.
			r, err := b.NewRangeReader(ctx, key, int64(size), -1, nil)
			if err != nil {
				t.Fatalf("read from the end: %v", err)
			}
			if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
				t.Errorf("read from the end = %q, %v; want nothing", rest, err)
			}
			r.Close()
		})
	}
}

// TestIfNotExistRace writes one key from many writers at once with
// IfNotExist: exactly one wins, the others fail with FailedPrecondition.
func TestIfNotExistRace(t *testing.T) {
	srv := gcstest.Start(t)
	b := open(t, srv.Endpoint)
	ctx := context.Background()
	var wins, losses atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			w, err := b.NewWriter(ctx, "race", &blob.WriterOptions{IfNotExist: true})
			if err != nil {
				t.Error(err)
				return
			}
			fmt.Fprintf(w, "writer %d", i)
			switch err := w.Close(); gcerrors.Code(err) {
			case gcerrors.OK:
				wins.Add(1)
			case gcerrors.FailedPrecondition:
				losses.Add(1)
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != 7 {
		t.Errorf("%d writers won and %d lost; want 1 and 7", wins.Load(), losses.Load())
	}
}

// backendError is Cloud Storage's answer of a passing failure.
var backendError = blobhttptest.Fault{
	Status:      http.StatusServiceUnavailable,
	ContentType: "application/json",
	Body:        `{"error":{"code":503,"message":"try again","errors":[{"reason":"backendError"}]}}`,
}

// TestRetries checks what is sent again after a 503: reads and
// create-if-absent uploads are, an unconditional upload is not.
func TestRetries(t *testing.T) {
	old := retryBase
	retryBase = 0
	t.Cleanup(func() { retryBase = old })

	srv := gcstest.Start(t)
	ctx := context.Background()
	var failures atomic.Int32
	p := blobhttptest.StartFaultProxy(t, srv.Endpoint, backendError, nil, func(*http.Request) bool { return failures.Add(-1) >= 0 })
	b := open(t, p.URL)

	// Fails twice, then succeeds.
	failures.Store(2)
	if err := b.WriteAll(ctx, "r", []byte("data"), &blob.WriterOptions{IfNotExist: true}); err != nil {
		t.Fatalf("create-if-absent after two 503s: %v", err)
	}
	failures.Store(2)
	if got, err := b.ReadAll(ctx, "r"); err != nil || string(got) != "data" {
		t.Fatalf("read after two 503s = %q, %v", got, err)
	}
	failures.Store(int32(maxAttempts))
	if _, err := b.Attributes(ctx, "r"); gcerrors.Code(err) != gcerrors.Internal || !strings.Contains(err.Error(), "try again (HTTP 503 backendError)") {
		t.Errorf("attributes after %d 503s: %v; want Internal, the message", maxAttempts, err)
	}
	failures.Store(1)
	if err := b.WriteAll(ctx, "r", []byte("other"), nil); gcerrors.Code(err) != gcerrors.Internal {
		t.Errorf("unconditional write after a 503: %v; want it not retried, Internal", err)
	}
	failures.Store(0)
	if got, err := b.ReadAll(ctx, "r"); err != nil || string(got) != "data" {
		t.Errorf("after the failed write, r = %q, %v; want the first data", got, err)
	}
}

// TestServerDown checks that an unreachable server is a clear error.
func TestServerDown(t *testing.T) {
	old := retryBase
	retryBase = 0
	t.Cleanup(func() { retryBase = old })
	srv := gcstest.Start(t)
	b := open(t, srv.Endpoint)
	srv.Stop()
	_, err := b.ReadAll(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("read from a stopped server: %v; want connection refused", err)
	}
}

func TestCanceledLargeWrite(t *testing.T) {
	srv := gcstest.Start(t)
	b := open(t, srv.Endpoint)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := b.NewWriter(ctx, "canceled", &blob.WriterOptions{BufferSize: chunkUnit})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 3*chunkUnit)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel = %v; want context.Canceled", err)
	}
	if ok, err := b.Exists(context.Background(), "canceled"); ok || err != nil {
		t.Errorf("Exists(canceled) = %v, %v; want false", ok, err)
	}
}
