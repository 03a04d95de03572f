package gcsblob

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"testing"

	"cloud.google.com/go/storage"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/iterator"

	"github.com/shipline-ci/shipline/internal/gcstest"
)

// officialClient returns the official Cloud Storage client, reaching the
// emulator through STORAGE_EMULATOR_HOST as it does for any emulator.
func officialClient(t *testing.T, srv *gcstest.Server) *storage.BucketHandle {
	t.Helper()
	srv.Setenv(t)
	c, err := storage.NewClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.Bucket(gcstest.Bucket)
}

func testData(n int) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*13 + i/251)
	}
	return data
}

func crc32c(data []byte) uint32 { return crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)) }

// TestCrossCheckWriteOursReadTheirs writes with this driver (one multipart
// upload, and a resumable upload of several chunks) and reads with the
// official client: the same bytes, checksums and attributes.
func TestCrossCheckWriteOursReadTheirs(t *testing.T) {
	srv := gcstest.Start(t)
	theirs := officialClient(t, srv)
	ours := open(t, srv.Endpoint)
	ctx := context.Background()
	for _, tc := range []struct {
		key  string
		size int
	}{
		{"cross/small.txt", 1000},
		{"cross/large.bin", 3*chunkUnit + 5},
		{"cross/a b+c%d?e#f=g&h~ü/é.zip", 10},
	} {
		t.Run(tc.key, func(t *testing.T) {
			data := testData(tc.size)
			opts := &blob.WriterOptions{
				BufferSize:   chunkUnit,
				ContentType:  "application/zip",
				CacheControl: "no-cache",
				Metadata:     map[string]string{"origin": "shipline"},
			}
			if err := ours.WriteAll(ctx, tc.key, data, opts); err != nil {
				t.Fatal(err)
			}
			a, err := theirs.Object(tc.key).Attrs(ctx)
			if err != nil {
				t.Fatalf("official client: attributes of what we wrote: %v", err)
			}
			sum := md5.Sum(data)
			if a.Size != int64(len(data)) || !bytes.Equal(a.MD5, sum[:]) || a.CRC32C != crc32c(data) ||
				a.ContentType != "application/zip" || a.CacheControl != "no-cache" || a.Metadata["origin"] != "shipline" {
				t.Errorf("official client sees size %d md5 %x crc32c %08x type %q cache %q metadata %v; want %d %x %08x application/zip no-cache origin=shipline",
					a.Size, a.MD5, a.CRC32C, a.ContentType, a.CacheControl, a.Metadata, len(data), sum, crc32c(data))
			}
			r, err := theirs.Object(tc.key).NewReader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("official client reads %d bytes, %v; want the %d we wrote", len(got), err, len(data))
			}

			// Our attributes of the object agree with theirs.
			oa, err := ours.Attributes(ctx, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if oa.Size != a.Size || !bytes.Equal(oa.MD5, a.MD5) || !oa.ModTime.Equal(a.Updated) || !oa.CreateTime.Equal(a.Created) ||
				oa.ETag != strconv.Quote(a.Etag) && oa.ETag != a.Etag {
				t.Errorf("our attributes: size %d md5 %x mod %v created %v etag %s; official client: %d %x %v %v %s",
					oa.Size, oa.MD5, oa.ModTime, oa.CreateTime, oa.ETag, a.Size, a.MD5, a.Updated, a.Created, a.Etag)
			}
		})
	}
}

// TestCrossCheckWriteTheirsReadOurs writes with the official client
// (small, and chunked) and reads, lists, copies and deletes with this
// driver.
func TestCrossCheckWriteTheirsReadOurs(t *testing.T) {
	srv := gcstest.Start(t)
	theirs := officialClient(t, srv)
	ours := open(t, srv.Endpoint)
	ctx := context.Background()
	written := map[string][]byte{}
	for key, size := range map[string]int{"theirs/one": 1, "theirs/dir/two": 4096, "theirs/big": 2*chunkUnit + 3} {
		data := testData(size)
		w := theirs.Object(key).NewWriter(ctx)
		w.ChunkSize = chunkUnit
		w.ContentType = "text/plain; charset=utf-8"
		w.Metadata = map[string]string{"k": key}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("official client: write %s: %v", key, err)
		}
		written[key] = data
	}
	for key, data := range written {
		got, err := ours.ReadAll(ctx, key)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("ReadAll(%s) = %d bytes, %v; want the %d written", key, len(got), err, len(data))
		}
		a, err := ours.Attributes(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(data)
		if a.Size != int64(len(data)) || !bytes.Equal(a.MD5, sum[:]) || a.ContentType != "text/plain; charset=utf-8" || a.Metadata["k"] != key {
			t.Errorf("Attributes(%s) = size %d md5 %x type %q metadata %v", key, a.Size, a.MD5, a.ContentType, a.Metadata)
		}
		r, err := ours.NewRangeReader(ctx, key, int64(len(data)/2), 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		part, err := io.ReadAll(r)
		r.Close()
		if want := data[len(data)/2 : min(len(data), len(data)/2+2)]; err != nil || !bytes.Equal(part, want) {
			t.Errorf("range of %s = %x, %v; want %x", key, part, err, want)
		}
	}

	// Our listing is theirs.
	var theirKeys, ourKeys []string
	it := theirs.Objects(ctx, &storage.Query{Prefix: "theirs/"})
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		theirKeys = append(theirKeys, a.Name)
	}
	page := blob.FirstPageToken
	for {
		objs, next, err := ours.ListPage(ctx, page, 2, &blob.ListOptions{Prefix: "theirs/"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			ourKeys = append(ourKeys, o.Key)
		}
		if len(next) == 0 {
			break
		}
		page = next
	}
	slices.Sort(theirKeys)
	if !slices.Equal(ourKeys, theirKeys) || len(ourKeys) != len(written) {
		t.Errorf("our listing %q; the official client's %q", ourKeys, theirKeys)
	}

	// Create-if-absent over their object fails and changes nothing.
	err := ours.WriteAll(ctx, "theirs/one", []byte("other"), &blob.WriterOptions{IfNotExist: true})
	if gcerrors.Code(err) != gcerrors.FailedPrecondition {
		t.Errorf("IfNotExist over an existing object: %v; want FailedPrecondition", err)
	}

	// Copy and delete with ours, seen by theirs.
	if err := ours.Copy(ctx, "copied/big", "theirs/big", nil); err != nil {
		t.Fatal(err)
	}
	r, err := theirs.Object("copied/big").NewReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, written["theirs/big"]) {
		t.Errorf("official client reads the copy: %d bytes, %v", len(got), err)
	}
	if err := ours.Delete(ctx, "theirs/one"); err != nil {
		t.Fatal(err)
	}
	if _, err := theirs.Object("theirs/one").Attrs(ctx); !errors.Is(err, storage.ErrObjectNotExist) {
		t.Errorf("official client after our delete: %v; want ErrObjectNotExist", err)
	}
	if err := ours.Delete(ctx, "theirs/one"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("delete of a deleted object: %v; want NotFound", err)
	}
}

// TestCrossCheckEscaping checks that keys are escaped into object names
// exactly as gocloud.dev/blob/gcsblob escapes them, as the official client
// sees the names.
func TestCrossCheckEscaping(t *testing.T) {
	srv := gcstest.Start(t)
	theirs := officialClient(t, srv)
	ours := open(t, srv.Endpoint)
	ctx := context.Background()
	for key, name := range map[string]string{
		"esc/a\nb":     "esc/a__0xa__b",
		"esc/c\rd":     "esc/c__0xd__d",
		"esc/../e":     "esc/..__0x2f__e",
		"esc/__0x41__": "esc/__0x5f___0x41__",
		"esc/plain":    "esc/plain",
	} {
		if err := ours.WriteAll(ctx, key, []byte(key), nil); err != nil {
			t.Fatal(err)
		}
		r, err := theirs.Object(name).NewReader(ctx)
		if err != nil {
			t.Errorf("key %q: the official client cannot read %q: %v", key, name, err)
			continue
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(got) != key {
			t.Errorf("object %q = %q, %v; want %q", name, got, err, key)
		}
	}
}
