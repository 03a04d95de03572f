package storesync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/store"
)

// listPageSize is the page size of a bucket listing: large, because
// gocloud's fileblob walks the whole tree for each page.
const listPageSize = 1 << 20

// objInfo is an object as a listing shows it. A local store is listed by
// name, so size is -1 unless the object is one whose size or time sync
// needs (see statted).
type objInfo struct {
	size    int64
	md5     []byte
	modTime time.Time
}

// listing is every object of a store, by key.
type listing map[string]objInfo

// statted reports whether a local listing records key's size and time:
// the derived objects and the release markers, whose sizes and times
// tell whether the derived objects are stale.
func statted(key string) bool {
	return strings.HasSuffix(key, "/@v/list") || strings.HasSuffix(key, "/@latest") ||
		key == store.IndexKey || strings.HasPrefix(key, store.ReleasesDir+"/") && strings.HasSuffix(key, "/"+store.ReleaseFile)
}

// list lists every object of st: by walking the directory of a local
// store (names only, a stat for the few statted objects), otherwise with
// the bucket's listing in pages as large as the backend allows.
func list(ctx context.Context, st *store.Store) (listing, error) {
	if dir := localDir(st); dir != "" {
		return listDir(ctx, st, dir)
	}
	out := listing{}
	token := blob.FirstPageToken
	for {
		objs, next, err := st.Bucket().ListPage(ctx, token, listPageSize, nil)
		if err != nil {
			return nil, listError(st, err)
		}
		for _, o := range objs {
			if !o.IsDir {
				out[o.Key] = objInfo{size: o.Size, md5: o.MD5, modTime: o.ModTime}
			}
		}
		if len(next) == 0 {
			return out, nil
		}
		token = next
	}
}

// localDir returns the directory of a local store opened without a key
// prefix, else "".
func localDir(st *store.Store) string {
	u, dir, err := store.ParseURL(st.URL)
	if err != nil || dir == "" || u.Query().Has("prefix") {
		return ""
	}
	return dir
}

// listDir walks a local store's directory as fileblob lists it: keys are
// slash paths; fileblob's attribute files, and names fileblob escapes
// (which no object of the layout has), are left out.
func listDir(ctx context.Context, st *store.Store, dir string) (listing, error) {
	out := listing{}
	var walk func(rel string) error
	walk = func(rel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			if rel != "" && errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return err
		}
		for _, e := range ents {
			name := e.Name()
			key := name
			if rel != "" {
				key = rel + "/" + name
			}
			if e.IsDir() {
				if err := walk(key); err != nil {
					return err
				}
				continue
			}
			if strings.HasSuffix(name, ".attrs") || strings.Contains(name, "__0x") {
				continue
			}
			o := objInfo{size: -1}
			if statted(key) {
				fi, err := e.Info()
				if err != nil {
					continue // removed while we walked
				}
				o.size, o.modTime = fi.Size(), fi.ModTime()
			}
			out[key] = o
		}
		return nil
	}
	if err := walk(""); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, shipline.Errorf(shipline.EINTERNAL, "list store %s: %v", st.URL, err)
	}
	return out, nil
}

func listError(st *store.Store, err error) error {
	switch gcerrors.Code(err) {
	case gcerrors.Canceled, gcerrors.DeadlineExceeded:
		return err
	case gcerrors.PermissionDenied:
		return &shipline.Error{Code: shipline.EUNAUTHORIZED, Message: "list store " + st.URL + ": permission denied: check the credentials", Err: err}
	}
	return &shipline.Error{Code: shipline.EINTERNAL, Message: "list store " + st.URL + ": " + err.Error() + ": check that the server is up and the URL is right, then retry", Err: err}
}

// sameDir is a module's @v directory that holds the same names in both
// stores (listPair): nothing of it is missing at the destination.
type sameDir struct {
	dir      string   // escaped module path + "/@v"
	versions []string // escaped versions with a .info
}

// listPair lists two local stores in one walk of both trees. A module's
// @v directory with the same names in both is not listed object by
// object (only its list, as statted), but returned as a sameDir: with
// thousands of versions and few missing, it spares building and comparing
// maps of every name, which is most of what a sync that has little to do
// would otherwise cost. Everything else is listed as listDir lists it.
func listPair(ctx context.Context, src, dst *store.Store, srcDir, dstDir string) (sl, dl listing, same []sameDir, err error) {
	sl, dl = listing{}, listing{}
	add := func(l listing, key string, e fs.DirEntry) {
		if strings.HasSuffix(key, ".attrs") || strings.Contains(key, "__0x") {
			return
		}
		o := objInfo{size: -1}
		if statted(key) {
			fi, err := e.Info()
			if err != nil {
				return // removed while we walked
			}
			o.size, o.modTime = fi.Size(), fi.ModTime()
		}
		l[key] = o
	}
	read := func(root, rel string) ([]fs.DirEntry, error) {
		ents, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil && rel != "" && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return ents, err
	}
	var walk func(rel string) error
	walk = func(rel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, err := read(srcDir, rel)
		if err != nil {
			return fmt.Errorf("list store %s: %w", src.URL, err)
		}
		b, err := read(dstDir, rel)
		if err != nil {
			return fmt.Errorf("list store %s: %w", dst.URL, err)
		}
		if strings.HasSuffix(rel, "/@v") && !strings.HasPrefix(rel, store.ReleasesDir+"/") && sameNames(a, b) {
			d := sameDir{dir: rel}
			for _, e := range a {
				if v, ok := strings.CutSuffix(e.Name(), ".info"); ok && !e.IsDir() {
					d.versions = append(d.versions, v)
				}
				if e.Name() == "list" {
					add(sl, rel+"/list", e)
				}
			}
			for _, e := range b {
				if e.Name() == "list" {
					add(dl, rel+"/list", e)
				}
			}
			same = append(same, d)
			return nil
		}
		var dirs []string
		for _, side := range []struct {
			ents []fs.DirEntry
			l    listing
		}{{a, sl}, {b, dl}} {
			for _, e := range side.ents {
				key := e.Name()
				if rel != "" {
					key = rel + "/" + key
				}
				if e.IsDir() {
					dirs = append(dirs, key)
				} else {
					add(side.l, key, e)
				}
			}
		}
		slices.Sort(dirs)
		for _, d := range slices.Compact(dirs) {
			if err := walk(d); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		if ctx.Err() != nil {
			return nil, nil, nil, ctx.Err()
		}
		return nil, nil, nil, shipline.Errorf(shipline.EINTERNAL, "%v", err)
	}
	return sl, dl, same, nil
}

// sameNames reports whether two sorted directory listings name the same
// files and directories.
func sameNames(a, b []fs.DirEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name() != b[i].Name() || a[i].IsDir() != b[i].IsDir() {
			return false
		}
	}
	return true
}

// version is a committed version of a store, as names in a listing make
// it: a module version (its .info exists) or a release (its
// artifacts.json exists).
type version struct {
	kind        string // store.KindModule or store.KindRelease
	id          string // the escaped name shared by its objects: "example.com/!m/@v/v1.0.0", "_releases/example.com/!m/@v/v1.0.0"
	manifestKey string // key of its manifest
	markerKey   string // key of its commit marker
}

func moduleVersion(infoKey string) version {
	id := strings.TrimSuffix(infoKey, ".info")
	return version{kind: store.KindModule, id: id, manifestKey: id + ".shipline.json", markerKey: infoKey}
}

func release(markerKey string) version {
	id := strings.TrimSuffix(markerKey, "/"+store.ReleaseFile)
	return version{kind: store.KindRelease, id: id, manifestKey: id + ".shipline.json", markerKey: markerKey}
}

// escapedModule returns the escaped module path of a module version's id.
func (v version) escapedModule() string {
	return v.id[:strings.LastIndex(v.id, "/@v/")]
}

// parse returns the module path and version the marker's name says, and
// false for a name that only looks like one (a stray object).
func (v version) parse() (module, ver string, ok bool) {
	if v.kind == store.KindModule {
		k, ok := store.ParseModuleKey(v.markerKey)
		return k.Module, k.Version, ok && k.File == "info"
	}
	k, ok := store.ParseReleaseKey(v.markerKey)
	return k.Module, k.Version, ok && k.Path == store.ReleaseFile
}

// committed returns the committed versions a listing names, by their
// marker keys: every name that ends like a marker, stray look-alikes
// included (the caller parses those it acts on).
func (l listing) committed() map[string]version {
	out := map[string]version{}
	for key := range l {
		switch {
		case strings.HasPrefix(key, store.ReleasesDir+"/"):
			if strings.HasSuffix(key, "/"+store.ReleaseFile) && strings.Contains(key, "/@v/") {
				out[key] = release(key)
			}
		case strings.HasSuffix(key, ".info") && strings.Contains(key, "/@v/"):
			out[key] = moduleVersion(key)
		}
	}
	return out
}

// sameSize reports whether key has the same size and MD5 in the two
// listings, as far as they say (unknown sizes compare equal), and is in
// both or neither.
func sameSize(a, b listing, key string) bool {
	x, okx := a[key]
	y, oky := b[key]
	if !okx || !oky {
		return okx == oky
	}
	if x.size >= 0 && y.size >= 0 && x.size != y.size {
		return false
	}
	if len(x.md5) > 0 && len(y.md5) > 0 && !bytes.Equal(x.md5, y.md5) {
		return false
	}
	return true
}

// releaseObjects returns the keys of each release's objects in a listing,
// by the release's id, its marker included.
func (l listing) releaseObjects() map[string][]string {
	out := map[string][]string{}
	for key := range l {
		rest, ok := strings.CutPrefix(key, store.ReleasesDir+"/")
		if !ok {
			continue
		}
		i := strings.Index(rest, "/@v/")
		if i < 0 {
			continue
		}
		j := strings.Index(rest[i+len("/@v/"):], "/")
		if j < 0 {
			continue // a manifest
		}
		id := key[:len(store.ReleasesDir)+1+i+len("/@v/")+j]
		out[id] = append(out[id], key)
	}
	return out
}
