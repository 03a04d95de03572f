package gitrepo

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Export writes the tree of rev under dir (relative to the top of the work
// tree, "" for all of it) into dest, which must exist. Files are written
// for the owner only (0600, or 0700 when executable in the tree); symbolic
// links are skipped; paths that would leave dest are refused.
func (r *Repo) Export(ctx context.Context, rev, dir, dest string) error {
	// Line endings as the go command exports a module (codehost/git.go), so
	// module zips hash the same as the checksum database's.
	args := []string{"-c", "core.autocrlf=input", "-c", "core.eol=lf", "archive", "--format=tar", "--end-of-options", rev}
	if dir != "" {
		args = append(args, dir) // --end-of-options already ends the options
	}
	cmd := r.command(ctx, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	xerr := extractTar(stdout, dest)
	if xerr != nil {
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	if xerr != nil {
		return xerr
	}
	if werr != nil {
		return &GitError{Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: werr}
	}
	return nil
}

func extractTar(rd io.Reader, dest string) error {
	tr := tar.NewReader(rd)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read git archive: %w", err)
		}
		name := filepath.FromSlash(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("git archive: refusing path %q outside the destination", h.Name)
		}
		target := filepath.Join(dest, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o750); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
				return err
			}
			// A private copy: the owner's bits only, executable if it was.
			mode := os.FileMode(0o600)
			if h.Mode&0o111 != 0 {
				mode = 0o700
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode) // #nosec G304 -- target is dest joined with a name checked by filepath.IsLocal above
			if err != nil {
				return err
			}
			_, cerr := io.Copy(f, tr) // #nosec G110 -- the stream is git archive of the repository's own tree, not outside input
			if err := f.Close(); cerr == nil {
				cerr = err
			}
			if cerr != nil {
				return cerr
			}
		}
	}
}
