package vuln

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
)

// VulnDBModule is the module that ships the Go vulnerability database as
// OSV files, under data/osv.
const VulnDBModule = "golang.org/x/vulndb"

// DB is a vulnerability database ready for govulncheck.
type DB struct {
	URL    string  // what govulncheck's -db gets: an http(s) URL, or file:// of a v1 database
	Source string  // what it was made from, for messages: the URL or directory given or found
	Info   *DBInfo // for a local database: its size and age; nil for a URL
}

// OpenDB resolves spec, a vulnerability database as configured, into one
// govulncheck can read, fully offline for anything but an http(s) URL:
//
//   - "": golang.org/x/vulndb in the Go module cache (the highest version
//     there), as for its directory below; env is the environment of the
//     go command that says where the module cache is (nil for the
//     process's);
//   - an http:// or https:// URL: used as it is;
//   - a file:// URL or a directory (relative to the working directory)
//     holding a v1 database (index/db.json, index/modules.json, ID/):
//     used as it is, after its index is checked;
//   - a directory of OSV files (FILE.json, such as the data/osv
//     directory of golang.org/x/vulndb), or the root of the
//     golang.org/x/vulndb module: indexed by BuildDB into a v1 database
//     under cacheDir, once per content of the directory (a later call
//     finds it there). Entries without a modified time get the time of
//     the vulndb module's pseudo-version.
//
// A database that is missing is an ENOTFOUND error and one that is
// malformed an EINVALID error, each saying how to get a good one.
func OpenDB(ctx context.Context, spec, cacheDir string, env []string) (*DB, error) {
	if spec == "" {
		dir, err := findVulnDBModule(ctx, env)
		if err != nil {
			return nil, err
		}
		return openDir(ctx, dir, cacheDir)
	}
	u, err := url.Parse(spec)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		if u.Host == "" {
			return nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s: a URL needs a host", spec)
		}
		return &DB{URL: strings.TrimRight(spec, "/"), Source: spec}, nil
	}
	dir := spec
	if err == nil && u.Scheme == "file" {
		if u.Host != "" && u.Host != "localhost" {
			return nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s: a file URL must name a local path (file:///path)", spec)
		}
		dir = filepath.FromSlash(u.Path)
	} else if err == nil && len(u.Scheme) > 1 {
		return nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s: unsupported URL scheme %q: give an http(s) or file URL, or a directory", spec, u.Scheme)
	}
	return openDir(ctx, dir, cacheDir)
}

// openDir opens a local database directory of any of the forms OpenDB
// takes.
func openDir(ctx context.Context, dir, cacheDir string) (*DB, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, shipline.Errorf(shipline.ENOTFOUND, "vulnerability database %s: no such directory; %s", dir, howToGetDB)
	case err != nil:
		return nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s: %v", dir, unwrapPath(err))
	case !fi.IsDir():
		return nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s is a file: give a directory (a v1 database or OSV files) or a URL", dir)
	}
	if isV1(abs) {
		info, err := checkV1(abs)
		if err != nil {
			return nil, err
		}
		return &DB{URL: fileURL(abs), Source: dir, Info: info}, nil
	}
	if osv := filepath.Join(abs, "data", "osv"); isDir(osv) {
		abs = osv // the root of golang.org/x/vulndb
	}
	if cacheDir == "" {
		return nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s holds OSV files, which need indexing, and there is no cache directory to index them in", dir)
	}
	if err := privateDir(cacheDir); err != nil {
		return nil, err
	}
	key, err := contentKey(abs)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s: %v", dir, err)
	}
	out := filepath.Join(cacheDir, "vulndb-"+key)
	if isV1(out) {
		if info, err := checkV1(out); err == nil {
			return &DB{URL: fileURL(out), Source: dir, Info: info}, nil
		}
	}
	info, err := BuildDB(ctx, abs, out, BuildOptions{})
	if err != nil {
		if errors.Is(err, ctx.Err()) && ctx.Err() != nil {
			return nil, err
		}
		if shipline.ErrorCode(err) == shipline.EINVALID {
			return nil, shipline.Errorf(shipline.EINVALID, "%s; %s", err.Error(), howToGetDB)
		}
		return nil, err
	}
	return &DB{URL: fileURL(out), Source: dir, Info: info}, nil
}

// howToGetDB tells a person how to get a database that works offline.
const howToGetDB = "for an offline database, run 'go mod download -json " + VulnDBModule + "@latest' and give the data/osv directory under the \"Dir\" it prints (or leave it in the module cache, where shipline looks by default), or give a v1 database directory or URL such as https://vuln.go.dev"

// findVulnDBModule returns the directory of the highest version of
// golang.org/x/vulndb in the module cache.
func findVulnDBModule(ctx context.Context, env []string) (string, error) {
	cache, err := goEnv(ctx, env, "GOMODCACHE")
	if err != nil {
		return "", err
	}
	esc, _ := module.EscapePath(VulnDBModule)
	matches, _ := filepath.Glob(filepath.Join(cache, filepath.FromSlash(esc)+"@*"))
	best, bestVersion := "", ""
	for _, m := range matches {
		_, v, _ := strings.Cut(filepath.Base(m), "@")
		if !semver.IsValid(v) || !isDir(filepath.Join(m, "data", "osv")) {
			continue
		}
		if bestVersion == "" || semver.Compare(v, bestVersion) > 0 {
			best, bestVersion = m, v
		}
	}
	if best == "" {
		return "", shipline.Errorf(shipline.ENOTFOUND, "no vulnerability database: none is configured (gates.vuln.db in .shipline.yaml, or --vuln-db) and the Go module cache (%s) holds no %s; %s", cache, VulnDBModule, howToGetDB)
	}
	return filepath.Join(best, "data", "osv"), nil
}

// privateDir makes the cache directory dir (mode 0700) when it is
// missing, and checks that it is a directory of this user that no other
// user can write. A database found in the cache is used as it is, and it
// decides what the gate reports: another user must not be able to plant
// one, as they could in a directory of the shared temporary directory
// (the cache when there is no user cache directory) that they made first.
// A directory of this user's that others can write is made 0700.
func privateDir(dir string) error {
	bad := func(format string, args ...any) error {
		return shipline.Errorf(shipline.EINVALID, "vulnerability database cache %s: %s: the cache must be a directory of yours that only you can write", dir, fmt.Sprintf(format, args...))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return bad("%v", unwrapPath(err))
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return bad("%v", unwrapPath(err))
	}
	if !fi.IsDir() {
		return bad("not a directory")
	}
	owner, ok := fileOwner(fi)
	if !ok {
		return nil // no owners and modes to check (Windows)
	}
	if owner != os.Getuid() {
		return bad("it belongs to another user (uid %d)", owner)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil { // #nosec G302 -- dir is a directory, which needs x to be used: 0700 is its owner's only
			return bad("others can write it: %v", unwrapPath(err))
		}
	}
	return nil
}

// goEnv returns the value of a go env variable.
func goEnv(ctx context.Context, env []string, name string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", name) // #nosec G204 -- 'go env' of a variable name this package passes (GOMODCACHE), without a shell
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", shipline.Errorf(shipline.EINTERNAL, "go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// moduleTime returns the time of the golang.org/x/vulndb pseudo-version
// whose module cache directory holds dir, or zero.
func moduleTime(dir string) time.Time {
	for d := dir; ; {
		base := filepath.Base(d)
		if name, v, ok := strings.Cut(base, "@"); ok && name == "vulndb" {
			if t, err := module.PseudoVersionTime(v); err == nil {
				return t
			}
			return time.Time{}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return time.Time{}
		}
		d = parent
	}
}

// contentKey names what the OSV files in dir hold: a hash of the
// directory's path and each JSON file's name, size and modification time.
func contentKey(dir string) (string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return "", unwrapPath(err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "shipline vulndb index 1\n%s\n", dir)
	for _, de := range des {
		if de.IsDir() || filepath.Ext(de.Name()) != ".json" {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d %d\n", de.Name(), fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// fileURL returns the file:// URL of an absolute path.
func fileURL(abs string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}
