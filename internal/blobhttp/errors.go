package blobhttp

import (
	"context"
	"errors"
	"net/http"

	"gocloud.dev/gcerrors"
)

// CodeError is an error of a driver itself, such as a call it cannot
// make: it is not sent to the service, and ErrorCode gives its Code.
type CodeError struct {
	// Prefix names the driver in the message, such as "gcs".
	Prefix string
	// Code is gocloud's code of the error.
	Code gcerrors.ErrorCode
	// Msg says what went wrong.
	Msg string
}

func (e *CodeError) Error() string { return e.Prefix + ": " + e.Msg }

// ErrorCode maps what every driver maps alike: a *CodeError to its code,
// and context.Canceled and context.DeadlineExceeded to theirs. ok is
// false for any other error, which the driver maps itself.
func ErrorCode(err error) (code gcerrors.ErrorCode, ok bool) {
	var c *CodeError
	switch {
	case errors.As(err, &c):
		return c.Code, true
	case errors.Is(err, context.Canceled):
		return gcerrors.Canceled, true
	case errors.Is(err, context.DeadlineExceeded):
		return gcerrors.DeadlineExceeded, true
	}
	return gcerrors.Unknown, false
}

// StatusCode maps the HTTP status of an error answer to gocloud's code as
// every driver does: 400 and 416 InvalidArgument, 401 and 403
// PermissionDenied, 404 NotFound, 412 FailedPrecondition, 429
// ResourceExhausted, 501 Unimplemented, 408 and 504 DeadlineExceeded,
// another 5xx Internal, anything else Unknown. A driver maps the statuses
// it treats otherwise (such as 409) before it calls StatusCode.
func StatusCode(status int) gcerrors.ErrorCode {
	switch status {
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
	if status >= 500 {
		return gcerrors.Internal
	}
	return gcerrors.Unknown
}

// ErrorAs implements driver.Bucket.ErrorAs for a driver whose service
// answers are *E: it reports whether i is a **E and err holds one, and
// then sets *i.
func ErrorAs[E error](err error, i any) bool {
	p, ok := i.(*E)
	if !ok {
		return false
	}
	return errors.As(err, p)
}
