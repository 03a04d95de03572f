package gcsblob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// Error is an error answer of Cloud Storage: its HTTP status and what the
// service said. blob.Bucket.ErrorAs gives it as **Error.
type Error struct {
	// Status is the HTTP status code, such as 404.
	Status int
	// Reason is the service's reason code when it gave one, such as
	// "notFound" or "conditionNotMet".
	Reason string
	// Message is the service's message, or the status text.
	Message string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("gcs: %s (HTTP %d", e.Message, e.Status)
	if e.Reason != "" {
		s += " " + e.Reason
	}
	return s + ")"
}

// codeError returns an error of the driver itself, such as a call it cannot
// make: nothing is sent to the service, and errorCode gives code.
func codeError(code gcerrors.ErrorCode, msg string) error {
	return &blobhttp.CodeError{Prefix: "gcs", Code: code, Msg: msg}
}

// errorCode maps an error of the driver to gocloud's code, from the HTTP
// status for an answer of the service.
func errorCode(err error) gcerrors.ErrorCode {
	if code, ok := blobhttp.ErrorCode(err); ok {
		return code
	}
	var e *Error
	if !errors.As(err, &e) {
		return gcerrors.Unknown
	}
	return blobhttp.StatusCode(e.Status)
}

// responseError reads an error answer and closes its body.
func responseError(res *http.Response) *Error {
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	e := &Error{Status: res.StatusCode}
	var j struct {
		Error struct {
			Message string `json:"message"`
			Errors  []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &j) == nil && j.Error.Message != "" {
		e.Message = j.Error.Message
		if len(j.Error.Errors) > 0 {
			e.Reason = j.Error.Errors[0].Reason
		}
	} else if msg := strings.TrimSpace(string(body)); msg != "" && !strings.HasPrefix(msg, "<") {
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		e.Message = msg
	}
	if e.Message == "" {
		e.Message = http.StatusText(res.StatusCode)
	}
	return e
}

// Retries: at most maxAttempts sends of a request that may be repeated,
// waiting retryBase, then twice as long each time.
var (
	maxAttempts = 4
	retryBase   = 100 * time.Millisecond
)

// send sends the request that newReq makes with ctx, again when
// idempotent as blobhttp.Sender.Send does. It returns the last answer
// whatever its status: the caller reads it.
func (b *bucket) send(ctx context.Context, idempotent bool, newReq func(context.Context) (*http.Request, error)) (*http.Response, error) {
	s := blobhttp.Sender{Client: b.client, UserAgent: "shipline-gcsblob", Attempts: maxAttempts, Wait: retryBase}
	return s.Send(ctx, idempotent, newReq)
}
