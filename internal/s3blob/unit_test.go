package s3blob

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gocloud.dev/gcerrors"
)

// TestSignV4Examples checks the signer against the examples of AWS's
// "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk" (Amazon S3 API Reference).
func TestSignV4Examples(t *testing.T) {
	creds := &Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	at := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, method, url string
		header            http.Header
		hash              string
		signed, sig       string
	}{
		{"GET object", http.MethodGet, "https://examplebucket.s3.amazonaws.com/test.txt", http.Header{"Range": {"bytes=0-9"}}, emptyPayloadHash,
			"host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
		{"PUT object", http.MethodPut, "https://examplebucket.s3.amazonaws.com/test%24file.text",
			http.Header{"Date": {"Fri, 24 May 2013 00:00:00 GMT"}, "X-Amz-Storage-Class": {"REDUCED_REDUNDANCY"}},
			payloadHash([]byte("Welcome to Amazon S3.")),
			"date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
		{"GET bucket lifecycle", http.MethodGet, "https://examplebucket.s3.amazonaws.com/?lifecycle", nil, emptyPayloadHash,
			"host;x-amz-content-sha256;x-amz-date", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
		{"GET bucket list", http.MethodGet, "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J", nil, emptyPayloadHash,
			"host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header[k] = v
			}
			signV4(req, creds, "us-east-1", "s3", tc.hash, at)
			want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=" + tc.signed + ", Signature=" + tc.sig
			if got := req.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization\n got  %s\n want %s", got, want)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"":                           "",
		"uploads":                    "uploads=",
		"prefix=J&max-keys=2":        "max-keys=2&prefix=J",
		"a=b+c&a=a%2Fb&z=%7E~":       "a=a%2Fb&a=b%20c&z=~~",
		"token=1ue%2Bx%3D%3D&x=%zz*": "token=1ue%2Bx%3D%3D&x=%25zz%2A",
	} {
		if got := canonicalQuery(raw); got != want {
			t.Errorf("canonicalQuery(%q) = %q; want %q", raw, got, want)
		}
	}
}

func TestEscapeKey(t *testing.T) {
	for _, tc := range []struct{ key, name string }{
		{"", ""},
		{"example.com/mod/@v/v1.0.0.zip", "example.com/mod/@v/v1.0.0.zip"},
		{"a\nb", "a__0xa__b"},
		{"a\x01\x1f", "a__0x1____0x1f__"},
		{"../x", "..__0x2f__x"},
		{"__0x41__", "__0x5f___0x41__"},
		{"ü\t", "ü__0x9__"},
		{"a b+c", "a b+c"},
	} {
		if got := escapeKey(tc.key); got != tc.name {
			t.Errorf("escapeKey(%q) = %q; want %q", tc.key, got, tc.name)
		}
		if got := unescapeKey(tc.name); got != tc.key {
			t.Errorf("unescapeKey(%q) = %q; want %q", tc.name, got, tc.key)
		}
	}
	for _, k := range []string{"plain", "with space", "a@b:c=d", "ü", "50%"} {
		if got := unescapeMetaKey(strings.ToLower(escapeMetaKey(k))); got != k {
			t.Errorf("metadata key %q round-trips to %q", k, got)
		}
		if got := unescapeMetaValue(escapeMetaValue(k)); got != k {
			t.Errorf("metadata value %q round-trips to %q", k, got)
		}
	}
}

func TestErrorCode(t *testing.T) {
	answer := func(status int, code string) error {
		body := ""
		if code != "" {
			body = "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>m</Message><RequestId>R</RequestId></Error>"
		}
		return parseErrorBody(status, []byte(body))
	}
	for _, tc := range []struct {
		err  error
		want gcerrors.ErrorCode
	}{
		{answer(404, "NoSuchKey"), gcerrors.NotFound},
		{answer(404, "NoSuchBucket"), gcerrors.NotFound},
		{answer(404, ""), gcerrors.NotFound},
		{answer(404, "NoSuchUpload"), gcerrors.NotFound},
		{answer(403, "AccessDenied"), gcerrors.PermissionDenied},
		{answer(403, "SignatureDoesNotMatch"), gcerrors.PermissionDenied},
		{answer(400, "ExpiredToken"), gcerrors.PermissionDenied},
		{answer(403, ""), gcerrors.PermissionDenied},
		{answer(412, "PreconditionFailed"), gcerrors.FailedPrecondition},
		{answer(409, "ConditionalRequestConflict"), gcerrors.FailedPrecondition},
		{answer(503, "SlowDown"), gcerrors.ResourceExhausted},
		{answer(429, ""), gcerrors.ResourceExhausted},
		{answer(500, "InternalError"), gcerrors.Internal},
		{answer(502, ""), gcerrors.Internal},
		{answer(400, "InvalidArgument"), gcerrors.InvalidArgument},
		{answer(416, "InvalidRange"), gcerrors.InvalidArgument},
		{answer(400, "BadDigest"), gcerrors.InvalidArgument},
		{answer(301, "PermanentRedirect"), gcerrors.InvalidArgument},
		{answer(501, "NotImplemented"), gcerrors.Unimplemented},
		{answer(400, "RequestTimeout"), gcerrors.DeadlineExceeded},
		{answer(418, ""), gcerrors.Unknown},
		{codeError(gcerrors.InvalidArgument, "x"), gcerrors.InvalidArgument},
		{&credentialError{source: "x", err: errors.New("y")}, gcerrors.PermissionDenied},
		{context.Canceled, gcerrors.Canceled},
		{context.DeadlineExceeded, gcerrors.DeadlineExceeded},
		{errors.New("other"), gcerrors.Unknown},
	} {
		if got := errorCode(tc.err); got != tc.want {
			t.Errorf("errorCode(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}

func TestResponseErrorRegion(t *testing.T) {
	res := &http.Response{
		StatusCode: http.StatusMovedPermanently,
		Header:     http.Header{"X-Amz-Bucket-Region": {"eu-west-1"}, "X-Amz-Request-Id": {"RID"}},
		Body:       http.NoBody,
	}
	e := responseError(res, "us-east-1")
	if e.Region != "eu-west-1" || !strings.Contains(e.Error(), "add region=eu-west-1 to the URL") || !strings.Contains(e.Error(), "request ID RID") {
		t.Errorf("responseError = %q (region %q); want the bucket's region named", e.Error(), e.Region)
	}
}

func TestParseURL(t *testing.T) {
	env := map[string]string{"HOME": t.TempDir(), "AWS_EC2_METADATA_DISABLED": "true"}
	o := &URLOpener{Getenv: func(k string) string { return env[k] }}
	for _, tc := range []struct {
		url       string
		wantURL   string // of key "k"
		wantErr   string
		anonymous bool
	}{
		{url: "s3://bucket?anonymous=true", wantURL: "https://bucket.s3.us-east-1.amazonaws.com/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&region=eu-west-1", wantURL: "https://bucket.s3.eu-west-1.amazonaws.com/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&region=cn-north-1", wantURL: "https://bucket.s3.cn-north-1.amazonaws.com.cn/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&use_path_style=true", wantURL: "https://s3.us-east-1.amazonaws.com/bucket/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&s3ForcePathStyle=true&disable_https=true", wantURL: "http://s3.us-east-1.amazonaws.com/bucket/k", anonymous: true},
		{url: "s3://my.bucket?anonymous=true", wantURL: "https://s3.us-east-1.amazonaws.com/my.bucket/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&dualstack=true&fips=true", wantURL: "https://bucket.s3-fips.dualstack.us-east-1.amazonaws.com/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&accelerate=true", wantURL: "https://bucket.s3-accelerate.amazonaws.com/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&endpoint=http://127.0.0.1:9000", wantURL: "http://127.0.0.1:9000/bucket/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&endpoint=minio.example:443", wantURL: "https://bucket.minio.example/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&endpoint=https://r2.example/base/&hostname_immutable=true", wantURL: "https://r2.example/base/bucket/k", anonymous: true},
		{url: "s3://bucket?anonymous=true&awssdk=v1&rate_limiter_capacity=5&request_checksum_calculation=WHEN_REQUIRED", wantURL: "https://bucket.s3.us-east-1.amazonaws.com/k", anonymous: true},
		{url: "s3://bucket?bogus=1", wantErr: `unknown query parameter "bogus"`},
		{url: "s3://bucket?anonymous=maybe", wantErr: `invalid value "maybe" for query parameter "anonymous"`},
		{url: "s3://bucket?role=arn:aws:iam::1:role/r", wantErr: "query parameter role is not supported"},
		{url: "s3://bucket?ssetype=des", wantErr: `invalid value "des" for query parameter "ssetype"`},
		{url: "s3://bucket?request_checksum_calculation=always", wantErr: "want when_supported or when_required"},
		{url: "s3://bucket?anonymous=true&endpoint=ftp://x", wantErr: "is not an http or https URL"},
		{url: "s3://bucket?anonymous=true&accelerate=true&use_path_style=true", wantErr: "accelerate=true needs virtual-hosted"},
		{url: "s3://?anonymous=true", wantErr: "no bucket name"},
		{url: "s3://bucket?profile=nope", wantErr: `AWS profile "nope" is not in the shared config or credentials file`},
		{url: "s3://bucket", wantErr: "no AWS credentials"},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		opts, err := o.options(u)
		var b *bucket
		if err == nil {
			b, err = openBucket(u.Host, opts)
		}
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v; want one containing %q", tc.url, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if got := b.requestURL("k", ""); got != tc.wantURL {
			t.Errorf("%s: object URL %s; want %s", tc.url, got, tc.wantURL)
		}
		if (b.creds == nil) != tc.anonymous {
			t.Errorf("%s: anonymous = %v; want %v", tc.url, b.creds == nil, tc.anonymous)
		}
	}
}

func TestRegion(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/config", "[default]\nregion = ap-south-1\n[profile p]\nregion=eu-north-1\n")
	for _, tc := range []struct {
		env  map[string]string
		url  string
		want string
	}{
		{nil, "s3://b?anonymous=true&region=us-west-2", "us-west-2"},
		{map[string]string{"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "eu-west-2"}, "s3://b?anonymous=true", "eu-west-3"},
		{map[string]string{"AWS_DEFAULT_REGION": "eu-west-2"}, "s3://b?anonymous=true", "eu-west-2"},
		{nil, "s3://b?anonymous=true", "ap-south-1"},
		{nil, "s3://b?anonymous=true&profile=p", "eu-north-1"},
		{map[string]string{"AWS_PROFILE": "p"}, "s3://b?anonymous=true", "eu-north-1"},
		{map[string]string{"AWS_CONFIG_FILE": dir + "/none"}, "s3://b?anonymous=true", "us-east-1"},
	} {
		env := map[string]string{"HOME": t.TempDir(), "AWS_CONFIG_FILE": dir + "/config"}
		for k, v := range tc.env {
			env[k] = v
		}
		o := &URLOpener{Getenv: func(k string) string { return env[k] }}
		u, _ := url.Parse(tc.url)
		opts, err := o.options(u)
		if err != nil {
			t.Errorf("%s %v: %v", tc.url, tc.env, err)
			continue
		}
		if opts.Region != tc.want {
			t.Errorf("%s %v: region %s; want %s", tc.url, tc.env, opts.Region, tc.want)
		}
	}
}

func TestParseINI(t *testing.T) {
	secs := parseINI(strings.NewReader(`
# comment
[default]
aws_access_key_id = AKID ; inline
Region=us-west-2
s3 =
  addressing_style = path
after = yes
[profile  dev]
credential_process = /bin/tool --flag "a b"
; other
[broken
x = 1
`))
	if got := secs["default"]; got["aws_access_key_id"] != "AKID" || got["region"] != "us-west-2" || got["after"] != "yes" || got["addressing_style"] != "" {
		t.Errorf("default = %v", got)
	}
	if got := secs["profile dev"]["credential_process"]; got != `/bin/tool --flag "a b"` {
		t.Errorf("credential_process = %q", got)
	}
	if _, ok := secs["broken"]; ok {
		t.Error("a section without ] was kept")
	}
}
