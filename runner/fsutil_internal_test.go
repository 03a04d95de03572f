package runner

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestRemoveAllReadOnly checks that removeAll removes a tree with
// read-only directories, as Go's module cache leaves them, and does not
// change the mode of a directory outside it that a symbolic link in the
// tree points to.
func TestRemoveAllReadOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("directory modes do not stop removal on Windows")
	}
	outside := t.TempDir()
	if err := os.Chmod(outside, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(outside, 0o700) })

	dir := filepath.Join(t.TempDir(), "home")
	ro := filepath.Join(dir, "pkg", "mod", "example.com", "m@v1.0.0")
	if err := os.MkdirAll(ro, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ro, "go.mod"), []byte("module example.com/m\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "pkg", "link")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{ro, filepath.Dir(ro), filepath.Join(dir, "pkg", "mod")} {
		if err := os.Chmod(d, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	if os.RemoveAll(dir) == nil {
		t.Skip("read-only directories do not stop removal here (running as root?)")
	}

	if err := removeAll(dir); err != nil {
		t.Fatalf("removeAll: %v", err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("after removeAll, Lstat(%s) = %v; want it gone", dir, err)
	}
	fi, err := os.Stat(outside)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o555 {
		t.Errorf("the directory a link pointed to has mode %v, want it unchanged (0555)", got)
	}
}
