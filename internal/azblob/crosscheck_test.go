package azblob

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	sdkblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"gocloud.dev/blob"

	"github.com/shipline-ci/shipline/internal/aztest"
)

// recorder is an SDK transport that keeps a copy of every request it sends.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Clone(context.Background()))
	r.mu.Unlock()
	return http.DefaultClient.Do(req)
}

// officialClient returns the official SDK's client of the server's
// container, with Shared Key, recording its requests.
func officialClient(t *testing.T, srv *aztest.Server) (*container.Client, *recorder) {
	t.Helper()
	cred, err := azblob.NewSharedKeyCredential(aztest.Account, aztest.Key)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: rec, Retry: policy.RetryOptions{MaxRetries: -1}}}
	c, err := container.NewClientWithSharedKeyCredential(srv.Endpoint+"/"+aztest.Container, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// TestCrossCheckWriteOursReadTheirs writes with this driver (one Put Blob,
// and blocks) and reads with the official SDK: the same bytes, MD5 and
// properties.
func TestCrossCheckWriteOursReadTheirs(t *testing.T) {
	srv := aztest.Start(t)
	theirs, _ := officialClient(t, srv)
	ours := open(t, srv)
	ctx := context.Background()
	for _, tc := range []struct {
		key  string
		size int
		opts *blob.WriterOptions
	}{
		{"cross/small.txt", 1000, nil},
		{"cross/large.bin", 3*32<<10 + 5, &blob.WriterOptions{BufferSize: 32 << 10}},
		{"cross/a b+c~ü/é.zip", 10, nil},
	} {
		data := testData(tc.size)
		opts := &blob.WriterOptions{ContentType: "application/x-test", CacheControl: "no-cache", Metadata: map[string]string{"origin": "shipline"}}
		if tc.opts != nil {
			opts.BufferSize = tc.opts.BufferSize
		}
		if err := ours.WriteAll(ctx, tc.key, data, opts); err != nil {
			t.Fatalf("write %s: %v", tc.key, err)
		}
		bc := theirs.NewBlobClient(tc.key)
		dl, err := bc.DownloadStream(ctx, nil)
		if err != nil {
			t.Fatalf("SDK download %s: %v", tc.key, err)
		}
		got, err := io.ReadAll(dl.Body)
		dl.Body.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("SDK read %s: %d bytes, %v; want the %d written", tc.key, len(got), err, len(data))
		}
		p, err := bc.GetProperties(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.ContentMD5, md5sum(data)) {
			t.Errorf("%s: SDK sees MD5 %x; want %x", tc.key, p.ContentMD5, md5sum(data))
		}
		// The SDK gives metadata names as Go canonicalizes header names.
		if *p.ContentType != "application/x-test" || *p.CacheControl != "no-cache" || p.Metadata["Origin"] == nil || *p.Metadata["Origin"] != "shipline" {
			t.Errorf("%s: SDK sees type %q, cache control %q, metadata %v", tc.key, *p.ContentType, *p.CacheControl, p.Metadata)
		}
	}
}

// TestCrossCheckWriteTheirsReadOurs writes with the SDK (one upload, and a
// staged upload of several blocks) and reads with this driver.
func TestCrossCheckWriteTheirsReadOurs(t *testing.T) {
	srv := aztest.Start(t)
	theirs, _ := officialClient(t, srv)
	ours := open(t, srv)
	ctx := context.Background()
	small, large := testData(999), testData(5*16<<10+3)
	if _, err := theirs.NewBlockBlobClient("theirs/small").UploadBuffer(ctx, small, &azblob.UploadBufferOptions{
		HTTPHeaders: &sdkblob.HTTPHeaders{BlobContentType: ptr("text/plain"), BlobContentMD5: md5sum(small)},
		Metadata:    map[string]*string{"k": ptr("v%20w")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := theirs.NewBlockBlobClient("theirs/large").UploadBuffer(ctx, large, &azblob.UploadBufferOptions{BlockSize: 16 << 10}); err != nil {
		t.Fatal(err)
	}
	if got, err := ours.ReadAll(ctx, "theirs/small"); err != nil || !bytes.Equal(got, small) {
		t.Errorf("read small: %d bytes, %v", len(got), err)
	}
	if got, err := ours.ReadAll(ctx, "theirs/large"); err != nil || !bytes.Equal(got, large) {
		t.Errorf("read large: %d bytes, %v", len(got), err)
	}
	r, err := ours.NewRangeReader(ctx, "theirs/large", 100, 50, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, large[100:150]) || r.Size() != int64(len(large)) {
		t.Errorf("range read: %d bytes, size %d", len(got), r.Size())
	}
	a, err := ours.Attributes(ctx, "theirs/small")
	if err != nil {
		t.Fatal(err)
	}
	if a.ContentType != "text/plain" || !bytes.Equal(a.MD5, md5sum(small)) || a.Metadata["k"] != "v w" || a.Size != int64(len(small)) {
		t.Errorf("attributes = type %q, MD5 %x, metadata %v, size %d", a.ContentType, a.MD5, a.Metadata, a.Size)
	}
	var keys []string
	for it := ours.List(&blob.ListOptions{Prefix: "theirs/"}); ; {
		o, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
	if len(keys) != 2 || keys[0] != "theirs/large" || keys[1] != "theirs/small" {
		t.Errorf("list = %q", keys)
	}
}

// TestCrossCheckSignature signs the SDK's own requests again with this
// package's Shared Key at the same x-ms-date: the same Authorization.
func TestCrossCheckSignature(t *testing.T) {
	srv := aztest.Start(t)
	theirs, rec := officialClient(t, srv)
	ctx := context.Background()
	bc := theirs.NewBlockBlobClient("sig/blob with space+ü")
	if _, err := bc.UploadBuffer(ctx, []byte("hello"), &azblob.UploadBufferOptions{
		HTTPHeaders: &sdkblob.HTTPHeaders{BlobContentType: ptr("text/plain")},
		Metadata:    map[string]*string{"A": ptr("1")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := bc.GetProperties(ctx, nil); err != nil {
		t.Fatal(err)
	}
	pager := theirs.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: ptr("sig/"), MaxResults: ptr(int32(5))})
	if _, err := pager.NextPage(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bc.DownloadStream(ctx, &sdkblob.DownloadStreamOptions{Range: sdkblob.HTTPRange{Offset: 1, Count: 2}}); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) < 4 {
		t.Fatalf("recorded %d requests; want 4", len(rec.reqs))
	}
	for _, req := range rec.reqs {
		want := req.Header.Get("Authorization")
		date, err := http.ParseTime(req.Header.Get("X-Ms-Date"))
		if err != nil {
			t.Fatalf("%s %s: x-ms-date: %v", req.Method, req.URL, err)
		}
		k := devKey(t)
		k.Now = func() time.Time { return date }
		mine := req.Clone(context.Background())
		mine.Header.Del("Authorization")
		if err := k.Authorize(ctx, mine); err != nil {
			t.Fatal(err)
		}
		if got := mine.Header.Get("Authorization"); got != want {
			sts, _ := stringToSign(aztest.Account, mine)
			t.Errorf("%s %s: Authorization %q; the SDK's is %q\nstring to sign:\n%s", req.Method, req.URL, got, want, sts)
		}
	}
}

func ptr[T any](v T) *T { return &v }
