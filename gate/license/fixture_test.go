package license

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// fixtureMods are the dependencies in testdata/mods, all at v1.0.0.
var fixtureMods = []string{"gpl", "mit", "nolicense", "testonly"}

// mustFixture copies testdata/main, a module that links example.com/mit,
// example.com/gpl and example.com/nolicense and uses example.com/testonly
// in a test, to a temporary directory and returns it. With replace, its
// go.mod replaces each dependency by its directory in testdata/mods, so no
// module cache is needed.
func mustFixture(tb testing.TB, replace bool) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, name := range []string{"go.mod", "app.go", "app_test.go"} {
		b, err := os.ReadFile(filepath.Join("testdata", "main", name))
		if err != nil {
			tb.Fatal(err)
		}
		if name == "go.mod" && replace {
			var s strings.Builder
			s.Write(b)
			for _, m := range fixtureMods {
				abs, err := filepath.Abs(filepath.Join("testdata", "mods", m))
				if err != nil {
					tb.Fatal(err)
				}
				s.WriteString("\nreplace example.com/" + m + " v1.0.0 => " + abs + "\n")
			}
			b = []byte(s.String())
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// offlineEnv is the environment of the go commands in tests: no network
// (GOPROXY=off unless proxy is a directory made by mustProxy), a private
// and initially empty module cache, no checksum database.
func offlineEnv(tb testing.TB, proxy string) []string {
	tb.Helper()
	goproxy := "off"
	if proxy != "" {
		goproxy = "file://" + filepath.ToSlash(proxy)
	}
	return []string{
		"GOFLAGS=-mod=mod -modcacherw",
		"GOPROXY=" + goproxy,
		"GOMODCACHE=" + tb.TempDir(),
		"GOSUMDB=off",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
	}
}

// mustProxy makes a file:// module proxy holding the modules of
// testdata/mods at v1.0.0 and returns its directory.
func mustProxy(tb testing.TB) string {
	tb.Helper()
	root := tb.TempDir()
	for _, m := range fixtureMods {
		mv := module.Version{Path: "example.com/" + m, Version: "v1.0.0"}
		src := filepath.Join("testdata", "mods", m)
		dir := filepath.Join(root, "example.com", m, "@v")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, "v1.0.0.zip"))
		if err != nil {
			tb.Fatal(err)
		}
		if err := modzip.CreateFromDir(f, mv, src); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
		gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
		if err != nil {
			tb.Fatal(err)
		}
		info, _ := json.Marshal(map[string]string{"Version": "v1.0.0", "Time": "2024-01-01T00:00:00Z"})
		for name, b := range map[string][]byte{"v1.0.0.mod": gomod, "v1.0.0.info": info, "list": []byte("v1.0.0\n")} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return root
}
