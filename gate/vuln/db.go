package vuln

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/semver"

	"github.com/shipline-ci/shipline"
)

// The Go vulnerability database, v1 format (https://go.dev/security/vuln/database#api):
//
//	index/db.json       {"modified": T}: the newest modified time of any entry
//	index/modules.json  [{"path": MODULE, "vulns": [{"id", "modified", "fixed"}]}], sorted
//	index/vulns.json    [{"id", "modified", "aliases"}], sorted
//	ID/GO-YYYY-NNNN.json the OSV entries
//
// govulncheck reads these files (uncompressed) from a file:// URL, and
// FILE.json.gz from an http(s) URL; BuildDB writes both when asked to.
// The layout is that of golang.org/x/vulndb's internal/database package,
// which writes the database served at vuln.go.dev.

// osvEntry is the part of an OSV entry that the index needs.
type osvEntry struct {
	ID        string    `json:"id"`
	Modified  time.Time `json:"modified"`
	Published time.Time `json:"published"`
	Aliases   []string  `json:"aliases,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	Details   string    `json:"details"`
	Affected  []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		Ranges            []osvRange `json:"ranges,omitempty"`
		EcosystemSpecific struct {
			Imports []struct {
				Path    string   `json:"path"`
				Symbols []string `json:"symbols,omitempty"`
			} `json:"imports,omitempty"`
		} `json:"ecosystem_specific"`
	} `json:"affected"`
	DatabaseSpecific *struct {
		URL string `json:"url,omitempty"`
	} `json:"database_specific,omitempty"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced,omitempty"`
		Fixed      string `json:"fixed,omitempty"`
	} `json:"events"`
}

type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type vulnMeta struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

// BuildOptions tune BuildDB.
type BuildOptions struct {
	// Modified is the time given to entries whose modified time is
	// missing or zero. The OSV files in the golang.org/x/vulndb module
	// have none (the published database takes them from git history).
	// Zero means the time of the golang.org/x/vulndb pseudo-version when
	// the entries are that module's, in the module cache, and otherwise
	// leaves them zero.
	Modified time.Time
	// Gzip also writes FILE.json.gz beside every FILE.json, so that the
	// database can be served over HTTP as govulncheck expects.
	Gzip bool
}

// DBInfo describes a vulnerability database.
type DBInfo struct {
	Dir      string    `json:"dir"`      // the v1 database
	Entries  int       `json:"entries"`  // OSV entries
	Modules  int       `json:"modules"`  // modules with at least one entry
	Modified time.Time `json:"modified"` // newest modified time of an entry
}

// BuildDB builds a v1 vulnerability database in out from the OSV entries
// in the directory from (every FILE.json directly in it; other files are
// left out), such as the data/osv directory of the golang.org/x/vulndb
// module (from may also be the module's root). out is created, or replaced when it holds a database already;
// it is written in a temporary directory beside it and renamed, so a
// reader never sees half a database.
//
// It is an EINVALID error for from to hold no OSV entry, for an entry not
// to parse, to have no id or an id other than its file name, or to name
// no module; ENOTFOUND when from does not exist.
func BuildDB(ctx context.Context, from, out string, opts BuildOptions) (*DBInfo, error) {
	if osv := filepath.Join(from, "data", "osv"); isDir(osv) {
		from = osv
	}
	if opts.Modified.IsZero() {
		if abs, err := filepath.Abs(from); err == nil {
			opts.Modified = moduleTime(abs)
		}
	}
	entries, raw, err := readOSVDir(ctx, from)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(out); err == nil {
		if !fi.IsDir() {
			return nil, shipline.Errorf(shipline.EINVALID, "vulnerability database output %s is a file, not a directory", out)
		}
		if des, _ := os.ReadDir(out); len(des) > 0 && !isV1(out) {
			return nil, shipline.Errorf(shipline.ECONFLICT, "vulnerability database output %s is not empty and holds no database: choose an empty or new directory", out)
		}
	}
	// The database is public data (the OSV entries of the Go vulnerability
	// database) made to be shared: given to govulncheck or served over
	// HTTP ('shipline gate vulndb build'), so it is readable by all. The
	// gate's own cache is kept private by privateDir instead.
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil { // #nosec G301 -- the directory of the --out database, which is public data meant to be shared (see above)
		return nil, fmt.Errorf("build vulnerability database: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("build vulnerability database: %w", err)
	}
	defer os.RemoveAll(tmp)
	info, err := writeDB(ctx, tmp, entries, raw, opts)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // #nosec G302 -- a directory (needs x), made readable by all because the database is public data meant to be shared (see above)
		return nil, err
	}
	// Replace out: move the old one aside first, so that a failed rename
	// leaves it in place.
	var old string
	if _, err := os.Stat(out); err == nil {
		old = tmp + ".old"
		if err := os.Rename(out, old); err != nil {
			return nil, fmt.Errorf("build vulnerability database: %w", err)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		if old != "" {
			os.Rename(old, out)
		}
		return nil, fmt.Errorf("build vulnerability database: %w", err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	info.Dir = out
	return info, nil
}

// readOSVDir reads and checks every OSV entry in dir, returning them by
// ID with their bytes.
func readOSVDir(ctx context.Context, dir string) ([]*osvEntry, map[string][]byte, error) {
	des, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, shipline.Errorf(shipline.ENOTFOUND, "vulnerability database %s: no such directory", dir)
	case err != nil:
		return nil, nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s: %v", dir, err)
	}
	var entries []*osvEntry
	raw := map[string][]byte{}
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || filepath.Ext(name) != ".json" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		b, err := os.ReadFile(filepath.Join(dir, name)) // #nosec G304 -- an OSV file listed in the directory the user gave as the vulnerability database
		if err != nil {
			return nil, nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s: %v", dir, err)
		}
		e, err := parseOSV(b)
		if err != nil {
			return nil, nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s: %s: %v", dir, name, err)
		}
		if name != e.ID+".json" {
			return nil, nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s: %s holds entry %q: an OSV file must be named ID.json", dir, name, e.ID)
		}
		entries = append(entries, e)
		raw[e.ID] = b
	}
	if len(entries) == 0 {
		return nil, nil, shipline.Errorf(shipline.EINVALID, "vulnerability database %s holds no OSV entry (ID.json files, such as GO-2024-1234.json): give the data/osv directory of the golang.org/x/vulndb module, or a v1 database", dir)
	}
	return entries, raw, nil
}

// parseOSV parses and checks one OSV entry.
func parseOSV(b []byte) (*osvEntry, error) {
	var e osvEntry
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("invalid OSV entry: %v", err)
	}
	if dec.More() {
		return nil, errors.New("invalid OSV entry: more than one JSON value")
	}
	if e.ID == "" {
		return nil, errors.New("invalid OSV entry: no id")
	}
	if len(e.Affected) == 0 {
		return nil, fmt.Errorf("invalid OSV entry %s: it affects no module", e.ID)
	}
	for _, a := range e.Affected {
		if a.Package.Name == "" {
			return nil, fmt.Errorf("invalid OSV entry %s: an affected package has no name", e.ID)
		}
	}
	return &e, nil
}

// writeDB writes the database of entries into dir.
func writeDB(ctx context.Context, dir string, entries []*osvEntry, raw map[string][]byte, opts BuildOptions) (*DBInfo, error) {
	for _, d := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil { // #nosec G301 -- part of a database of public data meant to be shared (see BuildDB)
			return nil, err
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].ID < entries[j].ID })
	var db dbMeta
	modules := map[string]*moduleMeta{}
	vulns := make([]vulnMeta, 0, len(entries))
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := raw[e.ID]
		if e.Modified.IsZero() && !opts.Modified.IsZero() {
			e.Modified = opts.Modified.UTC()
			var err error
			if b, err = setModified(b, e.Modified); err != nil {
				return nil, fmt.Errorf("entry %s: %w", e.ID, err)
			}
		}
		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: latestFix(a.Ranges)})
		}
		if err := writeJSONFile(filepath.Join(dir, "ID", e.ID+".json"), b, opts.Gzip); err != nil {
			return nil, err
		}
	}
	mods := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	for name, v := range map[string]any{"db.json": db, "modules.json": mods, "vulns.json": vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		if err := writeJSONFile(filepath.Join(dir, "index", name), b, opts.Gzip); err != nil {
			return nil, err
		}
	}
	return &DBInfo{Entries: len(entries), Modules: len(mods), Modified: db.Modified}, nil
}

// setModified sets the "modified" field of the OSV entry b to t.
func setModified(b []byte, t time.Time) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	tb, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	m["modified"] = tb
	return json.Marshal(m)
}

// latestFix returns the fixed version, without "v", after which no
// version is affected: the highest fix of the SEMVER ranges, or "" when a
// range is introduced again after it (or there is no fix). It is what
// index/modules.json records as "fixed", computed as golang.org/x/vuln
// does (internal/semver.NonSupersededFix).
func latestFix(ranges []osvRange) string {
	var latest string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && semverLess(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && semverLess(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// semverLess compares OSV versions (no "v" prefix; "go" allowed).
func semverLess(a, b string) bool {
	canon := func(s string) string {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "go")
		return "v" + s
	}
	return semver.Compare(canon(a), canon(b)) < 0
}

func writeJSONFile(path string, b []byte, gz bool) error {
	if err := os.WriteFile(path, b, 0o644); err != nil { // #nosec G306 -- part of a database of public data meant to be shared (see BuildDB)
		return err
	}
	if !gz {
		return nil
	}
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.WriteFile(path+".gz", buf.Bytes(), 0o644) // #nosec G306 -- part of a database of public data meant to be shared (see BuildDB)
}

// isV1 reports whether dir holds a v1 database.
func isV1(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "index", "modules.json"))
	return err == nil
}

// checkV1 checks that dir holds a readable v1 database and describes it.
func checkV1(dir string) (*DBInfo, error) {
	bad := func(format string, args ...any) error {
		return shipline.Errorf(shipline.EINVALID, "vulnerability database %s is malformed: %s; rebuild it with 'shipline gate vulndb build'", dir, fmt.Sprintf(format, args...))
	}
	b, err := os.ReadFile(filepath.Join(dir, "index", "db.json")) // #nosec G304 -- the index of the database directory the user configured, or of the gate's private cache
	if err != nil {
		return nil, bad("index/db.json: %v", unwrapPath(err))
	}
	var db dbMeta
	if err := json.Unmarshal(b, &db); err != nil {
		return nil, bad("index/db.json: %v", err)
	}
	b, err = os.ReadFile(filepath.Join(dir, "index", "modules.json")) // #nosec G304 -- as db.json above
	if err != nil {
		return nil, bad("index/modules.json: %v", unwrapPath(err))
	}
	var mods []moduleMeta
	if err := json.Unmarshal(b, &mods); err != nil {
		return nil, bad("index/modules.json: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "ID")); err != nil || !fi.IsDir() {
		return nil, bad("no ID directory")
	}
	ids := map[string]bool{}
	for _, m := range mods {
		for _, v := range m.Vulns {
			ids[v.ID] = true
		}
	}
	return &DBInfo{Dir: dir, Entries: len(ids), Modules: len(mods), Modified: db.Modified}, nil
}

// unwrapPath drops the path from a *fs.PathError, which messages give
// already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
