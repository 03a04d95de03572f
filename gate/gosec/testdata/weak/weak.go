// Package weak has issues gosec finds, at known lines.
package weak

import (
	"crypto/md5" // G501 (medium): blocklisted import
	"os"
)

// Sum hashes b with MD5.
func Sum(b []byte) []byte {
	h := md5.New() // G401 (medium): weak hash
	h.Write(b)
	return h.Sum(nil)
}

// Key is a cache key: MD5 is fine here, and the comment says why.
func Key(b []byte) [16]byte {
	return md5.Sum(b) // #nosec G401 -- cache key, not a security boundary
}

// Bare suppresses without a reason.
func Bare(b []byte) [16]byte {
	return md5.Sum(b) // #nosec
}

// Cleanup ignores an error.
func Cleanup(name string) {
	os.Remove(name) // G104 (low): error not checked
}
