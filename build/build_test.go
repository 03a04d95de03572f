package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build/archive"
	"github.com/shipline-ci/shipline/config"
)

// These tests run the real go command; -short skips them.

const helloMain = `package main

import "fmt"

var version, commit, date = "dev", "none", "unknown"

func main() { fmt.Println("hello", version, commit, date) }
`

var commitDate = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// mustToolchain returns the toolchain of the go command on PATH.
func mustToolchain(tb testing.TB, dir string) *Toolchain {
	tb.Helper()
	if testing.Short() {
		tb.Skip("runs go build; skipped with -short")
	}
	tc, err := LookupToolchain(context.Background(), "", dir)
	if err != nil {
		tb.Skip(err)
	}
	return tc
}

// runOptions are options for a build of the module in dir into dir/dist.
func runOptions(dir string, tc *Toolchain) Options {
	return Options{
		Dir:          dir,
		ModulePath:   "example.com/hello",
		Dist:         filepath.Join(dir, "dist"),
		Version:      "v1.2.3",
		Commit:       "0123456789abcdef0123456789abcdef01234567",
		Date:         commitDate,
		ArchiveFiles: config.DefaultArchiveFiles(),
		Toolchain:    tc,
		Parallelism:  2,
	}
}

func TestLookupToolchain(t *testing.T) {
	tc := mustToolchain(t, t.TempDir())
	if !strings.HasPrefix(tc.Version, "go1.") {
		t.Errorf("Version = %q", tc.Version)
	}
	if tc.Host.OS == "" || tc.Host.Arch == "" {
		t.Errorf("Host = %v", tc.Host)
	}
	for _, want := range []string{"linux/amd64", "windows/arm64", "linux/mips64le", "darwin/arm64"} {
		if !slices.ContainsFunc(tc.Targets, func(t shipline.Target) bool { return t.String() == want }) {
			t.Errorf("Targets lacks %s", want)
		}
	}
}

func TestRun(t *testing.T) {
	dir := mustModule(t, map[string]string{
		"go.mod": "module example.com/hello\n\ngo 1.22\n", "main.go": helloMain, "LICENSE": "MIT\n", "README.md": "# hello\n",
	})
	tc := mustToolchain(t, dir)
	host := shipline.Target{OS: runtime.GOOS, Arch: runtime.GOARCH}
	arm := shipline.Target{OS: "linux", Arch: "arm", Variant: "v7"}
	win := shipline.Target{OS: "windows", Arch: "amd64"}
	builds := []Build{{ID: "hello", Main: ".", Binary: "hello", Targets: []shipline.Target{arm, host, win}, Ldflags: DefaultLdflags}}

	opts := runOptions(dir, tc)
	var mu sync.Mutex
	var expects []Expect
	opts.Verify = func(ctx context.Context, path string, want Expect) error {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Verify(%s): %v", path, err)
		}
		mu.Lock()
		expects = append(expects, want)
		mu.Unlock()
		return nil
	}
	states := map[string][]string{}
	opts.Progress = func(e Event) { states[e.Label] = append(states[e.Label], e.State.String()) }

	res, err := Run(context.Background(), builds, opts)
	if err != nil {
		t.Fatal(err)
	}

	// Every target went through every state, in order.
	for _, target := range []shipline.Target{arm, host, win} {
		if got, want := strings.Join(states[target.String()], " "), "queued building verifying archiving done"; got != want {
			t.Errorf("%s: states %s, want %s", target, got, want)
		}
	}
	// The verifier was told what to expect.
	slices.SortFunc(expects, func(a, b Expect) int { return compareTargets(a.Target, b.Target) })
	for _, e := range expects {
		if e.ModulePath != "example.com/hello" || e.MainPath != "example.com/hello" || e.Version != "v1.2.3" || e.CGO || !e.Trimpath {
			t.Errorf("Expect = %+v", e)
		}
	}
	if len(expects) != 3 {
		t.Errorf("Verify ran %d times, want 3", len(expects))
	}

	// The artifacts, sorted by path, and the files on disk.
	var paths []string
	for _, a := range res.Artifacts {
		paths = append(paths, a.Path)
		data, err := os.ReadFile(filepath.Join(opts.Dist, filepath.FromSlash(a.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(data)) != a.Size {
			t.Errorf("%s: size %d, file has %d", a.Path, a.Size, len(data))
		}
		// Binaries are hashed as they are archived, archives as they
		// are written: the digests are those of the files.
		if sum := sha256.Sum256(data); a.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: SHA-256 %s, file has %x", a.Path, a.SHA256, sum)
		}
	}
	hostDir := "hello_" + dirSuffix(host)
	want := []string{
		"checksums.txt",
		hostDir + "/hello",
		"hello_linux_arm_v7/hello",
		"hello_v1.2.3_" + dirSuffix(host) + ".tar.gz",
		"hello_v1.2.3_linux_arm_v7.tar.gz",
		"hello_v1.2.3_windows_amd64.zip",
		"hello_windows_amd64/hello.exe",
	}
	slices.Sort(want)
	if !slices.Equal(paths, want) {
		t.Errorf("artifacts:\n%s\nwant\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	sums, err := os.ReadFile(filepath.Join(opts.Dist, ChecksumsFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := FormatChecksums(slices.DeleteFunc(slices.Clone(res.Artifacts), func(a shipline.Artifact) bool { return a.Kind == shipline.KindChecksums })); string(sums) != string(want) {
		t.Errorf("checksums.txt =\n%s\nwant\n%s", sums, want)
	}
	var manifest Result
	data, err := os.ReadFile(filepath.Join(opts.Dist, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.Version != "v1.2.3" || manifest.Date != "2026-01-02T03:04:05Z" || len(manifest.Artifacts) != len(res.Artifacts) {
		t.Errorf("artifacts.json = %s", data)
	}

	// The host binary runs and knows its version.
	out, err := exec.Command(filepath.Join(opts.Dist, hostDir, "hello")).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), "hello v1.2.3 0123456789abcdef0123456789abcdef01234567 2026-01-02T03:04:05Z"; got != want {
		t.Errorf("binary printed %q, want %q", got, want)
	}

	// The same source in another directory gives the same bytes.
	other := mustModule(t, map[string]string{
		"go.mod": "module example.com/hello\n\ngo 1.22\n", "main.go": helloMain, "LICENSE": "MIT\n", "README.md": "# hello\n",
	})
	opts2 := runOptions(other, tc)
	again, err := Run(context.Background(), builds, opts2)
	if err != nil {
		t.Fatal(err)
	}
	if diffs := Compare(res.Artifacts, again.Artifacts); diffs != nil {
		t.Errorf("a build in another directory differs: %+v", diffs)
	}

	// A second Run into the same dist refuses, unless Clean.
	if _, err := Run(context.Background(), builds, opts); shipline.ErrorCode(err) != shipline.ECONFLICT {
		t.Errorf("Run into a full dist = %v, want a conflict", err)
	}
}

func TestRunFailure(t *testing.T) {
	dir := mustModule(t, map[string]string{
		"go.mod":    "module example.com/hello\n\ngo 1.22\n",
		"main.go":   helloMain,
		"broken.go": "//go:build windows\n\npackage main\n\nfunc broken() { undefined() }\n",
		"README.md": "# hello\n",
	})
	tc := mustToolchain(t, dir)
	targets := mustTargets("linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64")
	builds := []Build{{ID: "hello", Main: ".", Binary: "hello", Targets: targets, Ldflags: DefaultLdflags}}

	t.Run("keep going", func(t *testing.T) {
		opts := runOptions(dir, tc)
		opts.Dist = filepath.Join(t.TempDir(), "dist")
		opts.KeepGoing = true
		final := map[string]State{}
		opts.Progress = func(e Event) { final[e.Label] = e.State }
		_, err := Run(context.Background(), builds, opts)
		if err == nil {
			t.Fatal("Run succeeded with a broken windows build")
		}
		if shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("code = %s, want invalid", shipline.ErrorCode(err))
		}
		for _, want := range []string{"2 of 4 targets failed", "build hello for windows/amd64: go build failed", "build hello for windows/arm64", "undefined: undefined"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		wantStates := map[string]State{"linux/amd64": Done, "linux/arm64": Done, "windows/amd64": Failed, "windows/arm64": Failed}
		if !maps.Equal(final, wantStates) {
			t.Errorf("final states = %v, want %v", final, wantStates)
		}
		if _, err := os.Stat(filepath.Join(opts.Dist, ChecksumsFile)); err == nil {
			t.Error("a failed build wrote checksums.txt")
		}
	})

	t.Run("stop at the first", func(t *testing.T) {
		opts := runOptions(dir, tc)
		opts.Dist = filepath.Join(t.TempDir(), "dist")
		opts.Parallelism = 1
		builds := []Build{{ID: "hello", Main: ".", Binary: "hello", Targets: mustTargets("windows/amd64", "linux/amd64", "linux/arm64"), Ldflags: DefaultLdflags}}
		final := map[string]State{}
		opts.Progress = func(e Event) { final[e.Label] = e.State }
		_, err := Run(context.Background(), builds, opts)
		if err == nil || !strings.HasPrefix(err.Error(), "build hello for windows/amd64: go build failed") {
			t.Fatalf("Run = %v, want the windows failure alone", err)
		}
		// One at a time, in order: windows/amd64 fails first and the
		// rest never start.
		wantStates := map[string]State{"windows/amd64": Failed, "linux/amd64": Canceled, "linux/arm64": Canceled}
		if !maps.Equal(final, wantStates) {
			t.Errorf("final states = %v, want %v", final, wantStates)
		}
	})

	t.Run("cancelled by the caller", func(t *testing.T) {
		opts := runOptions(dir, tc)
		opts.Dist = filepath.Join(t.TempDir(), "dist")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		builds := []Build{{ID: "hello", Main: ".", Binary: "hello", Targets: mustTargets("linux/amd64"), Ldflags: DefaultLdflags}}
		if _, err := Run(ctx, builds, opts); err != context.Canceled {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	})
}

func TestRunChecksBeforeBuilding(t *testing.T) {
	dir := mustModule(t, map[string]string{"go.mod": "module example.com/hello\n", "main.go": helloMain})
	opts := runOptions(dir, fakeToolchain)
	opts.LookPath = installed()
	started := false
	opts.Progress = func(Event) { started = true }
	builds := []Build{{ID: "hello", Main: ".", Binary: "hello", Targets: mustTargets("linux/arm64"), CGO: true,
		CC: map[shipline.Target]string{mustTargets("linux/arm64")[0]: "aarch64-linux-gnu-gcc"}, Ldflags: DefaultLdflags}}

	_, err := Run(context.Background(), builds, opts)
	if shipline.ErrorCode(err) != shipline.ENOTFOUND || !strings.Contains(err.Error(), "gcc-aarch64-linux-gnu") {
		t.Errorf("Run = %v, want the missing compiler", err)
	}
	builds[0].CGO = false
	builds[0].Ldflags = []string{"{{.Nope}}"}
	if _, err := Run(context.Background(), builds, opts); shipline.ErrorCode(err) != shipline.EINVALID {
		t.Errorf("Run with a bad template = %v, want invalid", err)
	}
	builds = append(builds, Build{ID: "other", Main: ".", Binary: "hello", Targets: mustTargets("linux/arm64"), Ldflags: DefaultLdflags})
	builds[0].Ldflags = DefaultLdflags
	if _, err := Run(context.Background(), builds, opts); err == nil || !strings.Contains(err.Error(), "would both write hello_v1.2.3_linux_arm64.tar.gz") {
		t.Errorf("Run with colliding names = %v", err)
	}
	if started {
		t.Error("a build started")
	}
	if _, err := os.Stat(opts.Dist); err == nil {
		t.Error("dist was created")
	}
	builds = builds[:1]
	for _, level := range []int{-1, 10} {
		opts.ArchiveLevel = level
		if _, err := Run(context.Background(), builds, opts); shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "compression level") {
			t.Errorf("Run with compression level %d = %v, want invalid", level, err)
		}
	}
	if started {
		t.Error("a build started")
	}
	if _, err := Run(context.Background(), builds, Options{}); shipline.ErrorCode(err) != shipline.EINTERNAL {
		t.Errorf("Run without options = %v", err)
	}
}

// The config's default compression level is the archive package's.
func TestDefaultCompressionLevel(t *testing.T) {
	if got, want := config.Default().Archive.CompressionLevel, archive.DefaultLevel; got != want {
		t.Errorf("config.Default().Archive.CompressionLevel = %d, archive.DefaultLevel = %d: keep them the same", got, want)
	}
}

// TestRunPipelines checks that what follows a target's go build does not
// hold its build slot: with one build at a time, the second target's go
// build starts while the first target is being verified.
func TestRunPipelines(t *testing.T) {
	dir := mustModule(t, map[string]string{"go.mod": "module example.com/hello\n\ngo 1.22\n", "main.go": helloMain})
	tc := mustToolchain(t, dir)
	builds := []Build{{ID: "hello", Main: ".", Binary: "hello", Targets: mustTargets("linux/amd64", "linux/arm64"), Ldflags: DefaultLdflags}}
	opts := runOptions(dir, tc)
	opts.Parallelism = 1
	second := make(chan struct{})
	opts.Progress = func(e Event) {
		if e.Target.Arch == "arm64" && e.State == Building {
			close(second)
		}
	}
	opts.Verify = func(ctx context.Context, path string, want Expect) error {
		if want.Target.Arch != "amd64" {
			return nil
		}
		select {
		case <-second:
			return nil
		case <-time.After(time.Minute):
			return errors.New("the second go build did not start while the first target was verified")
		}
	}
	if _, err := Run(context.Background(), builds, opts); err != nil {
		t.Fatal(err)
	}
}

func TestBuildProcs(t *testing.T) {
	t.Setenv("GOMAXPROCS", "") // as unset, whatever runs the test
	tests := []struct {
		cpus, parallelism, jobs, want int
	}{
		{2, 2, 8, 1},
		{8, 2, 8, 4},
		{8, 3, 8, 2},
		{2, 4, 8, 1}, // more builds than CPUs: still one each
		{8, 4, 2, 4}, // fewer jobs than slots: the jobs share the CPUs
		{8, 1, 8, 0}, // one at a time: the go command's default
		{8, 4, 1, 0},
	}
	for _, tt := range tests {
		if got := buildProcs(tt.cpus, tt.parallelism, tt.jobs); got != tt.want {
			t.Errorf("buildProcs(%d, %d, %d) = %d; want %d", tt.cpus, tt.parallelism, tt.jobs, got, tt.want)
		}
	}
	t.Setenv("GOMAXPROCS", "3")
	if got := buildProcs(8, 2, 8); got != 0 {
		t.Errorf("buildProcs with GOMAXPROCS set = %d; want 0 (the caller's setting wins)", got)
	}
}
