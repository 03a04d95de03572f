package vuln

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gate/vuln/vulntest"
)

// mustOSV writes the osv/ files of the fixture into a new directory and
// returns it.
func mustOSV(tb testing.TB) string {
	tb.Helper()
	ar, err := txtar.ParseFile("testdata/fixture.txtar")
	if err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(tb.TempDir(), "osv")
	if err := vulntest.ExtractDir(dir, ar, "osv/"); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func readJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

func TestBuildDB(t *testing.T) {
	ctx := context.Background()
	from := mustOSV(t)
	out := filepath.Join(t.TempDir(), "db")
	fallback := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	info, err := BuildDB(ctx, from, out, BuildOptions{Modified: fallback, Gzip: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.Entries != 4 || info.Modules != 2 || info.Dir != out {
		t.Errorf("BuildDB = %+v, want 4 entries, 2 modules in %s", info, out)
	}
	// GO-9999-0004 has no modified time: it gets the fallback, the
	// newest of all.
	if !info.Modified.Equal(fallback) {
		t.Errorf("Modified = %v, want %v", info.Modified, fallback)
	}

	var db dbMeta
	readJSON(t, filepath.Join(out, "index", "db.json"), &db)
	if !db.Modified.Equal(fallback) {
		t.Errorf("db.json modified = %v, want %v", db.Modified, fallback)
	}
	var mods []moduleMeta
	readJSON(t, filepath.Join(out, "index", "modules.json"), &mods)
	got, _ := json.Marshal(mods)
	want := `[{"path":"example.com/other","vulns":[{"id":"GO-9999-0004","modified":"2026-05-06T07:08:09Z"}]},` +
		`{"path":"example.com/vulnlib","vulns":[{"id":"GO-9999-0001","modified":"2026-01-02T00:00:00Z","fixed":"1.0.1"},` +
		`{"id":"GO-9999-0002","modified":"2026-01-03T00:00:00Z"},{"id":"GO-9999-0003","modified":"2026-01-01T00:00:00Z","fixed":"1.0.2"}]}]`
	if string(got) != want {
		t.Errorf("modules.json =\n%s\nwant\n%s", got, want)
	}
	var vulns []vulnMeta
	readJSON(t, filepath.Join(out, "index", "vulns.json"), &vulns)
	if len(vulns) != 4 || vulns[0].ID != "GO-9999-0001" || strings.Join(vulns[0].Aliases, ",") != "CVE-9999-0001,GHSA-xxxx-yyyy-zzzz" {
		t.Errorf("vulns.json = %+v", vulns)
	}
	var e osvEntry
	readJSON(t, filepath.Join(out, "ID", "GO-9999-0004.json"), &e)
	if !e.Modified.Equal(fallback) || e.Summary == "" {
		t.Errorf("ID/GO-9999-0004.json = %+v, want the entry with modified %v", e, fallback)
	}
	// Served over HTTP, govulncheck reads FILE.json.gz.
	f, err := os.Open(filepath.Join(out, "index", "modules.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != string(mustRead(t, filepath.Join(out, "index", "modules.json"))) {
		t.Error("modules.json.gz does not hold modules.json")
	}

	// Building again replaces the database.
	os.Remove(filepath.Join(from, "GO-9999-0004.json"))
	info, err = BuildDB(ctx, from, out, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Entries != 3 || !info.Modified.Equal(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("rebuilt = %+v, want 3 entries modified 2026-01-03", info)
	}
	if _, err := os.Stat(filepath.Join(out, "ID", "GO-9999-0004.json")); err == nil {
		t.Error("the rebuilt database still holds a removed entry")
	}
	if des, _ := os.ReadDir(filepath.Dir(out)); len(des) != 1 {
		t.Errorf("BuildDB left temporary directories: %v", des)
	}
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestBuildDBErrors(t *testing.T) {
	ctx := context.Background()
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	const good = `{"id":"GO-1","affected":[{"package":{"name":"example.com/m"}}]}`
	for _, tt := range []struct {
		name  string
		files map[string]string
		code  string
		want  string
	}{
		{"empty", map[string]string{"README.md": "hi"}, shipline.EINVALID, "holds no OSV entry"},
		{"not JSON", map[string]string{"GO-1.json": "{oops"}, shipline.EINVALID, "GO-1.json: invalid OSV entry: invalid character"},
		{"no id", map[string]string{"GO-1.json": `{"affected":[]}`}, shipline.EINVALID, "GO-1.json: invalid OSV entry: no id"},
		{"wrong name", map[string]string{"GO-2.json": good}, shipline.EINVALID, `GO-2.json holds entry "GO-1": an OSV file must be named ID.json`},
		{"no module", map[string]string{"GO-1.json": `{"id":"GO-1","affected":[]}`}, shipline.EINVALID, "GO-1: it affects no module"},
		{"two values", map[string]string{"GO-1.json": good + good}, shipline.EINVALID, "more than one JSON value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildDB(ctx, write(t, tt.files), filepath.Join(t.TempDir(), "out"), BuildOptions{})
			if shipline.ErrorCode(err) != tt.code || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("BuildDB error = %v (%s), want %s containing %q", err, shipline.ErrorCode(err), tt.code, tt.want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := BuildDB(ctx, filepath.Join(t.TempDir(), "nope"), filepath.Join(t.TempDir(), "out"), BuildOptions{})
		if shipline.ErrorCode(err) != shipline.ENOTFOUND || !strings.Contains(err.Error(), "no such directory") {
			t.Errorf("error = %v, want not_found: no such directory", err)
		}
	})
	t.Run("out holds other files", func(t *testing.T) {
		out := write(t, map[string]string{"notes.txt": "mine"})
		_, err := BuildDB(ctx, write(t, map[string]string{"GO-1.json": good}), out, BuildOptions{})
		if shipline.ErrorCode(err) != shipline.ECONFLICT {
			t.Errorf("error = %v, want conflict", err)
		}
		if _, err := os.Stat(filepath.Join(out, "notes.txt")); err != nil {
			t.Error("BuildDB touched a directory that is not a database")
		}
	})
}

func TestLatestFix(t *testing.T) {
	r := func(events ...string) osvRange {
		var rg osvRange
		rg.Type = "SEMVER"
		for _, e := range events {
			kind, v, _ := strings.Cut(e, "=")
			ev := struct {
				Introduced string `json:"introduced,omitempty"`
				Fixed      string `json:"fixed,omitempty"`
			}{}
			if kind == "i" {
				ev.Introduced = v
			} else {
				ev.Fixed = v
			}
			rg.Events = append(rg.Events, ev)
		}
		return rg
	}
	for _, tt := range []struct {
		name   string
		ranges []osvRange
		want   string
	}{
		{"none", nil, ""},
		{"no fix", []osvRange{r("i=0")}, ""},
		{"one fix", []osvRange{r("i=0", "f=1.2.3")}, "1.2.3"},
		{"highest fix", []osvRange{r("i=0", "f=1.2.3", "i=1.3.0", "f=1.3.4")}, "1.3.4"},
		{"reintroduced", []osvRange{r("i=0", "f=1.0.0", "i=2.0.0")}, ""},
		{"pre-release and pseudo", []osvRange{r("i=0", "f=0.0.0-20260101000000-abcdefabcdef")}, "0.0.0-20260101000000-abcdefabcdef"},
		{"go versions", []osvRange{r("i=0", "f=1.21.9", "i=1.22.0-0", "f=1.22.2")}, "1.22.2"},
		{"not semver", []osvRange{{Type: "GIT"}}, ""},
	} {
		if got := latestFix(tt.ranges); got != tt.want {
			t.Errorf("%s: latestFix = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestCacheDirPrivate checks the cache directory OpenDB indexes OSV files
// in: made 0700, tightened when others can write it, and refused when it
// is not a directory or belongs to another user, since a database planted
// there would decide what the gate reports.
func TestCacheDirPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no file owners and modes to check on Windows")
	}
	ctx := context.Background()
	osv := mustOSV(t)
	mode := func(dir string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}

	t.Run("made private", func(t *testing.T) {
		cache := filepath.Join(t.TempDir(), "shipline", "vulndb")
		if _, err := OpenDB(ctx, osv, cache, nil); err != nil {
			t.Fatal(err)
		}
		if got := mode(cache); got != 0o700 {
			t.Errorf("new cache directory mode %v, want 0700", got)
		}
	})
	t.Run("writable by others", func(t *testing.T) {
		cache := t.TempDir()
		if err := os.Chmod(cache, 0o777); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenDB(ctx, osv, cache, nil); err != nil {
			t.Fatal(err)
		}
		if got := mode(cache); got != 0o700 {
			t.Errorf("cache directory mode %v after OpenDB, want 0700", got)
		}
	})
	t.Run("a file", func(t *testing.T) {
		cache := filepath.Join(t.TempDir(), "file")
		os.WriteFile(cache, nil, 0o600)
		_, err := OpenDB(ctx, osv, cache, nil)
		if shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("error = %v, want invalid", err)
		}
	})
	t.Run("another user's", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("making a directory of another user needs root")
		}
		cache := t.TempDir()
		if err := os.Chown(cache, 65534, 65534); err != nil {
			t.Skip(err)
		}
		_, err := OpenDB(ctx, osv, cache, nil)
		if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "belongs to another user (uid 65534)") {
			t.Errorf("error = %v, want invalid: belongs to another user", err)
		}
	})
}

func TestOpenDB(t *testing.T) {
	ctx := context.Background()
	osv := mustOSV(t)
	cache := t.TempDir()

	t.Run("OSV directory is indexed once", func(t *testing.T) {
		db, err := OpenDB(ctx, osv, cache, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(db.URL, "file://"+filepath.ToSlash(cache)+"/vulndb-") || db.Info.Entries != 4 || db.Source != osv {
			t.Errorf("OpenDB = %+v, %+v", db, db.Info)
		}
		dir := strings.TrimPrefix(db.URL, "file://")
		stamp, _ := os.Stat(filepath.Join(dir, "index", "db.json"))
		again, err := OpenDB(ctx, osv, cache, nil)
		if err != nil {
			t.Fatal(err)
		}
		stamp2, _ := os.Stat(filepath.Join(dir, "index", "db.json"))
		if again.URL != db.URL || !stamp.ModTime().Equal(stamp2.ModTime()) {
			t.Errorf("the second OpenDB rebuilt the index: %s, %s", again.URL, db.URL)
		}
		// A changed directory is indexed anew.
		os.Remove(filepath.Join(osv, "GO-9999-0004.json"))
		changed, err := OpenDB(ctx, osv, cache, nil)
		if err != nil {
			t.Fatal(err)
		}
		if changed.URL == db.URL || changed.Info.Entries != 3 {
			t.Errorf("after a change OpenDB = %s with %d entries, want a new index of 3", changed.URL, changed.Info.Entries)
		}
	})

	t.Run("v1 directory and file URL", func(t *testing.T) {
		v1 := filepath.Join(t.TempDir(), "v1")
		if _, err := BuildDB(ctx, mustOSV(t), v1, BuildOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, spec := range []string{v1, "file://" + filepath.ToSlash(v1)} {
			db, err := OpenDB(ctx, spec, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if db.URL != "file://"+filepath.ToSlash(v1) || db.Info.Modules != 2 || db.Info.Entries != 4 {
				t.Errorf("OpenDB(%s) = %+v %+v", spec, db, db.Info)
			}
		}
		// A v1 database with a broken index is malformed.
		os.WriteFile(filepath.Join(v1, "index", "modules.json"), []byte("[{"), 0o644)
		_, err := OpenDB(ctx, v1, "", nil)
		if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "is malformed: index/modules.json") {
			t.Errorf("error = %v, want invalid: malformed", err)
		}
	})

	t.Run("URL", func(t *testing.T) {
		db, err := OpenDB(ctx, "https://vuln.example.com/", "", nil)
		if err != nil || db.URL != "https://vuln.example.com" {
			t.Errorf("OpenDB = %+v, %v", db, err)
		}
		if _, err := OpenDB(ctx, "ftp://vuln.example.com", "", nil); shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("ftp URL: error = %v, want invalid", err)
		}
	})

	t.Run("missing", func(t *testing.T) {
		_, err := OpenDB(ctx, filepath.Join(t.TempDir(), "nope"), cache, nil)
		if shipline.ErrorCode(err) != shipline.ENOTFOUND || !strings.Contains(err.Error(), "go mod download -json golang.org/x/vulndb@latest") {
			t.Errorf("error = %v, want not_found saying how to get one", err)
		}
	})

	t.Run("malformed", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "GO-1.json"), []byte("not json"), 0o644)
		_, err := OpenDB(ctx, dir, cache, nil)
		if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "GO-1.json: invalid OSV entry") {
			t.Errorf("error = %v, want invalid naming the file", err)
		}
	})

	t.Run("default: the vulndb module in the module cache", func(t *testing.T) {
		modcache := t.TempDir()
		env := append(os.Environ(), "GOMODCACHE="+modcache, "GOFLAGS=", "GOTOOLCHAIN=local")
		_, err := OpenDB(ctx, "", cache, env)
		if shipline.ErrorCode(err) != shipline.ENOTFOUND || !strings.Contains(err.Error(), "holds no golang.org/x/vulndb") {
			t.Fatalf("empty module cache: error = %v, want not_found", err)
		}
		for _, v := range []string{"v0.0.0-20250101000000-aaaaaaaaaaaa", "v0.0.0-20260203040506-bbbbbbbbbbbb"} {
			ar, _ := txtar.ParseFile("testdata/fixture.txtar")
			vulntest.ExtractDir(filepath.Join(modcache, "golang.org", "x", "vulndb@"+v, "data", "osv"), ar, "osv/")
		}
		db, err := OpenDB(ctx, "", cache, env)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(db.Source, "vulndb@v0.0.0-20260203040506-bbbbbbbbbbbb") {
			t.Errorf("Source = %s, want the newest vulndb", db.Source)
		}
		// Entries without a modified time get the pseudo-version's.
		if want := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC); !db.Info.Modified.Equal(want) {
			t.Errorf("Modified = %v, want %v", db.Info.Modified, want)
		}
	})
}
