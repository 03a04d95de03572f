package binverify

import (
	"bytes"
	"debug/buildinfo"
	"errors"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
)

// The markers cmd/go puts around the module information it links into
// every module-aware binary (runtime.modinfo); see
// cmd/go/internal/modload.ModInfoData.
var (
	modinfoStart = []byte("\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6")
	modinfoEnd   = []byte("\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2")
)

// readBuildInfo returns the Go build information of the file. ELF,
// Mach-O, PE and Plan 9 files are read with debug/buildinfo, which finds
// the build information header the linker writes. WebAssembly files,
// which debug/buildinfo does not read, and XCOFF files it cannot read (a
// stripped one) are searched for the module information between the
// markers cmd/go writes around it; their Go version is then unknown.
func readBuildInfo(r io.ReaderAt, size int64, format string, x *exe) (*debug.BuildInfo, error) {
	bi, err := buildinfo.Read(r)
	if err == nil || (format != FormatWasm && format != FormatXCOFF) {
		return bi, err
	}
	var blobs [][]byte
	if x.img != nil {
		if err := x.img.load(); err != nil {
			return nil, err
		}
		blobs = x.img.data
	} else {
		b := make([]byte, size)
		if _, err := r.ReadAt(b, 0); err != nil {
			return nil, err
		}
		blobs = [][]byte{b}
	}
	for _, b := range blobs {
		if bi := findModinfo(b); bi != nil {
			return bi, nil
		}
	}
	return nil, errors.New("no Go module information")
}

// findModinfo returns the first well-formed module information in b.
func findModinfo(b []byte) *debug.BuildInfo {
	for {
		i := bytes.Index(b, modinfoStart)
		if i < 0 {
			return nil
		}
		b = b[i+len(modinfoStart):]
		j := bytes.Index(b, modinfoEnd)
		if j < 0 {
			return nil
		}
		if bi, err := debug.ParseBuildInfo(string(b[:j])); err == nil && bi.Path != "" {
			return bi
		}
	}
}

// setting returns the value of the build setting key, or "".
func setting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// notRecorded is what a check found when the build information lacks the
// setting.
const notRecorded = "not recorded"

// orNot returns v, or notRecorded for "".
func orNot(v string) string {
	if v == "" {
		return notRecorded
	}
	return v
}

// buildInfoChecks compares the build information with e, except for the
// version.
func buildInfoChecks(bi *debug.BuildInfo, e Expect) []Check {
	const src = "build info"
	t := e.Target
	checks := []Check{
		check("GOOS", t.OS, orNot(setting(bi, "GOOS")), src),
		check("GOARCH", t.Arch, orNot(setting(bi, "GOARCH")), src),
	}
	if key := variantKey(t.Arch); key != "" {
		found := orNot(setting(bi, key))
		if env := t.VariantEnv(); env != "" {
			_, want, _ := strings.Cut(env, "=")
			c := check(key, want, found, src)
			c.OK = sameVariant(key, want, found)
			checks = append(checks, c)
		} else {
			checks = append(checks, Check{Field: key, Expected: "any", Found: found, OK: true, Source: src})
		}
	}
	if e.ModulePath != "" {
		checks = append(checks, check("module", e.ModulePath, orNot(bi.Main.Path), "build info main module path"))
	}
	if e.MainPath != "" {
		checks = append(checks, check("main", e.MainPath, orNot(bi.Path), "build info main package path"))
	}
	if e.CGO != nil {
		want := "0"
		if *e.CGO {
			want = "1"
		}
		checks = append(checks, check("CGO_ENABLED", want, orNot(setting(bi, "CGO_ENABLED")), src))
	}
	if e.Trimpath != nil {
		// cmd/go records -trimpath=true only for -trimpath builds.
		found := setting(bi, "-trimpath")
		if found == "" {
			found = "false"
		}
		checks = append(checks, check("-trimpath", strconv.FormatBool(*e.Trimpath), found, src))
	}
	return checks
}

// versionChecks compares the version the binary carries with want; see
// Expect.Version. img may be nil.
func versionChecks(bi *debug.BuildInfo, img *image, want string) []Check {
	var checks []Check
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		checks = append(checks, check("module version", want, v, "build info main module version (from VCS)"))
	}
	const field = "version"
	if img != nil && img.symbol != nil {
		if addr, ok := img.symbol(VersionVar); ok {
			s, ok := img.stringAt(addr)
			if !ok {
				s = "unreadable"
			}
			checks = append(checks, check(field, want, s, "symbol table: "+VersionVar))
		}
	}
	// Without a -X for it, -ldflags says nothing about the variable: it
	// holds its value from the source.
	if v, ok := ldflagsVar(setting(bi, "-ldflags"), VersionVar); ok {
		checks = append(checks, check(field, want, v, "build info -ldflags: -X "+VersionVar))
	}
	for _, c := range checks {
		if c.Field == field {
			return checks
		}
	}
	if img == nil {
		// Plan 9 and XCOFF: Verify does not map their data.
		return append(checks, Check{
			Field: field, Expected: want, OK: true,
			Found:  "not checked: stripped, and no -ldflags build setting (-trimpath)",
			Source: "the data of this format is not read",
		})
	}
	found := "not found: no Go string variable holds it"
	if img.hasStringVar(want) {
		found = want
	}
	return append(checks, check(field, want, found, "data: a Go string variable (symbols stripped; -X value by content)"))
}

// ldflagsVar returns the value the linker flags flags give the string
// variable name with -X; the last -X for name wins, as in the linker.
func ldflagsVar(flags, name string) (string, bool) {
	args := splitQuoted(flags)
	// A per-package form, "pattern=flags", applies to the main package
	// when the pattern matches it; assume it does.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if _, rest, ok := strings.Cut(args[0], "="); ok {
			args[0] = rest
		}
	}
	value, found := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		var arg string
		switch {
		case a == "-X" || a == "--X":
			if i+1 == len(args) {
				continue
			}
			i++
			arg = args[i]
		case strings.HasPrefix(a, "-X=") || strings.HasPrefix(a, "--X="):
			_, arg, _ = strings.Cut(a, "=")
		default:
			continue
		}
		if k, v, ok := strings.Cut(arg, "="); ok && k == name {
			value, found = v, true
		}
	}
	return value, found
}

// splitQuoted splits s into fields at spaces, where a field may be quoted
// with single or double quotes (cmd/internal/quoted's rules, which
// cmd/go uses to write -ldflags into the build information).
func splitQuoted(s string) []string {
	var args []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		args = append(args, cur.String())
	}
	return args
}
