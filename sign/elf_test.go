package sign_test

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/sign"
)

// tinyELF returns a 64-byte ELF64 header with no sections or segments:
// the smallest file debug/elf accepts.
func tinyELF() []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(h[16:], uint16(elf.ET_EXEC))
	le.PutUint16(h[18:], uint16(elf.EM_X86_64))
	le.PutUint32(h[20:], 1)
	le.PutUint16(h[52:], 64) // e_ehsize
	le.PutUint16(h[54:], 56) // e_phentsize
	le.PutUint16(h[58:], 64) // e_shentsize
	return h
}

func TestEmbedELF(t *testing.T) {
	ctx := context.Background()
	s, v := MustSigner(t)
	bin := MustHelloBinary(t)
	orig := bytes.Clone(bin)

	signed, err := sign.EmbedELF(ctx, s, bin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bin, orig) {
		t.Fatal("EmbedELF changed its input")
	}
	if !bytes.HasPrefix(signed, bin) {
		t.Fatal("the signed file does not start with the unsigned one")
	}
	if err := sign.VerifyELF(v, signed); err != nil {
		t.Fatalf("VerifyELF: %v", err)
	}

	t.Run("trailer layout", func(t *testing.T) {
		tr := signed[len(bin):]
		if got := string(tr[len(tr)-16:]); got != "SHIPLINE-SIG-V1\n" {
			t.Errorf("magic = %q", got)
		}
		n := binary.BigEndian.Uint32(tr[len(tr)-20:])
		if int(n)+52 != len(tr) {
			t.Errorf("recorded signature length %d, trailer is %d bytes", n, len(tr))
		}
		unsigned, sig, err := sign.SplitELF(signed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(unsigned, bin) || !bytes.Equal(sig, tr[:n]) {
			t.Error("SplitELF does not return the parts")
		}
		// The embedded signature is a blob signature of the unsigned file.
		if err := sign.VerifyBlob(v, bytes.NewReader(unsigned), sig); err != nil {
			t.Errorf("embedded signature is not a blob signature of the unsigned file: %v", err)
		}
	})

	t.Run("still an ELF Go program", func(t *testing.T) {
		f, err := elf.NewFile(bytes.NewReader(signed))
		if err != nil {
			t.Fatalf("debug/elf: %v", err)
		}
		if f.Section(".text") == nil {
			t.Error("no .text section")
		}
		f.Close()
		info, err := buildinfo.Read(bytes.NewReader(signed))
		if err != nil {
			t.Fatalf("debug/buildinfo: %v", err)
		}
		if info.Path != "example.com/hello" {
			t.Errorf("build info path = %q", info.Path)
		}
	})

	t.Run("runs", func(t *testing.T) {
		if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
			t.Skipf("cannot run a linux/amd64 binary on %s/%s", runtime.GOOS, runtime.GOARCH)
		}
		p := filepath.Join(t.TempDir(), "hello")
		if err := os.WriteFile(p, signed, 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(p).CombinedOutput()
		if err != nil {
			t.Fatalf("signed binary does not run: %v\n%s", err, out)
		}
		if got, want := string(out), "hello from a signed binary\n"; got != want {
			t.Errorf("signed binary printed %q, want %q", got, want)
		}
	})

	t.Run("any changed byte fails", func(t *testing.T) {
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatal(err)
		}
		text := f.Section(".text")
		f.Close()
		offsets := map[string]int{
			"ELF magic":          0,
			"e_type":             16,
			"e_entry":            24,
			"program headers":    64,
			"text start":         int(text.Offset),
			"text middle":        int(text.Offset + text.Size/2),
			"last unsigned byte": len(bin) - 1,
		}
		// Every byte of the trailer but the signature's own: signature
		// bytes are checked too, as a whole, below.
		for i := len(signed) - 52; i < len(signed); i++ {
			offsets["trailer byte "+strconv.Itoa(i-len(signed))] = i
		}
		// And a sample of the whole file.
		for i := 0; i < len(bin); i += len(bin) / 37 {
			offsets["sample "+strconv.Itoa(i)] = i
		}
		for name, off := range offsets {
			changed := bytes.Clone(signed)
			changed[off] ^= 0x01
			err := sign.VerifyELF(v, changed)
			if err == nil {
				t.Errorf("%s (offset %d): flipping a bit still verifies", name, off)
				continue
			}
			if shipline.ErrorCode(err) != shipline.EINVALID {
				t.Errorf("%s: error code %q: %v", name, shipline.ErrorCode(err), err)
			}
		}
		// Each byte of the signature.
		_, sig, _ := sign.SplitELF(signed)
		start := len(bin)
		for i := range sig {
			changed := bytes.Clone(signed)
			changed[start+i] ^= 0x80
			if sign.VerifyELF(v, changed) == nil {
				t.Errorf("signature byte %d: flipping a bit still verifies", i)
			}
		}
		// Cutting or extending the file.
		for name, b := range map[string][]byte{
			"truncated":   signed[:len(signed)-1],
			"extended":    append(bytes.Clone(signed), 0),
			"byte before": append([]byte{0}, signed...),
		} {
			if sign.VerifyELF(v, b) == nil {
				t.Errorf("%s: still verifies", name)
			}
		}
	})

	t.Run("other key", func(t *testing.T) {
		_, other := MustSigner(t)
		wantErr(t, sign.VerifyELF(other, signed), shipline.EINVALID, sign.ErrSignature)
	})

	t.Run("not signed", func(t *testing.T) {
		err := sign.VerifyELF(v, bin)
		wantErr(t, err, shipline.EINVALID, sign.ErrNotSigned)
		if !strings.Contains(err.Error(), "not signed") {
			t.Errorf("error %q does not say the file is not signed", err)
		}
	})

	t.Run("signed twice", func(t *testing.T) {
		_, err := sign.EmbedELF(ctx, s, signed)
		wantErr(t, err, shipline.ECONFLICT, nil)
	})
}

func TestEmbedELFNotELF(t *testing.T) {
	s, _ := MustSigner(t)
	for _, data := range [][]byte{nil, []byte("#!/bin/sh\necho hi\n"), []byte("\x7fELF")} {
		_, err := sign.EmbedELF(context.Background(), s, data)
		wantErr(t, err, shipline.EINVALID, nil)
	}
}

// sizedSigner returns a signature of n bytes, as a broken or hostile
// Signer might.
type sizedSigner struct {
	sign.Signer
	n int
}

func (s sizedSigner) SignDigest(context.Context, []byte) ([]byte, error) {
	return bytes.Repeat([]byte{0x30}, s.n), nil
}

// TestEmbedELFSignatureSize checks the bounds on the signature EmbedELF
// writes into the trailer's 32-bit length field: the signer's output is
// refused when it is empty or longer than 512 bytes.
func TestEmbedELFSignatureSize(t *testing.T) {
	s, _ := MustSigner(t)
	for _, tt := range []struct {
		n    int
		want string
	}{
		{0, shipline.EINTERNAL},
		{1, ""},
		{512, ""},
		{513, shipline.EINTERNAL},
	} {
		signed, err := sign.EmbedELF(context.Background(), sizedSigner{s, tt.n}, tinyELF())
		if tt.want != "" {
			wantErr(t, err, tt.want, nil)
			continue
		}
		if err != nil {
			t.Fatalf("%d-byte signature: %v", tt.n, err)
		}
		_, sig, err := sign.SplitELF(signed)
		if err != nil || len(sig) != tt.n {
			t.Errorf("%d-byte signature: SplitELF = %d bytes, %v", tt.n, len(sig), err)
		}
	}
}

func TestEmbedTinyELF(t *testing.T) {
	s, v := MustSigner(t)
	signed, err := sign.EmbedELF(context.Background(), s, tinyELF())
	if err != nil {
		t.Fatal(err)
	}
	if err := sign.VerifyELF(v, signed); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkVerifyELF(b *testing.B) {
	s, v := MustSigner(b)
	bin := MustHelloBinary(b)
	signed, err := sign.EmbedELF(context.Background(), s, bin)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(signed)))
	for b.Loop() {
		if err := sign.VerifyELF(v, signed); err != nil {
			b.Fatal(err)
		}
	}
}
