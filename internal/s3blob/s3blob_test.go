package s3blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/blobhttp/blobhttptest"
	"github.com/shipline-ci/shipline/internal/s3test"
)

// testPart is the part size of the tests' multipart uploads: gofakes3
// does not enforce S3's 5 MiB minimum, so the tests use small parts.
const testPart = 256 << 10

func init() { minPartSize = testPart }

// testCreds sign the tests' requests: gofakes3 does not check signatures,
// but the requests carry them as they would to S3.
var testCreds = &Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}

// TestDriverConformance runs gocloud's driver conformance suite against
// gofakes3. Non-slash delimiters are not tested only because gofakes3
// does not cut keys at a delimiter of several characters (the suite's
// listing then never ends); S3 takes any delimiter, and the driver passes
// it on.
func TestDriverConformance(t *testing.T) {
	endpoint := s3test.Start(t)
	blobhttptest.Run(t, &blobhttptest.Harness{
		Open: func(name string) (driver.Bucket, error) {
			return openBucket(name, &Options{Endpoint: endpoint, Credentials: testCreds})
		},
		Bucket:      s3test.Bucket,
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
	b, err := OpenBucket(context.Background(), s3test.Bucket, &Options{Endpoint: endpoint, Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// noAWSEnv clears the environment the driver reads, so that the tests do
// not depend on the machine's.
func noAWSEnv(t *testing.T) {
	t.Helper()
	for _, v := range append(credentialEnv, "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3") {
		t.Setenv(v, "")
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestOpenURL opens s3:// URLs through gocloud's default URL mux, as the
// store does.
func TestOpenURL(t *testing.T) {
	noAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	endpoint := s3test.Start(t)
	ctx := context.Background()
	for _, u := range []string{
		s3test.URL(endpoint, ""),
		s3test.URL(endpoint, "dir/"),
		"s3://" + s3test.Bucket + "?endpoint=" + url.QueryEscape(endpoint) + "&s3ForcePathStyle=true&awssdk=v2",
		"s3://" + s3test.Bucket + "?endpoint=" + url.QueryEscape(endpoint) + "&hostname_immutable=true&request_checksum_calculation=when_required&response_checksum_validation=when_supported&rate_limiter_capacity=10",
		// Signed with the environment's keys.
		"s3://" + s3test.Bucket + "?endpoint=" + url.QueryEscape(endpoint) + "&region=eu-west-1",
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

	b, err := blob.OpenBucket(ctx, s3test.URL(endpoint, "dir/"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteAll(ctx, "a.txt", []byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	whole := open(t, endpoint)
	if got, err := whole.ReadAll(ctx, "dir/a.txt"); err != nil || string(got) != "a" {
		t.Errorf("dir/a.txt = %q, %v; want %q", got, err, "a")
	}

	missing, err := blob.OpenBucket(ctx, strings.Replace(s3test.URL(endpoint, ""), "s3://"+s3test.Bucket, "s3://shipline-no-such-bucket", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer missing.Close()
	if ok, err := missing.IsAccessible(ctx); ok || err != nil {
		t.Errorf("IsAccessible(missing bucket) = %v, %v; want false, nil", ok, err)
	}
}

// TestLargeWrite writes objects around the part size, so that both the
// single PUT and the multipart upload run, and reads them whole and in
// ranges.
func TestLargeWrite(t *testing.T) {
	endpoint := s3test.Start(t)
	b := open(t, endpoint)
	ctx := context.Background()
	for _, size := range []int{0, 1, testPart - 1, testPart, testPart + 1, 3*testPart + 17} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := testData(size)
			key := fmt.Sprintf("large/%d", size)
			w, err := b.NewWriter(ctx, key, &blob.WriterOptions{BufferSize: testPart, ContentType: "application/x-test", Metadata: map[string]string{"k": "v"}})
			if err != nil {
				t.Fatal(err)
			}
			// Odd-sized writes cross the part boundaries anywhere.
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
			wantMD5 := sum[:]
			if size > testPart && a.MD5 == nil {
				wantMD5 = nil // S3's ETag of a multipart upload is no MD5 (gofakes3's is)
			}
			if a.Size != int64(size) || !bytes.Equal(a.MD5, wantMD5) || a.ContentType != "application/x-test" || a.Metadata["k"] != "v" {
				t.Errorf("Attributes = size %d, md5 %x, type %q, metadata %v; want %d, %x, application/x-test, k=v", a.Size, a.MD5, a.ContentType, a.Metadata, size, wantMD5)
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

func testData(n int) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*13 + i/251)
	}
	return data
}

// TestIfNotExist writes one key from many writers at once with
// IfNotExist, in one PUT and in a multipart upload: exactly one wins, the
// others fail with FailedPrecondition.
func TestIfNotExist(t *testing.T) {
	endpoint := s3test.Start(t)
	b := open(t, endpoint)
	ctx := context.Background()
	for _, size := range []int{10, 2*testPart + 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			key := fmt.Sprintf("race/%d", size)
			var wins, losses atomic.Int32
			var wg sync.WaitGroup
			for i := range 4 {
				wg.Go(func() {
					err := b.WriteAll(ctx, key, testData(size), &blob.WriterOptions{IfNotExist: true, BufferSize: testPart})
					switch gcerrors.Code(err) {
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
			if wins.Load() != 1 || losses.Load() != 3 {
				t.Errorf("%d writers won and %d lost; want 1 and 3", wins.Load(), losses.Load())
			}
		})
	}
}

// slowDown is S3's answer to too many requests.
var slowDown = blobhttptest.Fault{
	Status:      http.StatusServiceUnavailable,
	ContentType: "application/xml",
	Body:        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>R1</RequestId></Error>`,
}

// startFaultProxy starts a proxy to endpoint that answers 503 SlowDown to
// the requests fail picks, and counts the requests by requestKind.
func startFaultProxy(t *testing.T, endpoint string, fail func(*http.Request) bool) (*blobhttptest.FaultProxy, string) {
	p := blobhttptest.StartFaultProxy(t, endpoint, slowDown, requestKind, fail)
	return p, p.URL
}

// requestKind names a request by method and S3 operation.
func requestKind(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case q.Has("uploads"):
		return "create-multipart"
	case q.Has("partNumber"):
		return "part"
	case q.Has("uploadId") && r.Method == http.MethodPost:
		return "complete"
	case q.Has("uploadId") && r.Method == http.MethodDelete:
		return "abort"
	}
	return r.Method
}

// TestRetries checks what is sent again after a 503 SlowDown.
func TestRetries(t *testing.T) {
	old := retryBase
	retryBase = 0
	t.Cleanup(func() { retryBase = old })

	endpoint := s3test.Start(t)
	ctx := context.Background()
	var failures atomic.Int32
	p, proxied := startFaultProxy(t, endpoint, func(*http.Request) bool { return failures.Add(-1) >= 0 })
	b := open(t, proxied)

	failures.Store(2)
	if err := b.WriteAll(ctx, "r", []byte("data"), &blob.WriterOptions{IfNotExist: true}); err != nil {
		t.Fatalf("create-if-absent after two 503s: %v", err)
	}
	failures.Store(2)
	if got, err := b.ReadAll(ctx, "r"); err != nil || string(got) != "data" {
		t.Fatalf("read after two 503s = %q, %v", got, err)
	}
	failures.Store(int32(maxAttempts))
	_, err := b.Attributes(ctx, "r")
	if gcerrors.Code(err) != gcerrors.Internal {
		t.Errorf("attributes after %d 503s: %v; want Internal", maxAttempts, err)
	}
	failures.Store(int32(maxAttempts))
	_, err = b.ReadAll(ctx, "r")
	if gcerrors.Code(err) != gcerrors.ResourceExhausted || !strings.Contains(err.Error(), "SlowDown: Please reduce your request rate. (HTTP 503, request ID R1)") {
		t.Errorf("read after %d 503s: %v; want ResourceExhausted, the message", maxAttempts, err)
	}
	var e *Error
	if !b.ErrorAs(err, &e) || e.Code != "SlowDown" || e.Status != 503 {
		t.Errorf("ErrorAs(%v) = %+v; want SlowDown, 503", err, e)
	}
	failures.Store(0)
	if got, err := b.ReadAll(ctx, "r"); err != nil || string(got) != "data" {
		t.Errorf("after the failures, r = %q, %v; want the data", got, err)
	}

	// A multipart upload whose part fails for good is aborted.
	failures.Store(0)
	var partFailures atomic.Int32
	partFailures.Store(int32(maxAttempts))
	p2, proxied2 := startFaultProxy(t, endpoint, func(r *http.Request) bool {
		return r.URL.Query().Has("partNumber") && r.URL.Query().Get("partNumber") == "2" && partFailures.Add(-1) >= 0
	})
	b2 := open(t, proxied2)
	err = b2.WriteAll(ctx, "multi", testData(3*testPart), &blob.WriterOptions{BufferSize: testPart})
	if gcerrors.Code(err) != gcerrors.ResourceExhausted {
		t.Errorf("multipart write whose part 2 fails: %v; want ResourceExhausted", err)
	}
	if n := p2.Requests("abort"); n != 1 {
		t.Errorf("%d aborts after a failed part; want 1", n)
	}
	if ok, err := b.Exists(ctx, "multi"); ok || err != nil {
		t.Errorf("Exists(multi) = %v, %v; want false", ok, err)
	}
	_ = p
}

// TestServerDown checks that an unreachable server is a clear error.
func TestServerDown(t *testing.T) {
	old := retryBase
	retryBase = 0
	t.Cleanup(func() { retryBase = old })
	srv := s3test.StartServer(t, s3test.Options{})
	b := open(t, srv.Endpoint)
	srv.Stop()
	_, err := b.ReadAll(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("read from a stopped server: %v; want connection refused", err)
	}
}

// TestCanceledLargeWrite cancels a multipart upload: nothing is left, and
// the upload is aborted.
func TestCanceledLargeWrite(t *testing.T) {
	endpoint := s3test.Start(t)
	p, proxied := startFaultProxy(t, endpoint, func(*http.Request) bool { return false })
	b := open(t, proxied)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := b.NewWriter(ctx, "canceled", &blob.WriterOptions{BufferSize: testPart})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 3*testPart)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel = %v; want context.Canceled", err)
	}
	if n := p.Requests("abort"); n != 1 {
		t.Errorf("%d aborts after cancel; want 1", n)
	}
	if n := p.Requests("complete"); n != 0 {
		t.Errorf("%d completions after cancel; want 0", n)
	}
	if ok, err := b.Exists(context.Background(), "canceled"); ok || err != nil {
		t.Errorf("Exists(canceled) = %v, %v; want false", ok, err)
	}
}
