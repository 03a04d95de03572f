package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/shipline-ci/shipline"
)

// The trailer EmbedELF appends; see the package documentation.
const (
	trailerMagic  = "SHIPLINE-SIG-V1\n"
	footerSize    = digestSize + 4 + len(trailerMagic) // after the signature
	maxSigSize    = 512                                // ECDSA P-256 DER is at most 72
	elfMagic      = "\x7fELF"
	elfHeaderSize = 52 // the smallest ELF header (32-bit)
)

// EmbedELF returns a copy of the ELF file data with a signed trailer
// appended (the layout is in the package documentation). data is not
// changed. A file that is not ELF is EINVALID; one that already has a
// trailer is ECONFLICT (sign the unsigned file from SplitELF instead).
func EmbedELF(ctx context.Context, signer Signer, data []byte) ([]byte, error) {
	if _, _, err := SplitELF(data); err == nil {
		return nil, shipline.Errorf(shipline.ECONFLICT, "elf: already signed; sign the original file")
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "elf: not an ELF file: %v", err)
	}
	f.Close()
	digest := sha256.Sum256(data)
	sig, err := signer.SignDigest(ctx, digest[:])
	if err != nil {
		return nil, err
	}
	n := len(sig)
	if n == 0 || n > maxSigSize {
		return nil, shipline.Errorf(shipline.EINTERNAL, "elf: signer returned a %d-byte signature", n)
	}
	out := make([]byte, 0, len(data)+n+footerSize)
	out = append(out, data...)
	out = append(out, sig...)
	out = append(out, digest[:]...)
	out = binary.BigEndian.AppendUint32(out, uint32(n))
	return append(out, trailerMagic...), nil
}

// SplitELF parses the trailer of a file EmbedELF signed (untrusted input)
// and returns the unsigned file and the DER signature, without verifying
// anything: VerifyELF does that. unsigned and sig share data's memory.
//
// A file without a trailer is EINVALID wrapping ErrNotSigned; a damaged
// trailer, or signed content that is not ELF, is EINVALID.
func SplitELF(data []byte) (unsigned, sig []byte, err error) {
	unsigned, sig, _, err = splitELF(data)
	return unsigned, sig, err
}

func splitELF(data []byte) (unsigned, sig, digest []byte, err error) {
	if len(data) < footerSize || string(data[len(data)-len(trailerMagic):]) != trailerMagic {
		return nil, nil, nil, shipline.Errorf(shipline.EINVALID, "elf: %w: no Shipline signature trailer at the end of the file", ErrNotSigned)
	}
	foot := data[len(data)-footerSize:]
	digest = foot[:digestSize]
	n := binary.BigEndian.Uint32(foot[digestSize:])
	if n == 0 || n > maxSigSize || int(n) > len(data)-footerSize {
		return nil, nil, nil, shipline.Errorf(shipline.EINVALID, "elf: damaged signature trailer: signature length %d", n)
	}
	end := len(data) - footerSize - int(n)
	unsigned, sig = data[:end:end], data[end:len(data)-footerSize]
	if len(unsigned) < elfHeaderSize || string(unsigned[:len(elfMagic)]) != elfMagic {
		return nil, nil, nil, shipline.Errorf(shipline.EINVALID, "elf: the signed content is not an ELF file")
	}
	return unsigned, sig, digest, nil
}

// VerifyELF checks the trailer EmbedELF appended to an ELF file: that no
// byte before it changed and that verifier's key signed it. Errors are
// EINVALID: without a trailer it wraps ErrNotSigned ("not signed"); when
// the content changed or another key signed it, ErrSignature.
func VerifyELF(verifier Verifier, data []byte) error {
	unsigned, sig, recorded, err := splitELF(data)
	if err != nil {
		return err
	}
	digest := sha256.Sum256(unsigned)
	if subtle.ConstantTimeCompare(digest[:], recorded) != 1 {
		return shipline.Errorf(shipline.EINVALID, "elf: %w: the file changed after it was signed", ErrSignature)
	}
	if err := verifier.VerifyDigest(digest[:], sig); errors.Is(err, ErrSignature) {
		return shipline.Errorf(shipline.EINVALID, "elf: %w: not signed by this key, or the signature was altered", ErrSignature)
	} else if err != nil {
		return fmt.Errorf("verify elf: %w", err)
	}
	return nil
}
