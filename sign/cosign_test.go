package sign_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/provenance"
	"github.com/shipline-ci/shipline/sign"
)

// cosignVersion is the cosign release the compatibility test runs.
const cosignVersion = "v2.6.5"

// Cosign returns the path of a cosign v2 binary, or skips the test. It
// takes $SHIPLINE_TEST_COSIGN, or a binary built earlier into the user
// cache directory, or, with SHIPLINE_TEST_BUILD_COSIGN=1, builds one
// there from the Go module proxy (a few seconds with warm caches, minutes
// and some 300 MB of modules without). A failed build skips the test.
func Cosign(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("slow: runs the real cosign CLI")
	}
	if p := os.Getenv("SHIPLINE_TEST_COSIGN"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache directory for a cosign binary: %v", err)
	}
	bin := filepath.Join(cache, "shipline-test", "cosign-"+cosignVersion, "cosign")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if os.Getenv("SHIPLINE_TEST_BUILD_COSIGN") != "1" {
		t.Skipf("no cosign: set SHIPLINE_TEST_COSIGN to a cosign %s binary, or SHIPLINE_TEST_BUILD_COSIGN=1 to build one into %s", cosignVersion, bin)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"mod", "init", "cosignbuild"},
		{"get", "github.com/sigstore/cosign/v2/cmd/cosign@" + cosignVersion},
		{"build", "-o", bin, "github.com/sigstore/cosign/v2/cmd/cosign"},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			t.Skipf("cannot build cosign (offline?): go %s: %v\n%s", strings.Join(args, " "), err, strings.Join(lines[max(0, len(lines)-5):], "\n"))
		}
	}
	return bin
}

// TestCosignCLI checks keys, blob signatures, ELF signatures and DSSE
// attestations both ways with the real cosign command, offline: keys and
// no transparency log.
func TestCosignCLI(t *testing.T) {
	cosign := Cosign(t)
	ctx := context.Background()
	dir := t.TempDir()
	run := func(t *testing.T, wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(cosign, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+testPassword, "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, "tuf"), "COSIGN_EXPERIMENTAL=")
		out, err := cmd.CombinedOutput()
		if wantOK && err != nil {
			t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if !wantOK && err == nil {
			t.Fatalf("cosign %s succeeded, want a failure:\n%s", strings.Join(args, " "), out)
		}
		return string(out)
	}
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	privPEM, pubPEM := MustGenerated(t)
	write("shipline.key", privPEM)
	write("shipline.pub", pubPEM)
	s := MustLoaded(t)
	v, err := sign.LoadPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	blob := []byte("shipline release archive\n")
	write("blob.tar.gz", blob)

	t.Run("cosign verify-blob accepts SignBlob", func(t *testing.T) {
		sig, err := sign.SignBlob(ctx, s, bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		write("blob.tar.gz.sig", sig)
		out := run(t, true, "verify-blob", "--key", "shipline.pub", "--signature", "blob.tar.gz.sig", "--insecure-ignore-tlog=true", "blob.tar.gz")
		if !strings.Contains(out, "Verified OK") {
			t.Errorf("cosign says:\n%s", out)
		}
		write("other.tar.gz", append(bytes.Clone(blob), '!'))
		run(t, false, "verify-blob", "--key", "shipline.pub", "--signature", "blob.tar.gz.sig", "--insecure-ignore-tlog=true", "other.tar.gz")
	})

	t.Run("cosign sign-blob with our key, VerifyBlob accepts", func(t *testing.T) {
		run(t, true, "sign-blob", "--yes", "--key", "shipline.key", "--tlog-upload=false", "--output-signature", "cosign.sig", "blob.tar.gz")
		sig, err := os.ReadFile(filepath.Join(dir, "cosign.sig"))
		if err != nil {
			t.Fatal(err)
		}
		if err := sign.VerifyBlob(v, bytes.NewReader(blob), sig); err != nil {
			t.Errorf("VerifyBlob rejects cosign's signature %q: %v", sig, err)
		}
	})

	t.Run("cosign generate-key-pair, LoadPrivateKey reads it", func(t *testing.T) {
		run(t, true, "generate-key-pair", "--output-key-prefix", "made-by-cosign")
		priv, err := os.ReadFile(filepath.Join(dir, "made-by-cosign.key"))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := os.ReadFile(filepath.Join(dir, "made-by-cosign.pub"))
		if err != nil {
			t.Fatal(err)
		}
		cs, err := sign.LoadPrivateKey(priv, []byte(testPassword))
		if err != nil {
			t.Fatalf("LoadPrivateKey rejects cosign's key: %v", err)
		}
		cv, err := sign.LoadPublicKey(pub)
		if err != nil {
			t.Fatalf("LoadPublicKey rejects cosign's key: %v", err)
		}
		sig, err := sign.SignBlob(ctx, cs, bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		if err := sign.VerifyBlob(cv, bytes.NewReader(blob), sig); err != nil {
			t.Fatal(err)
		}
		write("blob.cosignkey.sig", sig)
		run(t, true, "verify-blob", "--key", "made-by-cosign.pub", "--signature", "blob.cosignkey.sig", "--insecure-ignore-tlog=true", "blob.tar.gz")
	})

	t.Run("cosign verify-blob accepts the signature embedded in an ELF file", func(t *testing.T) {
		signed, err := sign.EmbedELF(ctx, s, MustHelloBinary(t))
		if err != nil {
			t.Fatal(err)
		}
		unsigned, sig, err := sign.SplitELF(signed)
		if err != nil {
			t.Fatal(err)
		}
		write("hello", unsigned)
		write("hello.sig", []byte(base64.StdEncoding.EncodeToString(sig)))
		run(t, true, "verify-blob", "--key", "shipline.pub", "--signature", "hello.sig", "--insecure-ignore-tlog=true", "hello")
	})

	t.Run("cosign verify-blob-attestation accepts signed provenance", func(t *testing.T) {
		sum := sha256.Sum256(blob)
		st, err := provenance.Statement([]shipline.Artifact{{Name: "blob.tar.gz", SHA256: hex.EncodeToString(sum[:])}}, provenance.Params{
			Repository: "https://github.com/acme/app",
			Commit:     strings.Repeat("ab", 20),
			Version:    "v1.2.3",
			BuilderID:  "https://example.com/builder",
		})
		if err != nil {
			t.Fatal(err)
		}
		env, err := provenance.Sign(ctx, s, st)
		if err != nil {
			t.Fatal(err)
		}
		write("blob.intoto.jsonl", append(env, '\n'))
		run(t, true, "verify-blob-attestation", "--key", "shipline.pub", "--signature", "blob.intoto.jsonl", "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", "blob.tar.gz")
		// Another file is not a subject.
		run(t, false, "verify-blob-attestation", "--key", "shipline.pub", "--signature", "blob.intoto.jsonl", "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", "other.tar.gz")
	})

	t.Run("VerifyDSSE accepts cosign attest-blob", func(t *testing.T) {
		write("predicate.json", []byte(`{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{"x":1}},"runDetails":{"builder":{"id":"https://example.com/b"}}}`))
		run(t, true, "attest-blob", "--yes", "--key", "shipline.key", "--tlog-upload=false", "--type", "slsaprovenance1", "--predicate", "predicate.json", "--output-signature", "cosign.intoto.json", "blob.tar.gz")
		env, err := os.ReadFile(filepath.Join(dir, "cosign.intoto.json"))
		if err != nil {
			t.Fatal(err)
		}
		st, err := provenance.Verify(v, env)
		if err != nil {
			t.Fatalf("provenance.Verify rejects cosign's attestation: %v\n%s", err, env)
		}
		if !bytes.Contains(st, []byte(`"https://slsa.dev/provenance/v1"`)) {
			t.Errorf("statement: %s", st)
		}
	})
}
