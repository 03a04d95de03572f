package blobhttp

// NoAs is the AsFunc of everything a driver hands gocloud (attributes,
// list objects, the Before* hooks): the drivers expose no service types.
func NoAs(any) bool { return false }

// Stubs are the driver.Bucket methods that are the same in every driver
// whose service answers are *E: As exposes no types, ErrorAs finds an *E,
// Close has nothing to release. A driver embeds Stubs[*Error].
type Stubs[E error] struct{}

// As implements driver.Bucket: the driver exposes no types.
func (Stubs[E]) As(any) bool { return false }

// ErrorAs implements driver.Bucket: an answer of the service is an E.
func (Stubs[E]) ErrorAs(err error, i any) bool { return ErrorAs[E](err, i) }

// Close implements driver.Bucket; the bucket holds nothing to release.
func (Stubs[E]) Close() error { return nil }
