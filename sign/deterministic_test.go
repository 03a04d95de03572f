package sign_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline/sign"
)

// TestDeterministicSignatures checks that signing is RFC 6979
// deterministic ECDSA: the key and message of RFC 6979 appendix A.2.5
// (P-256, SHA-256, "sample") give its r and s, and signing the same bytes
// twice, as a blob, an ELF trailer or a DSSE envelope, gives the same
// bytes, which still verify.
func TestDeterministicSignatures(t *testing.T) {
	ctx := context.Background()
	d, _ := hex.DecodeString("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sign.NewVerifier(s.Public())
	if err != nil {
		t.Fatal(err)
	}

	sig, err := sign.SignBlob(ctx, s, strings.NewReader("sample"))
	if err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(string(sig))
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		t.Fatal(err)
	}
	const (
		wantR = "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
		wantS = "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
	)
	if got := fmt.Sprintf("%064X", rs.R); got != wantR {
		t.Errorf("r = %s, want %s (RFC 6979 A.2.5)", got, wantR)
	}
	if got := fmt.Sprintf("%064X", rs.S); got != wantS {
		t.Errorf("s = %s, want %s (RFC 6979 A.2.5)", got, wantS)
	}
	if err := sign.VerifyBlob(v, strings.NewReader("sample"), sig); err != nil {
		t.Errorf("VerifyBlob: %v", err)
	}

	twice := func(name string, f func() ([]byte, error)) {
		t.Helper()
		a, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two signatures of the same bytes differ", name)
		}
	}
	elf := tinyELF()
	twice("EmbedELF", func() ([]byte, error) { return sign.EmbedELF(ctx, s, elf) })
	twice("SignDSSE", func() ([]byte, error) { return sign.SignDSSE(ctx, s, "text/plain", []byte("payload")) })
	signed, err := sign.EmbedELF(ctx, s, elf)
	if err != nil {
		t.Fatal(err)
	}
	if err := sign.VerifyELF(v, signed); err != nil {
		t.Errorf("VerifyELF: %v", err)
	}
}
