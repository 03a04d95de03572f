package binverify

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// found returns what r's check of field found, or "".
func found(r *Report, field string) string {
	for _, c := range r.Checks {
		if c.Field == field {
			return c.Found
		}
	}
	return ""
}

// fileWords maps what Verify finds to the words file(1) uses for it.
var fileWords = map[string]string{
	"EM_X86_64":                "x86-64",
	"EM_AARCH64":               "ARM aarch64",
	"EM_ARM":                   "ARM, EABI5",
	"EM_386":                   "Intel (80386|i386)",
	"EM_MIPS":                  "MIPS",
	"EM_RISCV":                 "RISC-V",
	"CpuAmd64":                 "x86_64",
	"CpuArm64":                 "arm64",
	"IMAGE_FILE_MACHINE_AMD64": "x86-64",
	"IMAGE_FILE_MACHINE_ARM64": "Aarch64",
	"IMAGE_FILE_MACHINE_I386":  "Intel (80386|i386)",
}

// TestFileJudge has file(1) describe every test binary and checks that it
// agrees with what Verify found in the header. It is skipped where file
// is not installed (apt-get install file).
func TestFileJudge(t *testing.T) {
	fileCmd, err := exec.LookPath("file")
	if err != nil {
		t.Skip("file(1) is not installed")
	}
	for _, name := range builtNames() {
		t.Run(name, func(t *testing.T) {
			b := testBinary(t, name)
			r := mustVerify(t, b, Expect{Target: b.target})
			out, err := exec.Command(fileCmd, "-b", b.path).Output()
			if err != nil {
				t.Fatalf("file %s: %v", b.path, err)
			}
			desc := string(out)
			var want []string
			switch r.Format {
			case FormatELF:
				bits, order := "64-bit", "LSB"
				if found(r, "class") == "32-bit" {
					bits = "32-bit"
				}
				if found(r, "byte-order") == "big-endian" {
					order = "MSB"
				}
				want = append(want, "^ELF "+bits+" "+order+" ", fileWords[found(r, "machine")])
				switch b.target.OS {
				case "freebsd":
					want = append(want, `\(FreeBSD\)`)
				case "openbsd":
					want = append(want, `\(OpenBSD\)`)
				case "linux":
					want = append(want, `\(SYSV\)`)
					if !b.spec.pie {
						want = append(want, "statically linked")
					}
				}
			case FormatMachO:
				want = append(want, "^Mach-O 64-bit "+fileWords[found(r, "machine")]+" executable")
			case FormatPE:
				class := "PE32 "
				if strings.Contains(found(r, "class"), "PE32+") {
					class = `PE32\+ `
				}
				want = append(want, "^"+class+"executable", fileWords[found(r, "machine")], "MS Windows")
			case FormatWasm:
				want = append(want, "^WebAssembly")
			case FormatXCOFF:
				want = append(want, "^64-bit XCOFF executable")
			case FormatPlan9:
				t.Skipf("file(1) does not know Plan 9 a.out for amd64: %q", strings.TrimSpace(desc))
			}
			for _, w := range want {
				if !regexp.MustCompile(w).MatchString(desc) {
					t.Errorf("file says %q; want it to match %q (Verify found %s)", strings.TrimSpace(desc), w, found(r, "machine"))
				}
			}
		})
	}
}

// TestGoVersionJudge has `go version -m` read every test binary's build
// information and checks that it agrees with what Verify found. go version
// does not read WebAssembly modules, or stripped XCOFF files.
func TestGoVersionJudge(t *testing.T) {
	if goCmd == "" {
		t.Skip("no go command")
	}
	for _, name := range builtNames() {
		t.Run(name, func(t *testing.T) {
			b := testBinary(t, name)
			r := mustVerify(t, b, Expect{Target: b.target, ModulePath: testModule, MainPath: testMain})
			out, err := exec.Command(goCmd, "version", "-m", b.path).CombinedOutput()
			if r.Format == FormatWasm || r.Format == FormatXCOFF {
				if err == nil && strings.Contains(string(out), "\tpath\t") {
					t.Logf("go version -m now reads %s files; compare it here", r.Format)
				}
				return
			}
			if err != nil {
				t.Fatalf("go version -m %s: %v\n%s", b.path, err, out)
			}
			var got = map[string]string{}
			for line := range strings.Lines(string(out)) {
				f := strings.Split(strings.TrimSpace(line), "\t")
				switch {
				case len(f) >= 2 && f[0] == "path":
					got["main"] = f[1]
				case len(f) >= 2 && f[0] == "mod":
					got["module"] = f[1]
				case len(f) == 2 && f[0] == "build":
					if k, v, ok := strings.Cut(f[1], "="); ok {
						got[k] = v
					}
				}
			}
			fields := []string{"GOOS", "GOARCH", "module", "main"}
			if key := variantKey(b.target.Arch); key != "" {
				fields = append(fields, key)
			}
			for _, f := range fields {
				if got[f] == "" || got[f] != found(r, f) {
					t.Errorf("%s: go version -m says %q, Verify found %q", f, got[f], found(r, f))
				}
			}
		})
	}
}
