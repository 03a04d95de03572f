package sign

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/shipline-ci/shipline"
)

// envelope is a DSSE v1 envelope, field for field as go-securesystemslib
// encodes it.
type envelope struct {
	PayloadType string              `json:"payloadType"`
	Payload     string              `json:"payload"`
	Signatures  []envelopeSignature `json:"signatures"`
}

type envelopeSignature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// PAE returns the DSSE v1 pre-authentication encoding of a payload, the
// bytes a DSSE signature signs:
//
//	"DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload
//
// with lengths in ASCII decimal.
func PAE(payloadType string, payload []byte) []byte {
	b := make([]byte, 0, 7+20+1+len(payloadType)+1+20+1+len(payload))
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// SignDSSE signs payload in a DSSE v1 envelope and returns the envelope's
// JSON: the payload in standard base64, one signature (ECDSA over SHA-256
// of PAE(payloadType, payload), ASN.1 DER, standard base64) with an empty
// key id. The payload type must not be empty; for in-toto statements it is
// "application/vnd.in-toto+json".
func SignDSSE(ctx context.Context, signer Signer, payloadType string, payload []byte) ([]byte, error) {
	if payloadType == "" {
		return nil, shipline.Errorf(shipline.EINVALID, "dsse: empty payload type")
	}
	digest := sha256.Sum256(PAE(payloadType, payload))
	sig, err := signer.SignDigest(ctx, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []envelopeSignature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	})
}

// VerifyDSSE parses a DSSE v1 envelope (untrusted input) and returns its
// payload type and payload when at least one of its signatures verifies
// with verifier. Key ids are hints and are ignored. Payload and signatures
// may be in standard or URL-safe base64, as the DSSE specification allows.
//
// Errors are EINVALID: a malformed envelope, one with no signatures
// (wrapping ErrNotSigned), or none that verifies (wrapping ErrSignature).
// Nothing of the payload is returned unless a signature verifies.
func VerifyDSSE(verifier Verifier, env []byte) (payloadType string, payload []byte, err error) {
	var e envelope
	if err := json.Unmarshal(env, &e); err != nil {
		return "", nil, shipline.Errorf(shipline.EINVALID, "dsse: not a DSSE envelope: %v", err)
	}
	if len(e.Signatures) == 0 {
		return "", nil, shipline.Errorf(shipline.EINVALID, "dsse: envelope has no signatures: %w", ErrNotSigned)
	}
	body, ok := decodeBase64(e.Payload)
	if !ok {
		return "", nil, shipline.Errorf(shipline.EINVALID, "dsse: payload is not base64")
	}
	digest := sha256.Sum256(PAE(e.PayloadType, body))
	for _, s := range e.Signatures {
		sig, ok := decodeBase64(s.Sig)
		if !ok {
			continue
		}
		if verifier.VerifyDigest(digest[:], sig) == nil {
			return e.PayloadType, body, nil
		}
	}
	return "", nil, shipline.Errorf(shipline.EINVALID, "dsse: %w: no signature of the envelope is by this key, or the envelope changed", ErrSignature)
}

// decodeBase64 decodes standard or, failing that, URL-safe base64.
func decodeBase64(s string) ([]byte, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	if b, err := base64.URLEncoding.DecodeString(s); err == nil {
		return b, true
	}
	return nil, false
}
