package sbom_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/sbom"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// created is the SBOM timestamp of the tests: the fixture's commit time.
var created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// appFiles is the fixture program: a module with a dependency from a
// proxy, one replaced by another module, and one replaced by a directory.
var appFiles = map[string]string{
	"go.mod": `module example.com/app

go 1.22

require (
	example.com/greeting v1.2.0
	example.com/local v0.0.0
	example.com/orig v1.0.0
)

replace example.com/orig v1.0.0 => example.com/fork v1.0.1

replace example.com/local => ./local
`,
	"main.go": `package main

import (
	"fmt"

	"example.com/greeting"
	"example.com/local"
	"example.com/orig"
)

func main() { fmt.Println(greeting.Hello, local.Name, orig.Name) }
`,
	"local/go.mod":   "module example.com/local\n\ngo 1.22\n",
	"local/local.go": "package local\n\nconst Name = \"local\"\n",
}

// proxyModules are served from a file:// GOPROXY.
var proxyModules = []struct {
	path, version string
	files         map[string]string
}{
	{"example.com/greeting", "v1.2.0", map[string]string{
		"go.mod":      "module example.com/greeting\n\ngo 1.22\n",
		"greeting.go": "package greeting\n\nconst Hello = \"hello\"\n",
	}},
	{"example.com/fork", "v1.0.1", map[string]string{
		"go.mod":  "module example.com/orig\n\ngo 1.22\n",
		"orig.go": "package orig\n\nconst Name = \"fork\"\n",
	}},
}

// fixture is the built app: its path and the Go version that built it.
type fixture struct {
	bin, goVersion string
}

var (
	buildOnce   = sync.OnceValues(buildApp)
	fixtureRoot string // removed by TestMain
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if fixtureRoot != "" {
		os.RemoveAll(fixtureRoot)
	}
	os.Exit(code)
}

// MustApp builds the fixture program once per test binary: a linux/amd64
// binary from a tagged (v1.2.3) git commit with fixed dates, so that its
// build information is the same on every machine with the same toolchain.
func MustApp(tb testing.TB) fixture {
	tb.Helper()
	for _, tool := range []string{"go", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Skipf("no %s command to build the fixture", tool)
		}
	}
	f, err := buildOnce()
	if err != nil {
		tb.Fatalf("build fixture: %v", err)
	}
	return f
}

func buildApp() (fixture, error) {
	root, err := os.MkdirTemp("", "shipline-sbom-test-")
	if err != nil {
		return fixture{}, err
	}
	fixtureRoot = root
	proxy, src, out := filepath.Join(root, "proxy"), filepath.Join(root, "src"), filepath.Join(root, "out")
	for _, m := range proxyModules {
		if err := addModule(proxy, m.path, m.version, m.files); err != nil {
			return fixture{}, err
		}
	}
	if err := writeFiles(src, appFiles); err != nil {
		return fixture{}, err
	}
	// HOME moves to keep git away from the user's configuration; the
	// build cache stays where it is.
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return fixture{}, err
	}
	env := append(os.Environ(), "GOCACHE="+strings.TrimSpace(string(gocache)),
		"GOPROXY=file://"+filepath.ToSlash(proxy), "GOSUMDB=off", "GOFLAGS=-mod=mod -modcacherw",
		"GOMODCACHE="+filepath.Join(root, "modcache"), "GOTOOLCHAIN=local", "GOWORK=off", "GOEXPERIMENT=",
		"GOOS=linux", "GOARCH=amd64", "GOAMD64=v1", "CGO_ENABLED=0",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+root,
		"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com",
		"GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z",
	)
	run := func(name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = src, env
		b, err := cmd.CombinedOutput()
		if err != nil {
			return "", errors.New(name + " " + strings.Join(args, " ") + ": " + err.Error() + "\n" + string(b))
		}
		return strings.TrimSpace(string(b)), nil
	}
	steps := [][]string{
		{"go", "mod", "tidy"},
		{"git", "init", "-q", "-b", "main"},
		{"git", "add", "-A"},
		{"git", "commit", "-q", "-m", "feat: app"},
		{"git", "tag", "v1.2.3"},
		{"go", "build", "-trimpath", "-buildvcs=true", "-o", filepath.Join(out, "app"), "."},
	}
	for _, s := range steps {
		if _, err := run(s[0], s[1:]...); err != nil {
			return fixture{}, err
		}
	}
	v, err := run("go", "env", "GOVERSION")
	if err != nil {
		return fixture{}, err
	}
	return fixture{bin: filepath.Join(out, "app"), goVersion: v}, nil
}

func writeFiles(dir string, files map[string]string) error {
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// addModule writes a module version in the GOPROXY file layout.
func addModule(proxy, path, version string, files map[string]string) error {
	tmp, err := os.MkdirTemp("", "shipline-sbom-mod-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := writeFiles(tmp, files); err != nil {
		return err
	}
	esc, err := module.EscapePath(path)
	if err != nil {
		return err
	}
	dir := filepath.Join(proxy, filepath.FromSlash(esc), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	zf, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		return err
	}
	if err := modzip.CreateFromDir(zf, module.Version{Path: path, Version: version}, tmp); err != nil {
		zf.Close()
		return err
	}
	if err := zf.Close(); err != nil {
		return err
	}
	for name, body := range map[string]string{
		"list":            version + "\n",
		version + ".info": `{"Version":"` + version + `","Time":"2026-01-01T00:00:00Z"}`,
		version + ".mod":  files["go.mod"],
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// artifact describes the fixture binary as a release artifact.
func artifact(tb testing.TB, bin string) shipline.Artifact {
	tb.Helper()
	b, err := os.ReadFile(bin)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return shipline.Artifact{
		Name: "app", Path: "app_linux_amd64_v1/app", Kind: shipline.KindBinary,
		OS: "linux", Arch: "amd64", Variant: "v1",
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b)),
	}
}

func TestFromBinary(t *testing.T) {
	app := MustApp(t)
	a := artifact(t, app.bin)
	got, err := sbom.FromBinary(app.bin, a, created)
	if err != nil {
		t.Fatal(err)
	}
	again, err := sbom.FromBinary(app.bin, a, created)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, again) {
		t.Error("two SBOMs of the same binary differ")
	}
	validate(t, got)
	checkDocument(t, got, a, app.goVersion)

	// The golden file holds what does not depend on the toolchain: the Go
	// version and the binary's digest (and so the serial number) are
	// replaced by placeholders.
	var doc struct{ SerialNumber string }
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	normal := strings.NewReplacer(
		doc.SerialNumber, "urn:uuid:SERIAL",
		a.SHA256, "BINARY-SHA256",
		`"`+app.goVersion+`"`, `"GOVERSION"`,
	).Replace(string(got))
	normal = defaultGODEBUG.ReplaceAllString(normal, `${1}"DEFAULTGODEBUG"`)
	golden(t, filepath.Join("testdata", "app.cdx.json"), []byte(normal))
}

// defaultGODEBUG matches the value of the DefaultGODEBUG build setting,
// which lists every GODEBUG default that differs between the toolchain
// and the go.mod go version.
var defaultGODEBUG = regexp.MustCompile(`("name": "shipline:go:build:DefaultGODEBUG",\s*"value": )"[^"]*"`)

// checkDocument checks the fields the golden file cannot: those that
// depend on the toolchain.
func checkDocument(t *testing.T, b []byte, a shipline.Artifact, goVersion string) {
	t.Helper()
	var doc struct {
		BOMFormat, SpecVersion, SerialNumber string
		Version                              int
		Metadata                             struct {
			Timestamp string
			Component struct {
				Name, Version, Purl string
				Hashes              []struct{ Alg, Content string }
				Properties          []struct{ Name, Value string }
			}
		}
		Components []struct {
			Name, Version, Purl string
			Properties          []struct{ Name, Value string }
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != sbom.SpecVersion || doc.Version != 1 {
		t.Errorf("bomFormat %q specVersion %q version %d", doc.BOMFormat, doc.SpecVersion, doc.Version)
	}
	if !strings.HasPrefix(doc.SerialNumber, "urn:uuid:") || doc.SerialNumber[9+14] != '5' {
		t.Errorf("serialNumber %q is not a UUID v5 URN", doc.SerialNumber)
	}
	if doc.Metadata.Timestamp != "2026-01-02T03:04:05Z" {
		t.Errorf("timestamp = %q", doc.Metadata.Timestamp)
	}
	c := doc.Metadata.Component
	if c.Purl != "pkg:golang/example.com/app@v1.2.3" {
		t.Errorf("main component purl = %q", c.Purl)
	}
	if len(c.Hashes) != 1 || c.Hashes[0].Alg != "SHA-256" || c.Hashes[0].Content != a.SHA256 {
		t.Errorf("main component hashes = %+v, want the binary's SHA-256 %s", c.Hashes, a.SHA256)
	}
	props := map[string]string{}
	for _, p := range c.Properties {
		props[p.Name] = p.Value
	}
	for k, want := range map[string]string{
		"shipline:go:version":         goVersion,
		"shipline:go:build:GOOS":      "linux",
		"shipline:go:build:vcs":       "git",
		"shipline:go:build:vcs.time":  "2026-01-02T03:04:05Z",
		"shipline:artifact:name":      "app",
		"shipline:go:build:-trimpath": "true",
	} {
		if props[k] != want {
			t.Errorf("property %s = %q, want %q", k, props[k], want)
		}
	}
	deps := map[string]map[string]string{}
	for _, d := range doc.Components {
		p := map[string]string{"purl": d.Purl}
		for _, x := range d.Properties {
			p[x.Name] = x.Value
		}
		deps[d.Name] = p
	}
	if p := deps["example.com/greeting"]; p["purl"] != "pkg:golang/example.com/greeting@v1.2.0" || !strings.HasPrefix(p["shipline:go:sum"], "h1:") {
		t.Errorf("greeting = %v", p)
	}
	if p := deps["example.com/fork"]; p["shipline:go:replaces"] != "example.com/orig@v1.0.0" {
		t.Errorf("fork = %v", p)
	}
	if p := deps["example.com/local"]; p["shipline:go:replace-dir"] != "./local" || p["purl"] != "pkg:golang/example.com/local" {
		t.Errorf("local = %v", p)
	}
}

func TestFromBinaryErrors(t *testing.T) {
	app := MustApp(t)
	good := artifact(t, app.bin)
	notGo := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(notGo, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path string
		a          shipline.Artifact
		code, want string
	}{
		{"changed digest", app.bin, shipline.Artifact{SHA256: strings.Repeat("0", 64)}, shipline.EINVALID, "changed after it was hashed"},
		{"bad digest", app.bin, shipline.Artifact{SHA256: "xyz"}, shipline.EINVALID, "changed after it was hashed"},
		{"size", app.bin, shipline.Artifact{SHA256: good.SHA256, Size: good.Size + 1}, shipline.EINVALID, "bytes, but the artifact records"},
		{"not Go", notGo, shipline.Artifact{}, shipline.EINVALID, "no Go build information"},
		{"missing", filepath.Join(t.TempDir(), "nope"), shipline.Artifact{}, shipline.EINTERNAL, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sbom.FromBinary(tt.path, tt.a, created)
			if err == nil {
				t.Fatal("no error")
			}
			if got := shipline.ErrorCode(err); got != tt.code || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %s %q, want %s containing %q", got, err, tt.code, tt.want)
			}
		})
	}
}

func TestFromBinaryNoTimestamp(t *testing.T) {
	app := MustApp(t)
	b, err := sbom.FromBinary(app.bin, shipline.Artifact{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`"timestamp"`)) {
		t.Error("timestamp written for a zero time")
	}
	validate(t, b)
}

func TestPackageURL(t *testing.T) {
	for _, tt := range []struct{ path, version, want string }{
		{"github.com/BurntSushi/toml", "v1.4.0", "pkg:golang/github.com/BurntSushi/toml@v1.4.0"},
		{"example.com/m", "v2.0.0+incompatible", "pkg:golang/example.com/m@v2.0.0%2Bincompatible"},
		{"example.com/m", "(devel)", "pkg:golang/example.com/m"},
		{"example.com/m", "", "pkg:golang/example.com/m"},
		{"gopkg.in/yaml.v3", "v3.0.1", "pkg:golang/gopkg.in/yaml.v3@v3.0.1"},
		{"example.com/a b@c", "v0.0.0-20260102030405-abcdef123456", "pkg:golang/example.com/a%20b%40c@v0.0.0-20260102030405-abcdef123456"},
	} {
		if got := sbom.PackageURL(tt.path, tt.version); got != tt.want {
			t.Errorf("PackageURL(%q, %q) = %q, want %q", tt.path, tt.version, got, tt.want)
		}
	}
}

// golden compares got with a golden file, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it); got:\n%s", path, got)
	}
}
