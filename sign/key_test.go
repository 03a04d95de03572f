package sign_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/sign"
)

func TestGenerateKeyFormat(t *testing.T) {
	privPEM, pubPEM := MustGenerated(t)

	priv, rest := pem.Decode(privPEM)
	if priv == nil || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("private key is not exactly one PEM block:\n%s", privPEM)
	}
	if priv.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" {
		t.Errorf("private PEM type = %q, want ENCRYPTED SIGSTORE PRIVATE KEY", priv.Type)
	}
	// The body is go-securesystemslib's encrypted document with cosign's
	// current parameters.
	var doc struct {
		KDF struct {
			Name   string
			Params struct{ N, R, P int }
			Salt   []byte
		}
		Cipher struct {
			Name  string
			Nonce []byte
		}
		Ciphertext []byte
	}
	if err := json.Unmarshal(priv.Bytes, &doc); err != nil {
		t.Fatalf("private key body is not the encrypted JSON document: %v", err)
	}
	if doc.KDF.Name != "scrypt" || doc.KDF.Params.N != 65536 || doc.KDF.Params.R != 8 || doc.KDF.Params.P != 1 || len(doc.KDF.Salt) != 32 {
		t.Errorf("kdf = %+v, want scrypt N=65536 r=8 p=1 with a 32-byte salt", doc.KDF)
	}
	if doc.Cipher.Name != "nacl/secretbox" || len(doc.Cipher.Nonce) != 24 {
		t.Errorf("cipher = %+v, want nacl/secretbox with a 24-byte nonce", doc.Cipher)
	}
	der, err := encrypted.Decrypt(priv.Bytes, []byte(testPassword))
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatalf("decrypted private key is not PKCS #8: %v", err)
	}
	ek, ok := key.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		t.Fatalf("private key is %T, want ECDSA P-256", key)
	}

	pub, _ := pem.Decode(pubPEM)
	if pub == nil || pub.Type != "PUBLIC KEY" {
		t.Fatalf("public key PEM = %q, want a PUBLIC KEY block", pubPEM)
	}
	pk, err := x509.ParsePKIXPublicKey(pub.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !ek.PublicKey.Equal(pk) {
		t.Error("public key does not match the private key")
	}
}

func TestLoadPrivateKey(t *testing.T) {
	privPEM, pubPEM := MustGenerated(t)
	s, err := sign.LoadPrivateKey(privPEM, []byte(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	v, err := sign.LoadPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sign.SignBlob(context.Background(), s, strings.NewReader("data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sign.VerifyBlob(v, strings.NewReader("data"), sig); err != nil {
		t.Errorf("signature of the loaded key does not verify with the public key: %v", err)
	}

	t.Run("wrong password", func(t *testing.T) {
		_, err := sign.LoadPrivateKey(privPEM, []byte("wrong"))
		wantErr(t, err, shipline.EUNAUTHORIZED, sign.ErrPassword)
		if strings.Contains(err.Error(), "wrong\"") || strings.Contains(err.Error(), testPassword) {
			t.Errorf("error %q shows the password", err)
		}
	})
}

// TestLoadCosignKeys reads cosign's own test keys, among them the older
// "ENCRYPTED COSIGN PRIVATE KEY" type and the legacy scrypt parameters.
func TestLoadCosignKeys(t *testing.T) {
	for _, name := range []string{"cosign-ecdsa-pkcs8.key", "cosign-ecdsa-sec1.key", "sigstore-ecdsa.key"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			s, err := sign.LoadPrivateKey(b, []byte("hello"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sign.NewVerifier(s.Public()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLoadLegacyCosignType seals a key the way older cosign releases did:
// the "ENCRYPTED COSIGN PRIVATE KEY" type with scrypt N=32768.
func TestLoadLegacyCosignType(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := encrypted.EncryptWithCustomKDFParameters(der, []byte("pw"), encrypted.Legacy)
	if err != nil {
		t.Fatal(err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED COSIGN PRIVATE KEY", Bytes: sealed})
	s, err := sign.LoadPrivateKey(b, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if !k.PublicKey.Equal(s.Public()) {
		t.Error("loaded a different key")
	}
}

func TestLoadPrivateKeyErrors(t *testing.T) {
	ed, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	sealedEd, err := encrypted.EncryptWithCustomKDFParameters(ed, nil, encrypted.Legacy)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, pem string
		want      string
	}{
		{"not PEM", "hello", "no PEM block"},
		{"unencrypted", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ed})), `PEM type "PRIVATE KEY" is not a cosign private key`},
		{"not JSON", string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: []byte("x")})), "damaged encrypted key"},
		{"ed25519", string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: sealedEd})), "unsupported private key ed25519.PrivateKey"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sign.LoadPrivateKey([]byte(tt.pem), nil)
			wantErr(t, err, shipline.EINVALID, nil)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadPublicKeyErrors(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der384, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, pem string
		want      string
	}{
		{"not PEM", "hello", "no PEM block"},
		{"wrong type", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der384})), `PEM type "CERTIFICATE"`},
		{"garbage", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}})), "public key:"},
		{"P-384", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der384})), "unsupported public key ECDSA P-384"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sign.LoadPublicKey([]byte(tt.pem))
			wantErr(t, err, shipline.EINVALID, nil)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
