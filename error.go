package shipline

import (
	"errors"
	"fmt"
)

// Error codes: a small closed set, mapped once to exit statuses (ExitCode)
// and, later, to HTTP statuses.
const (
	ECONFLICT     = "conflict"     // the action conflicts with existing state
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EINVALID      = "invalid"      // bad input: config, flags, arguments, data
	ENOTFOUND     = "not_found"    // a named thing does not exist
	EUNAUTHORIZED = "unauthorized" // the caller may not do this
	EUSAGE        = "usage"        // the command line itself is wrong
)

// Error is Shipline's application error. Message is written for a person:
// what went wrong, where, and what to do about it.
type Error struct {
	Code    string
	Message string
	Err     error // optional underlying cause, not shown to API callers
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
// A %w verb in format also records the wrapped error as the cause.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ExitCode maps an error to the process exit status: 0 for nil, 2 for a
// usage error, 1 for everything else.
func ExitCode(err error) int {
	switch ErrorCode(err) {
	case "":
		return 0
	case EUSAGE:
		return 2
	}
	return 1
}
