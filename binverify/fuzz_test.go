package binverify

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/shipline-ci/shipline"
)

// fuzzStrict makes FuzzVerify fail on panics that Verify recovered from,
// to find the ones in binverify's own code. Panics in the debug packages
// are recovered by design, so it is off by default.
var fuzzStrict = flag.Bool("fuzzstrict", false, "fail FuzzVerify on recovered panics")

// fuzzTargets are the expectations FuzzVerify checks inputs against, one
// per format, chosen by the input's first byte.
var fuzzTargets = []shipline.Target{
	{OS: "linux", Arch: "amd64"},
	{OS: "linux", Arch: "arm", Variant: "v7"},
	{OS: "linux", Arch: "mips64le"},
	{OS: "freebsd", Arch: "amd64"},
	{OS: "darwin", Arch: "arm64"},
	{OS: "windows", Arch: "amd64"},
	{OS: "js", Arch: "wasm"},
	{OS: "plan9", Arch: "amd64"},
	{OS: "aix", Arch: "ppc64"},
}

// FuzzVerify mutates the first 4 KiB of real binaries of every format and
// checks that verifying them never panics (Verify recovers from panics in
// the debug packages, but its own code must not panic either: the
// recovered-panic message is reported as a failure), that errors are
// EINVALID, and that reports are well formed.
func FuzzVerify(f *testing.F) {
	for _, name := range builtNames() {
		b := bins[name]
		if b.err != nil {
			continue
		}
		data, err := os.ReadFile(b.path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 4096)])
	}
	for _, s := range []string{"", "\x7fELF", "MZ", "\x00asm\x01\x00\x00\x00", "\x01\xf7", "\xcf\xfa\xed\xfe", "#!/bin/sh\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		target := fuzzTargets[0]
		if len(data) > 0 {
			target = fuzzTargets[int(data[len(data)-1])%len(fuzzTargets)]
		}
		e := Expect{Target: target, Version: "v1.2.3", ModulePath: testModule, CGO: ptr(false)}
		r, err := verify(bytes.NewReader(data), int64(len(data)), "fuzz", e)
		if err != nil {
			if r != nil {
				t.Fatalf("verify returned a report with its error %v", err)
			}
			if code := shipline.ErrorCode(err); code != shipline.EINVALID {
				t.Fatalf("error code %q, want %q: %v", code, shipline.EINVALID, err)
			}
			if bytes.Contains([]byte(err.Error()), []byte("the reader failed")) && *fuzzStrict {
				t.Fatalf("recovered a panic: %v", err)
			}
			return
		}
		if r.Format == "" || len(r.Checks) == 0 || r.Checks[0].Field != "format" {
			t.Fatalf("malformed report %+v", r)
		}
		if (r.Err() == nil) != r.OK() {
			t.Fatalf("Err() = %v but OK() = %v", r.Err(), r.OK())
		}
	})
}
