package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/shipline-ci/shipline"
)

// PEM block types of the key files, as cosign writes and reads them.
const (
	// PrivateKeyPEMType is the type of the private key GenerateKey writes:
	// cosign's current format.
	PrivateKeyPEMType = "ENCRYPTED SIGSTORE PRIVATE KEY"
	// CosignPrivateKeyPEMType is the private key type of older cosign
	// releases; LoadPrivateKey reads it too.
	CosignPrivateKeyPEMType = "ENCRYPTED COSIGN PRIVATE KEY"
	// PublicKeyPEMType is the type of the public key: PKIX, as
	// x509.MarshalPKIXPublicKey encodes it.
	PublicKeyPEMType = "PUBLIC KEY"
)

// Errors that callers may test for with errors.Is. They reach callers
// wrapped in a *shipline.Error that says what was being checked.
var (
	// ErrSignature means a signature does not verify: the data changed,
	// or it was signed with another key.
	ErrSignature = errors.New("signature does not verify")
	// ErrNotSigned means the data carries no embedded signature.
	ErrNotSigned = errors.New("not signed")
	// ErrPassword means a private key could not be decrypted: the
	// password is wrong or the key file is damaged.
	ErrPassword = errors.New("wrong password or damaged private key")
)

// Signer signs SHA-256 digests with a private key. LoadPrivateKey and
// NewSigner return one; an implementation backed by a KMS or a hardware
// key fits the same interface.
type Signer interface {
	// Public returns the public key that verifies the signatures.
	Public() crypto.PublicKey
	// SignDigest signs a 32-byte SHA-256 digest and returns an ASN.1 DER
	// ECDSA signature. The signers of this package sign deterministically
	// (RFC 6979), so that signed releases are reproducible; any valid
	// ECDSA signature verifies, so other implementations need not.
	SignDigest(ctx context.Context, digest []byte) ([]byte, error)
}

// Verifier checks signatures of SHA-256 digests with a public key.
// LoadPublicKey and NewVerifier return one.
type Verifier interface {
	// Public returns the public key.
	Public() crypto.PublicKey
	// VerifyDigest checks an ASN.1 DER ECDSA signature of a 32-byte
	// SHA-256 digest. It returns an error wrapping ErrSignature when the
	// signature does not verify.
	VerifyDigest(digest, sig []byte) error
}

// ecdsaSigner is a Signer with an ECDSA P-256 private key in memory.
type ecdsaSigner struct{ key *ecdsa.PrivateKey }

func (s ecdsaSigner) Public() crypto.PublicKey { return &s.key.PublicKey }

func (s ecdsaSigner) SignDigest(ctx context.Context, digest []byte) ([]byte, error) {
	if len(digest) != digestSize {
		return nil, shipline.Errorf(shipline.EINTERNAL, "sign: digest is %d bytes, want a %d-byte SHA-256 digest", len(digest), digestSize)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A nil random source makes the signature deterministic (RFC 6979):
	// the same key and digest always give the same bytes, so a release
	// signed twice is byte for byte the same, embedded trailers included.
	sig, err := s.key.Sign(nil, digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return sig, nil
}

// ecdsaVerifier is a Verifier with an ECDSA P-256 public key.
type ecdsaVerifier struct{ key *ecdsa.PublicKey }

func (v ecdsaVerifier) Public() crypto.PublicKey { return v.key }

func (v ecdsaVerifier) VerifyDigest(digest, sig []byte) error {
	if len(digest) != digestSize || !ecdsa.VerifyASN1(v.key, digest, sig) {
		return ErrSignature
	}
	return nil
}

// digestSize is the size of a SHA-256 digest.
const digestSize = 32

// NewSigner returns a Signer for an ECDSA P-256 private key. Other keys
// are EINVALID: Shipline signs as cosign does by default, with ECDSA P-256
// and SHA-256.
func NewSigner(key crypto.PrivateKey) (Signer, error) {
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok || k == nil || k.Curve != elliptic.P256() {
		return nil, shipline.Errorf(shipline.EINVALID, "unsupported private key %s: Shipline signs with ECDSA P-256 keys, as made by 'shipline key generate' or 'cosign generate-key-pair'", keyKind(key))
	}
	return ecdsaSigner{k}, nil
}

// NewVerifier returns a Verifier for an ECDSA P-256 public key. Other keys
// are EINVALID.
func NewVerifier(key crypto.PublicKey) (Verifier, error) {
	k, ok := key.(*ecdsa.PublicKey)
	if !ok || k == nil || k.Curve != elliptic.P256() {
		return nil, shipline.Errorf(shipline.EINVALID, "unsupported public key %s: Shipline verifies ECDSA P-256 keys, as made by 'shipline key generate' or 'cosign generate-key-pair'", keyKind(key))
	}
	return ecdsaVerifier{k}, nil
}

// keyKind names a key's algorithm for an error message.
func keyKind(key any) string {
	var curve elliptic.Curve
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k != nil {
			curve = k.Curve
		}
	case *ecdsa.PublicKey:
		if k != nil {
			curve = k.Curve
		}
	case nil:
		return "(none)"
	default:
		return fmt.Sprintf("%T", key)
	}
	if curve == nil || curve.Params() == nil {
		return "ECDSA"
	}
	return "ECDSA " + curve.Params().Name
}

// GenerateKey makes an ECDSA P-256 key pair in cosign's formats, so that
// cosign can use either file and Shipline can use keys cosign made:
//
//   - privPEM is a PEM block of type "ENCRYPTED SIGSTORE PRIVATE KEY" whose
//     body is the JSON document of go-securesystemslib's encrypted package
//     (scrypt N=65536 r=8 p=1 with a random 32-byte salt; NaCl secretbox
//     with a random nonce) sealing the PKCS #8 DER private key.
//   - pubPEM is a PEM block of type "PUBLIC KEY" holding the PKIX DER
//     public key.
//
// An empty password is allowed here (cosign allows it too); refusing it
// is the caller's policy. Neither the password nor the private key is ever
// part of an error.
func GenerateKey(password []byte) (privPEM, pubPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode private key: %w", err)
	}
	sealed, err := encrypted.Encrypt(der, password)
	clear(der)
	if err != nil {
		return nil, nil, fmt.Errorf("encrypt private key: %w", err)
	}
	pubPEM, err = MarshalPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: PrivateKeyPEMType, Bytes: sealed}), pubPEM, nil
}

// MarshalPublicKey encodes a public key as a "PUBLIC KEY" PEM block (PKIX),
// the form of cosign.pub.
func MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PublicKeyPEMType, Bytes: der}), nil
}

// LoadPrivateKey decrypts a cosign private key file: a PEM block of type
// "ENCRYPTED SIGSTORE PRIVATE KEY" or the older "ENCRYPTED COSIGN PRIVATE
// KEY", sealed with the password by scrypt and NaCl secretbox. The key
// inside must be ECDSA P-256 (PKCS #8, or SEC 1 as some old files have).
//
// A wrong password is an EUNAUTHORIZED error wrapping ErrPassword; any
// other problem with the file is EINVALID.
func LoadPrivateKey(pemData, password []byte) (Signer, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, shipline.Errorf(shipline.EINVALID, "private key: no PEM block found; want a cosign key file (%s)", PrivateKeyPEMType)
	}
	if block.Type != PrivateKeyPEMType && block.Type != CosignPrivateKeyPEMType {
		return nil, shipline.Errorf(shipline.EINVALID, "private key: PEM type %q is not a cosign private key; want %q or %q", block.Type, PrivateKeyPEMType, CosignPrivateKeyPEMType)
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		if isBadPassword(err) {
			return nil, shipline.Errorf(shipline.EUNAUTHORIZED, "private key: %w", ErrPassword)
		}
		return nil, shipline.Errorf(shipline.EINVALID, "private key: damaged encrypted key: %v", err)
	}
	defer clear(der)
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		ec, ecErr := x509.ParseECPrivateKey(der)
		if ecErr != nil {
			return nil, shipline.Errorf(shipline.EINVALID, "private key: decrypted, but it is neither PKCS #8 nor SEC 1")
		}
		key = ec
	}
	return NewSigner(key)
}

// isBadPassword tells a failed decryption (wrong password, or a damaged
// ciphertext: secretbox cannot tell them apart) from a malformed file.
func isBadPassword(err error) bool {
	return err != nil && err.Error() == "encrypted: decryption failed"
}

// LoadPublicKey reads a "PUBLIC KEY" PEM block (PKIX), such as cosign.pub.
// The key must be ECDSA P-256. Errors are EINVALID.
func LoadPublicKey(pemData []byte) (Verifier, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, shipline.Errorf(shipline.EINVALID, "public key: no PEM block found; want a %q PEM block such as cosign.pub", PublicKeyPEMType)
	}
	if block.Type != PublicKeyPEMType {
		return nil, shipline.Errorf(shipline.EINVALID, "public key: PEM type %q, want %q", block.Type, PublicKeyPEMType)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "public key: %v", err)
	}
	return NewVerifier(pub)
}
