package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
)

// FuzzParseModuleKey checks that every name ParseModuleKey accepts is the
// name the layout gives what it parsed, so that no two names mean the same
// object and no name escapes its module.
func FuzzParseModuleKey(f *testing.F) {
	for _, s := range []string{
		"example.com/!fixture/@v/v1.2.0-!r!c.1.info", "example.com/m/@v/list", "example.com/m/@latest",
		"example.com/m/@v/v1.0.0.shipline.json", "example.com/m/v2/@v/v2.0.0.zip", "example.com/m/@v/v2.0.0+incompatible.mod",
		"_releases/example.com/m/@v/v1.0.0/artifacts.json", "example.com/m/@v/v1.0.mod", "Example.com/m/@v/v1.0.0.mod",
		"example.com/m/@v/../@v/v1.0.0.mod", "example.com/m/@v/v1.0.0.info/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		k, ok := ParseModuleKey(key)
		if !ok {
			return
		}
		if err := checkModule(k.Module); err != nil {
			t.Fatalf("ParseModuleKey(%q) accepted module %q: %v", key, k.Module, err)
		}
		var want string
		switch k.File {
		case listFile:
			want = keysFor(k.Module, "v0.0.0").list
		case latestFile:
			want = keysFor(k.Module, "v0.0.0").latest
		case "info", "mod", "zip", "manifest":
			mk := keysFor(k.Module, k.Version)
			want = map[string]string{"info": mk.info, "mod": mk.mod, "zip": mk.zip, "manifest": mk.manifest}[k.File]
		default:
			t.Fatalf("ParseModuleKey(%q): unknown file %q", key, k.File)
		}
		if want != key {
			t.Fatalf("ParseModuleKey(%q) = %+v, whose name is %q", key, k, want)
		}
	})
}

// FuzzParseReleaseKey checks the same of release names.
func FuzzParseReleaseKey(f *testing.F) {
	for _, s := range []string{
		"_releases/example.com/!app/@v/v1.0.0/artifacts.json", "_releases/example.com/app/@v/v1.0.0.shipline.json",
		"_releases/example.com/app/@v/v1.0.0/dir/file.tar.gz", "_releases/example.com/app/@v/v1.0.0/../x",
		"_releases/example.com/app/@v/v1.0.0//x", "_releases/index.json", "example.com/app/@v/v1.0.0.info",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		k, ok := ParseReleaseKey(key)
		if !ok {
			return
		}
		rk := releaseKeysFor(k.Module, k.Version)
		want := rk.manifest
		if k.Path != "" {
			want = rk.dir + k.Path
		}
		if want != key {
			t.Fatalf("ParseReleaseKey(%q) = %+v, whose name is %q", key, k, want)
		}
	})
}

// FuzzParseManifest checks that ParseManifest never accepts a manifest
// that names an object outside its version, and that what it accepts
// encodes and parses again to the same.
func FuzzParseManifest(f *testing.F) {
	k := keysFor("example.com/m", "v1.0.0")
	good := &Manifest{Format: 1, Kind: KindModule, Module: "example.com/m", Version: "v1.0.0", Started: time.Unix(0, 0).UTC(),
		ZipHash: "h1:x", ModHash: "h1:y", Objects: []ObjectSum{{Key: k.mod, SHA256: strings.Repeat("a", 64), Size: 1}}}
	f.Add(k.manifest, good.encode())
	rk := releaseKeysFor("example.com/m", "v1.0.0")
	rel := &Manifest{Format: 1, Kind: KindRelease, Module: "example.com/m", Version: "v1.0.0",
		Objects: []ObjectSum{{Key: rk.dir + "a/b.tar.gz", SHA256: strings.Repeat("b", 64), Size: 2}, {Key: rk.release, SHA256: strings.Repeat("c", 64)}}}
	f.Add(rk.manifest, rel.encode())
	f.Add(k.manifest, []byte(`{"format":1,"kind":"module","module":"example.com/m","version":"v1.0.0","objects":[{"key":"../etc/passwd"}]}`))
	f.Add(k.manifest, []byte(`{}`))
	f.Fuzz(func(t *testing.T, key string, data []byte) {
		m, err := ParseManifest(key, data)
		if err != nil {
			if shipline.ErrorCode(err) != shipline.EINVALID {
				t.Fatalf("ParseManifest error %v has code %q", err, shipline.ErrorCode(err))
			}
			return
		}
		prefix := keysFor(m.Module, m.Version).dir
		if m.Kind == KindRelease {
			prefix = releaseKeysFor(m.Module, m.Version).dir
		}
		for _, o := range m.Objects {
			if rest, ok := strings.CutPrefix(o.Key, prefix); !ok || checkArtifactPath(rest) != nil && rest != ReleaseFile {
				t.Fatalf("ParseManifest accepted object %q outside %q", o.Key, prefix)
			}
		}
		again, err := ParseManifest(key, m.encode())
		if err != nil {
			t.Fatalf("re-encoded manifest does not parse: %v", err)
		}
		a, _ := json.Marshal(m)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("round trip changed the manifest:\n%s\n%s", a, b)
		}
	})
}

// FuzzParseRelease checks that ParseRelease accepts only clean artifact
// paths and round-trips what it accepts.
func FuzzParseRelease(f *testing.F) {
	key := releaseKeysFor("example.com/m", "v1.0.0").release
	f.Add(key, []byte(`{"module":"example.com/m","version":"v1.0.0","time":"2026-01-02T03:04:05Z","artifacts":[{"name":"a","path":"d/a","kind":"archive","sha256":"`+strings.Repeat("a", 64)+`","size":1}]}`))
	f.Add(key, []byte(`{"module":"example.com/m","version":"v1.0.0","time":"2026-01-02T03:04:05Z","artifacts":[{"path":"../a"}]}`))
	f.Fuzz(func(t *testing.T, key string, data []byte) {
		rel, err := ParseRelease(key, data)
		if err != nil {
			return
		}
		for _, a := range rel.Artifacts {
			if checkArtifactPath(a.Path) != nil || strings.HasPrefix(a.Path, "/") || strings.Contains("/"+a.Path+"/", "/../") {
				t.Fatalf("ParseRelease accepted artifact path %q", a.Path)
			}
		}
		data2, _ := json.Marshal(rel)
		if _, err := ParseRelease(key, data2); err != nil {
			t.Fatalf("re-encoded release does not parse: %v", err)
		}
	})
}
