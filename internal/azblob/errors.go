package azblob

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// Error is an error answer of the Blob service: its HTTP status and what
// the service said. blob.Bucket.ErrorAs gives it as **Error.
type Error struct {
	// Status is the HTTP status code, such as 404.
	Status int
	// Code is the service's error code (x-ms-error-code), such as
	// "BlobNotFound" or "ConditionNotMet"; empty when it gave none.
	Code string
	// Message is the service's message, or the status text.
	Message string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("azblob: %s (HTTP %d", e.Message, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	return s + ")"
}

// codeError returns an error of the driver itself, such as a call it cannot
// make: nothing is sent to the service, and errorCode gives code.
func codeError(code gcerrors.ErrorCode, msg string) error {
	return &blobhttp.CodeError{Prefix: "azblob", Code: code, Msg: msg}
}

// errorCode maps an error of the driver to gocloud's code: from the
// service's error code when it is one the driver knows, else from the HTTP
// status.
func errorCode(err error) gcerrors.ErrorCode {
	if code, ok := blobhttp.ErrorCode(err); ok {
		return code
	}
	var e *Error
	var te *TokenError
	var dns *net.DNSError
	switch {
	case errors.As(err, &te):
		return gcerrors.PermissionDenied
	case errors.As(err, &dns) && dns.IsNotFound:
		// An account that does not exist has no host name.
		return gcerrors.NotFound
	case !errors.As(err, &e):
		return gcerrors.Unknown
	}
	switch e.Code {
	case "BlobNotFound", "ContainerNotFound", "ResourceNotFound", "CannotVerifyCopySource":
		if e.Status == http.StatusNotFound {
			return gcerrors.NotFound
		}
	case "AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch",
		"InsufficientAccountPermissions", "AuthorizationSourceIPMismatch", "AuthorizationProtocolMismatch":
		return gcerrors.PermissionDenied
	case "BlobAlreadyExists", "ConditionNotMet", "TargetConditionNotMet", "SourceConditionNotMet":
		return gcerrors.FailedPrecondition
	case "InvalidRange", "Md5Mismatch", "InvalidMd5", "InvalidBlockList", "InvalidBlockId", "InvalidQueryParameterValue", "InvalidHeaderValue", "InvalidResourceName":
		return gcerrors.InvalidArgument
	case "ServerBusy", "OperationTimedOut":
		return gcerrors.ResourceExhausted
	}
	if e.Status == http.StatusConflict {
		return gcerrors.FailedPrecondition
	}
	return blobhttp.StatusCode(e.Status)
}

// responseError reads an error answer and closes its body. The code is
// x-ms-error-code, or the XML body's when the header is missing (a HEAD
// answer has no body).
func responseError(res *http.Response) *Error {
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	e := parseErrorBody(body)
	e.Status = res.StatusCode
	if c := res.Header.Get("X-Ms-Error-Code"); c != "" {
		e.Code = c
	}
	if e.Message == "" {
		e.Message = http.StatusText(res.StatusCode)
		if e.Code != "" {
			e.Message = e.Code
		}
	}
	return e
}

// parseErrorBody reads <Error><Code/><Message/></Error>; a body of another
// form gives its first line as the message.
func parseErrorBody(body []byte) *Error {
	e := &Error{}
	var x struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.Unmarshal(body, &x) == nil && (x.Code != "" || x.Message != "") {
		e.Code = strings.TrimSpace(x.Code)
		e.Message = firstLine(x.Message)
	} else if msg := firstLine(string(body)); msg != "" && !strings.HasPrefix(msg, "<") {
		e.Message = msg
	}
	if len(e.Message) > 300 {
		e.Message = e.Message[:300] + "..."
	}
	return e
}

// Retries: at most maxAttempts sends of a request that may be repeated,
// waiting retryBase, then twice as long each time.
var (
	maxAttempts = 4
	retryBase   = 100 * time.Millisecond
)
