package build

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

// fakeToolchain is a toolchain on linux/amd64 that knows the targets of
// known, for tests that run no go command.
var fakeToolchain = &Toolchain{
	Go:      "go",
	Version: "go1.26.8",
	Host:    shipline.Target{OS: "linux", Arch: "amd64"},
	CC:      "gcc",
	Targets: known,
}

// mustModule writes a module into a new directory: files maps slash paths
// to contents, and a value that is a bare package name ("main", "lib")
// becomes a Go file of that package.
func mustModule(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, body := range files {
		if !strings.ContainsAny(body, " \n") {
			body = "package " + body + "\n"
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func TestMainPackages(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "root",
			files: map[string]string{"main.go": "main", "cmd/other/main.go": "main"},
			want:  []string{"."},
		},
		{
			name: "every main package in cmd",
			files: map[string]string{
				"lib.go": "lib", "cmd/b/main.go": "main", "cmd/a/main.go": "main", "cmd/a/main_test.go": "main_test",
				"cmd/lib/lib.go": "lib", "cmd/nested/go.mod": "module example.com/nested\n", "cmd/nested/main.go": "main",
				"cmd/README.md": "main", "cmd/empty/.keep": "main", "cmd/a/deeper/main.go": "main",
			},
			want: []string{"./cmd/a", "./cmd/b"},
		},
		{
			name:  "ignored files do not count",
			files: map[string]string{"main.go": "main", "gen.go": "//go:build ignore\n\npackage gen\n"},
			want:  []string{"."},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MainPackages(mustModule(t, tt.files))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("MainPackages = %q, want %q", got, tt.want)
			}
		})
	}

	_, err := MainPackages(mustModule(t, map[string]string{"lib.go": "lib", "cmd/lib/lib.go": "lib"}))
	if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "builds:\n  - main: ./path/to/main") {
		t.Errorf("no main package: %v, want an invalid error that shows the builds: to write", err)
	}
}

func TestResolveDefaults(t *testing.T) {
	t.Run("module root", func(t *testing.T) {
		dir := mustModule(t, map[string]string{"main.go": "main"})
		got, err := Resolve(ResolveOptions{Dir: dir, ModulePath: "example.com/tool/v2", Toolchain: fakeToolchain})
		if err != nil {
			t.Fatal(err)
		}
		want := []Build{{
			ID: "tool", Main: ".", Binary: "tool",
			Targets: mustTargets(DefaultTargets...),
			Ldflags: DefaultLdflags,
		}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Resolve =\n%+v\nwant\n%+v", got, want)
		}
	})
	t.Run("cmd", func(t *testing.T) {
		dir := mustModule(t, map[string]string{"lib.go": "lib", "cmd/srv/main.go": "main", "cmd/cli/main.go": "main"})
		got, err := Resolve(ResolveOptions{Dir: dir, ModulePath: "example.com/tool", Toolchain: fakeToolchain, Targets: []string{"linux/arm/v7"}})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range got {
			names = append(names, b.ID+"="+b.Main+"="+b.Binary+"@"+targetNames(b.Targets))
		}
		if want := "cli=./cmd/cli=cli@linux/arm/v7 srv=./cmd/srv=srv@linux/arm/v7"; strings.Join(names, " ") != want {
			t.Errorf("Resolve = %s, want %s", strings.Join(names, " "), want)
		}
	})
}

func TestResolveConfig(t *testing.T) {
	dir := mustModule(t, map[string]string{"lib.go": "lib", "cmd/app/main.go": "main", "tools/gen/main.go": "main"})
	cfg := []config.Build{
		{
			// main defaults to the only main package in cmd/
			Targets:   []string{"linux/amd64", "linux/arm/v7", "linux/arm64", "windows/amd64", "linux/arm/v6"},
			Exclude:   []string{"linux/arm/v6"},
			Env:       []string{"GOEXPERIMENT=", "GOPRIVATE=example.com/*"},
			Flags:     []string{"-v", "-mod=readonly"},
			Tags:      []string{"netgo", "osusergo"},
			Ldflags:   []string{"-s", "-X main.v={{.Version}}"},
			CGO:       true,
			Compilers: []config.Compiler{{Target: "linux/arm", CC: "arm-cc"}, {Target: "linux/arm64", CC: "arm64-cc -O2"}, {Target: "darwin/arm64", CC: "unused"}},
		},
		{ID: "generator", Main: "tools/gen/", Binary: "gen", Targets: []string{"linux/*"}, Exclude: []string{"linux/386", "linux/mips*", "linux/riscv64"}},
	}
	got, err := Resolve(ResolveOptions{Dir: dir, ModulePath: "example.com/x", Builds: cfg, Toolchain: fakeToolchain})
	if err != nil {
		t.Fatal(err)
	}
	amd64, armv7, arm64, win := mustTargets("linux/amd64")[0], mustTargets("linux/arm/v7")[0], mustTargets("linux/arm64")[0], mustTargets("windows/amd64")[0]
	want := []Build{
		{
			ID: "app", Main: "./cmd/app", Binary: "app",
			Targets: []shipline.Target{amd64, armv7, arm64, win},
			Env:     cfg[0].Env, Flags: cfg[0].Flags, Tags: cfg[0].Tags, Ldflags: cfg[0].Ldflags,
			CGO: true,
			CC:  map[shipline.Target]string{amd64: "gcc", armv7: "arm-cc", arm64: "arm64-cc -O2", win: "x86_64-w64-mingw32-gcc"},
		},
		{
			ID: "generator", Main: "./tools/gen", Binary: "gen",
			Targets: mustTargets("linux/amd64", "linux/arm", "linux/arm64"),
			Ldflags: DefaultLdflags,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve =\n%+v\nwant\n%+v", got, want)
	}
}

func TestResolveErrors(t *testing.T) {
	dir := mustModule(t, map[string]string{
		"lib.go": "lib", "cmd/a/main.go": "main", "cmd/b/main.go": "main", "internal/x/x.go": "x", "docs/README.md": "docs",
	})
	for _, tt := range []struct {
		name    string
		builds  []config.Build
		targets []string
		want    []string
	}{
		{
			name:   "several main packages and no main",
			builds: []config.Build{{}},
			want:   []string{`.shipline.yaml: builds[0].main: no main given and the module has several main packages (./cmd/a, ./cmd/b): name one, such as main: ./cmd/a`},
		},
		{
			name: "main that is not one",
			builds: []config.Build{
				{Main: "internal/x"}, {Main: "./docs"}, {Main: "nope", Binary: "n"}, {Main: "../elsewhere", Binary: "e"}, {Main: "/abs", Binary: "abs"},
			},
			want: []string{
				`.shipline.yaml: builds[0].main: internal/x is package x, not a main package`,
				`.shipline.yaml: builds[1].main: ./docs has no Go files`,
				`.shipline.yaml: builds[2].main: nope: no such directory in the module`,
				`.shipline.yaml: builds[3].main: "../elsewhere" is not a directory inside the module`,
				`.shipline.yaml: builds[4].main: "/abs" is not a directory inside the module`,
			},
		},
		{
			name:   "ids and binaries used twice",
			builds: []config.Build{{Main: "cmd/a"}, {Main: "cmd/b", Binary: "a", ID: "b"}, {Main: "cmd/b", ID: "a", Binary: "other"}},
			want: []string{
				`.shipline.yaml: builds[1].binary: binary "a" is also built by .shipline.yaml: builds[0]; archives are named after the binary, so give each build its own`,
				`.shipline.yaml: builds[2].id: id "a" is also the id of .shipline.yaml: builds[0]; give each build its own id`,
			},
		},
		{
			name:   "names that are not file names",
			builds: []config.Build{{Main: "cmd/a", Binary: "my app", ID: "x/y"}},
			want: []string{
				`.shipline.yaml: builds[0].binary: "my app" is not a file name: use letters, digits, '.', '-' and '_'`,
				`.shipline.yaml: builds[0].id: "x/y": use letters, digits, '.', '-' and '_'`,
			},
		},
		{
			name: "env, flags, tags and ldflags",
			builds: []config.Build{{
				Main:    "cmd/a",
				Env:     []string{"NOEQUALS", "=x", "GOOS=plan9", "GOARM=6", "CGO_ENABLED=1", "CC=clang"},
				Flags:   []string{"-o=x", "--ldflags=-s", "-tags", "-trimpath=false", "-buildvcs=true", "./cmd/b"},
				Tags:    []string{"a,b", ""},
				Ldflags: []string{"{{.Nope}}", "{{"},
			}},
			want: []string{
				`.shipline.yaml: builds[0].env: "NOEQUALS": want KEY=VALUE`,
				`.shipline.yaml: builds[0].env: "=x": want KEY=VALUE`,
				`.shipline.yaml: builds[0].env: GOOS comes from targets (GOOS/GOARCH/VARIANT): remove it from env`,
				`.shipline.yaml: builds[0].env: GOARM comes from targets (GOOS/GOARCH/VARIANT): remove it from env`,
				`.shipline.yaml: builds[0].env: CGO_ENABLED comes from cgo: remove it from env and set cgo: true for a cgo build`,
				`.shipline.yaml: builds[0].env: CC comes from compilers: remove it from env`,
				`.shipline.yaml: builds[0].flags: -o=x is set by shipline: use binary and --dist`,
				`.shipline.yaml: builds[0].flags: --ldflags=-s is set by shipline: use ldflags`,
				`.shipline.yaml: builds[0].flags: -tags is set by shipline: use tags`,
				`.shipline.yaml: builds[0].flags: -trimpath=false: builds are always -trimpath -buildvcs=false, so that they are reproducible`,
				`.shipline.yaml: builds[0].flags: -buildvcs=true: builds are always -trimpath -buildvcs=false, so that they are reproducible`,
				`.shipline.yaml: builds[0].flags: "./cmd/b" is not a flag: the main package is set by main`,
				`.shipline.yaml: builds[0].tags: "a,b": a build tag is one word`,
				`.shipline.yaml: builds[0].tags: "": a build tag is one word`,
				`.shipline.yaml: builds[0].ldflags: "{{.Nope}}": template: ldflags:1:2: executing "ldflags" at <.Nope>: can't evaluate field Nope in type build.TemplateData`,
				`.shipline.yaml: builds[0].ldflags: "{{": template: ldflags:1: unclosed action`,
			},
		},
		{
			name:   "targets",
			builds: []config.Build{{Main: "cmd/a", Targets: []string{"linux/amd64", "linux/amd46"}, Exclude: []string{"plan9/*"}}},
			want: []string{
				`.shipline.yaml: builds[0].targets: unknown target "linux/amd46": 'go tool dist list' has no linux/amd46; nearest valid targets: linux/amd64, linux/arm64, linux/386`,
				`.shipline.yaml: builds[0].targets: exclude: pattern "plan9/*" matches no target of 'go tool dist list'`,
			},
		},
		{
			name:    "--targets is checked once",
			builds:  []config.Build{{Main: "cmd/a"}, {Main: "cmd/b"}},
			targets: []string{"linux/amd64", "linux/arm/v9"},
			want:    []string{`--targets: target "linux/arm/v9": unknown arm variant "v9"; valid: v5, v6, v7, v5,softfloat, v6,softfloat, v7,softfloat, v6,hardfloat, v7,hardfloat`},
		},
		{
			name: "compilers",
			builds: []config.Build{
				{Main: "cmd/a", CGO: true, Targets: []string{"darwin/arm64", "linux/arm64", "aix/ppc64"}, Compilers: []config.Compiler{{Target: "linux", CC: "x"}, {Target: "linux/arm64", CC: " "}}},
				{Main: "cmd/b", Compilers: []config.Compiler{{Target: "linux/arm64", CC: "x"}}},
			},
			want: []string{
				`.shipline.yaml: builds[0].compilers[0].target: target "linux": want GOOS/GOARCH or GOOS/GOARCH/VARIANT, such as linux/amd64 or linux/arm/v7`,
				`.shipline.yaml: builds[0].compilers[1].cc: name the C compiler for linux/arm64`,
				`.shipline.yaml: builds[0].compilers: no C compiler is known for aix/ppc64, darwin/arm64: add compilers: [{target: aix/ppc64, cc: COMPILER}]`,
				`.shipline.yaml: builds[1].compilers: compilers are for cgo builds: set cgo: true, or remove them`,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(ResolveOptions{Dir: dir, ModulePath: "example.com/x", Builds: tt.builds, Targets: tt.targets, Toolchain: fakeToolchain})
			if err == nil {
				t.Fatalf("Resolve = %+v, want an error", got)
			}
			if shipline.ErrorCode(err) != shipline.EINVALID {
				t.Errorf("code = %s, want invalid", shipline.ErrorCode(err))
			}
			if lines := strings.Split(err.Error(), "\n"); !slices.Equal(lines, tt.want) {
				t.Errorf("error:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDefaultBinary(t *testing.T) {
	for _, tt := range []struct{ main, modulePath, want string }{
		{"./cmd/app", "example.com/x", "app"},
		{".", "example.com/tool", "tool"},
		{".", "example.com/tool/v2", "tool"},
		{".", "example.com/tool/v1", "v1"},
		{".", "example.com/tool/v10", "tool"},
		{".", "v2", "v2"},
		{".", "", "dirname"},
	} {
		if got := defaultBinary(tt.main, tt.modulePath, "/src/dirname"); got != tt.want {
			t.Errorf("defaultBinary(%q, %q) = %q, want %q", tt.main, tt.modulePath, got, tt.want)
		}
	}
}
