// Package blobhttp is the plumbing Shipline's REST blob drivers
// (internal/gcsblob, internal/s3blob, internal/azblob) share: gocloud's
// "__0x<hex>__" escaping of keys and metadata, sending a request with
// retries and exponential backoff, the mapping of an HTTP status to a
// gocloud error code, the driver.Reader of an answer's body, and the
// chunking of a writer's bytes.
//
// Each driver keeps for itself what is its service's: which runes its
// keys and metadata escape, how a request is made, signed and authorized,
// the service's error documents and error codes (mapped before the status
// is), whether a read is checked against a hash, and how chunks are sent
// and an upload is committed.
package blobhttp
