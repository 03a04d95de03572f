// Package store reads files by name.
package store

import "os"

// Load reads the file at a path the caller chooses.
func Load(path string) ([]byte, error) {
	return os.ReadFile(path) // G304 (medium): path from a variable
}
