package binverify

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
)

// mustRead returns the contents of the built binary name.
func mustRead(tb testing.TB, name string) (*built, []byte) {
	tb.Helper()
	b := testBinary(tb, name)
	data, err := os.ReadFile(b.path)
	if err != nil {
		tb.Fatal(err)
	}
	return b, data
}

// writeTemp writes data to a new file in a test's temporary directory.
func writeTemp(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, data, 0o755); err != nil {
		tb.Fatal(err)
	}
	return p
}

// wantVerifyError checks that Verify fails on the file with an EINVALID
// error whose message contains one of msgs.
func wantVerifyError(tb testing.TB, path string, e Expect, msgs ...string) {
	tb.Helper()
	r, err := Verify(path, e)
	if err == nil {
		tb.Fatalf("Verify(%s) = report %+v, want an error", path, r)
	}
	if r != nil {
		tb.Errorf("Verify(%s) returned a report with its error", path)
	}
	if code := shipline.ErrorCode(err); code != shipline.EINVALID {
		tb.Errorf("Verify(%s) error code %q, want %q: %v", path, code, shipline.EINVALID, err)
	}
	for _, m := range msgs {
		if strings.Contains(err.Error(), m) {
			return
		}
	}
	tb.Errorf("Verify(%s) error %q; want it to say one of %q", path, err, msgs)
}

var linuxAMD64 = Expect{Target: shipline.Target{OS: "linux", Arch: "amd64"}, Version: testVersion}

// TestPatchedELFMachine changes e_machine in a copy of a linux/amd64
// binary: the header now disagrees with the build information, and the
// report says so.
func TestPatchedELFMachine(t *testing.T) {
	_, data := mustRead(t, "linux-amd64")
	for _, tt := range []struct {
		machine uint16
		found   string
	}{
		{183, "EM_AARCH64"},
		{62, "EM_X86_64"}, // unchanged: a control
		{0xbeef, "EM_"},
	} {
		patched := bytes.Clone(data)
		binary.LittleEndian.PutUint16(patched[18:], tt.machine)
		r, err := Verify(writeTemp(t, "patched", patched), linuxAMD64)
		if err != nil {
			t.Fatalf("machine %#x: %v", tt.machine, err)
		}
		c := r.Checks[slicesIndex(r.Checks, "machine")]
		if c.Expected != "EM_X86_64" || !strings.Contains(c.Found, tt.found) || c.OK != (tt.machine == 62) {
			t.Errorf("machine %#x: check %+v; want found %q", tt.machine, c, tt.found)
		}
		if got := found(r, "GOARCH"); got != "amd64" {
			t.Errorf("machine %#x: GOARCH found %q, want amd64 (the build information is untouched)", tt.machine, got)
		}
		if tt.machine != 62 && (r.OK() || !strings.Contains(r.Err().Error(), "machine: expected EM_X86_64, found "+c.Found)) {
			t.Errorf("machine %#x: Err() = %v; want the machine named", tt.machine, r.Err())
		}
	}
}

func slicesIndex(checks []Check, field string) int {
	for i, c := range checks {
		if c.Field == field {
			return i
		}
	}
	panic("no check " + field)
}

// TestPatchedELFOSABI marks a linux binary as FreeBSD's in its header.
func TestPatchedELFOSABI(t *testing.T) {
	_, data := mustRead(t, "linux-amd64")
	data = bytes.Clone(data)
	data[7] = 9 // ELFOSABI_FREEBSD
	r, err := Verify(writeTemp(t, "patched", data), linuxAMD64)
	if err != nil {
		t.Fatal(err)
	}
	if got := failedFields(r); len(got) != 1 || got[0] != "os" {
		t.Fatalf("failed fields = %q, want [os]", got)
	}
	if f := found(r, "os"); !strings.HasPrefix(f, "FreeBSD (OS/ABI FreeBSD)") {
		t.Errorf("os found %q", f)
	}
}

// TestNotExecutable checks files that are well formed but not executables
// or not Go binaries.
func TestNotExecutable(t *testing.T) {
	_, data := mustRead(t, "linux-amd64")

	rel := bytes.Clone(data)
	binary.LittleEndian.PutUint16(rel[16:], 1) // ET_REL
	wantVerifyError(t, writeTemp(t, "obj.o", rel), linuxAMD64, "not an executable: the ELF type is ET_REL")

	// Without the build information header, a Go binary is just an ELF file.
	notGo := bytes.ReplaceAll(data, []byte("\xff Go buildinf:"), []byte("\xff No buildinf:"))
	wantVerifyError(t, writeTemp(t, "c-program", notGo), linuxAMD64, "not a Go binary, or a damaged one: no Go build information in this ELF executable")

	if !testing.Short() {
		_, aix := mustRead(t, "aix-ppc64")
		aix = bytes.Clone(aix)
		aix[19] &^= 2 // F_EXEC
		wantVerifyError(t, writeTemp(t, "aix.o", aix), linuxAMD64, "not an executable: the XCOFF file has no F_EXEC flag")
	}

	for name, content := range map[string]string{
		"empty":       "",
		"text":        "hello, world\nthis is not a binary\n",
		"script":      "#!/bin/sh\necho hi\n",
		"utf8 text":   "versión 1.2.3 — ünïcode\n",
		"del":         "\x7f",
		"zip":         "PK\x03\x04\x14\x00\x00\x00",
		"tar.gz":      "\x1f\x8b\x08\x00\x00\x00\x00\x00",
		"ar":          "!<arch>\n__.PKGDEF",
		"fat mach-o":  "\xca\xfe\xba\xbe\x00\x00\x00\x02",
		"elf magic":   "\x7fELF",
		"elf garbage": "\x7fELF\x02\x01\x01\x00" + strings.Repeat("garbage ", 16),
		"pe magic":    "MZ\x90\x00",
		"wasm v2":     "\x00asm\x02\x00\x00\x00",
		"wasm bad":    "\x00asm\x01\x00\x00\x00\x0b\xff\xff\xff\xff\x0f",
		"wasm no go":  "\x00asm\x01\x00\x00\x00",
		"xcoff":       "\x01\xf7\x00\x04",
	} {
		t.Run(name, func(t *testing.T) {
			wantVerifyError(t, writeTemp(t, "file", []byte(content)), linuxAMD64, map[string]string{
				"empty":       "is empty, not an executable",
				"text":        "is not an executable: a text file",
				"utf8 text":   "is not an executable: a text file",
				"script":      "is not an executable: a script",
				"del":         "unrecognized format (it starts with 7f)",
				"zip":         "a zip archive: verify the binary inside it",
				"tar.gz":      "a gzip file",
				"ar":          "an ar archive",
				"fat mach-o":  "universal (fat) Mach-O",
				"elf magic":   "ELF file is truncated: the headers end early",
				"elf garbage": "ELF file has a corrupt header",
				"pe magic":    "PE file",
				"wasm v2":     "not an executable: WebAssembly binary format version 2",
				"wasm bad":    "WebAssembly file",
				"wasm no go":  "no Go build information in this WebAssembly executable",
				"xcoff":       "XCOFF file is truncated",
			}[name])
		})
	}
}

// TestRandomBytes checks that files of random bytes, with and without a
// valid magic number in front, are errors.
func TestRandomBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		data := make([]byte, 1+rng.IntN(8192))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		switch i % 5 {
		case 1:
			copy(data, "\x7fELF\x02\x01\x01")
		case 2:
			copy(data, "MZ")
		case 3:
			copy(data, "\xcf\xfa\xed\xfe")
		case 4:
			copy(data, "\x00asm\x01\x00\x00\x00")
		}
		r, err := verify(bytes.NewReader(data), int64(len(data)), "random", linuxAMD64)
		if err == nil {
			t.Fatalf("random file %d (% x...) verified: %+v", i, data[:min(len(data), 16)], r)
		}
		if shipline.ErrorCode(err) != shipline.EINVALID {
			t.Fatalf("random file %d: error %v, want EINVALID", i, err)
		}
	}
}

// TestTruncated cuts real binaries of each format at many lengths.
func TestTruncated(t *testing.T) {
	for _, name := range []string{"linux-amd64", "linux-arm-v7", "windows-amd64", "darwin-arm64", "js-wasm", "plan9-amd64", "aix-ppc64"} {
		t.Run(name, func(t *testing.T) {
			b, data := mustRead(t, name)
			e := Expect{Target: b.target, Version: testVersion}
			for _, n := range []int{1, 2, 3, 4, 7, 16, 52, 64, 200, 512, 4096, 65536, len(data) / 2, len(data) - 4096, len(data) - 1} {
				if b.target.OS == "aix" && n > len(data)/2 {
					// The end of a stripped XCOFF file is a symbol table
					// its header does not point at: cutting it off is
					// invisible to a reader.
					continue
				}
				p := writeTemp(t, "cut", data[:n])
				wantVerifyError(t, p, e, "truncated", "corrupt", "not an executable", "not a Go binary")
			}
		})
	}
}

// TestWrongOS checks a Go binary for another operating system: it is not an
// error, but a report that fails.
func TestWrongOS(t *testing.T) {
	b := testBinary(t, "freebsd-amd64")
	e := expectFor(b)
	e.Target.OS = "linux"
	r := mustVerify(t, b, e)
	err := r.Err()
	if err == nil || !strings.Contains(err.Error(), "GOOS: expected linux, found freebsd") || !strings.Contains(err.Error(), "os: expected Linux or none, found FreeBSD") {
		t.Fatalf("Err() = %v; want the OS named twice", err)
	}
}

// panicReader panics on every read after the first, as a debug package
// might on a file it does not expect.
type panicReader struct {
	data  []byte
	reads *int
}

func (p panicReader) ReadAt(b []byte, off int64) (int, error) {
	if *p.reads++; *p.reads > 1 {
		panic("index out of range [8] with length 4")
	}
	return copy(b, p.data), nil
}

// TestPanicRecovered checks that a panic while reading is a corrupt file.
func TestPanicRecovered(t *testing.T) {
	data := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	r, err := verify(panicReader{data, new(int)}, 1<<20, "bad", linuxAMD64)
	if r != nil || shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "bad: corrupt elf file: the reader failed: index out of range") {
		t.Fatalf("verify(panicking reader) = %v, %v; want an EINVALID corrupt file error", r, err)
	}
}

// TestHasStringVar checks the search for a Go string variable on a made-up
// image: a pointer stored in place, one left to a RELATIVE relocation, and
// headers that do not count.
func TestHasStringVar(t *testing.T) {
	rodata := []byte("....v1.2.3....v1.2.3-rc.1..")
	hdr := func(p, n uint64) []byte {
		b := make([]byte, 16)
		binary.LittleEndian.PutUint64(b, p)
		binary.LittleEndian.PutUint64(b[8:], n)
		return b
	}
	img := func(data []byte, writable bool, relocs map[uint64]uint64) *image {
		m := &image{
			ptrSize: 8, order: binary.LittleEndian,
			segs: []segment{{addr: 0x1000, size: uint64(len(rodata))}, {addr: 0x2000, size: uint64(len(data)), writable: writable}},
			data: [][]byte{rodata, data},
		}
		if relocs != nil {
			m.relocs = func() map[uint64]uint64 { return relocs }
		}
		return m
	}
	tests := []struct {
		name string
		m    *image
		want bool
	}{
		{"in place", img(append(hdr(7, 7), hdr(0x1004, 6)...), true, nil), true},
		{"relocated", img(append(hdr(7, 7), hdr(0, 6)...), true, map[uint64]uint64{0x2010: 0x1004}), true},
		{"relocated elsewhere", img(append(hdr(7, 7), hdr(0, 6)...), true, map[uint64]uint64{0x2010: 0x1005}), false},
		{"read-only", img(hdr(0x1004, 6), false, nil), false},
		{"wrong length", img(hdr(0x1004, 5), true, nil), false},
		{"a longer string", img(hdr(0x100e, 11), true, nil), false},
		{"misaligned", img(append([]byte{0, 0, 0, 0}, hdr(0x1004, 6)...), true, nil), false},
	}
	for _, tt := range tests {
		if got := tt.m.hasStringVar("v1.2.3"); got != tt.want {
			t.Errorf("%s: hasStringVar = %v, want %v", tt.name, got, tt.want)
		}
	}
	if s, ok := img(hdr(0x100e, 11), true, nil).stringAt(0x2000); !ok || s != "v1.2.3-rc.1" {
		t.Errorf("stringAt = %q, %v; want v1.2.3-rc.1", s, ok)
	}
	if _, ok := img(hdr(0x100e, 1<<40), true, nil).stringAt(0x2000); ok {
		t.Error("stringAt read a string of a terabyte")
	}
}

// TestAppendedData checks that bytes after the end of an executable, such
// as the signature trailer package sign appends to ELF files, do not
// change the report.
func TestAppendedData(t *testing.T) {
	trailer := append(bytes.Repeat([]byte{0x30}, 72), "....digest....SHIPLINE-SIG-V1\n"...)
	for _, name := range []string{"linux-amd64", "linux-arm-v7", "windows-amd64", "darwin-arm64"} {
		b, data := mustRead(t, name)
		r, err := Verify(writeTemp(t, "signed", append(bytes.Clone(data), trailer...)), expectFor(b))
		if err != nil {
			t.Fatalf("%s with a trailer: %v", name, err)
		}
		if !r.OK() {
			t.Errorf("%s with a trailer: %v", name, r.Err())
		}
	}
}
