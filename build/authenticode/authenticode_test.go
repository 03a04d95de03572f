package authenticode_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/pe"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build/authenticode"
)

// mustOsslsigncode skips the test without osslsigncode.
func mustOsslsigncode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(authenticode.Program); err != nil {
		t.Skip("osslsigncode is not installed")
	}
}

// mustCert writes a self-signed RSA code signing certificate and its
// unencrypted key into dir and returns their paths.
func mustCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Shipline Test"},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// mustPE builds a small Windows binary into dir.
func mustPE(t *testing.T, dir string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs go build; skipped with -short")
	}
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module example.com/app\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644)
	out := filepath.Join(dir, "app.exe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func TestSign(t *testing.T) {
	mustOsslsigncode(t)
	dir := t.TempDir()
	exe := mustPE(t, dir)
	cert, key := mustCert(t, dir)
	s := &authenticode.Signer{Cert: cert, Key: key, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	unsigned, _ := os.ReadFile(exe)
	if err := s.Sign(context.Background(), exe); err != nil {
		t.Fatal(err)
	}
	signed, _ := os.ReadFile(exe)
	if bytes.Equal(signed, unsigned) {
		t.Fatal("Sign left the file as it was")
	}
	// The certificate table now holds the signature, and the file is
	// still a PE file.
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatalf("signed file: %v", err)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	f.Close()
	if !ok || oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_SECURITY].Size == 0 {
		t.Error("the signed file has no certificate table")
	}
	out, err := exec.Command(authenticode.Program, "verify", "-CAfile", cert, "-in", exe).CombinedOutput()
	if err != nil {
		t.Errorf("osslsigncode verify: %v\n%s", err, out)
	}
	if info, _ := os.Stat(exe); info.Mode().Perm() != 0o755 && info.Mode().Perm() != 0o775 {
		t.Errorf("mode %v after signing", info.Mode())
	}
	// Same input, same time: same bytes.
	again := filepath.Join(dir, "again.exe")
	os.WriteFile(again, unsigned, 0o755)
	if err := s.Sign(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(again); !bytes.Equal(b, signed) {
		t.Error("signing the same file at the same time twice gave different bytes")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("Sign left %v", leftovers)
	}
}

func TestSignErrors(t *testing.T) {
	mustOsslsigncode(t)
	dir := t.TempDir()
	cert, key := mustCert(t, dir)
	notPE := filepath.Join(dir, "app.exe")
	os.WriteFile(notPE, []byte("not a PE file"), 0o755)
	s := &authenticode.Signer{Cert: cert, Key: key}
	err := s.Sign(context.Background(), notPE)
	if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "osslsigncode sign app.exe") {
		t.Errorf("Sign of a file that is not PE: %v", err)
	}
	if b, _ := os.ReadFile(notPE); string(b) != "not a PE file" {
		t.Error("a failed Sign changed the file")
	}

	for _, tt := range []struct {
		name string
		s    authenticode.Signer
		code string
		want string
	}{
		{"no cert", authenticode.Signer{Key: key}, shipline.EINVALID, "no certificate file"},
		{"missing key", authenticode.Signer{Cert: cert, Key: filepath.Join(dir, "missing.pem")}, shipline.EINVALID, "missing.pem"},
		{"no program", authenticode.Signer{Cert: cert, Key: key, Program: "osslsigncode-not-installed"}, shipline.ENOTFOUND, "osslsigncode-not-installed is not installed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Check()
			if shipline.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check = %v, want %s error saying %q", err, tt.code, tt.want)
			}
		})
	}
}
