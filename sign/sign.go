// Package sign makes and checks signatures that cosign and the DSSE
// libraries accept, with keys in cosign's file formats.
//
// # Keys
//
// Keys are ECDSA P-256, as 'cosign generate-key-pair' makes them:
//
//   - cosign.key: a PEM block of type "ENCRYPTED SIGSTORE PRIVATE KEY" (or,
//     from older cosign releases, "ENCRYPTED COSIGN PRIVATE KEY"). Its body
//     is the JSON document of go-securesystemslib's encrypted package:
//     {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":...},
//     "cipher":{"name":"nacl/secretbox","nonce":...},"ciphertext":...}, the
//     ciphertext sealing the PKCS #8 DER private key.
//   - cosign.pub: a PEM block of type "PUBLIC KEY" holding the PKIX DER
//     public key.
//
// The package never reads passwords from the environment; the command line
// does (SHIPLINE_KEY_PASSWORD, then COSIGN_PASSWORD).
//
// # Blob signatures
//
// SignBlob signs the SHA-256 digest of its input with ECDSA and returns the
// ASN.1 DER signature in standard base64 without a trailing newline: the
// exact contents of the FILE.sig that 'cosign sign-blob' writes and that
// 'cosign verify-blob --key cosign.pub --signature FILE.sig FILE' accepts
// (with --insecure-ignore-tlog=true, as there is no transparency log
// entry).
//
// Signatures are deterministic ECDSA (RFC 6979): the same key and the same
// bytes always give the same signature, so a signed release is as
// reproducible as an unsigned one. Verifiers, cosign's included, accept
// them like any other ECDSA signature.
//
// # DSSE envelopes
//
// SignDSSE wraps a payload in a DSSE v1 envelope
// ({"payloadType","payload","signatures":[{"keyid":"","sig"}]}, base64
// standard encoding) whose signature is ECDSA over the SHA-256 digest of
// the pre-authentication encoding
//
//	"DSSEv1" SP len(type) SP type SP len(payload) SP payload
//
// (lengths in ASCII decimal), as go-securesystemslib/dsse and cosign's
// attestations do. The key id is empty, as cosign leaves it.
//
// # Signatures embedded in ELF binaries
//
// EmbedELF appends a signed trailer to an ELF file. The ELF loader maps
// only what the program headers name, so bytes past the last section or
// segment are ignored: the binary still runs and debug/elf still reads it.
// The trailer, at the very end of the file, is (N = bytes before it):
//
//	offset from the start   size  contents
//	0                       N     the unsigned ELF file
//	N                       L     ECDSA signature, ASN.1 DER, of SHA-256(bytes 0..N)
//	N+L                     32    SHA-256(bytes 0..N)
//	N+L+32                  4     L, uint32 big-endian (1..512)
//	N+L+36                  16    magic "SHIPLINE-SIG-V1\n"
//
// VerifyELF recomputes the digest over the first N bytes, compares it in
// constant time with the recorded one, and verifies the signature. So a
// change to any byte of the file outside the signature itself makes
// verification fail: in the first N bytes it changes the digest, in the
// recorded digest it no longer matches, in L or the magic the trailer no
// longer parses. The signature is the same as 'cosign sign-blob' of the
// unsigned file, so SplitELF's two parts can also be checked with cosign.
package sign
