// Package attest seals and attests the artifacts of a build. Its Attester
// provides three hooks of build.Options:
//
//   - Seal, before a binary is hashed: signs Windows binaries with
//     Authenticode (through a function the caller gives, as that runs a
//     program) and appends a signed trailer to ELF binaries
//     (sign.EmbedELF), so that a binary taken out of its archive still
//     carries its signature.
//   - AttachTarget, as soon as a target's binary and archive are hashed,
//     while other targets build: a CycloneDX SBOM of the binary
//     (NAME.sbom.cdx.json beside it), and a detached cosign-compatible
//     signature NAME.sig beside the binary, the archive and the SBOM.
//   - Attach, after checksums.txt is written: the signature of
//     checksums.txt, whatever SBOMs and signatures AttachTarget did not
//     make (all of them when it did not run), several at a time, and SLSA
//     v1 provenance over every binary, archive, SBOM and checksums.txt: a
//     DSSE envelope, provenance.intoto.jsonl, when signing, else the bare
//     in-toto statement, provenance.intoto.json.
//
// Every file they write is new; before one signs a file, it checks that
// the bytes it signs are those the build hashed. Signatures are
// deterministic (package sign), SBOMs take the commit's time and
// provenance no times at all, so a signed build is as reproducible as an
// unsigned one. Like package build, they sync no file: each file is listed
// with its SHA-256 in artifacts.json, which finds a file that a crash lost,
// and attesting the same build again writes the same bytes.
//
// The package reads and writes files only; it runs no program.
package attest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/provenance"
	"github.com/shipline-ci/shipline/sbom"
	"github.com/shipline-ci/shipline/sign"
)

// Names of the files Attach writes: suffixes added to the name of the file
// covered, and the provenance files at the top of the dist directory.
const (
	SignatureSuffix = ".sig"
	SBOMSuffix      = ".sbom.cdx.json"
	// ProvenanceFile holds the signed DSSE envelope of the provenance
	// statement, on one line: an .intoto.jsonl file as slsa-verifier and
	// 'cosign verify-blob-attestation' read it.
	ProvenanceFile = "provenance.intoto.jsonl"
	// StatementFile holds the provenance statement when there is no key
	// to sign it with.
	StatementFile = "provenance.intoto.json"
)

// Attester seals binaries and attaches signatures, SBOMs and provenance.
// The zero Attester does nothing.
type Attester struct {
	// Signer signs: ELF trailers (with Embed), detached signatures and
	// the provenance envelope. Nil signs nothing, and the provenance is
	// an unsigned statement.
	Signer sign.Signer
	// Embed appends a signed trailer to every ELF binary (with Signer).
	Embed bool
	// Authenticode, if not nil, signs a Windows binary in place; it runs
	// before Embed would and must leave a PE file.
	Authenticode func(ctx context.Context, path string) error
	// SBOM writes a CycloneDX SBOM of every binary.
	SBOM bool
	// Provenance, if not nil, describes the build for the provenance
	// statement over every artifact; nil writes none.
	Provenance *provenance.Params
	// Created is the time recorded in SBOMs: the commit's, so that they
	// are reproducible. The zero time records none.
	Created time.Time
}

// Seal is build.Options.Seal: it signs the binary at path, built for t,
// in place, with Authenticode for windows (when configured) and with a
// signed trailer when the file is ELF (with Embed and a Signer). Other
// binaries are left as they are. It checks the trailer it embedded.
func (a *Attester) Seal(ctx context.Context, path string, t shipline.Target) error {
	if t.OS == "windows" && a.Authenticode != nil {
		if err := a.Authenticode(ctx, path); err != nil {
			return fmt.Errorf("authenticode: %w", err)
		}
	}
	if !a.Embed || a.Signer == nil {
		return nil
	}
	data, err := os.ReadFile(path) // #nosec G304 -- the binary the build just wrote into its dist directory
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(data, []byte("\x7fELF")) {
		return nil
	}
	signed, err := sign.EmbedELF(ctx, a.Signer, data)
	if err != nil {
		return err
	}
	v, err := sign.NewVerifier(a.Signer.Public())
	if err != nil {
		return err
	}
	if err := sign.VerifyELF(v, signed); err != nil {
		return fmt.Errorf("the embedded signature does not verify: %w", err)
	}
	return replace(path, signed)
}

// replace swaps data in for the file at name, keeping its mode: it writes
// a temporary file beside it and renames it over the original, so that
// the binary is never seen half written.
func replace(name string, data []byte) (err error) {
	info, err := os.Stat(name)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".seal-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp) // best effort: the error that matters is err
		}
	}()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(info.Mode().Perm())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// AttachTarget is build.Options.AttachTarget: for the artifacts of one
// target (its binary and archive), it writes into dist the binary's SBOM
// (with SBOM) and a detached signature of each of them (with a Signer),
// while other targets build, and returns their artifacts. Errors are
// Attach's.
func (a *Attester) AttachTarget(ctx context.Context, dist string, arts []shipline.Artifact) ([]shipline.Artifact, error) {
	var made []shipline.Artifact
	if a.SBOM {
		for _, b := range arts {
			if b.Kind != shipline.KindBinary {
				continue
			}
			s, err := a.writeSBOM(dist, b)
			if err != nil {
				return nil, err
			}
			made = append(made, s)
		}
	}
	if a.Signer != nil {
		for _, c := range append(slices.Clone(arts), made...) {
			s, err := a.writeSignature(ctx, dist, c)
			if err != nil {
				return nil, err
			}
			made = append(made, s)
		}
	}
	return made, nil
}

// Attach is build.Options.Attach: it writes into dist, for the artifacts
// arts of a build (binaries, archives, checksums.txt, and what
// AttachTarget made), an SBOM per binary (with SBOM), a detached signature
// per artifact and SBOM (with a Signer) and the provenance over all but
// the signatures (with Provenance), and returns their artifacts. It makes
// only the SBOMs and signatures that arts lacks, so that it does all of it
// when AttachTarget did not run. A file that changed since it was hashed
// is an EINTERNAL error; so is a file it would write that exists.
func (a *Attester) Attach(ctx context.Context, dist string, arts []shipline.Artifact) ([]shipline.Artifact, error) {
	arts = slices.Clone(arts)
	slices.SortFunc(arts, func(x, y shipline.Artifact) int { return strings.Compare(x.Path, y.Path) })
	has := map[shipline.ArtifactKind]map[string]bool{shipline.KindSBOM: {}, shipline.KindSignature: {}}
	var covered []shipline.Artifact // what the signatures and the provenance cover
	for _, c := range arts {
		if has[c.Kind] != nil && c.Of != "" {
			has[c.Kind][c.Of] = true
		}
		if c.Kind != shipline.KindSignature {
			covered = append(covered, c)
		}
	}
	var made []shipline.Artifact

	if a.SBOM {
		var bins []shipline.Artifact
		for _, b := range arts {
			if b.Kind == shipline.KindBinary && !has[shipline.KindSBOM][b.Path] {
				bins = append(bins, b)
			}
		}
		sboms, err := each(ctx, bins, func(b shipline.Artifact) (shipline.Artifact, error) { return a.writeSBOM(dist, b) })
		if err != nil {
			return nil, err
		}
		made = append(made, sboms...)
		covered = append(covered, sboms...)
	}

	if a.Signer != nil {
		var unsigned []shipline.Artifact
		for _, c := range covered {
			if !has[shipline.KindSignature][c.Path] {
				unsigned = append(unsigned, c)
			}
		}
		sigs, err := each(ctx, unsigned, func(c shipline.Artifact) (shipline.Artifact, error) { return a.writeSignature(ctx, dist, c) })
		if err != nil {
			return nil, err
		}
		made = append(made, sigs...)
	}

	if a.Provenance != nil {
		p, err := a.provenance(ctx, dist, covered)
		if err != nil {
			return nil, err
		}
		made = append(made, p)
	}
	return made, nil
}

// writeSBOM writes the SBOM of binary b beside it and returns its
// artifact.
func (a *Attester) writeSBOM(dist string, b shipline.Artifact) (shipline.Artifact, error) {
	data, err := sbom.FromBinary(filepath.Join(dist, filepath.FromSlash(b.Path)), b, a.Created)
	if err != nil {
		return shipline.Artifact{}, err
	}
	return write(dist, b.Path+SBOMSuffix, shipline.KindSBOM, &b, data)
}

// writeSignature writes the detached signature of c beside it and returns
// its artifact.
func (a *Attester) writeSignature(ctx context.Context, dist string, c shipline.Artifact) (shipline.Artifact, error) {
	sig, err := a.signFile(ctx, dist, c)
	if err != nil {
		return shipline.Artifact{}, err
	}
	return write(dist, c.Path+SignatureSuffix, shipline.KindSignature, &c, sig)
}

// each calls f for every element of in, as many at a time as there are
// CPUs, and returns the results in the order of in, or the error of the
// first element (in that order) that failed. It stops starting calls once
// one has failed or ctx is done.
func each(ctx context.Context, in []shipline.Artifact, f func(shipline.Artifact) (shipline.Artifact, error)) ([]shipline.Artifact, error) {
	out := make([]shipline.Artifact, len(in))
	errs := make([]error, len(in))
	var (
		next   int
		failed bool
		mu     sync.Mutex
		wg     sync.WaitGroup
	)
	for range min(runtime.GOMAXPROCS(0), len(in)) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := failed || i >= len(in)
				mu.Unlock()
				if stop {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
				} else {
					out[i], errs[i] = f(in[i])
				}
				if errs[i] != nil {
					mu.Lock()
					failed = true
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// signFile returns the detached signature of the file of artifact c,
// after checking that its bytes are those that were hashed.
func (a *Attester) signFile(ctx context.Context, dist string, c shipline.Artifact) ([]byte, error) {
	f, err := os.Open(filepath.Join(dist, filepath.FromSlash(c.Path))) // #nosec G304 -- an artifact the build wrote into its dist directory
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	sig, err := sign.SignBlob(ctx, a.Signer, io.TeeReader(f, h))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", c.Path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != c.SHA256 {
		return nil, shipline.Errorf(shipline.EINTERNAL, "sign %s: its SHA-256 is %s, but it was hashed as %s: the file changed after it was hashed", c.Path, got, c.SHA256)
	}
	return sig, nil
}

// provenance writes the provenance statement of covered, signed in a
// DSSE envelope when there is a Signer, and returns its artifact. The
// subjects are named by their paths in dist, which tell the binaries of
// different targets apart.
func (a *Attester) provenance(ctx context.Context, dist string, covered []shipline.Artifact) (shipline.Artifact, error) {
	subjects := make([]shipline.Artifact, len(covered))
	for i, c := range covered {
		subjects[i] = shipline.Artifact{Name: c.Path, Path: c.Path, SHA256: c.SHA256}
	}
	st, err := provenance.Statement(subjects, *a.Provenance)
	if err != nil {
		return shipline.Artifact{}, err
	}
	name, data := StatementFile, st
	if a.Signer != nil {
		name = ProvenanceFile
		if data, err = provenance.Sign(ctx, a.Signer, st); err != nil {
			return shipline.Artifact{}, err
		}
	}
	return write(dist, name, shipline.KindProvenance, nil, append(data, '\n'))
}

// write writes data to the new file at slash path rel in dist and returns
// its artifact, hashed from data: a file of kind covering of (nil for
// none), for the same build and target.
func write(dist, rel string, kind shipline.ArtifactKind, of *shipline.Artifact, data []byte) (shipline.Artifact, error) {
	f, err := os.OpenFile(filepath.Join(dist, filepath.FromSlash(rel)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) // #nosec G302 G304 -- a new file in the dist directory: signatures, SBOMs and provenance are public release artifacts, for everyone to read
	if os.IsExist(err) {
		return shipline.Artifact{}, shipline.Errorf(shipline.EINTERNAL, "%s exists already: attach writes only new files", rel)
	} else if err != nil {
		return shipline.Artifact{}, err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return shipline.Artifact{}, fmt.Errorf("write %s: %w", rel, err)
	}
	sum := sha256.Sum256(data)
	out := shipline.Artifact{Name: path.Base(rel), Path: rel, Kind: kind, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	if of != nil {
		out.Build, out.OS, out.Arch, out.Variant, out.Of = of.Build, of.OS, of.Arch, of.Variant, of.Path
	}
	return out, nil
}
