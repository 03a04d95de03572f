package s3blob

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// Error is an error answer of the S3 service: its HTTP status and what
// the service said. blob.Bucket.ErrorAs gives it as **Error.
type Error struct {
	// Status is the HTTP status code, such as 404.
	Status int
	// Code is the S3 error code, such as "NoSuchKey" or "SlowDown"; empty
	// for an answer without a body (to a HEAD request).
	Code string
	// Message is the service's message, or the status text.
	Message string
	// RequestID is the service's x-amz-request-id, when it gave one.
	RequestID string
	// Region is the bucket's region when the service said it (in the
	// x-amz-bucket-region header or the error's Region), which matters
	// when it is not the region the request was signed for.
	Region string
}

func (e *Error) Error() string { return "s3: " + e.describe() }

func (e *Error) describe() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code + ": ")
	}
	b.WriteString(e.Message)
	fmt.Fprintf(&b, " (HTTP %d", e.Status)
	if e.RequestID != "" {
		b.WriteString(", request ID " + e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// codeError returns an error of the driver itself, such as a call it cannot
// make: nothing is sent to the service, and errorCode gives code.
func codeError(code gcerrors.ErrorCode, msg string) error {
	return &blobhttp.CodeError{Prefix: "s3", Code: code, Msg: msg}
}

// errorCode maps an error of the driver to gocloud's code: from the S3
// error code when the service gave one, else from the HTTP status.
func errorCode(err error) gcerrors.ErrorCode {
	if code, ok := blobhttp.ErrorCode(err); ok {
		return code
	}
	var e *Error
	var ce *credentialError
	switch {
	case errors.As(err, &ce):
		return credentialErrorCode
	case !errors.As(err, &e):
		return gcerrors.Unknown
	}
	switch e.Code {
	case "NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchUpload", "NoSuchVersion", "ObjectNotInActiveTierError":
		return gcerrors.NotFound
	case "AccessDenied", "Forbidden", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch",
		"ExpiredToken", "InvalidToken", "TokenRefreshRequired", "AccountProblem", "InvalidSecurity", "RequestTimeTooSkewed":
		return gcerrors.PermissionDenied
	case "PreconditionFailed", "ConditionalRequestConflict":
		return gcerrors.FailedPrecondition
	case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "TooManyRequestsException":
		return gcerrors.ResourceExhausted
	case "InvalidArgument", "InvalidRange", "InvalidRequest", "InvalidDigest", "BadDigest", "KeyTooLongError",
		"EntityTooLarge", "EntityTooSmall", "InvalidBucketName", "InvalidPart", "InvalidPartOrder",
		"MetadataTooLarge", "MalformedXML", "AuthorizationHeaderMalformed", "PermanentRedirect", "IncompleteBody",
		"XAmzContentSHA256Mismatch", "InvalidObjectState":
		return gcerrors.InvalidArgument
	case "NotImplemented":
		return gcerrors.Unimplemented
	case "BucketAlreadyExists", "BucketAlreadyOwnedByYou":
		return gcerrors.AlreadyExists
	case "RequestTimeout":
		return gcerrors.DeadlineExceeded
	case "InternalError", "ServiceUnavailable":
		return gcerrors.Internal
	}
	switch e.Status {
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect:
		return gcerrors.InvalidArgument
	case http.StatusConflict:
		return gcerrors.FailedPrecondition
	}
	return blobhttp.StatusCode(e.Status)
}

// xmlError is S3's error document, and STS's inside <ErrorResponse>.
type xmlError struct {
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	RequestID string `xml:"RequestId"`
	Region    string `xml:"Region"`
	Inner     *struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
}

// parseErrorBody makes the Error of an answer's status and body.
func parseErrorBody(status int, body []byte) *Error {
	e := &Error{Status: status}
	var x xmlError
	if len(bytes.TrimSpace(body)) > 0 && xml.Unmarshal(body, &x) == nil {
		e.Code, e.Message, e.RequestID, e.Region = x.Code, x.Message, x.RequestID, x.Region
		if x.Inner != nil && e.Code == "" {
			e.Code, e.Message = x.Inner.Code, x.Inner.Message
		}
	}
	if e.Code == "" && e.Message == "" {
		if msg := strings.TrimSpace(string(body)); msg != "" && !strings.HasPrefix(msg, "<") {
			e.Message = shorten(msg)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// responseError reads an error answer and closes its body. The request
// was signed for region.
func responseError(res *http.Response, region string) *Error {
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	e := parseErrorBody(res.StatusCode, body)
	if e.RequestID == "" {
		e.RequestID = res.Header.Get("X-Amz-Request-Id")
	}
	if r := res.Header.Get("X-Amz-Bucket-Region"); r != "" {
		e.Region = r
	}
	if e.Code == "" {
		// A HEAD answer has no body: name the common cases.
		switch res.StatusCode {
		case http.StatusNotFound:
			e.Code = "NotFound"
		case http.StatusForbidden:
			e.Code = "Forbidden"
		case http.StatusPreconditionFailed:
			e.Code = "PreconditionFailed"
		}
	}
	if e.Region != "" && e.Region != region && (res.StatusCode == http.StatusMovedPermanently || res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusTemporaryRedirect) {
		e.Message = fmt.Sprintf("%s: the bucket is in region %s, not %s: add region=%s to the URL", e.Message, e.Region, region, e.Region)
	}
	return e
}

// Retries: at most maxAttempts sends of a request that may be repeated,
// waiting retryBase, then twice as long each time.
var (
	maxAttempts = 4
	retryBase   = 100 * time.Millisecond
)

// request is an S3 request, made again for each send.
type request struct {
	method string
	// key is the escaped object key; "" for a request to the bucket.
	key string
	// query is the encoded query (see encodeQuery).
	query  string
	header http.Header
	body   []byte
	// idempotent requests are sent again after a network error or an
	// answer that blobhttp.Retryable accepts.
	idempotent bool
}

// send sends r, signed, and returns the last answer whatever its status:
// the caller reads it. It retries as request.idempotent says.
func (b *bucket) send(ctx context.Context, r *request) (*http.Response, error) {
	s := blobhttp.Sender{Client: b.client, Attempts: maxAttempts, Wait: retryBase, ContextErr: true}
	return s.Send(ctx, r.idempotent, func(ctx context.Context) (*http.Request, error) {
		return b.newHTTPRequest(ctx, r)
	})
}

// newHTTPRequest makes and signs the HTTP request of r.
func (b *bucket) newHTTPRequest(ctx context.Context, r *request) (*http.Request, error) {
	var creds *Credentials
	if b.creds != nil {
		c, err := b.creds.Credentials(ctx)
		if err != nil {
			var ce *credentialError
			if !errors.As(err, &ce) {
				err = &credentialError{source: "the bucket's credentials provider", err: err}
			}
			return nil, err
		}
		creds = c
	}
	var body io.Reader = http.NoBody
	if len(r.body) > 0 {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, b.requestURL(r.key, r.query), body)
	if err != nil {
		return nil, err
	}
	if len(r.body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "shipline-s3blob")
	if creds != nil {
		hash := emptyPayloadHash
		if len(r.body) > 0 {
			hash = payloadHash(r.body)
		}
		signV4(req, creds, b.region, "s3", hash, b.now())
	}
	return req, nil
}
