package s3blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/s3test"
)

// officialClient returns the AWS SDK's S3 client for the server at
// endpoint (path style; checksums only where S3 requires them, which
// gofakes3 understands).
func officialClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// TestCrossCheckWriteOursReadTheirs writes with this driver (one PUT, and
// a multipart upload) and reads with the SDK: the same bytes and
// attributes.
func TestCrossCheckWriteOursReadTheirs(t *testing.T) {
	endpoint := s3test.Start(t)
	theirs := officialClient(endpoint)
	ours := open(t, endpoint)
	ctx := context.Background()
	for _, tc := range []struct {
		key  string
		size int
	}{
		{"cross/small.txt", 1000},
		{"cross/large.bin", 3*testPart + 5},
		{"cross/a b+c%d?e#f=g&h~ü/é!*'().zip", 10},
	} {
		t.Run(tc.key, func(t *testing.T) {
			data := testData(tc.size)
			opts := &blob.WriterOptions{
				BufferSize:   testPart,
				ContentType:  "application/zip",
				CacheControl: "no-cache",
				Metadata:     map[string]string{"origin": "shipline", "with space": "ü=1"},
			}
			if err := ours.WriteAll(ctx, tc.key, data, opts); err != nil {
				t.Fatal(err)
			}
			out, err := theirs.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3test.Bucket), Key: aws.String(tc.key)})
			if err != nil {
				t.Fatalf("SDK: get what we wrote: %v", err)
			}
			got, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("SDK reads %d bytes, %v; want the %d we wrote", len(got), err, len(data))
			}
			if aws.ToString(out.ContentType) != "application/zip" || aws.ToString(out.CacheControl) != "no-cache" || out.Metadata["origin"] != "shipline" {
				t.Errorf("SDK sees type %q cache %q metadata %v; want application/zip, no-cache, origin=shipline", aws.ToString(out.ContentType), aws.ToString(out.CacheControl), out.Metadata)
			}
			a, err := ours.Attributes(ctx, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if a.ETag != aws.ToString(out.ETag) || !a.ModTime.Equal(aws.ToTime(out.LastModified)) || a.Size != int64(len(data)) || a.Metadata["with space"] != "ü=1" {
				t.Errorf("our attributes: etag %s mod %v size %d metadata %v; SDK: %s %v", a.ETag, a.ModTime, a.Size, a.Metadata, aws.ToString(out.ETag), aws.ToTime(out.LastModified))
			}
		})
	}
}

// TestCrossCheckWriteTheirsReadOurs writes with the SDK and reads, lists,
// copies and deletes with this driver.
func TestCrossCheckWriteTheirsReadOurs(t *testing.T) {
	endpoint := s3test.Start(t)
	theirs := officialClient(endpoint)
	ours := open(t, endpoint)
	ctx := context.Background()
	written := map[string][]byte{}
	for key, size := range map[string]int{"theirs/one": 1, "theirs/dir/two": 4096, "theirs/big x+y": 2*testPart + 3} {
		data := testData(size)
		_, err := theirs.PutObject(ctx, &s3.PutObjectInput{
			Bucket:      aws.String(s3test.Bucket),
			Key:         aws.String(key),
			Body:        bytes.NewReader(data),
			ContentType: aws.String("text/plain; charset=utf-8"),
			Metadata:    map[string]string{"k": "v"},
		})
		if err != nil {
			t.Fatalf("SDK: put %s: %v", key, err)
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
		if a.Size != int64(len(data)) || !bytes.Equal(a.MD5, sum[:]) || a.ContentType != "text/plain; charset=utf-8" || a.Metadata["k"] != "v" {
			t.Errorf("Attributes(%s) = size %d md5 %x type %q metadata %v", key, a.Size, a.MD5, a.ContentType, a.Metadata)
		}
	}

	// Our listing is theirs.
	var theirKeys, ourKeys []string
	lo, err := theirs.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s3test.Bucket), Prefix: aws.String("theirs/")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range lo.Contents {
		theirKeys = append(theirKeys, aws.ToString(o.Key))
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
		t.Errorf("our listing %q; the SDK's %q", ourKeys, theirKeys)
	}

	// Create-if-absent over their object fails and changes nothing.
	err = ours.WriteAll(ctx, "theirs/one", []byte("other"), &blob.WriterOptions{IfNotExist: true})
	if gcerrors.Code(err) != gcerrors.FailedPrecondition {
		t.Errorf("IfNotExist over an existing object: %v; want FailedPrecondition", err)
	}

	// Copy and delete with ours, seen by theirs.
	if err := ours.Copy(ctx, "copied/big", "theirs/big x+y", nil); err != nil {
		t.Fatal(err)
	}
	out, err := theirs.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3test.Bucket), Key: aws.String("copied/big")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, written["theirs/big x+y"]) {
		t.Errorf("SDK reads the copy: %d bytes, %v", len(got), err)
	}
	if err := ours.Delete(ctx, "theirs/one"); err != nil {
		t.Fatal(err)
	}
	if _, err := theirs.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s3test.Bucket), Key: aws.String("theirs/one")}); err == nil {
		t.Error("SDK still sees theirs/one after our Delete")
	}
	if err := ours.Delete(ctx, "theirs/one"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("Delete of a missing object: %v; want NotFound", err)
	}
}

// TestSignatureMatchesSDK signs requests with this driver and with the
// SDK's v4 signer, at the same time: the Authorization headers are equal.
func TestSignatureMatchesSDK(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 34, 56, 0, time.UTC)
	creds := &Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", SessionToken: "FwoGZXIvYXdzEJr//token+/="}
	for _, tc := range []struct {
		name     string
		endpoint string
		region   string
		r        request
	}{
		{"get range", "https://s3.amazonaws.com", "us-east-1", request{method: http.MethodGet, key: "dir/file.zip", header: http.Header{"Range": {"bytes=0-9"}}}},
		{"head odd key", "https://s3.eu-west-1.amazonaws.com", "eu-west-1", request{method: http.MethodHead, key: escapeKey("a b+c%d?e#f=g&h~ü/é!*'()\n../x")}},
		{"put metadata", "http://127.0.0.1:9000", "us-east-1", request{method: http.MethodPut, key: "k", body: []byte("Welcome to Amazon S3."), header: http.Header{
			"Content-Type": {"application/zip"}, "Content-Md5": {contentMD5([]byte("Welcome to Amazon S3."))}, "If-None-Match": {"*"},
			"X-Amz-Meta-" + escapeMetaKey("with space@x"): {escapeMetaValue("ü = 1")}, "Cache-Control": {"no-cache,  max-age=0"},
		}}},
		{"list", "https://minio.example:9443/base", "us-west-2", request{method: http.MethodGet, query: encodeQuery(url.Values{
			"list-type": {"2"}, "prefix": {"a b/ü*"}, "delimiter": {"/"}, "continuation-token": {"1ueGcx+LPRx/1Tr=="}, "max-keys": {"1000"},
		})}},
		{"create multipart", "https://s3.amazonaws.com", "us-east-1", request{method: http.MethodPost, key: "big", query: "uploads="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := openBucket("shipline-bucket", &Options{Endpoint: tc.endpoint, Region: tc.region, Credentials: creds, Now: func() time.Time { return at }})
			if err != nil {
				t.Fatal(err)
			}
			ours, err := b.newHTTPRequest(context.Background(), &tc.r)
			if err != nil {
				t.Fatal(err)
			}
			theirs := ours.Clone(context.Background())
			theirs.Header.Del("Authorization")
			theirs.Header.Del("X-Amz-Security-Token")
			theirs.Header.Del("X-Amz-Date")
			signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
			err = signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken},
				theirs, ours.Header.Get("X-Amz-Content-Sha256"), "s3", tc.region, at)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ours.Header.Get("Authorization"), theirs.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization\n got  %s\n want %s (SDK)", got, want)
			}
		})
	}
}
