package binverify

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
)

// The test program: a main package in a sub-directory of its module, so
// that the module path and the main package path differ, with a version
// variable that -X sets.
const (
	testModule  = "example.com/hello"
	testMain    = "example.com/hello/cmd/hello"
	testVersion = "v1.2.3"
)

var testFiles = map[string]string{
	"go.mod": "module " + testModule + "\n\ngo 1.21\n",
	"cmd/hello/main.go": `package main

var version = "dev"

func main() { println("hello", version) }
`,
}

// binSpec is one binary TestMain builds.
type binSpec struct {
	name    string // key in bins, and file name
	target  string // GOOS/GOARCH[/VARIANT]
	short   bool   // built under -short too
	ldflags string // "" for the release flags, "-s -w -X main.version=v1.2.3"
	full    bool   // no -trimpath (so -ldflags is recorded)
	pie     bool   // -buildmode=pie
	version string // the value of main.version in it; "" for v1.2.3
}

const releaseLdflags = "-s -w -X main.version=" + testVersion

// specs are the binaries the tests use: the release builds of many
// targets, and linux/amd64 builds that differ in how the version can be
// read.
var specs = []binSpec{
	{name: "linux-amd64", target: "linux/amd64", short: true},
	{name: "linux-arm-v7", target: "linux/arm/v7", short: true},
	{name: "windows-amd64", target: "windows/amd64", short: true},
	{name: "darwin-arm64", target: "darwin/arm64", short: true},
	{name: "linux-amd64-full", target: "linux/amd64", short: true, full: true, ldflags: "-X main.version=" + testVersion},
	{name: "linux-amd64-nox", target: "linux/amd64", short: true, ldflags: "-s -w", version: "dev"},
	{name: "linux-amd64-full-nox", target: "linux/amd64", short: true, full: true, ldflags: "-w", version: "dev"},
	{name: "linux-arm64", target: "linux/arm64"},
	{name: "linux-arm-v6", target: "linux/arm/v6"},
	{name: "linux-mips64le", target: "linux/mips64le"},
	{name: "linux-mips64", target: "linux/mips64"},
	{name: "linux-mipsle-softfloat", target: "linux/mipsle/softfloat"},
	{name: "linux-386", target: "linux/386"},
	{name: "linux-amd64-v3", target: "linux/amd64/v3"},
	{name: "linux-amd64-pie", target: "linux/amd64", pie: true},
	{name: "linux-riscv64", target: "linux/riscv64"},
	{name: "windows-arm64", target: "windows/arm64"},
	{name: "windows-386", target: "windows/386"},
	{name: "darwin-amd64", target: "darwin/amd64"},
	{name: "freebsd-amd64", target: "freebsd/amd64"},
	{name: "openbsd-arm64", target: "openbsd/arm64"},
	{name: "illumos-amd64", target: "illumos/amd64"},
	{name: "js-wasm", target: "js/wasm"},
	{name: "wasip1-wasm", target: "wasip1/wasm"},
	{name: "plan9-amd64", target: "plan9/amd64"},
	{name: "aix-ppc64", target: "aix/ppc64"},
}

// built is a binary TestMain built, or why it could not.
type built struct {
	spec   binSpec
	target shipline.Target
	path   string
	err    error
}

var (
	bins      = map[string]*built{}
	buildErr  error // the whole build failed (no go command)
	buildTime time.Duration
	goCmd     string
)

// TestMain builds the test program once per spec into a temporary
// directory, the way Shipline builds releases: go build -trimpath,
// CGO_ENABLED=0, the variant variable, -ldflags "-s -w -X ...". The go
// command's build cache makes a second run take well under a second; a
// cold cache compiles the standard library once per target (about ten
// seconds each on two cores), which is why -short builds fewer targets.
func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "binverify-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	if isFuzzWorker() {
		// A fuzzing worker only runs the inputs the coordinator sends it;
		// the coordinator built the seed binaries.
		buildErr = errors.New("no test binaries in a fuzzing worker")
	} else {
		buildErr = buildAll(dir)
	}
	buildTime = time.Since(start)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// isFuzzWorker reports whether this process is a worker that go test
// -fuzz started, which it marks with the -test.fuzzworker flag.
func isFuzzWorker() bool {
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// buildAll writes the test program to dir and builds the specs.
func buildAll(dir string) error {
	var err error
	goCmd, err = exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("no go command to build test binaries: %w", err)
	}
	src := filepath.Join(dir, "src")
	for name, body := range testFiles {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	// A few go commands at once: with a warm build cache each one is
	// mostly start-up and cache look-ups.
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, s := range specs {
		if testing.Short() && !s.short {
			continue
		}
		b := &built{spec: s, path: filepath.Join(dir, s.name)}
		bins[s.name] = b
		b.target, b.err = shipline.ParseTarget(s.target)
		if b.err != nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			b.err = goBuild(src, b.path, b.target, s)
		})
	}
	wg.Wait()
	return nil
}

// variantVars are the variables that select a variant; each build sets
// them all so that the caller's environment does not leak in.
var variantVars = []string{"GOARM", "GOAMD64", "GOMIPS", "GOMIPS64", "GO386", "GOPPC64", "GORISCV64", "GOARM64"}

// goBuild builds the test program in src for t.
func goBuild(src, out string, t shipline.Target, s binSpec) error {
	ldflags := s.ldflags
	if ldflags == "" {
		ldflags = releaseLdflags
	}
	args := []string{"build", "-o", out, "-ldflags", ldflags}
	if !s.full {
		args = append(args, "-trimpath")
	}
	if s.pie {
		args = append(args, "-buildmode=pie")
	}
	args = append(args, "./cmd/hello")
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = src
	env := append(os.Environ(),
		"GOOS="+t.OS, "GOARCH="+t.Arch, "CGO_ENABLED=0",
		"GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local", "GOWORK=off", "GOPROXY=off",
	)
	for _, v := range variantVars {
		env = append(env, v+"=")
	}
	if v := t.VariantEnv(); v != "" {
		env = append(env, v)
	}
	cmd.Env = env
	if outb, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s (%s): %v\n%s", strings.Join(args, " "), t, err, outb)
	}
	return nil
}

// testBinary returns the built binary name; it skips the test when -short
// left it out and fails it when it could not be built.
func testBinary(tb testing.TB, name string) *built {
	tb.Helper()
	if buildErr != nil {
		tb.Skip(buildErr)
	}
	b, ok := bins[name]
	if !ok {
		if testing.Short() {
			tb.Skipf("%s is not built under -short", name)
		}
		tb.Fatalf("no test binary %q", name)
	}
	if b.err != nil {
		tb.Fatalf("build %s: %v", name, b.err)
	}
	return b
}

// builtNames returns the names of the binaries built, in spec order.
func builtNames() []string {
	var names []string
	for _, s := range specs {
		if _, ok := bins[s.name]; ok {
			names = append(names, s.name)
		}
	}
	return names
}

// expectFor returns what the built binary b should verify against.
func expectFor(b *built) Expect {
	version := b.spec.version
	if version == "" {
		version = testVersion
	}
	return Expect{
		Target:     b.target,
		ModulePath: testModule,
		MainPath:   testMain,
		Version:    version,
		CGO:        ptr(false),
		Trimpath:   ptr(!b.spec.full),
	}
}

func ptr[T any](v T) *T { return &v }

// TestBuildTime logs how long TestMain took to build the test binaries.
func TestBuildTime(t *testing.T) {
	if buildErr != nil {
		t.Skip(buildErr)
	}
	t.Logf("built %d test binaries in %v", len(bins), buildTime.Round(time.Millisecond))
}
