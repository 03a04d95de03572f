package goproxy

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/module"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/store"
)

// The files of the GOPROXY protocol, as Request.File names them.
const (
	FileList   = "list"    // $module/@v/list
	FileLatest = "@latest" // $module/@latest
	FileInfo   = "info"    // $module/@v/$version.info
	FileMod    = "mod"     // $module/@v/$version.mod
	FileZip    = "zip"     // $module/@v/$version.zip
)

// Request is what a GOPROXY request path asks for.
type Request struct {
	Module  string // the module path, unescaped: example.com/Fixture
	Version string // the version, unescaped; "" for list and @latest
	File    string // FileList, FileLatest, FileInfo, FileMod or FileZip
}

// Key returns the name of the store object that answers r: the escaped
// path relative to the proxy's root, such as example.com/!fixture/@v/list.
func (r Request) Key() string {
	ep, _ := module.EscapePath(r.Module)
	switch r.File {
	case FileList:
		return ep + "/@v/list"
	case FileLatest:
		return ep + "/@latest"
	}
	ev, _ := module.EscapeVersion(r.Version)
	return ep + "/@v/" + ev + "." + r.File
}

// String returns module@version, or the module and its file for list and
// @latest, for messages.
func (r Request) String() string {
	if r.Version == "" {
		return r.Module + " " + r.File
	}
	return r.Module + "@" + r.Version
}

// ParsePath parses the path of a GOPROXY request relative to the proxy's
// root, with or without its leading slash, percent-decoded as
// http.Request's URL.Path is (so %21 has become "!" already). Module paths
// and versions are case-escaped as the protocol requires
// (module.EscapePath: "!f" is "F").
//
// It accepts exactly the names the store gives the files a GOPROXY serves:
// a valid module path and, for .info, .mod and .zip, a canonical version.
// Everything else, including version queries such as "master.info" (which
// this proxy does not resolve), the store's manifests and release files,
// is an ENOTFOUND error whose message says why, for a 404 body.
func ParsePath(p string) (Request, error) {
	p = strings.TrimPrefix(p, "/")
	notFound := func(why string) (Request, error) {
		return Request{}, shipline.Errorf(shipline.ENOTFOUND, "not found: %s", why)
	}
	if p == "" {
		return notFound("this is a Go module proxy: ask for $module/@v/list, $module/@latest or $module/@v/$version.{info,mod,zip}")
	}
	if len(p) > 1024 || !utf8.ValidString(p) || strings.ContainsAny(p, "\x00\\") {
		return notFound("not a module proxy path")
	}
	var r Request
	var escMod, escVer string
	if m, ok := strings.CutSuffix(p, "/@latest"); ok {
		escMod, r.File = m, FileLatest
	} else {
		i := strings.LastIndex(p, "/@v/")
		if i < 0 {
			return notFound("not a module proxy path: want $module/@v/... or $module/@latest")
		}
		escMod = p[:i]
		name := p[i+len("/@v/"):]
		if name == "list" {
			r.File = FileList
		} else {
			dot := strings.LastIndex(name, ".")
			if dot < 0 {
				return notFound("unknown file " + quote(name) + ": want list, or $version.info, .mod or .zip")
			}
			escVer, r.File = name[:dot], name[dot+1:]
			if r.File != FileInfo && r.File != FileMod && r.File != FileZip {
				return notFound("unknown file " + quote(name) + ": want list, or $version.info, .mod or .zip")
			}
		}
	}
	mod, err := module.UnescapePath(escMod)
	if err != nil {
		return notFound("invalid module path " + quote(escMod) + ": upper-case letters are written !x")
	}
	if err := module.CheckPath(mod); err != nil {
		return notFound("invalid module path " + quote(mod))
	}
	r.Module = mod
	if r.File == FileInfo || r.File == FileMod || r.File == FileZip {
		v, err := module.UnescapeVersion(escVer)
		if err != nil || v == "" {
			return notFound("invalid version " + quote(escVer))
		}
		if module.CanonicalVersion(v) != v || module.Check(mod, v) != nil {
			return notFound(mod + "@" + v + ": only canonical versions of the module's major version are served; this proxy does not resolve queries")
		}
		r.Version = v
	}
	// The store names the object so, or it cannot hold it.
	if k, ok := store.ParseModuleKey(r.Key()); !ok || k.Module != r.Module || k.Version != r.Version {
		return notFound("the store cannot hold " + r.String())
	}
	return r, nil
}

// quote quotes s for a message, cut to a readable length.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.Quote(s)
}
