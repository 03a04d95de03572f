// Package binverify checks that a built binary is what it claims to be:
// the executable format, word size, byte order, machine and operating
// system its header states, and the GOOS, GOARCH, architecture variant,
// module, main package, version, cgo and -trimpath settings its Go build
// information records, against what the release expected to build.
//
// It reads files with the standard library only (debug/elf, debug/macho,
// debug/pe, debug/plan9obj, debug/buildinfo, and small readers of its own
// for WebAssembly and XCOFF, which the standard library does not read) and
// never runs the binary, so it verifies binaries for any target on any
// host.
//
// # What each check reads
//
// The header checks come first, the build-info checks follow, and each
// names what it read in Check.Source. Both must pass: a header that
// disagrees with the build information (a patched or mislabelled file)
// fails.
//
//   - format: the magic number. ELF for linux, android, the BSDs, solaris
//     and illumos; Mach-O for darwin and ios; PE for windows; a.out for
//     plan9; WebAssembly for js and wasip1; XCOFF for aix.
//   - class, byte-order, machine: ELF e_ident and e_machine, the Mach-O
//     magic and cputype, the PE optional header (PE32 or PE32+) and
//     machine, the Plan 9 a.out magic, the XCOFF magic. mips64 and
//     mips64le have the same machine and differ only in byte order.
//   - os: for ELF, the OS/ABI byte, the OS notes (.note.tag,
//     .note.netbsd.ident, .note.openbsd.ident), PT_INTERP and
//     PT_SUNWSTACK. The Go linker marks FreeBSD, NetBSD and OpenBSD
//     binaries; a static linux binary and a dragonfly one carry no marker
//     at all and look the same, and solaris and illumos look the same, so
//     the header narrows the OS to a family and the build information's
//     GOOS decides. For Mach-O the LC_BUILD_VERSION platform tells macOS
//     from iOS; for WebAssembly the imported host module (gojs or
//     wasi_snapshot_preview1) tells js from wasip1; PE implies windows.
//   - eabi (linux, android, freebsd, netbsd on arm): the EABI version in e_flags.
//     The Go linker writes the same e_flags and no .ARM.attributes for
//     GOARM=5, 6 and 7, so the header cannot tell them apart: GOARM is
//     checked in the build information only.
//   - float-abi (mips, mipsle): fp_abi of .MIPS.abiflags, which the Go
//     linker sets from GOMIPS. mips64 and mips64le binaries carry no float
//     ABI marker (the same e_flags for both GOMIPS64 values): GOMIPS64 is
//     checked in the build information only.
//   - GOOS, GOARCH, the variant setting (GOARM, GOAMD64, GOMIPS, GOMIPS64,
//     GO386, GOPPC64, GORISCV64, GOARM64), CGO_ENABLED and -trimpath: the
//     build settings. An empty Target.Variant accepts the toolchain's
//     default, whatever it is, and shows it.
//   - module and main: the build information's main module path and main
//     package path.
//   - version: see Expect.Version.
//
// The build information is read with debug/buildinfo, except in
// WebAssembly modules, which it does not read, and stripped XCOFF files,
// which it cannot: there Verify finds the module information between the
// markers cmd/go writes around it.
//
// Verify never panics on a malformed file: failures inside the debug
// packages are reported as corrupt files.
package binverify

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shipline-ci/shipline"
)

// Expect is what a binary should be. Zero-valued fields other than Target
// are not checked; Target's OS and Arch are required, and an empty
// Target.Variant accepts any variant.
type Expect struct {
	Target     shipline.Target
	ModulePath string // build info's main module path
	MainPath   string // build info's Path (the main package import path)

	// Version is the release version, checked against the string
	// variable main.version (VersionVar), which Shipline sets with
	// -ldflags "-X main.version=...". Its value is read from the symbol
	// table when the binary has one, and from the -ldflags build setting
	// when that has a -X for it (cmd/go records -ldflags only in builds
	// without -trimpath); each source read is a check of its own. A binary
	// with neither, as a stripped -trimpath release build is, passes when
	// a Go string variable in its writable data holds exactly Version: the
	// linker leaves no name to find the variable by, so this confirms the
	// value, not the name. A main package without the variable, or one
	// that never uses it (the linker then drops it and ignores -X), fails
	// with "not found". In Plan 9 binaries, whose data Verify does not
	// map, the version is checked only through -ldflags, and otherwise
	// reported as not checked.
	//
	// When the build information also records a main module version (a
	// -buildvcs build in a git work tree; "(devel)" otherwise), it must
	// equal Version too: a pseudo-version or a +dirty suffix means the
	// binary was not built from the release tag's clean tree.
	Version string

	CGO      *bool // CGO_ENABLED setting in build info
	Trimpath *bool // -trimpath setting in build info
}

// VersionVar is the string variable Expect.Version is checked against.
const VersionVar = "main.version"

// Check is one thing Verify compared.
type Check struct {
	Field    string `json:"field"`    // what was checked: "machine", "GOARM", "version", ...
	Expected string `json:"expected"` // what the Expect asks for, in the file's terms
	Found    string `json:"found"`    // what the file holds
	OK       bool   `json:"ok"`
	Source   string `json:"source"` // where Found was read: "ELF e_machine", "build info", ...
}

// Report is the outcome of verifying one file.
type Report struct {
	File   string          `json:"file"`
	Target shipline.Target `json:"target"` // the target it was checked against
	Format string          `json:"format"` // elf, macho, pe, plan9, wasm or xcoff
	Checks []Check         `json:"checks"`
}

// OK reports whether every check passed.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Failed returns the checks that did not pass.
func (r *Report) Failed() []Check {
	var bad []Check
	for _, c := range r.Checks {
		if !c.OK {
			bad = append(bad, c)
		}
	}
	return bad
}

// Err returns nil when every check passed, and otherwise an EINVALID
// *shipline.Error that names every failed field with what was expected and
// what was found.
func (r *Report) Err() error {
	bad := r.Failed()
	if len(bad) == 0 {
		return nil
	}
	var parts []string
	for _, c := range bad {
		p := fmt.Sprintf("%s: expected %s, found %s", c.Field, c.Expected, c.Found)
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	return shipline.Errorf(shipline.EINVALID, "%s does not match %s: %s", r.File, r.Target, strings.Join(parts, "; "))
}

// Verify reads the header and the Go build information of the file at
// path and checks them against e; see the package documentation for what
// each check reads.
//
// A mismatch is not an error: it is a failed Check in the report, and
// Report.Err turns it into one. Verify returns an error only when it
// cannot verify at all: an EINVALID error for an expectation without a
// known GOOS/GOARCH, and for a file that is empty, truncated, corrupt, not
// an executable or not a Go binary, each with a message that says which;
// ENOTFOUND when there is no such file.
func Verify(path string, e Expect) (*Report, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	f, err := os.Open(path) // #nosec G304 -- reading the file its caller names is what Verify is for; the file is parsed, never run
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, shipline.Errorf(shipline.ENOTFOUND, "verify %s: no such file", path)
		}
		return nil, shipline.Errorf(shipline.EINVALID, "verify: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "verify: %w", err)
	}
	if fi.IsDir() {
		return nil, shipline.Errorf(shipline.EINVALID, "verify %s: is a directory, not an executable", path)
	}
	return verify(f, fi.Size(), path, e)
}

// validate checks that e names a target Verify knows.
func (e Expect) validate() error {
	t := e.Target
	if t.OS == "" || t.Arch == "" {
		return shipline.Errorf(shipline.EINVALID, "verify: no target to check against: want GOOS/GOARCH, such as linux/amd64")
	}
	if formatOf(t.OS) == "" {
		return shipline.Errorf(shipline.EINVALID, "verify: target %s: unknown GOOS %q", t, t.OS)
	}
	if _, ok := arches[t.Arch]; !ok {
		return shipline.Errorf(shipline.EINVALID, "verify: target %s: unknown GOARCH %q", t, t.Arch)
	}
	return nil
}

// exe is what a format reader found in a file's header.
type exe struct {
	checks []Check // header checks, in the file's terms
	img    *image  // the loaded image, for reading Go strings; nil when not read
	// mipsFloat is the float ABI that .MIPS.abiflags records ("softfloat",
	// "hardfloat", "" when the file has none); checked once the build
	// information says which GOMIPS to expect.
	mipsFloat string
	mipsSeen  bool // whether mipsFloat applies (a 32-bit MIPS ELF file)
}

// readers open a file of each format; size is the file's length.
var readers = map[string]func(r io.ReaderAt, size int64, t shipline.Target) (*exe, error){
	FormatELF:   readELF,
	FormatMachO: readMachO,
	FormatPE:    readPE,
	FormatPlan9: readPlan9,
	FormatWasm:  readWasm,
	FormatXCOFF: readXCOFF,
}

// verify is Verify on an open file; name is only for messages.
func verify(r io.ReaderAt, size int64, name string, e Expect) (rep *Report, err error) {
	format := ""
	defer func() {
		if p := recover(); p != nil {
			what := "file"
			if format != "" {
				what = format + " file"
			}
			rep, err = nil, shipline.Errorf(shipline.EINVALID, "%s: corrupt %s: the reader failed: %v", name, what, p)
		}
	}()
	if err := e.validate(); err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "%s is empty, not an executable", name)
	}
	head := make([]byte, min(size, 512))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, shipline.Errorf(shipline.EINVALID, "read %s: %w", name, err)
	}
	format = sniff(head)
	if format == "" {
		return nil, shipline.Errorf(shipline.EINVALID, "%s is not an executable: %s", name, describe(head))
	}
	x, err := readers[format](r, size, e.Target)
	if err != nil {
		return nil, fileError(name, format, err)
	}
	t := e.Target
	rep = &Report{File: name, Target: t, Format: format}
	rep.Checks = append(rep.Checks, check("format", formatOf(t.OS), format, "magic number"))
	rep.Checks = append(rep.Checks, x.checks...)

	bi, err := readBuildInfo(r, size, format, x)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "%s: not a Go binary, or a damaged one: no Go build information in this %s executable (%v)", name, formatNames[format], err)
	}
	if x.mipsSeen && (t.Arch == "mips" || t.Arch == "mipsle") {
		want := t.Variant
		if want == "" {
			want = setting(bi, "GOMIPS")
		}
		if want != "" {
			found := x.mipsFloat
			if found == "" {
				found = "not recorded"
			}
			rep.Checks = append(rep.Checks, check("float-abi", want, found, ".MIPS.abiflags fp_abi"))
		}
	}
	rep.Checks = append(rep.Checks, buildInfoChecks(bi, e)...)
	if e.Version != "" {
		rep.Checks = append(rep.Checks, versionChecks(bi, x.img, e.Version)...)
	}
	return rep, nil
}

// check returns a Check that passes when found equals expected.
func check(field, expected, found, source string) Check {
	return Check{Field: field, Expected: expected, Found: found, OK: expected == found, Source: source}
}

// formatNames are the formats as a person writes them.
var formatNames = map[string]string{
	FormatELF:   "ELF",
	FormatMachO: "Mach-O",
	FormatPE:    "PE",
	FormatPlan9: "Plan 9 a.out",
	FormatWasm:  "WebAssembly",
	FormatXCOFF: "XCOFF",
}

// fileErr is a reader's finding that the file is unusable: why says what
// is wrong ("is truncated: ...", "is not an executable: ..."), err the
// cause.
type fileErr struct {
	why string
	err error
}

func (e *fileErr) Error() string {
	if e.err != nil {
		return e.why + ": " + e.err.Error()
	}
	return e.why
}

func (e *fileErr) Unwrap() error { return e.err }

// corrupt returns the error for a header a debug package could not parse.
func corrupt(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &fileErr{why: "is truncated: the headers end early", err: err}
	}
	return &fileErr{why: "has a corrupt header", err: err}
}

// truncated returns the error for a part of the file that lies beyond its
// end.
func truncated(what string, end uint64, size int64) error {
	return &fileErr{why: fmt.Sprintf("is truncated: %s ends at byte %d but the file has %d", what, end, size)}
}

// notExecutable returns the error for a well-formed file that is not an
// executable, such as an object file.
func notExecutable(format string, args ...any) error {
	return &fileErr{why: "is not an executable: " + fmt.Sprintf(format, args...)}
}

// fileError wraps a reader's error for the person running Verify.
func fileError(name, format string, err error) error {
	var fe *fileErr
	if errors.As(err, &fe) {
		return shipline.Errorf(shipline.EINVALID, "%s: %s file %w", name, formatNames[format], err)
	}
	return shipline.Errorf(shipline.EINVALID, "%s: corrupt %s file: %w", name, formatNames[format], err)
}

// sniff returns the format whose magic number head starts with, or "".
func sniff(head []byte) string {
	s := string(head)
	switch {
	case strings.HasPrefix(s, "\x7fELF"):
		return FormatELF
	case strings.HasPrefix(s, "\xfe\xed\xfa\xce"), strings.HasPrefix(s, "\xce\xfa\xed\xfe"),
		strings.HasPrefix(s, "\xfe\xed\xfa\xcf"), strings.HasPrefix(s, "\xcf\xfa\xed\xfe"):
		return FormatMachO
	case strings.HasPrefix(s, "MZ"):
		return FormatPE
	case strings.HasPrefix(s, "\x00asm"):
		return FormatWasm
	case strings.HasPrefix(s, "\x01\xdf"), strings.HasPrefix(s, "\x01\xf7"):
		return FormatXCOFF
	case isPlan9Magic(head):
		return FormatPlan9
	}
	return ""
}

// describe says what a file that is not an executable looks like.
func describe(head []byte) string {
	s := string(head)
	switch {
	case strings.HasPrefix(s, "#!"):
		return "a script (it starts with #!)"
	case strings.HasPrefix(s, "!<arch>\n"):
		return "an ar archive (a Go package archive or a C library)"
	case strings.HasPrefix(s, "PK\x03\x04"):
		return "a zip archive: verify the binary inside it"
	case strings.HasPrefix(s, "\x1f\x8b"):
		return "a gzip file (a .tar.gz?): verify the binary inside it"
	case strings.HasPrefix(s, "\xca\xfe\xba\xbe"), strings.HasPrefix(s, "\xca\xfe\xba\xbf"):
		return "a universal (fat) Mach-O file or a Java class file: Go writes neither; verify each architecture's file"
	case isText(head):
		return "a text file"
	}
	n := min(len(head), 8)
	return fmt.Sprintf("unrecognized format (it starts with % x); want ELF, Mach-O, PE, Plan 9 a.out, WebAssembly or XCOFF", head[:n])
}

// isText reports whether head looks like UTF-8 text.
func isText(head []byte) bool {
	// A multi-byte character may be cut off at the end of head.
	for i := 0; i < utf8.UTFMax-1 && len(head) > 0 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	if len(head) == 0 || !utf8.Valid(head) {
		return false
	}
	for _, r := range string(head) {
		if (r < ' ' && r != '\n' && r != '\r' && r != '\t' && r != '\f') || r == 0x7f {
			return false
		}
	}
	return true
}
