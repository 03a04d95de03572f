package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/shipline-ci/shipline"
)

// Modes of what the release writes into the dist directory. The release's
// files are published for everyone to download (notes, reports, the module
// zip, the build's files), so they and their directories are readable by
// all; the journal is not published and may quote a failed step's output
// (go test's, say), so it is its owner's only.
const (
	artifactMode fs.FileMode = 0o644
	journalMode  fs.FileMode = 0o600
)

// mkdirDist creates dir, a directory of the dist directory (or the dist
// directory itself), and its parents.
func mkdirDist(dir string) error {
	return os.MkdirAll(dir, 0o755) // #nosec G301 -- the dist directory holds the release's files, published for everyone (see artifactMode)
}

// hashFile reads the finished file at slash path rel in dist once, for its
// SHA-256 and size. rel must be a path inside dist: the paths of a resumed
// release come from its journal, a file that is read back.
func hashFile(dist, rel string, kind shipline.ArtifactKind) (shipline.Artifact, error) {
	a := shipline.Artifact{Name: path.Base(rel), Path: rel, Kind: kind}
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return a, shipline.Errorf(shipline.EINVALID, "%q is not a path inside the dist directory", rel)
	}
	f, err := os.Open(filepath.Join(dist, filepath.FromSlash(rel))) // #nosec G304 -- a file of the release's dist directory; rel is checked above to stay inside it
	if err != nil {
		return a, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return a, fmt.Errorf("hash %s: %w", rel, err)
	}
	a.SHA256, a.Size = hex.EncodeToString(h.Sum(nil)), n
	return a, nil
}

// checkUnchanged returns an ECONFLICT error, naming the first, when a file
// of arts in dist is missing or no longer has its recorded size and
// SHA-256: files are never changed after they are hashed, so a later step
// must not build on one that was.
func checkUnchanged(dist string, arts ...shipline.Artifact) error {
	for _, a := range arts {
		got, err := hashFile(dist, a.Path, a.Kind)
		if errors.Is(err, fs.ErrNotExist) {
			return shipline.Errorf(shipline.ECONFLICT, "%s is gone from the dist directory since an earlier run made it: pass --restart to start the release over", a.Path)
		}
		if err != nil {
			return err
		}
		if got.SHA256 != a.SHA256 || got.Size != a.Size {
			return shipline.Errorf(shipline.ECONFLICT, "%s changed since an earlier run made it (sha256 %s, %d bytes; now %s, %d bytes): a file is never changed after it is hashed; pass --restart to start the release over",
				a.Path, a.SHA256, a.Size, got.SHA256, got.Size)
		}
	}
	return nil
}

// writeArtifact writes data to the slash path rel in dist atomically, and
// returns it as an artifact of kind.
func writeArtifact(dist, rel string, kind shipline.ArtifactKind, data []byte) (shipline.Artifact, error) {
	p := filepath.Join(dist, filepath.FromSlash(rel))
	if err := mkdirDist(filepath.Dir(p)); err != nil {
		return shipline.Artifact{}, err
	}
	if err := writeFileAtomic(p, data, artifactMode); err != nil {
		return shipline.Artifact{}, err
	}
	return hashFile(dist, rel, kind)
}
