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

// codeError is an error of the driver itself, such as a call it cannot
// make: it is not sent to the service.
type codeError struct {
	code gcerrors.ErrorCode
	msg  string
}

func (e *codeError) Error() string { return "gcs: " + e.msg }

// errorCode maps an error of the driver to gocloud's code, from the HTTP
// status for an answer of the service.
func errorCode(err error) gcerrors.ErrorCode {
	var e *Error
	var c *codeError
	switch {
	case errors.As(err, &c):
		return c.code
	case errors.Is(err, context.Canceled):
		return gcerrors.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return gcerrors.DeadlineExceeded
	case !errors.As(err, &e):
		return gcerrors.Unknown
	}
	switch e.Status {
	case http.StatusBadRequest, http.StatusRequestedRangeNotSatisfiable:
		return gcerrors.InvalidArgument
	case http.StatusUnauthorized, http.StatusForbidden:
		return gcerrors.PermissionDenied
	case http.StatusNotFound:
		return gcerrors.NotFound
	case http.StatusPreconditionFailed:
		return gcerrors.FailedPrecondition
	case http.StatusTooManyRequests:
		return gcerrors.ResourceExhausted
	case http.StatusNotImplemented:
		return gcerrors.Unimplemented
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return gcerrors.DeadlineExceeded
	}
	if e.Status >= 500 {
		return gcerrors.Internal
	}
	return gcerrors.Unknown
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

// retryable reports whether an answer with status may succeed when the
// request is sent again.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// Retries: at most maxAttempts sends of a request that may be repeated,
// waiting retryBase, then twice as long each time.
var (
	maxAttempts = 4
	retryBase   = 100 * time.Millisecond
)

// send sends the request that newReq makes with ctx. When idempotent it
// sends it again, a new request each time, after a network error or an
// answer that retryable accepts, up to maxAttempts. It returns the last
// answer whatever its status: the caller reads it.
func (b *bucket) send(ctx context.Context, idempotent bool, newReq func(context.Context) (*http.Request, error)) (*http.Response, error) {
	wait := retryBase
	for attempt := 1; ; attempt++ {
		req, err := newReq(ctx)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", "shipline-gcsblob")
		res, err := b.client.Do(req)
		last := !idempotent || attempt >= maxAttempts
		if err == nil && (last || !retryable(res.StatusCode)) {
			return res, nil
		}
		if err != nil && (last || ctx.Err() != nil) {
			return nil, err
		}
		if res != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			_ = res.Body.Close()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait *= 2
	}
}
