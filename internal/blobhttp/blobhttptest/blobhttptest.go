// Package blobhttptest runs gocloud's driver conformance suite
// (gocloud.dev/blob/drivertest) against Shipline's REST blob drivers:
// the harness and the As test the three drivers share. Each driver's
// tests keep starting their own emulator and checking what is the
// service's.
package blobhttptest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/drivertest"
)

// Harness is a drivertest.Harness of a driver that exposes no types.
type Harness struct {
	// Open opens the driver's bucket of that name.
	Open func(name string) (driver.Bucket, error)
	// Bucket is the name of a bucket that exists; Nonexistent of one
	// that does not.
	Bucket, Nonexistent string
	// NonSlashDelimiters: the server cuts keys at a delimiter of several
	// characters, as the real services do (the emulators do not).
	NonSlashDelimiters bool
}

var _ drivertest.Harness = (*Harness)(nil)

// MakeDriver implements drivertest.Harness: it opens h.Bucket.
func (h *Harness) MakeDriver(context.Context) (driver.Bucket, error) { return h.Open(h.Bucket) }

// MakeDriverForNonexistentBucket implements drivertest.Harness: it opens
// h.Nonexistent.
func (h *Harness) MakeDriverForNonexistentBucket(context.Context) (driver.Bucket, error) {
	return h.Open(h.Nonexistent)
}

// HTTPClient implements drivertest.Harness: signed URLs are not tested.
func (h *Harness) HTTPClient() *http.Client { return nil }

// SupportsCopy implements drivertest.Harness: every driver copies.
func (h *Harness) SupportsCopy() bool { return true }

// SupportsNonSlashDelimiters implements drivertest.Harness.
func (h *Harness) SupportsNonSlashDelimiters() bool { return h.NonSlashDelimiters }

// Close implements drivertest.Harness; the harness holds nothing.
func (h *Harness) Close() {}

// Run runs gocloud's conformance suite against h, with an ErrorAsTest
// whose Check checks the service's answer to a read of a missing key.
func Run[E error](t *testing.T, h *Harness, check func(E) error) {
	t.Helper()
	drivertest.RunConformanceTests(t, func(context.Context, *testing.T) (drivertest.Harness, error) {
		return h, nil
	}, []drivertest.AsTest{ErrorAsTest[E]{Check: check}})
}

// ErrorAsTest is a drivertest.AsTest of a driver that exposes no types
// and gives the service's error answers as E through ErrorAs.
type ErrorAsTest[E error] struct {
	// Check checks the E of a read of a missing key, such as its status.
	Check func(E) error
}

// Name implements drivertest.AsTest.
func (ErrorAsTest[E]) Name() string { return fmt.Sprintf("ErrorAs gives %T", *new(E)) }

// BucketCheck implements drivertest.AsTest: Bucket.As gives nothing.
func (ErrorAsTest[E]) BucketCheck(b *blob.Bucket) error {
	var c *http.Client
	if b.As(&c) {
		return errors.New("Bucket.As gave a driver type; want none")
	}
	return nil
}

// ErrorCheck implements drivertest.AsTest: ErrorAs gives an E that
// a.Check accepts.
func (a ErrorAsTest[E]) ErrorCheck(b *blob.Bucket, err error) error {
	var e E
	if !b.ErrorAs(err, &e) {
		return fmt.Errorf("ErrorAs(%v, %T) = false; want true", err, e)
	}
	return a.Check(e)
}

// BeforeRead implements drivertest.AsTest.
func (ErrorAsTest[E]) BeforeRead(func(any) bool) error { return nil }

// BeforeWrite implements drivertest.AsTest.
func (ErrorAsTest[E]) BeforeWrite(func(any) bool) error { return nil }

// BeforeCopy implements drivertest.AsTest.
func (ErrorAsTest[E]) BeforeCopy(func(any) bool) error { return nil }

// BeforeDelete implements drivertest.AsTest.
func (ErrorAsTest[E]) BeforeDelete(func(any) bool) error { return nil }

// BeforeList implements drivertest.AsTest.
func (ErrorAsTest[E]) BeforeList(func(any) bool) error { return nil }

// BeforeSign implements drivertest.AsTest.
func (ErrorAsTest[E]) BeforeSign(func(any) bool) error { return nil }

// AttributesCheck implements drivertest.AsTest.
func (ErrorAsTest[E]) AttributesCheck(*blob.Attributes) error { return nil }

// ReaderCheck implements drivertest.AsTest.
func (ErrorAsTest[E]) ReaderCheck(*blob.Reader) error { return nil }

// ListObjectCheck implements drivertest.AsTest.
func (ErrorAsTest[E]) ListObjectCheck(*blob.ListObject) error { return nil }
