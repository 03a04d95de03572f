package store

import (
	"path"
	"strings"

	"golang.org/x/mod/module"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/modzip"
)

// Names of the layout (see the package documentation).
const (
	ReleasesDir = "_releases"
	IndexKey    = ReleasesDir + "/index.json"
	ReleaseFile = "artifacts.json"
	manifestExt = ".shipline.json"
	listFile    = "list"
	latestFile  = "@latest"
	versionsDir = "@v"
)

// moduleKeys are the object names of one module version.
type moduleKeys struct {
	dir      string // $module/@v/
	info     string
	mod      string
	zip      string
	manifest string
	list     string
	latest   string
}

// keysFor returns the object names of path@version, which must be valid.
func keysFor(path, version string) moduleKeys {
	ep, _ := module.EscapePath(path)
	ev, _ := module.EscapeVersion(version)
	dir := ep + "/" + versionsDir + "/"
	return moduleKeys{
		dir:      dir,
		info:     dir + ev + ".info",
		mod:      dir + ev + ".mod",
		zip:      dir + ev + ".zip",
		manifest: dir + ev + manifestExt,
		list:     dir + listFile,
		latest:   ep + "/" + latestFile,
	}
}

// releaseKeys are the object names of one release.
type releaseKeys struct {
	dir      string // _releases/$module/@v/$version/
	release  string // dir + artifacts.json
	manifest string
}

func releaseKeysFor(path, version string) releaseKeys {
	ep, _ := module.EscapePath(path)
	ev, _ := module.EscapeVersion(version)
	base := ReleasesDir + "/" + ep + "/" + versionsDir + "/" + ev
	return releaseKeys{dir: base + "/", release: base + "/" + ReleaseFile, manifest: base + manifestExt}
}

// checkModule returns an EINVALID error unless path is a module path that
// the store can hold.
func checkModule(path string) error {
	if err := module.CheckPath(path); err != nil {
		return shipline.Errorf(shipline.EINVALID, "invalid module path: %v", err)
	}
	if strings.Contains(path, "__0x") {
		// fileblob would hex-escape such a name on disk, so the directory
		// would not be a GOPROXY any more.
		return shipline.Errorf(shipline.EINVALID, "module path %q: a store cannot hold a path containing \"__0x\"", path)
	}
	return nil
}

// checkModuleVersion returns an EINVALID error unless path@version can be
// published.
func checkModuleVersion(path, version string) error {
	if err := checkModule(path); err != nil {
		return err
	}
	return modzip.CheckVersion(path, version)
}

// checkArtifactPath returns an EINVALID error unless p is a clean, local,
// portable slash path that may name a release file.
func checkArtifactPath(p string) error {
	switch {
	case p == "" || p != path.Clean(p) || strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../"):
		return shipline.Errorf(shipline.EINVALID, "artifact path %q: want a clean slash path inside the dist directory", p)
	case p == ReleaseFile:
		return shipline.Errorf(shipline.EINVALID, "artifact path %q: the name is the store's own release file; leave it out of the artifacts", p)
	case strings.Contains(p, "__0x") || strings.ContainsAny(p, "\\\x00"):
		return shipline.Errorf(shipline.EINVALID, "artifact path %q: not a portable file name", p)
	}
	if err := module.CheckFilePath(p); err != nil {
		return shipline.Errorf(shipline.EINVALID, "artifact path %q: %v", p, err)
	}
	return nil
}

// ModuleKey is what an object name says it is.
type ModuleKey struct {
	Module  string // unescaped module path
	Version string // unescaped version; "" for list and @latest
	File    string // "list", "@latest", "info", "mod", "zip" or "manifest"
}

// ParseModuleKey parses an object name of the module layout (see the
// package documentation). It returns ok false for a name that is not one:
// release files, stray objects, invalid escapes.
func ParseModuleKey(key string) (k ModuleKey, ok bool) {
	if strings.HasPrefix(key, ReleasesDir+"/") {
		return k, false
	}
	if esc, found := strings.CutSuffix(key, "/"+latestFile); found {
		p, err := module.UnescapePath(esc)
		if err != nil || checkModule(p) != nil {
			return k, false
		}
		return ModuleKey{Module: p, File: latestFile}, true
	}
	i := strings.LastIndex(key, "/"+versionsDir+"/")
	if i < 0 {
		return k, false
	}
	p, err := module.UnescapePath(key[:i])
	if err != nil || checkModule(p) != nil {
		return k, false
	}
	name := key[i+len(versionsDir)+2:]
	if name == listFile {
		return ModuleKey{Module: p, File: listFile}, true
	}
	var file, ev string
	for _, ext := range []string{manifestExt, ".info", ".mod", ".zip"} {
		if e, found := strings.CutSuffix(name, ext); found {
			ev, file = e, strings.TrimPrefix(ext, ".")
			break
		}
	}
	if file == "shipline.json" {
		file = "manifest"
	}
	if file == "" {
		return k, false
	}
	v, err := module.UnescapeVersion(ev)
	if err != nil || v == "" || module.CanonicalVersion(v) != v {
		return k, false
	}
	return ModuleKey{Module: p, Version: v, File: file}, true
}

// ReleaseKey is what the name of a release object says it is.
type ReleaseKey struct {
	Module  string
	Version string
	Path    string // the artifact's path; ReleaseFile for the release itself; "" for the manifest
}

// ParseReleaseKey parses an object name under ReleasesDir, other than
// IndexKey. It returns ok false for a name that is not one.
func ParseReleaseKey(key string) (k ReleaseKey, ok bool) {
	rest, found := strings.CutPrefix(key, ReleasesDir+"/")
	if !found {
		return k, false
	}
	i := strings.Index(rest, "/"+versionsDir+"/")
	if i < 0 {
		return k, false
	}
	p, err := module.UnescapePath(rest[:i])
	if err != nil || checkModule(p) != nil {
		return k, false
	}
	rest = rest[i+len(versionsDir)+2:]
	ev, file, hasFile := strings.Cut(rest, "/")
	if !hasFile {
		e, isManifest := strings.CutSuffix(rest, manifestExt)
		if !isManifest {
			return k, false
		}
		ev = e
	}
	v, err := module.UnescapeVersion(ev)
	if err != nil || v == "" || module.CanonicalVersion(v) != v {
		return k, false
	}
	if hasFile && file != ReleaseFile && checkArtifactPath(file) != nil {
		return k, false
	}
	return ReleaseKey{Module: p, Version: v, Path: file}, true
}
