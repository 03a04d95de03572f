package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shipline-ci/shipline"
)

// TestSealAttach checks the order of the hooks: a sealed binary is
// verified again, then hashed and archived as sealed; Attach sees
// checksums.txt and what it adds is listed in artifacts.json.
func TestSealAttach(t *testing.T) {
	dir := mustModule(t, map[string]string{"go.mod": "module example.com/hello\n\ngo 1.22\n", "main.go": helloMain})
	tc := mustToolchain(t, dir)
	linux := shipline.Target{OS: "linux", Arch: "amd64"}
	builds := []Build{{ID: "hello", Main: ".", Binary: "hello", Targets: []shipline.Target{linux}, Ldflags: DefaultLdflags}}
	opts := runOptions(dir, tc)

	const seal = "\x00SEALED"
	var mu sync.Mutex
	var verified []bool // whether each verified binary was sealed
	opts.Verify = func(ctx context.Context, path string, want Expect) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		verified = append(verified, strings.HasSuffix(string(data), seal))
		return nil
	}
	opts.Seal = func(ctx context.Context, path string, tt shipline.Target) error {
		if tt != linux {
			t.Errorf("Seal target %v, want %v", tt, linux)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		_, err = f.WriteString(seal)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	var given []shipline.Artifact
	opts.Attach = func(ctx context.Context, dist string, arts []shipline.Artifact) ([]shipline.Artifact, error) {
		given = arts
		if _, err := os.Stat(filepath.Join(dist, ChecksumsFile)); err != nil {
			t.Errorf("Attach before checksums.txt: %v", err)
		}
		data := []byte("attached\n")
		if err := os.WriteFile(filepath.Join(dist, "extra.txt"), data, 0o644); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		return []shipline.Artifact{{Name: "extra.txt", Path: "extra.txt", Kind: shipline.KindSignature, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Of: ChecksumsFile}}, nil
	}
	var states []string
	opts.Progress = func(e Event) { states = append(states, e.State.String()) }

	res, err := Run(context.Background(), builds, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(states, " "), "queued building verifying sealing verifying archiving done"; got != want {
		t.Errorf("states %s, want %s", got, want)
	}
	if len(verified) != 2 || verified[0] || !verified[1] {
		t.Errorf("verified sealed = %v, want [false true]", verified)
	}
	if len(given) != 3 {
		t.Errorf("Attach was given %d artifacts, want binary, archive and checksums", len(given))
	}
	byPath := map[string]shipline.Artifact{}
	for _, a := range res.Artifacts {
		byPath[a.Path] = a
	}
	bin := byPath["hello_linux_amd64/hello"]
	data, err := os.ReadFile(filepath.Join(opts.Dist, "hello_linux_amd64", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); bin.SHA256 != hex.EncodeToString(sum[:]) || !strings.HasSuffix(string(data), seal) {
		t.Errorf("the binary's artifact is not the sealed binary's hash")
	}
	if byPath["extra.txt"].Of != ChecksumsFile {
		t.Errorf("artifacts lack the attached file: %+v", res.Artifacts)
	}
	manifest, err := os.ReadFile(filepath.Join(opts.Dist, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifest), `"path": "extra.txt"`) {
		t.Errorf("artifacts.json lacks extra.txt:\n%s", manifest)
	}

	// A failing seal fails the target, naming the binary.
	opts.Seal = func(ctx context.Context, path string, tt shipline.Target) error { return errors.New("no key") }
	opts.Attach, opts.Clean = nil, true
	_, err = Run(context.Background(), builds, opts)
	if err == nil || !strings.Contains(err.Error(), "seal hello_linux_amd64/hello: no key") {
		t.Errorf("Run with a failing Seal: %v", err)
	}
}

func TestCheckAttached(t *testing.T) {
	sum := strings.Repeat("a", 64)
	have := []shipline.Artifact{{Name: "checksums.txt", Path: "checksums.txt", SHA256: sum}}
	for _, tt := range []struct {
		name  string
		extra shipline.Artifact
		want  string // "" for no error
	}{
		{"new", shipline.Artifact{Name: "checksums.txt.sig", Path: "checksums.txt.sig", SHA256: sum}, ""},
		{"nested", shipline.Artifact{Name: "app.sig", Path: "app_linux_amd64/app.sig", SHA256: sum}, ""},
		{"listed", shipline.Artifact{Name: "checksums.txt", Path: "checksums.txt", SHA256: sum}, "lists it already"},
		{"manifest", shipline.Artifact{Name: ManifestFile, Path: ManifestFile, SHA256: sum}, "lists it already"},
		{"outside", shipline.Artifact{Name: "x", Path: "../x", SHA256: sum}, "not a clean path"},
		{"absolute", shipline.Artifact{Name: "x", Path: "/x", SHA256: sum}, "not a clean path"},
		{"name", shipline.Artifact{Name: "y", Path: "x", SHA256: sum}, "not a clean path"},
		{"unhashed", shipline.Artifact{Name: "x", Path: "x"}, "not hashed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkAttached(have, []shipline.Artifact{tt.extra})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want one saying %q", err, tt.want)
			case err != nil && shipline.ErrorCode(err) != shipline.EINTERNAL:
				t.Errorf("code %s, want internal", shipline.ErrorCode(err))
			}
		})
	}
}

// TestAttachTarget checks that AttachTarget is given each target's binary
// and archive once they are hashed, that its files are in artifacts.json
// and given to Attach but not in checksums.txt, and that its failure fails
// the target.
func TestAttachTarget(t *testing.T) {
	dir := mustModule(t, map[string]string{"go.mod": "module example.com/hello\n\ngo 1.22\n", "main.go": helloMain})
	tc := mustToolchain(t, dir)
	builds := []Build{{ID: "hello", Main: ".", Binary: "hello", Targets: mustTargets("linux/amd64", "windows/arm64"), Ldflags: DefaultLdflags}}
	opts := runOptions(dir, tc)

	var mu sync.Mutex
	givenTarget := map[string][]string{} // binary path -> kinds given
	opts.AttachTarget = func(ctx context.Context, dist string, arts []shipline.Artifact) ([]shipline.Artifact, error) {
		var kinds []string
		for _, a := range arts {
			kinds = append(kinds, string(a.Kind))
			data, err := os.ReadFile(filepath.Join(dist, filepath.FromSlash(a.Path)))
			if sum := sha256.Sum256(data); err != nil || hex.EncodeToString(sum[:]) != a.SHA256 {
				t.Errorf("AttachTarget was given %s before it was hashed as it is (%v)", a.Path, err)
			}
		}
		data := []byte("about " + arts[0].Path + "\n")
		p := arts[0].Path + ".note"
		if err := os.WriteFile(filepath.Join(dist, filepath.FromSlash(p)), data, 0o644); err != nil {
			return nil, err
		}
		mu.Lock()
		givenTarget[arts[0].Path] = kinds
		mu.Unlock()
		sum := sha256.Sum256(data)
		return []shipline.Artifact{{Name: filepath.Base(p), Path: p, Kind: shipline.KindSBOM, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Of: arts[0].Path}}, nil
	}
	var givenAttach []string
	opts.Attach = func(ctx context.Context, dist string, arts []shipline.Artifact) ([]shipline.Artifact, error) {
		for _, a := range arts {
			givenAttach = append(givenAttach, a.Path)
		}
		return nil, nil
	}
	res, err := Run(context.Background(), builds, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"hello_linux_amd64/hello":       {"binary", "archive"},
		"hello_windows_arm64/hello.exe": {"binary", "archive"},
	}
	if !maps.EqualFunc(givenTarget, want, slices.Equal) {
		t.Errorf("AttachTarget was given %v, want %v", givenTarget, want)
	}
	slices.Sort(givenAttach)
	if got, want := strings.Join(givenAttach, " "), "checksums.txt hello_linux_amd64/hello hello_linux_amd64/hello.note hello_v1.2.3_linux_amd64.tar.gz hello_v1.2.3_windows_arm64.zip hello_windows_arm64/hello.exe hello_windows_arm64/hello.exe.note"; got != want {
		t.Errorf("Attach was given %s, want %s", got, want)
	}
	if n := len(res.Artifacts); n != 7 {
		t.Errorf("Run returned %d artifacts, want 7", n)
	}
	sums, err := os.ReadFile(filepath.Join(opts.Dist, ChecksumsFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sums), ".note") || strings.Count(string(sums), "\n") != 4 {
		t.Errorf("checksums.txt lists other files than binaries and archives:\n%s", sums)
	}

	// A failing AttachTarget fails its target.
	opts.Clean = true
	opts.AttachTarget = func(ctx context.Context, dist string, arts []shipline.Artifact) ([]shipline.Artifact, error) {
		if strings.Contains(arts[0].Path, "windows") {
			return nil, errors.New("no SBOM today")
		}
		return nil, nil
	}
	_, err = Run(context.Background(), builds, opts)
	if err == nil || !strings.Contains(err.Error(), "build hello for windows/arm64: no SBOM today") {
		t.Errorf("Run with a failing AttachTarget = %v", err)
	}
}
