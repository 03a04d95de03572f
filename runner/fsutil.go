package runner

import (
	"io/fs"
	"os"
	"path/filepath"
)

// removeAll removes dir like os.RemoveAll, first making its directories
// writable: Go's module cache, which steps fill in their HOME, is read-only.
func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
