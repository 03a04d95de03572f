package goproxy

import (
	"strings"
	"testing"

	"golang.org/x/mod/module"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/store"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Request // zero: not found
		why  string  // in the error message
	}{
		{path: "/example.com/!fixture/@v/list", want: Request{Module: "example.com/Fixture", File: FileList}},
		{path: "example.com/!fixture/@latest", want: Request{Module: "example.com/Fixture", File: FileLatest}},
		{path: "/example.com/m/@v/v1.2.3.info", want: Request{Module: "example.com/m", Version: "v1.2.3", File: FileInfo}},
		{path: "/example.com/m/v2/@v/v2.0.0-!r!c.1.mod", want: Request{Module: "example.com/m/v2", Version: "v2.0.0-RC.1", File: FileMod}},
		{path: "/example.com/m/@v/v2.0.0+incompatible.zip", want: Request{Module: "example.com/m", Version: "v2.0.0+incompatible", File: FileZip}},
		{path: "/gopkg.in/yaml.v3/@v/v3.0.1.zip", want: Request{Module: "gopkg.in/yaml.v3", Version: "v3.0.1", File: FileZip}},
		{path: "/example.com/m/@v/v0.0.0-20260102030405-abcdefabcdef.info", want: Request{Module: "example.com/m", Version: "v0.0.0-20260102030405-abcdefabcdef", File: FileInfo}},

		{path: "", why: "this is a Go module proxy"},
		{path: "/", why: "this is a Go module proxy"},
		{path: "/example.com/Fixture/@v/list", why: "upper-case letters are written !x"},
		{path: "/example.com/!!x/@v/list", why: "invalid module path"},
		{path: "/example.com/m/@v/v1.0.0.shipline.json", why: "unknown file"},
		{path: "/example.com/m/@v/v1.0.0.tar", why: "unknown file"},
		{path: "/example.com/m/@v/v1.0.0", why: "unknown file"},
		{path: "/example.com/m/@v/", why: "unknown file"},
		{path: "/example.com/m/@v/master.info", why: "does not resolve queries"},
		{path: "/example.com/m/@v/v1.info", why: "does not resolve queries"},
		{path: "/example.com/m/@v/v2.0.0.info", why: "does not resolve queries"},
		{path: "/example.com/m/@v/V1.0.0.info", why: "invalid version"},
		{path: "/example.com/m/@v/v1.0.0-!R!C.info", why: "invalid version"},
		{path: "/example.com/m", why: "not a module proxy path"},
		{path: "/example.com/m/@latest/x", why: "not a module proxy path"},
		{path: "/m/@v/list", why: "invalid module path"},
		{path: "/example.com/../x/@v/list", why: "invalid module path"},
		{path: "/example.com//x/@v/list", why: "invalid module path"},
		{path: "/_releases/example.com/m/@v/v1.0.0/artifacts.json", why: "unknown file"},
		{path: "/_releases/example.com/m/@v/list", why: "invalid module path"},
		{path: "/example.com/a__0x41/@v/list", why: "the store cannot hold"},
		{path: "/example.com/m\\x/@v/list", why: "not a module proxy path"},
		{path: "/example.com/m\x00/@v/list", why: "not a module proxy path"},
		{path: "/example.com/\xff/@v/list", why: "not a module proxy path"},
		{path: "/" + strings.Repeat("a", 2000) + ".com/@v/list", why: "not a module proxy path"},
	} {
		got, err := ParsePath(tc.path)
		if tc.why == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParsePath(%q) = %+v, %v; want %+v", tc.path, got, err, tc.want)
			}
			continue
		}
		if shipline.ErrorCode(err) != shipline.ENOTFOUND || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ParsePath(%q) = %+v, %v; want ENOTFOUND saying %q", tc.path, got, err, tc.why)
		}
		if err != nil && (strings.Contains(err.Error(), "\n") || len(err.Error()) > 250) {
			t.Errorf("ParsePath(%q): message %q: want one short line", tc.path, err)
		}
	}
}

// FuzzParsePath checks ParsePath on untrusted input: it never panics; a
// path it accepts is exactly the name the store gives what it parsed (so
// two paths never mean one object and none escapes its module), with a
// valid module path and a canonical version the path allows; and its
// messages stay one short line.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"/example.com/!fixture/@v/list", "example.com/!fixture/@latest", "/example.com/m/@v/v1.2.3.info",
		"/example.com/m/v2/@v/v2.0.0-!r!c.1.mod", "/example.com/m/@v/v2.0.0+incompatible.zip",
		"/example.com/m/@v/v1.0.0.shipline.json", "/example.com/m/@v/master.info", "/_releases/index.json",
		"/example.com/../x/@v/list", "/example.com/m/@v/../@v/v1.0.0.mod", "/example.com/m/@v/v1.0.0.info/x",
		"/sumdb/sum.golang.org/supported", "/example.com/!!/@v/list", "/gopkg.in/yaml.v3/@v/v3.0.1.zip",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		r, err := ParsePath(p)
		if err != nil {
			if shipline.ErrorCode(err) != shipline.ENOTFOUND {
				t.Fatalf("ParsePath(%q): %v is not ENOTFOUND", p, err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || len(msg) > 300 {
				t.Fatalf("ParsePath(%q): message of %d bytes or several lines: %q", p, len(msg), msg)
			}
			return
		}
		if got := "/" + r.Key(); got != "/"+strings.TrimPrefix(p, "/") {
			t.Fatalf("ParsePath(%q) = %+v, whose path is %q", p, r, got)
		}
		if err := module.CheckPath(r.Module); err != nil {
			t.Fatalf("ParsePath(%q) accepted module %q: %v", p, r.Module, err)
		}
		switch r.File {
		case FileList, FileLatest:
			if r.Version != "" {
				t.Fatalf("ParsePath(%q) = %+v: a version for %s", p, r, r.File)
			}
		case FileInfo, FileMod, FileZip:
			if module.CanonicalVersion(r.Version) != r.Version || module.Check(r.Module, r.Version) != nil {
				t.Fatalf("ParsePath(%q) accepted version %q of %q", p, r.Version, r.Module)
			}
		default:
			t.Fatalf("ParsePath(%q): unknown file %q", p, r.File)
		}
		k, ok := store.ParseModuleKey(r.Key())
		if !ok || k.Module != r.Module || k.Version != r.Version || k.File == "manifest" {
			t.Fatalf("ParsePath(%q) = %+v, which the store reads as %+v, %v", p, r, k, ok)
		}
	})
}
