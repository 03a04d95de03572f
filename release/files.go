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

// hashFile reads the finished file at slash path rel in dist once, for its
// SHA-256 and size.
func hashFile(dist, rel string, kind shipline.ArtifactKind) (shipline.Artifact, error) {
	a := shipline.Artifact{Name: path.Base(rel), Path: rel, Kind: kind}
	f, err := os.Open(filepath.Join(dist, filepath.FromSlash(rel)))
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
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return shipline.Artifact{}, err
	}
	if err := writeFileAtomic(p, data); err != nil {
		return shipline.Artifact{}, err
	}
	return hashFile(dist, rel, kind)
}
