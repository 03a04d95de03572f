package sign_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/sign"
)

func TestSignBlob(t *testing.T) {
	s, v := MustSigner(t)
	data := []byte("the release archive")
	sig, err := sign.SignBlob(context.Background(), s, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// The .sig format: standard base64 of an ASN.1 DER ECDSA signature over
	// SHA-256, no newline.
	if bytes.ContainsAny(sig, "\r\n ") {
		t.Errorf("signature %q has white space; cosign would not take it as base64", sig)
	}
	der, err := base64.StdEncoding.DecodeString(string(sig))
	if err != nil {
		t.Fatalf("signature is not standard base64: %v", err)
	}
	digest := sha256.Sum256(data)
	if !ecdsa.VerifyASN1(v.Public().(*ecdsa.PublicKey), digest[:], der) {
		t.Error("signature is not ECDSA ASN.1 over SHA-256 of the data")
	}

	for _, tt := range []struct {
		name string
		sig  []byte
	}{
		{"base64", sig},
		{"base64 with newline", append(append([]byte(nil), sig...), '\n')},
		{"raw DER", der},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := sign.VerifyBlob(v, bytes.NewReader(data), tt.sig); err != nil {
				t.Errorf("VerifyBlob: %v", err)
			}
		})
	}

	t.Run("changed data", func(t *testing.T) {
		err := sign.VerifyBlob(v, strings.NewReader("the release archivE"), sig)
		wantErr(t, err, shipline.EINVALID, sign.ErrSignature)
	})
	t.Run("other key", func(t *testing.T) {
		_, other := MustSigner(t)
		err := sign.VerifyBlob(other, bytes.NewReader(data), sig)
		wantErr(t, err, shipline.EINVALID, sign.ErrSignature)
	})
	t.Run("garbage signature", func(t *testing.T) {
		err := sign.VerifyBlob(v, bytes.NewReader(data), []byte("not a signature"))
		wantErr(t, err, shipline.EINVALID, sign.ErrSignature)
	})
}

func BenchmarkSignBlob(b *testing.B) {
	s, _ := MustSigner(b)
	data := bytes.Repeat([]byte("x"), 1<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := sign.SignBlob(context.Background(), s, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
