package blobhttp

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Sender sends a driver's requests, again after a failure that may pass.
type Sender struct {
	// Client sends the requests.
	Client *http.Client
	// UserAgent, when not "", is set on every request after it is made.
	UserAgent string
	// Attempts is the most sends of an idempotent request (at least one).
	Attempts int
	// Wait is the wait before the second send; it doubles each time.
	Wait time.Duration
	// ContextErr: a network error after the context ended is returned as
	// the context's error rather than the client's.
	ContextErr bool
}

// Retryable reports whether an answer with status may succeed when the
// request is sent again: 408, 429 and every 5xx.
func Retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// Send sends the request that newReq makes with ctx. When idempotent it
// sends it again, a new request each time, after a network error or an
// answer that Retryable accepts, up to s.Attempts sends, waiting s.Wait,
// then twice as long each time. It returns the last answer whatever its
// status (the caller reads and closes it), or newReq's error, the
// client's error, or ctx's error when ctx ends during a wait.
func (s Sender) Send(ctx context.Context, idempotent bool, newReq func(context.Context) (*http.Request, error)) (*http.Response, error) {
	wait := s.Wait
	for attempt := 1; ; attempt++ {
		req, err := newReq(ctx)
		if err != nil {
			return nil, err
		}
		if s.UserAgent != "" {
			req.Header.Set("User-Agent", s.UserAgent)
		}
		res, err := s.Client.Do(req)
		last := !idempotent || attempt >= s.Attempts
		if err == nil && (last || !Retryable(res.StatusCode)) {
			return res, nil
		}
		if err != nil && (last || ctx.Err() != nil) {
			if s.ContextErr && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if res != nil {
			_ = Drain(res)
		}
		if err := Sleep(ctx, wait); err != nil {
			return nil, err
		}
		wait *= 2
	}
}

// Drain reads what is left of an answer's body, up to 64 KiB (so that its
// connection may be reused), and closes it.
func Drain(res *http.Response) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.Body.Close()
}

// Sleep waits d, or until ctx ends: then it returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
