package sign_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/shipline-ci/shipline/sign"
)

// TestSigstoreCompatibility checks Shipline's keys and signatures with the
// sigstore Go libraries cosign itself loads keys and verifies with:
// cryptoutils for the PEM files, signature.LoadVerifier (what
// 'cosign verify-blob --key' builds from cosign.pub) for blob signatures,
// and sigstore's DSSE wrapper (what cosign's attestations use).
func TestSigstoreCompatibility(t *testing.T) {
	ctx := context.Background()
	privPEM, pubPEM := MustGenerated(t)
	s := MustLoaded(t)
	v, err := sign.LoadPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		t.Fatalf("cryptoutils rejects our public key: %v", err)
	}
	sv, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	blob := []byte("shipline_1.2.3_linux_amd64.tar.gz contents")

	// Our private key, as cosign decrypts it.
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(privPEM, cryptoutils.StaticPasswordFunc([]byte(testPassword)))
	if err != nil {
		t.Fatalf("cryptoutils rejects our private key: %v", err)
	}
	if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(priv.(crypto.Signer).Public()) {
		t.Fatal("private and public key do not match")
	}
	ssv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("blob signature verified by sigstore", func(t *testing.T) {
		b64, err := sign.SignBlob(ctx, s, bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		// cosign verify-blob base64-decodes the .sig file, then calls
		// VerifySignature with the blob.
		der, err := base64.StdEncoding.DecodeString(string(b64))
		if err != nil {
			t.Fatal(err)
		}
		if err := sv.VerifySignature(bytes.NewReader(der), bytes.NewReader(blob)); err != nil {
			t.Fatalf("sigstore rejects our blob signature: %v", err)
		}
		if err := sv.VerifySignature(bytes.NewReader(der), bytes.NewReader(append(blob, '!'))); err == nil {
			t.Error("sigstore accepts our signature for other data")
		}
	})

	t.Run("sigstore signature verified by us", func(t *testing.T) {
		der, err := ssv.SignMessage(bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		if err := sign.VerifyBlob(v, bytes.NewReader(blob), []byte(base64.StdEncoding.EncodeToString(der))); err != nil {
			t.Errorf("VerifyBlob rejects sigstore's signature: %v", err)
		}
	})

	t.Run("key encrypted by sigstore loads", func(t *testing.T) {
		priv2, pub2, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc([]byte("pw")))
		if err != nil {
			t.Fatal(err)
		}
		s2, err := sign.LoadPrivateKey(priv2, []byte("pw"))
		if err != nil {
			t.Fatalf("LoadPrivateKey rejects sigstore's encrypted key: %v", err)
		}
		v2, err := sign.LoadPublicKey(pub2)
		if err != nil {
			t.Fatal(err)
		}
		if !v2.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(s2.Public()) {
			t.Error("private and public key do not match")
		}
	})

	t.Run("DSSE verified by sigstore", func(t *testing.T) {
		payload := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
		b, err := sign.SignDSSE(ctx, s, "application/vnd.in-toto+json", payload)
		if err != nil {
			t.Fatal(err)
		}
		if err := sigdsse.WrapVerifier(sv).VerifySignature(bytes.NewReader(b), nil); err != nil {
			t.Fatalf("sigstore's DSSE verifier rejects our envelope: %v", err)
		}
		changed := bytes.Replace(b, []byte("in-toto+json"), []byte("in-toto+jsom"), 1)
		if err := sigdsse.WrapVerifier(sv).VerifySignature(bytes.NewReader(changed), nil); err == nil {
			t.Error("sigstore's DSSE verifier accepts a changed envelope")
		}
	})

	t.Run("sigstore DSSE verified by us", func(t *testing.T) {
		payload := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
		b, err := sigdsse.WrapSigner(ssv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		var env dsse.Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatalf("sigstore's envelope: %v", err)
		}
		typ, got, err := sign.VerifyDSSE(v, b)
		if err != nil {
			t.Fatalf("VerifyDSSE rejects sigstore's envelope: %v", err)
		}
		if typ != "application/vnd.in-toto+json" || !bytes.Equal(got, payload) {
			t.Errorf("got %q, %q", typ, got)
		}
	})
}
