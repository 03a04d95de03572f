package attest_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build/attest"
	"github.com/shipline-ci/shipline/provenance"
	"github.com/shipline-ci/shipline/sign"
)

var commitTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// mustSigner returns a Signer with a fresh key, and its Verifier.
func mustSigner(tb testing.TB) (sign.Signer, sign.Verifier) {
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

// goBinary returns the bytes of a Go binary with build information: this
// test binary, an ELF file on the platforms the ELF tests run on.
func goBinary(tb testing.TB) []byte {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Skip(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		tb.Skip(err)
	}
	return data
}

// mustDist writes a dist directory with a binary, an archive and a
// checksums file, and returns it and their artifacts, hashed.
func mustDist(tb testing.TB, bin []byte) (string, []shipline.Artifact) {
	tb.Helper()
	dist := tb.TempDir()
	files := []struct {
		path string
		kind shipline.ArtifactKind
		data []byte
	}{
		{"app_linux_amd64/app", shipline.KindBinary, bin},
		{"app_v1.0.0_linux_amd64.tar.gz", shipline.KindArchive, []byte("not really an archive")},
		{"checksums.txt", shipline.KindChecksums, []byte("sums\n")},
	}
	var arts []shipline.Artifact
	for _, f := range files {
		p := filepath.Join(dist, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(f.data)
		a := shipline.Artifact{Name: filepath.Base(p), Path: f.path, Kind: f.kind, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(f.data))}
		if f.kind == shipline.KindBinary {
			a.Build, a.OS, a.Arch = "app", "linux", "amd64"
		}
		arts = append(arts, a)
	}
	return dist, arts
}

var params = provenance.Params{
	Repository: "https://github.com/acme/app",
	Ref:        "refs/tags/v1.0.0",
	Commit:     "0123456789abcdef0123456789abcdef01234567",
	Version:    "v1.0.0",
	BuilderID:  "https://github.com/shipline-ci/shipline/cmd/shipline",
}

func TestSeal(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs an ELF test binary")
	}
	ctx := context.Background()
	s, v := mustSigner(t)
	dir := t.TempDir()
	elfPath, machoPath := filepath.Join(dir, "app"), filepath.Join(dir, "app-darwin")
	if err := os.WriteFile(elfPath, goBinary(t), 0o755); err != nil {
		t.Fatal(err)
	}
	macho := []byte("\xcf\xfa\xed\xfe not ELF")
	if err := os.WriteFile(machoPath, macho, 0o755); err != nil {
		t.Fatal(err)
	}
	var authenticode []string
	a := &attest.Attester{Signer: s, Embed: true, Authenticode: func(ctx context.Context, path string) error {
		authenticode = append(authenticode, filepath.Base(path))
		return nil
	}}

	if err := a.Seal(ctx, elfPath, shipline.Target{OS: "linux", Arch: "amd64"}); err != nil {
		t.Fatal(err)
	}
	sealed, err := os.ReadFile(elfPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := sign.VerifyELF(v, sealed); err != nil {
		t.Errorf("VerifyELF of the sealed binary: %v", err)
	}
	if info, err := os.Stat(elfPath); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("sealed binary mode = %v, %v; want 0755", info.Mode(), err)
	}
	// Sealing the same bytes again gives the same bytes: the signature is
	// deterministic.
	if err := os.WriteFile(elfPath, goBinary(t), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := a.Seal(ctx, elfPath, shipline.Target{OS: "linux", Arch: "amd64"}); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(elfPath); !bytes.Equal(again, sealed) {
		t.Error("sealing the same binary twice gave different bytes")
	}

	// Not ELF: left alone.
	if err := a.Seal(ctx, machoPath, shipline.Target{OS: "darwin", Arch: "arm64"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(machoPath); !bytes.Equal(got, macho) {
		t.Error("Seal changed a file that is not ELF")
	}
	// Authenticode only for windows.
	if err := a.Seal(ctx, machoPath, shipline.Target{OS: "windows", Arch: "amd64"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(authenticode, ",") != "app-darwin" {
		t.Errorf("Authenticode ran for %v, want only the windows target", authenticode)
	}
	a.Authenticode = func(ctx context.Context, path string) error { return errors.New("no certificate") }
	if err := a.Seal(ctx, machoPath, shipline.Target{OS: "windows", Arch: "amd64"}); err == nil || !strings.Contains(err.Error(), "authenticode: no certificate") {
		t.Errorf("Seal with failing Authenticode: %v", err)
	}

	// Without Embed, or without a Signer, ELF binaries are left alone.
	for _, a := range []*attest.Attester{{Signer: s}, {Embed: true}} {
		path := filepath.Join(t.TempDir(), "app")
		if err := os.WriteFile(path, goBinary(t), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := a.Seal(ctx, path, shipline.Target{OS: "linux", Arch: "amd64"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, goBinary(t)) {
			t.Errorf("Seal with Embed %v and Signer %v changed the binary", a.Embed, a.Signer != nil)
		}
	}
}

func TestAttach(t *testing.T) {
	ctx := context.Background()
	s, v := mustSigner(t)
	bin := goBinary(t)
	dist, arts := mustDist(t, bin)
	a := &attest.Attester{Signer: s, SBOM: true, Provenance: &params, Created: commitTime}
	made, err := a.Attach(ctx, dist, arts)
	if err != nil {
		t.Fatal(err)
	}

	byPath := map[string]shipline.Artifact{}
	for _, m := range made {
		byPath[m.Path] = m
		data, err := os.ReadFile(filepath.Join(dist, filepath.FromSlash(m.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); m.SHA256 != hex.EncodeToString(sum[:]) || m.Size != int64(len(data)) {
			t.Errorf("%s: artifact hash or size does not match the file", m.Path)
		}
	}
	const sbomPath = "app_linux_amd64/app.sbom.cdx.json"
	want := map[string]struct {
		kind shipline.ArtifactKind
		of   string
	}{
		sbomPath:                            {shipline.KindSBOM, "app_linux_amd64/app"},
		"app_linux_amd64/app.sig":           {shipline.KindSignature, "app_linux_amd64/app"},
		sbomPath + ".sig":                   {shipline.KindSignature, sbomPath},
		"app_v1.0.0_linux_amd64.tar.gz.sig": {shipline.KindSignature, "app_v1.0.0_linux_amd64.tar.gz"},
		"checksums.txt.sig":                 {shipline.KindSignature, "checksums.txt"},
		attest.ProvenanceFile:               {shipline.KindProvenance, ""},
	}
	if len(made) != len(want) {
		t.Errorf("Attach made %d files, want %d: %+v", len(made), len(want), made)
	}
	for p, w := range want {
		m, ok := byPath[p]
		if !ok {
			t.Errorf("Attach did not make %s", p)
			continue
		}
		if m.Kind != w.kind || m.Of != w.of {
			t.Errorf("%s: kind %s of %q, want %s of %q", p, m.Kind, m.Of, w.kind, w.of)
		}
	}
	if m := byPath[sbomPath]; m.OS != "linux" || m.Arch != "amd64" || m.Build != "app" {
		t.Errorf("the SBOM's artifact lacks the binary's target: %+v", m)
	}

	// Every signature verifies over its file.
	for _, m := range made {
		if m.Kind != shipline.KindSignature {
			continue
		}
		sig, _ := os.ReadFile(filepath.Join(dist, filepath.FromSlash(m.Path)))
		f, err := os.Open(filepath.Join(dist, filepath.FromSlash(m.Of)))
		if err != nil {
			t.Fatal(err)
		}
		if err := sign.VerifyBlob(v, f, sig); err != nil {
			t.Errorf("%s: %v", m.Path, err)
		}
		f.Close()
	}

	// The SBOM names the module of the binary.
	var bom struct {
		Metadata struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				Name string `json:"name"`
			} `json:"component"`
		} `json:"metadata"`
	}
	data, _ := os.ReadFile(filepath.Join(dist, sbomPath))
	if err := json.Unmarshal(data, &bom); err != nil {
		t.Fatal(err)
	}
	if bom.Metadata.Component.Name != "github.com/shipline-ci/shipline" || bom.Metadata.Timestamp != "2026-01-02T03:04:05Z" {
		t.Errorf("SBOM metadata = %+v", bom.Metadata)
	}

	// The provenance verifies and names every artifact and SBOM by path.
	env, _ := os.ReadFile(filepath.Join(dist, attest.ProvenanceFile))
	if !bytes.HasSuffix(env, []byte("}\n")) || bytes.Count(env, []byte("\n")) != 1 {
		t.Errorf("%s is not one JSON line", attest.ProvenanceFile)
	}
	st, err := provenance.Verify(v, bytes.TrimSpace(env))
	if err != nil {
		t.Fatal(err)
	}
	var statement struct {
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(st, &statement); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range statement.Subject {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, " "), "app_linux_amd64/app app_linux_amd64/app.sbom.cdx.json app_v1.0.0_linux_amd64.tar.gz checksums.txt"; got != want {
		t.Errorf("subjects %s, want %s", got, want)
	}

	// The same inputs in another directory give the same bytes.
	dist2, arts2 := mustDist(t, bin)
	made2, err := a.Attach(ctx, dist2, arts2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range made {
		if made[i] != made2[i] {
			t.Errorf("not reproducible: %+v, then %+v", made[i], made2[i])
		}
	}

	// Attach writes only new files.
	if _, err := a.Attach(ctx, dist, arts); shipline.ErrorCode(err) != shipline.EINTERNAL || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("Attach over its own files: %v, want an internal error saying they exist", err)
	}
}

func TestAttachUnsigned(t *testing.T) {
	dist, arts := mustDist(t, goBinary(t))
	a := &attest.Attester{Provenance: &params}
	made, err := a.Attach(context.Background(), dist, arts)
	if err != nil {
		t.Fatal(err)
	}
	if len(made) != 1 || made[0].Path != attest.StatementFile || made[0].Kind != shipline.KindProvenance {
		t.Fatalf("Attach without a signer or SBOMs made %+v, want only %s", made, attest.StatementFile)
	}
	data, _ := os.ReadFile(filepath.Join(dist, attest.StatementFile))
	var st struct {
		Type string `json:"_type"`
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Type != provenance.StatementType {
		t.Errorf("%s is not an in-toto statement: %v %s", attest.StatementFile, err, data)
	}

	// The zero Attester makes nothing.
	dist, arts = mustDist(t, goBinary(t))
	if made, err := (&attest.Attester{}).Attach(context.Background(), dist, arts); err != nil || len(made) != 0 {
		t.Errorf("zero Attester made %v, %v", made, err)
	}
}

// TestAttachChanged checks that Attach and AttachTarget refuse to sign or
// describe a file that changed after it was hashed.
func TestAttachChanged(t *testing.T) {
	s, _ := mustSigner(t)
	for _, a := range []*attest.Attester{{Signer: s}, {SBOM: true}} {
		dist, arts := mustDist(t, goBinary(t))
		f, err := os.OpenFile(filepath.Join(dist, "app_linux_amd64", "app"), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("tampered")
		f.Close()
		_, err = a.Attach(context.Background(), dist, arts)
		if err == nil || !strings.Contains(err.Error(), "changed after it was hashed") {
			t.Errorf("Attach (signer %v, SBOM %v) of a changed binary: %v", a.Signer != nil, a.SBOM, err)
		}
		_, err = a.AttachTarget(context.Background(), dist, arts[:2])
		if err == nil || !strings.Contains(err.Error(), "changed after it was hashed") {
			t.Errorf("AttachTarget (signer %v, SBOM %v) of a changed binary: %v", a.Signer != nil, a.SBOM, err)
		}
	}
}

// TestAttachTarget checks that AttachTarget for each target followed by
// Attach makes the same files, byte for byte, as Attach alone.
func TestAttachTarget(t *testing.T) {
	ctx := context.Background()
	s, _ := mustSigner(t)
	bin := goBinary(t)
	for _, tt := range []struct {
		name string
		a    *attest.Attester
		want string // the files AttachTarget makes
	}{
		{"signed", &attest.Attester{Signer: s, SBOM: true, Provenance: &params, Created: commitTime},
			"app_linux_amd64/app.sbom.cdx.json app_linux_amd64/app.sbom.cdx.json.sig app_linux_amd64/app.sig app_v1.0.0_linux_amd64.tar.gz.sig"},
		{"unsigned", &attest.Attester{SBOM: true, Provenance: &params, Created: commitTime}, "app_linux_amd64/app.sbom.cdx.json"},
		{"signatures only", &attest.Attester{Signer: s}, "app_linux_amd64/app.sig app_v1.0.0_linux_amd64.tar.gz.sig"},
		{"nothing", &attest.Attester{Provenance: &params}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Attach alone.
			dist, arts := mustDist(t, bin)
			alone, err := tt.a.Attach(ctx, dist, arts)
			if err != nil {
				t.Fatal(err)
			}

			// AttachTarget for the binary and archive, then Attach
			// given everything.
			dist2, arts2 := mustDist(t, bin)
			target, err := tt.a.AttachTarget(ctx, dist2, arts2[:2])
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, m := range target {
				paths = append(paths, m.Path)
			}
			slices.Sort(paths)
			if got := strings.Join(paths, " "); got != tt.want {
				t.Errorf("AttachTarget made %q, want %q", got, tt.want)
			}
			rest, err := tt.a.Attach(ctx, dist2, append(arts2, target...))
			if err != nil {
				t.Fatal(err)
			}
			both := append(target, rest...)
			sortArtifacts(alone)
			sortArtifacts(both)
			if !slices.Equal(alone, both) {
				t.Errorf("AttachTarget and Attach made\n%+v\nAttach alone\n%+v", both, alone)
			}
			for _, m := range both {
				a, _ := os.ReadFile(filepath.Join(dist, filepath.FromSlash(m.Path)))
				b, _ := os.ReadFile(filepath.Join(dist2, filepath.FromSlash(m.Path)))
				if !bytes.Equal(a, b) {
					t.Errorf("%s differs", m.Path)
				}
			}
		})
	}
}

func sortArtifacts(arts []shipline.Artifact) {
	slices.SortFunc(arts, func(a, b shipline.Artifact) int { return strings.Compare(a.Path, b.Path) })
}
