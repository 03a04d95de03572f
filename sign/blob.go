package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/shipline-ci/shipline"
)

// SignBlob signs the SHA-256 digest of everything r yields and returns the
// signature as cosign writes it to FILE.sig: the ASN.1 DER ECDSA signature
// in standard base64, with no trailing newline.
func SignBlob(ctx context.Context, signer Signer, r io.Reader) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return nil, fmt.Errorf("sign blob: read: %w", err)
	}
	sig, err := signer.SignDigest(ctx, h.Sum(nil))
	if err != nil {
		return nil, err
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sig)))
	base64.StdEncoding.Encode(out, sig)
	return out, nil
}

// VerifyBlob checks that sig signs everything r yields. Like cosign, it
// takes the signature in base64 (surrounding white space is ignored) or,
// failing that, as raw DER. A signature that does not verify is an
// EINVALID error wrapping ErrSignature.
func VerifyBlob(verifier Verifier, r io.Reader, sig []byte) error {
	der := decodeSignature(sig)
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("verify blob: read: %w", err)
	}
	if err := verifier.VerifyDigest(h.Sum(nil), der); errors.Is(err, ErrSignature) {
		return shipline.Errorf(shipline.EINVALID, "blob: %w: the data changed since it was signed, or another key signed it", ErrSignature)
	} else if err != nil {
		return fmt.Errorf("verify blob: %w", err)
	}
	return nil
}

// decodeSignature returns the DER signature in a .sig file's contents.
func decodeSignature(sig []byte) []byte {
	trimmed := bytes.TrimSpace(sig)
	der := make([]byte, base64.StdEncoding.DecodedLen(len(trimmed)))
	n, err := base64.StdEncoding.Decode(der, trimmed)
	if err != nil {
		return sig
	}
	return der[:n]
}
