package gcsblob

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"gocloud.dev/gcerrors"
)

// TestEscapeKey checks escapeKey against names gocloud.dev/blob/gcsblob
// gives the same keys (its internal/escape with gcsblob's rule).
func TestEscapeKey(t *testing.T) {
	for _, tc := range []struct{ key, name string }{
		{"", ""},
		{"example.com/mod/@v/v1.0.0.zip", "example.com/mod/@v/v1.0.0.zip"},
		{"a\nb", "a__0xa__b"},
		{"a\r\n", "a__0xd____0xa__"},
		{"../x", "..__0x2f__x"},
		{"a/../../b", "a/..__0x2f__..__0x2f__b"},
		{"./x/..", "./x/.."},
		{"__0x41__", "__0x5f___0x41__"},
		{"__0x__", "__0x__"}, // no digits: not an escape
		{"__0xzz__", "__0xzz__"},
		{"ü\n", "ü__0xa__"},
	} {
		if got := escapeKey(tc.key); got != tc.name {
			t.Errorf("escapeKey(%q) = %q; want %q", tc.key, got, tc.name)
		}
		if got := unescapeKey(tc.name); got != tc.key {
			t.Errorf("unescapeKey(%q) = %q; want %q", tc.name, got, tc.key)
		}
	}
}

// FuzzEscapeKey checks that an escaped key is a name Cloud Storage takes
// and that keys without "_" come back whole.
func FuzzEscapeKey(f *testing.F) {
	for _, s := range []string{"a\nb", "../", "__0x41__", "x/y.zip", "\r\r../..\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if !utf8.ValidString(key) {
			return
		}
		name := escapeKey(key)
		if strings.ContainsAny(name, "\r\n") || strings.Contains(name, "../") {
			t.Fatalf("escapeKey(%q) = %q: has a newline, a carriage return or ../", key, name)
		}
		if !strings.Contains(key, "_") {
			if back := unescapeKey(name); back != key {
				t.Fatalf("unescapeKey(escapeKey(%q)) = %q", key, back)
			}
		}
	})
}

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want gcerrors.ErrorCode
	}{
		{&Error{Status: 400}, gcerrors.InvalidArgument},
		{&Error{Status: 401}, gcerrors.PermissionDenied},
		{&Error{Status: 403}, gcerrors.PermissionDenied},
		{&Error{Status: 404}, gcerrors.NotFound},
		{fmt.Errorf("wrapped: %w", &Error{Status: 404}), gcerrors.NotFound},
		{&Error{Status: 408}, gcerrors.DeadlineExceeded},
		{&Error{Status: 412}, gcerrors.FailedPrecondition},
		{&Error{Status: 416}, gcerrors.InvalidArgument},
		{&Error{Status: 429}, gcerrors.ResourceExhausted},
		{&Error{Status: 409}, gcerrors.Unknown},
		{&Error{Status: 500}, gcerrors.Internal},
		{&Error{Status: 501}, gcerrors.Unimplemented},
		{&Error{Status: 503}, gcerrors.Internal},
		{&Error{Status: 504}, gcerrors.DeadlineExceeded},
		{errEmptyKey, gcerrors.NotFound},
		{context.Canceled, gcerrors.Canceled},
		{fmt.Errorf("get: %w", context.DeadlineExceeded), gcerrors.DeadlineExceeded},
		{errors.New("dial tcp: connection refused"), gcerrors.Unknown},
	} {
		if got := errorCode(tc.err); got != tc.want {
			t.Errorf("errorCode(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		status      int
		body, want  string
		wantReason  string
		contentType string
	}{
		{404, `{"error":{"code":404,"message":"No such object: b/k","errors":[{"message":"No such object: b/k","domain":"global","reason":"notFound"}]}}`, "gcs: No such object: b/k (HTTP 404 notFound)", "notFound", "application/json"},
		{403, `{"error":{"code":403,"message":"x@y does not have storage.objects.get access"}}`, "gcs: x@y does not have storage.objects.get access (HTTP 403)", "", "application/json"},
		{404, "No such object: b/k", "gcs: No such object: b/k (HTTP 404)", "", "text/plain"},
		{502, "<html><body>Bad gateway</body></html>", "gcs: Bad Gateway (HTTP 502)", "", "text/html"},
		{500, "", "gcs: Internal Server Error (HTTP 500)", "", ""},
	} {
		res := &http.Response{StatusCode: tc.status, Body: http.NoBody, Header: http.Header{"Content-Type": {tc.contentType}}}
		if tc.body != "" {
			res.Body = nopCloser{strings.NewReader(tc.body)}
		}
		e := responseError(res)
		if e.Error() != tc.want || e.Reason != tc.wantReason || e.Status != tc.status {
			t.Errorf("responseError(%d %q) = %q (reason %q); want %q (reason %q)", tc.status, tc.body, e.Error(), e.Reason, tc.want, tc.wantReason)
		}
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func TestParsePageToken(t *testing.T) {
	for _, tc := range []struct {
		token  string
		server string
		skip   int
	}{
		{"", "", 0},
		{"CgRhYmNk", "CgRhYmNk", 0},
		{cutTokenMark + "3:", "", 3},
		{cutTokenMark + "1000:CgRhYmNk", "CgRhYmNk", 1000},
		{cutTokenMark + "-1:x", "x", 0},
		{cutTokenMark + "x", "", 0},
	} {
		server, skip := parsePageToken([]byte(tc.token))
		if server != tc.server || skip != tc.skip {
			t.Errorf("parsePageToken(%q) = %q, %d; want %q, %d", tc.token, server, skip, tc.server, tc.skip)
		}
	}
}

func TestParseCRC32C(t *testing.T) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], 0xdeadbeef)
	enc := base64.StdEncoding.EncodeToString(b[:])
	for _, tc := range []struct {
		values []string
		want   uint32
		ok     bool
	}{
		{[]string{"crc32c=" + enc + ",md5=XrY7u+Ae7tCTyyK7j1rNww=="}, 0xdeadbeef, true},
		{[]string{"md5=XrY7u+Ae7tCTyyK7j1rNww==", "crc32c=" + enc}, 0xdeadbeef, true},
		{[]string{"md5=XrY7u+Ae7tCTyyK7j1rNww== , crc32c=" + enc}, 0xdeadbeef, true},
		{[]string{"md5=XrY7u+Ae7tCTyyK7j1rNww=="}, 0, false},
		{[]string{"crc32c=!!"}, 0, false},
		{[]string{"crc32c=AAAA"}, 0, false},
		{nil, 0, false},
	} {
		h := http.Header{}
		for _, v := range tc.values {
			h.Add("X-Goog-Hash", v)
		}
		if got, ok := parseCRC32C(h); got != tc.want || ok != tc.ok {
			t.Errorf("parseCRC32C(%q) = %08x, %v; want %08x, %v", tc.values, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseHeaders feeds the parsers of the service's answers anything:
// they never panic.
func FuzzParseHeaders(f *testing.F) {
	f.Add("crc32c=3q2+7w==,md5=XrY7u+Ae7tCTyyK7j1rNww==", cutTokenMark+"2:abc")
	f.Fuzz(func(t *testing.T, hash, token string) {
		parseCRC32C(http.Header{"X-Goog-Hash": {hash}})
		if _, skip := parsePageToken([]byte(token)); skip < 0 {
			t.Fatalf("parsePageToken(%q) gave a negative skip", token)
		}
	})
}

func TestOpenBucketErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *Options
		want string
	}{
		{"", nil, "no bucket name"},
		{"b", &Options{Endpoint: "ftp://host"}, "not an http or https URL"},
		{"b", &Options{Endpoint: "localhost:4443"}, "not an http or https URL"},
	} {
		if _, err := OpenBucket(context.Background(), tc.name, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenBucket(%q, %+v) = %v; want an error containing %q", tc.name, tc.opts, err, tc.want)
		}
	}
}
