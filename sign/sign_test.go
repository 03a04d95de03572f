package sign_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/sign"
)

// testPassword protects the keys GenerateKey makes in tests.
const testPassword = "correct horse battery staple"

// MustSigner returns a Signer with a fresh in-memory ECDSA P-256 key
// (cheap: no scrypt) and its Verifier.
func MustSigner(tb testing.TB) (sign.Signer, sign.Verifier) {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := sign.NewSigner(k)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := sign.NewVerifier(s.Public())
	if err != nil {
		tb.Fatal(err)
	}
	return s, v
}

// generated is one GenerateKey pair per test binary: scrypt makes each
// call cost a tenth of a second or more.
var generated = sync.OnceValues(func() ([2][]byte, error) {
	priv, pub, err := sign.GenerateKey([]byte(testPassword))
	return [2][]byte{priv, pub}, err
})

// MustGenerated returns the PEM files of a key pair GenerateKey made with
// testPassword.
func MustGenerated(tb testing.TB) (privPEM, pubPEM []byte) {
	tb.Helper()
	k, err := generated()
	if err != nil {
		tb.Fatal(err)
	}
	return k[0], k[1]
}

// loaded is the private key of MustGenerated, decrypted once.
var loaded = sync.OnceValues(func() (sign.Signer, error) {
	k, err := generated()
	if err != nil {
		return nil, err
	}
	return sign.LoadPrivateKey(k[0], []byte(testPassword))
})

// MustLoaded returns the Signer of MustGenerated's private key.
func MustLoaded(tb testing.TB) sign.Signer {
	tb.Helper()
	s, err := loaded()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// wantErr fails unless err has the code and wraps target (when not nil).
func wantErr(tb testing.TB, err error, code string, target error) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want a %s error", code)
	}
	if got := shipline.ErrorCode(err); got != code {
		tb.Errorf("error code = %q, want %q (error: %v)", got, code, err)
	}
	if target != nil && !errors.Is(err, target) {
		tb.Errorf("error %q does not wrap %q", err, target)
	}
}

// helloSource is the program built by MustHelloBinary.
const helloSource = `package main

import "fmt"

func main() { fmt.Println("hello from a signed binary") }
`

// helloBinary builds helloSource for linux/amd64 once per test binary.
var helloBinary = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "shipline-sign-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\ngo 1.22\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(helloSource), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", "hello", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, errors.New(strings.TrimSpace(string(out)) + ": " + err.Error())
	}
	return os.ReadFile(filepath.Join(dir, "hello"))
})

// MustHelloBinary returns a small linux/amd64 Go program that prints
// "hello from a signed binary".
func MustHelloBinary(tb testing.TB) []byte {
	tb.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		tb.Skip("no go command to build a test binary")
	}
	b, err := helloBinary()
	if err != nil {
		tb.Fatalf("build test binary: %v", err)
	}
	return b
}
