package sign_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/sign"
)

const inTotoType = "application/vnd.in-toto+json"

func TestPAE(t *testing.T) {
	// The example from the DSSE specification (protocol.md).
	got := sign.PAE("http://example.com/HelloWorld", []byte("hello world"))
	want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
	if string(got) != want {
		t.Errorf("PAE = %q, want %q", got, want)
	}
	for _, tt := range []struct{ typ, payload string }{{"", ""}, {"t", "a b\x00c"}, {inTotoType, `{"_type":"x"}`}} {
		if got, want := sign.PAE(tt.typ, []byte(tt.payload)), dsse.PAE(tt.typ, []byte(tt.payload)); !bytes.Equal(got, want) {
			t.Errorf("PAE(%q, %q) = %q, go-securesystemslib says %q", tt.typ, tt.payload, got, want)
		}
	}
}

func TestDSSE(t *testing.T) {
	s, v := MustSigner(t)
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	env, err := sign.SignDSSE(context.Background(), s, inTotoType, payload)
	if err != nil {
		t.Fatal(err)
	}
	typ, got, err := sign.VerifyDSSE(v, env)
	if err != nil {
		t.Fatal(err)
	}
	if typ != inTotoType || !bytes.Equal(got, payload) {
		t.Errorf("VerifyDSSE = %q, %q; want %q, %q", typ, got, inTotoType, payload)
	}

	edit := func(f func(e *dsse.Envelope)) []byte {
		var e dsse.Envelope
		if err := json.Unmarshal(env, &e); err != nil {
			t.Fatal(err)
		}
		f(&e)
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	_, other := MustSigner(t)
	for _, tt := range []struct {
		name     string
		verifier sign.Verifier
		env      []byte
		target   error
	}{
		{"other key", other, env, sign.ErrSignature},
		{"changed payload", v, edit(func(e *dsse.Envelope) {
			e.Payload = base64.StdEncoding.EncodeToString([]byte(`{"_type":"https://in-toto.io/Statement/v2"}`))
		}), sign.ErrSignature},
		{"changed type", v, edit(func(e *dsse.Envelope) { e.PayloadType = "text/plain" }), sign.ErrSignature},
		{"no signatures", v, edit(func(e *dsse.Envelope) { e.Signatures = nil }), sign.ErrNotSigned},
		{"signature not base64", v, edit(func(e *dsse.Envelope) { e.Signatures[0].Sig = "!!" }), sign.ErrSignature},
		{"payload not base64", v, edit(func(e *dsse.Envelope) { e.Payload = "!!" }), nil},
		{"not JSON", v, []byte("{"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			typ, got, err := sign.VerifyDSSE(tt.verifier, tt.env)
			wantErr(t, err, shipline.EINVALID, tt.target)
			if typ != "" || got != nil {
				t.Errorf("VerifyDSSE returned %q, %q with an error", typ, got)
			}
		})
	}

	t.Run("URL-safe base64 and a second signature", func(t *testing.T) {
		b := edit(func(e *dsse.Envelope) {
			raw, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
			e.Payload = base64.URLEncoding.EncodeToString(payload)
			e.Signatures = []dsse.Signature{{KeyID: "someone else", Sig: "MEUCIQ=="}, {Sig: base64.URLEncoding.EncodeToString(raw)}}
		})
		if _, _, err := sign.VerifyDSSE(v, b); err != nil {
			t.Error(err)
		}
	})
}

// sslibKey returns go-securesystemslib's ECDSA signer-verifier for a key.
func sslibKey(t *testing.T, k *ecdsa.PrivateKey, withPrivate bool) *signerverifier.ECDSASignerVerifier {
	t.Helper()
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	key := &signerverifier.SSLibKey{
		KeyType: signerverifier.ECDSAKeyType,
		Scheme:  signerverifier.ECDSAKeyScheme,
		KeyVal:  signerverifier.KeyVal{Public: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))},
	}
	if withPrivate {
		privDER, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		key.KeyVal.Private = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	}
	sv, err := signerverifier.NewECDSASignerVerifierFromSSLibKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

// TestDSSECompatibility checks envelopes both ways against
// go-securesystemslib/dsse, the reference Go implementation that in-toto
// and cosign build on.
func TestDSSECompatibility(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sign.NewVerifier(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[]}`)
	ctx := context.Background()

	t.Run("ours verified by go-securesystemslib", func(t *testing.T) {
		b, err := sign.SignDSSE(ctx, s, inTotoType, payload)
		if err != nil {
			t.Fatal(err)
		}
		var env dsse.Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		ev, err := dsse.NewEnvelopeVerifier(sslibKey(t, k, false))
		if err != nil {
			t.Fatal(err)
		}
		accepted, body, err := ev.VerifyAndDecode(ctx, &env)
		if err != nil {
			t.Fatalf("go-securesystemslib rejects the envelope: %v", err)
		}
		if len(accepted) != 1 || !bytes.Equal(body, payload) {
			t.Errorf("accepted %d keys, payload %q", len(accepted), body)
		}
	})

	t.Run("go-securesystemslib's verified by ours", func(t *testing.T) {
		es, err := dsse.NewEnvelopeSigner(sslibKey(t, k, true))
		if err != nil {
			t.Fatal(err)
		}
		env, err := es.SignPayload(ctx, inTotoType, payload)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		typ, got, err := sign.VerifyDSSE(v, b)
		if err != nil {
			t.Fatalf("VerifyDSSE rejects go-securesystemslib's envelope: %v", err)
		}
		if typ != inTotoType || !bytes.Equal(got, payload) {
			t.Errorf("got %q, %q", typ, got)
		}
	})
}
