package runner

import (
	"io/fs"
	"os"
)

// removeAll removes dir like os.RemoveAll, first making its directories
// writable: Go's module cache, which steps fill in their HOME, is read-only.
//
// The directories are made writable through an os.Root, so that a step
// that left a symbolic link behind, or a process of a step that swaps a
// directory for one while this runs, cannot make it change the mode of
// anything outside dir.
func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return os.RemoveAll(dir)
	}
	_ = fs.WalkDir(root.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = root.Chmod(path, 0o700)
		}
		return nil
	})
	_ = root.Close() // a directory handle: closing it loses nothing
	return os.RemoveAll(dir)
}
