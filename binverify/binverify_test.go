package binverify

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
)

// mustVerify verifies b against e and fails the test on an error.
func mustVerify(tb testing.TB, b *built, e Expect) *Report {
	tb.Helper()
	r, err := Verify(b.path, e)
	if err != nil {
		tb.Fatalf("Verify(%s, %s): %v", b.spec.name, e.Target, err)
	}
	return r
}

// failedFields returns the fields of r's failed checks, sorted, without
// duplicates.
func failedFields(r *Report) []string {
	var fields []string
	for _, c := range r.Failed() {
		if !slices.Contains(fields, c.Field) {
			fields = append(fields, c.Field)
		}
	}
	slices.Sort(fields)
	return fields
}

// logReport writes r as a table to the test log.
func logReport(tb testing.TB, r *Report) {
	tb.Helper()
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString("\n  " + c.Field + "\texpected " + c.Expected + "\tfound " + c.Found)
		if !c.OK {
			b.WriteString("\tFAILED")
		}
	}
	tb.Log(r.File, r.Format, b.String())
}

// TestVerifyOwnTarget checks that every built binary verifies against the
// target, module, main package, version and settings it was built with.
func TestVerifyOwnTarget(t *testing.T) {
	wantFormat := map[string]string{
		"linux": FormatELF, "freebsd": FormatELF, "openbsd": FormatELF, "illumos": FormatELF,
		"darwin": FormatMachO, "windows": FormatPE, "js": FormatWasm, "wasip1": FormatWasm,
		"plan9": FormatPlan9, "aix": FormatXCOFF,
	}
	for _, name := range builtNames() {
		t.Run(name, func(t *testing.T) {
			b := testBinary(t, name)
			r := mustVerify(t, b, expectFor(b))
			if !r.OK() {
				logReport(t, r)
				t.Fatalf("Verify(%s against its own target): %v", name, r.Err())
			}
			if err := r.Err(); err != nil {
				t.Errorf("Err() = %v, want nil for an OK report", err)
			}
			if r.Format != wantFormat[b.target.OS] {
				t.Errorf("Format = %q, want %q", r.Format, wantFormat[b.target.OS])
			}
			if r.File != b.path || r.Target != b.target {
				t.Errorf("File, Target = %q, %v; want %q, %v", r.File, r.Target, b.path, b.target)
			}
			// Every Expect field was checked, and the header too.
			for _, f := range []string{"format", "machine", "GOOS", "GOARCH", "module", "main", "version", "CGO_ENABLED", "-trimpath"} {
				if !slices.ContainsFunc(r.Checks, func(c Check) bool { return c.Field == f }) {
					t.Errorf("no %q check in the report", f)
				}
			}
			if key := variantKey(b.target.Arch); key != "" && !slices.ContainsFunc(r.Checks, func(c Check) bool { return c.Field == key }) {
				t.Errorf("no %q check in the report", key)
			}
			for _, c := range r.Checks {
				if c.Source == "" || c.Expected == "" || c.Found == "" {
					t.Errorf("check %+v: want Expected, Found and Source", c)
				}
			}
		})
	}
}

// TestVerifyWrongTarget checks that binaries fail against targets they
// were not built for, on exactly the fields that differ.
func TestVerifyWrongTarget(t *testing.T) {
	tests := []struct {
		bin    string
		target string
		failed []string // sorted
	}{
		// Same machine, same class: only the byte order and GOARCH tell them apart.
		{"linux-mips64le", "linux/mips64", []string{"GOARCH", "byte-order"}},
		{"linux-mips64", "linux/mips64le", []string{"GOARCH", "byte-order"}},
		// GOARM is in the build information only: the header is the same for v6 and v7.
		{"linux-arm-v7", "linux/arm/v6", []string{"GOARM"}},
		{"linux-arm-v6", "linux/arm/v7", []string{"GOARM"}},
		{"linux-arm-v7", "linux/arm/v7,softfloat", []string{"GOARM"}},
		{"linux-arm-v7", "linux/arm/v7,hardfloat", nil}, // 7 is hardfloat by default
		{"linux-arm-v7", "linux/arm64", []string{"GOARCH", "class", "machine"}},
		{"darwin-arm64", "linux/arm64", []string{"GOOS", "format"}},
		{"darwin-amd64", "darwin/arm64", []string{"GOARCH", "machine"}},
		{"darwin-arm64", "ios/arm64", []string{"GOOS", "os"}},
		{"linux-arm64", "darwin/arm64", []string{"GOOS", "format"}},
		{"windows-amd64", "windows/arm64", []string{"GOARCH", "machine"}},
		{"windows-arm64", "windows/amd64", []string{"GOARCH", "machine"}},
		{"windows-386", "windows/amd64", []string{"GOARCH", "class", "machine"}},
		{"windows-amd64", "linux/amd64", []string{"GOOS", "format"}},
		{"linux-amd64", "freebsd/amd64", []string{"GOOS", "os"}},
		{"freebsd-amd64", "linux/amd64", []string{"GOOS", "os"}},
		{"freebsd-amd64", "openbsd/amd64", []string{"GOOS", "os"}},
		// The header cannot tell a static linux binary from a dragonfly one.
		{"linux-amd64", "dragonfly/amd64", []string{"GOOS"}},
		{"illumos-amd64", "solaris/amd64", []string{"GOOS"}},
		{"illumos-amd64", "linux/amd64", []string{"GOOS", "os"}},
		{"openbsd-arm64", "linux/arm64", []string{"GOOS", "os"}},
		{"linux-amd64", "linux/amd64/v3", []string{"GOAMD64"}},
		{"linux-amd64-v3", "linux/amd64/v1", []string{"GOAMD64"}},
		{"linux-386", "linux/amd64", []string{"GOARCH", "class", "machine"}},
		{"linux-mipsle-softfloat", "linux/mipsle/hardfloat", []string{"GOMIPS", "float-abi"}},
		{"linux-mipsle-softfloat", "linux/mips/softfloat", []string{"GOARCH", "byte-order"}},
		{"js-wasm", "wasip1/wasm", []string{"GOOS", "os"}},
		{"wasip1-wasm", "js/wasm", []string{"GOOS", "os"}},
		{"js-wasm", "linux/amd64", []string{"GOARCH", "GOOS", "format", "machine"}},
		{"plan9-amd64", "plan9/386", []string{"GOARCH", "class", "machine"}},
		{"aix-ppc64", "linux/ppc64", []string{"GOOS", "format"}},
		{"linux-riscv64", "linux/arm64", []string{"GOARCH", "machine"}},
	}
	for _, tt := range tests {
		t.Run(tt.bin+"_as_"+strings.ReplaceAll(tt.target, "/", "_"), func(t *testing.T) {
			b := testBinary(t, tt.bin)
			target, err := shipline.ParseTarget(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			e := expectFor(b)
			e.Target = target
			r := mustVerify(t, b, e)
			got := failedFields(r)
			if !slices.Equal(got, tt.failed) {
				logReport(t, r)
				t.Fatalf("failed fields = %q, want %q", got, tt.failed)
			}
			err = r.Err()
			if len(tt.failed) == 0 {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			if code := shipline.ErrorCode(err); code != shipline.EINVALID {
				t.Fatalf("Err() code %q, want %q: %v", code, shipline.EINVALID, err)
			}
			for _, c := range r.Failed() {
				want := c.Field + ": expected " + c.Expected + ", found " + c.Found
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Err() = %q; want it to contain %q", err, want)
				}
			}
		})
	}
}

// TestVerifyExpect checks the fields of Expect other than Target, one at a
// time, and that zero fields are not checked.
func TestVerifyExpect(t *testing.T) {
	b := testBinary(t, "linux-amd64")
	tests := []struct {
		name   string
		edit   func(*Expect)
		failed []string
		found  string // what the failed check found
	}{
		{"all right", func(*Expect) {}, nil, ""},
		{"module", func(e *Expect) { e.ModulePath = "example.com/other" }, []string{"module"}, testModule},
		{"main", func(e *Expect) { e.MainPath = testModule }, []string{"main"}, testMain},
		{"version", func(e *Expect) { e.Version = "v1.2.4" }, []string{"version"}, "not found: no Go string variable holds it"},
		{"version prefix", func(e *Expect) { e.Version = "v1.2" }, []string{"version"}, "not found: no Go string variable holds it"},
		{"cgo", func(e *Expect) { e.CGO = ptr(true) }, []string{"CGO_ENABLED"}, "0"},
		{"trimpath", func(e *Expect) { e.Trimpath = ptr(false) }, []string{"-trimpath"}, "true"},
		{"unchecked", func(e *Expect) { *e = Expect{Target: e.Target} }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := expectFor(b)
			tt.edit(&e)
			r := mustVerify(t, b, e)
			got := failedFields(r)
			if !slices.Equal(got, tt.failed) {
				logReport(t, r)
				t.Fatalf("failed fields = %q, want %q", got, tt.failed)
			}
			if len(tt.failed) > 0 && r.Failed()[0].Found != tt.found {
				t.Errorf("found %q, want %q", r.Failed()[0].Found, tt.found)
			}
		})
	}
	t.Run("zero fields are not checked", func(t *testing.T) {
		r := mustVerify(t, b, Expect{Target: b.target})
		for _, c := range r.Checks {
			switch c.Field {
			case "module", "main", "version", "module version", "CGO_ENABLED", "-trimpath":
				t.Errorf("zero Expect checked %q", c.Field)
			}
		}
	})
}

// TestVersionSources checks that the version is read from the symbol
// table, the -ldflags setting, or the data of a stripped binary (position
// dependent or not), whichever the binary has.
func TestVersionSources(t *testing.T) {
	tests := []struct {
		bin     string
		want    string
		sources map[string]string // source prefix: what it found
	}{
		{"linux-amd64", testVersion, map[string]string{"data:": testVersion}},
		{"linux-amd64", "v9.9.9", map[string]string{"data:": "not found: no Go string variable holds it"}},
		{"linux-amd64-pie", testVersion, map[string]string{"data:": testVersion}},
		{"linux-arm-v7", testVersion, map[string]string{"data:": testVersion}},
		{"linux-mips64", testVersion, map[string]string{"data:": testVersion}},
		{"windows-amd64", testVersion, map[string]string{"data:": testVersion}},
		{"darwin-arm64", testVersion, map[string]string{"data:": testVersion}},
		{"js-wasm", testVersion, map[string]string{"data:": testVersion}},
		{"aix-ppc64", testVersion, map[string]string{"data:": testVersion}},
		{"linux-amd64-nox", testVersion, map[string]string{"data:": "not found: no Go string variable holds it"}},
		{"linux-amd64-nox", "dev", map[string]string{"data:": "dev"}},
		{"linux-amd64-full", testVersion, map[string]string{"symbol table:": testVersion, "build info -ldflags:": testVersion}},
		{"linux-amd64-full", "v9.9.9", map[string]string{"symbol table:": testVersion, "build info -ldflags:": testVersion}},
		{"linux-amd64-full-nox", testVersion, map[string]string{"symbol table:": "dev"}},
		{"linux-amd64-full-nox", "dev", map[string]string{"symbol table:": "dev"}},
		{"plan9-amd64", testVersion, map[string]string{"the data of this format is not read": "not checked: stripped, and no -ldflags build setting (-trimpath)"}},
	}
	for _, tt := range tests {
		t.Run(tt.bin+"_"+tt.want, func(t *testing.T) {
			b := testBinary(t, tt.bin)
			r := mustVerify(t, b, Expect{Target: b.target, Version: tt.want})
			got := map[string]string{}
			for _, c := range r.Checks {
				if c.Field != "version" {
					continue
				}
				for prefix := range tt.sources {
					if strings.HasPrefix(c.Source, prefix) {
						got[prefix] = c.Found
						if wantOK := c.Found == tt.want || strings.HasPrefix(c.Found, "not checked"); c.OK != wantOK {
							t.Errorf("%s: OK = %v, want %v", c.Source, c.OK, wantOK)
						}
					}
				}
			}
			if len(got) != len(tt.sources) {
				logReport(t, r)
			}
			for prefix, want := range tt.sources {
				if got[prefix] != want {
					t.Errorf("version from %q = %q, want %q", prefix, got[prefix], want)
				}
			}
		})
	}
}

// TestModuleVersion checks the build information's main module version,
// which a -buildvcs build sets from the VCS.
func TestModuleVersion(t *testing.T) {
	tests := []struct {
		version string
		checked bool
		ok      bool
	}{
		{"(devel)", false, false},
		{"", false, false},
		{"v1.2.3", true, true},
		{"v1.2.3+dirty", true, false},
		{"v1.2.4-0.20260102030405-abcdefabcdef", true, false},
		{"v1.2.2", true, false},
	}
	for _, tt := range tests {
		bi := &debug.BuildInfo{Main: debug.Module{Path: testModule, Version: tt.version}}
		checks := versionChecks(bi, nil, "v1.2.3")
		i := slices.IndexFunc(checks, func(c Check) bool { return c.Field == "module version" })
		if (i >= 0) != tt.checked {
			t.Errorf("module version %q: checked = %v, want %v", tt.version, i >= 0, tt.checked)
			continue
		}
		if i >= 0 && checks[i].OK != tt.ok {
			t.Errorf("module version %q: OK = %v, want %v", tt.version, checks[i].OK, tt.ok)
		}
	}
}

func TestLdflagsVar(t *testing.T) {
	tests := []struct {
		flags string
		value string
		ok    bool
	}{
		{"-s -w -X main.version=v1.2.3", "v1.2.3", true},
		{"-X=main.version=v1.2.3", "v1.2.3", true},
		{"--X main.version=v1.2.3", "v1.2.3", true},
		{"-X main.version=v1 -X main.version=v2", "v2", true},
		{"-X 'main.version=v1.2.3 beta'", "v1.2.3 beta", true},
		{`-X "main.version=a=b"`, "a=b", true},
		{"-X main.version=", "", true},
		{"all=-s -X main.version=v3", "v3", true},
		{"-X main.commit=abc", "", false},
		{"-X example.com/hello/main.version=v1", "", false},
		{"-s -w", "", false},
		{"-X", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		v, ok := ldflagsVar(tt.flags, VersionVar)
		if v != tt.value || ok != tt.ok {
			t.Errorf("ldflagsVar(%q) = %q, %v; want %q, %v", tt.flags, v, ok, tt.value, tt.ok)
		}
	}
}

func TestSameVariant(t *testing.T) {
	tests := []struct {
		key, want, got string
		same           bool
	}{
		{"GOARM", "7", "7", true},
		{"GOARM", "7", "7,hardfloat", true},
		{"GOARM", "7,softfloat", "7", false},
		{"GOARM", "5", "5,softfloat", true},
		{"GOARM", "5", "5,hardfloat", false},
		{"GOARM", "6", "7", false},
		{"GOAMD64", "v3", "v3", true},
		{"GOAMD64", "v3", "v1", false},
		{"GOMIPS64", "softfloat", "hardfloat", false},
	}
	for _, tt := range tests {
		if got := sameVariant(tt.key, tt.want, tt.got); got != tt.same {
			t.Errorf("sameVariant(%s, %q, %q) = %v, want %v", tt.key, tt.want, tt.got, got, tt.same)
		}
	}
	for arch, want := range map[string]string{"arm": "GOARM", "amd64": "GOAMD64", "mips": "GOMIPS", "mips64le": "GOMIPS64", "386": "GO386", "arm64": "GOARM64", "s390x": "", "wasm": ""} {
		if got := variantKey(arch); got != want {
			t.Errorf("variantKey(%s) = %q, want %q", arch, got, want)
		}
	}
}

// TestExpectErrors checks that an expectation Verify cannot check against
// is an EINVALID error, and a missing file ENOTFOUND.
func TestExpectErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x")
	if err := os.WriteFile(file, []byte("\x7fELF"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		e    Expect
		code string
		msg  string
	}{
		{file, Expect{}, shipline.EINVALID, "no target"},
		{file, Expect{Target: shipline.Target{OS: "linux"}}, shipline.EINVALID, "no target"},
		{file, Expect{Target: shipline.Target{OS: "beos", Arch: "amd64"}}, shipline.EINVALID, `unknown GOOS "beos"`},
		{file, Expect{Target: shipline.Target{OS: "linux", Arch: "vax"}}, shipline.EINVALID, `unknown GOARCH "vax"`},
		{filepath.Join(dir, "missing"), Expect{Target: shipline.Target{OS: "linux", Arch: "amd64"}}, shipline.ENOTFOUND, "no such file"},
		{dir, Expect{Target: shipline.Target{OS: "linux", Arch: "amd64"}}, shipline.EINVALID, "is a directory"},
	}
	for _, tt := range tests {
		r, err := Verify(tt.path, tt.e)
		if r != nil || err == nil {
			t.Errorf("Verify(%s, %+v) = %v, %v; want an error", tt.path, tt.e, r, err)
			continue
		}
		if shipline.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Verify(%s, %+v) error %q (%s); want %s containing %q", tt.path, tt.e, err, shipline.ErrorCode(err), tt.code, tt.msg)
		}
	}
}

func TestReportErr(t *testing.T) {
	r := &Report{File: "dist/app", Target: shipline.Target{OS: "linux", Arch: "arm", Variant: "v7"}, Checks: []Check{
		{Field: "machine", Expected: "EM_ARM", Found: "EM_X86_64"},
		{Field: "GOOS", Expected: "linux", Found: "linux", OK: true},
		{Field: "GOARCH", Expected: "arm", Found: "amd64"},
		{Field: "version", Expected: "v1", Found: "v2", Source: "a"},
		{Field: "version", Expected: "v1", Found: "v2", Source: "b"},
	}}
	err := r.Err()
	want := "dist/app does not match linux/arm/v7: machine: expected EM_ARM, found EM_X86_64; GOARCH: expected arm, found amd64; version: expected v1, found v2"
	if err == nil || err.Error() != want {
		t.Fatalf("Err() = %v\nwant %s", err, want)
	}
	var se *shipline.Error
	if !errors.As(err, &se) || se.Code != shipline.EINVALID {
		t.Fatalf("Err() = %#v, want an EINVALID *shipline.Error", err)
	}
	if r.OK() {
		t.Error("OK() = true with failed checks")
	}
	if (&Report{}).Err() != nil || !(&Report{}).OK() {
		t.Error("an empty report is not OK")
	}
}
