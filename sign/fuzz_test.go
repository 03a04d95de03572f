package sign_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/sign"
)

// FuzzVerifyELF feeds untrusted files to the trailer parser: it must never
// panic, and whatever SplitELF accepts must add up to the whole file.
func FuzzVerifyELF(f *testing.F) {
	s, v := MustSigner(f)
	signed, err := sign.EmbedELF(context.Background(), s, tinyELF())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add(tinyELF())
	f.Add([]byte("SHIPLINE-SIG-V1\n"))
	f.Add(append(make([]byte, 52), "SHIPLINE-SIG-V1\n"...))
	f.Add(append(append(tinyELF(), make([]byte, 36)...), "\x00\x00\x00\x01SHIPLINE-SIG-V1\n"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		unsigned, sig, err := sign.SplitELF(data)
		if err == nil {
			if len(unsigned)+len(sig)+52 != len(data) || len(sig) == 0 || len(sig) > 512 {
				t.Fatalf("SplitELF parts %d+%d+52 bytes of %d", len(unsigned), len(sig), len(data))
			}
		} else if shipline.ErrorCode(err) != shipline.EINVALID {
			t.Fatalf("SplitELF error code %q: %v", shipline.ErrorCode(err), err)
		}
		if err := sign.VerifyELF(v, data); err == nil && !bytes.Equal(data, signed) {
			t.Fatalf("VerifyELF accepts a file that was never signed: %q", data)
		}
	})
}

// FuzzVerifyDSSE feeds untrusted envelopes to VerifyDSSE: it must never
// panic nor return a payload without a valid signature.
func FuzzVerifyDSSE(f *testing.F) {
	s, v := MustSigner(f)
	env, err := sign.SignDSSE(context.Background(), s, "application/vnd.in-toto+json", []byte(`{"a":1}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env)
	f.Add([]byte(`{"payloadType":"x","payload":"","signatures":[{"keyid":"","sig":""}]}`))
	f.Add([]byte(`{"payloadType":1,"payload":null,"signatures":{}}`))
	f.Add([]byte(`{"signatures":[null]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, payload, err := sign.VerifyDSSE(v, data)
		if err != nil {
			if typ != "" || payload != nil {
				t.Fatalf("payload returned with error %v", err)
			}
			if shipline.ErrorCode(err) != shipline.EINVALID {
				t.Fatalf("error code %q: %v", shipline.ErrorCode(err), err)
			}
		}
	})
}

// FuzzLoadPublicKey feeds untrusted public key files to LoadPublicKey.
func FuzzLoadPublicKey(f *testing.F) {
	_, pub := MustGenerated(f)
	f.Add(pub)
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("hello"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := sign.LoadPublicKey(data); err != nil && shipline.ErrorCode(err) != shipline.EINVALID {
			t.Fatalf("error code %q: %v", shipline.ErrorCode(err), err)
		}
	})
}
