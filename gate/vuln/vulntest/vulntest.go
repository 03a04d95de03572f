// Package vulntest builds what vulnerability gate tests need to run fully
// offline: a file:// GOPROXY serving small fake modules, written from a
// txtar archive, and the environment for the go command that uses it with
// a private module cache.
//
// A proxy archive holds files named MODULE@VERSION/FILE, such as
// example.com/vulnlib@v1.0.0/go.mod; every MODULE@VERSION becomes one
// module version in the proxy, zipped as the go command expects.
package vulntest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
	"golang.org/x/tools/txtar"
)

// WriteProxy writes a GOPROXY directory into dir from the files of ar
// whose names start with MODULE@VERSION/ (others are left out), and
// returns the module versions it wrote. It is an error for a module
// version to have no go.mod.
func WriteProxy(dir string, ar *txtar.Archive) ([]module.Version, error) {
	type modFiles struct {
		mv    module.Version
		files []modzip.File
		gomod []byte
	}
	mods := map[module.Version]*modFiles{}
	for _, f := range ar.Files {
		first, rest, ok := cutModule(f.Name)
		if !ok {
			continue
		}
		m := mods[first]
		if m == nil {
			m = &modFiles{mv: first}
			mods[first] = m
		}
		m.files = append(m.files, memFile{path: rest, data: f.Data})
		if rest == "go.mod" {
			m.gomod = f.Data
		}
	}
	var out []module.Version
	versions := map[string][]string{}
	for mv, m := range mods {
		if m.gomod == nil {
			return nil, fmt.Errorf("%s: no go.mod", mv)
		}
		esc, err := module.EscapePath(mv.Path)
		if err != nil {
			return nil, err
		}
		ev, err := module.EscapeVersion(mv.Version)
		if err != nil {
			return nil, err
		}
		vdir := filepath.Join(dir, filepath.FromSlash(esc), "@v")
		if err := os.MkdirAll(vdir, 0o700); err != nil {
			return nil, err
		}
		var zbuf bytes.Buffer
		if err := modzip.Create(&zbuf, mv, m.files); err != nil {
			return nil, fmt.Errorf("zip %s: %w", mv, err)
		}
		info, _ := json.Marshal(map[string]any{"Version": mv.Version, "Time": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		for name, data := range map[string][]byte{ev + ".zip": zbuf.Bytes(), ev + ".mod": m.gomod, ev + ".info": info} {
			if err := os.WriteFile(filepath.Join(vdir, name), data, 0o600); err != nil {
				return nil, err
			}
		}
		versions[vdir] = append(versions[vdir], mv.Version)
		out = append(out, mv)
	}
	for vdir, vs := range versions {
		semver.Sort(vs)
		if err := os.WriteFile(filepath.Join(vdir, "list"), []byte(strings.Join(vs, "\n")+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b module.Version) int { return strings.Compare(a.String(), b.String()) })
	return out, nil
}

// cutModule splits NAME into MODULE@VERSION and the rest of the path.
func cutModule(name string) (module.Version, string, bool) {
	at := strings.Index(name, "@")
	if at < 0 {
		return module.Version{}, "", false
	}
	slash := strings.Index(name[at:], "/")
	if slash < 0 {
		return module.Version{}, "", false
	}
	mv := module.Version{Path: name[:at], Version: name[at+1 : at+slash]}
	if module.Check(mv.Path, mv.Version) != nil {
		return module.Version{}, "", false
	}
	return mv, name[at+slash+1:], true
}

type memFile struct {
	path string
	data []byte
}

func (f memFile) Path() string { return f.path }
func (f memFile) Lstat() (os.FileInfo, error) {
	return memInfo{name: filepath.Base(f.path), size: int64(len(f.data))}, nil
}
func (f memFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() os.FileMode  { return 0o644 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

// ExtractDir writes the files of ar whose names start with prefix into
// dir, without the prefix.
func ExtractDir(dir string, ar *txtar.Archive, prefix string) error {
	for _, f := range ar.Files {
		rest, ok := strings.CutPrefix(f.Name, prefix)
		if !ok {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(rest))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// GoEnv returns the environment for go commands that resolve modules
// only from the file:// proxy in proxyDir, with checksums not looked up
// and a private, writable module cache in cacheDir: the process's
// environment with those settings laid over it.
func GoEnv(proxyDir, cacheDir string) []string {
	env := os.Environ()
	return append(env,
		"GOPROXY=file://"+filepath.ToSlash(proxyDir),
		"GOFLAGS=-mod=mod -modcacherw",
		"GONOSUMDB=*",
		"GOSUMDB=off",
		"GOMODCACHE="+cacheDir,
		"GOWORK=off",
		"GOTOOLCHAIN=local",
	)
}

// Fixture is an offline Go world for a test: a proxy and a module cache
// in temporary directories.
type Fixture struct {
	Proxy string   // GOPROXY directory
	Env   []string // environment for the go command (see GoEnv)
}

// NewFixture reads the txtar archive at path, writes its MODULE@VERSION/
// files as a proxy in dir/.proxy, and extracts its other files under dir
// (dir/app/go.mod for app/go.mod). The module cache is dir/.modcache.
func NewFixture(path, dir string) (*Fixture, error) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		return nil, err
	}
	proxy := filepath.Join(dir, ".proxy")
	if _, err := WriteProxy(proxy, ar); err != nil {
		return nil, err
	}
	rest := &txtar.Archive{}
	for _, f := range ar.Files {
		if _, _, ok := cutModule(f.Name); !ok {
			rest.Files = append(rest.Files, f)
		}
	}
	if err := ExtractDir(dir, rest, ""); err != nil {
		return nil, err
	}
	return &Fixture{Proxy: proxy, Env: GoEnv(proxy, filepath.Join(dir, ".modcache"))}, nil
}

// MustFixture is NewFixture in a new temporary directory of tb, which it
// returns with the fixture.
func MustFixture(tb testing.TB, path string) (*Fixture, string) {
	tb.Helper()
	dir := tb.TempDir()
	fx, err := NewFixture(path, dir)
	if err != nil {
		tb.Fatal(err)
	}
	return fx, dir
}
