package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/shipline-ci/shipline/store"
)

// genVersion changes whenever what gen writes changes, so that cached
// stores made by an older generator are made again.
const genVersion = "g1"

// benchModule is the module path of module i: with an upper-case letter,
// so that every request exercises the case escapes.
func benchModule(i int) string { return fmt.Sprintf("example.com/bench/Mod%03d", i) }

func benchVersion(j int) string { return fmt.Sprintf("v1.%d.0", j) }

// genStore publishes modules×versions module versions into a new file
// store at dir through the store API, each of `files` small Go files and a
// go.mod, modules in parallel. It leaves a "done" file in dir's parent
// naming dir when it finished, and reuses such a store.
func genStore(dir string, modules, versions, files int) error {
	done := dir + ".done"
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	os.RemoveAll(dir)
	ctx := context.Background()
	st, err := store.Create(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	tmp, err := os.MkdirTemp("", "proxybench-gen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	work := make(chan int)
	errc := make(chan error, modules)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				for j := 0; j < versions; j++ {
					if err := publishGenerated(ctx, st, tmp, benchModule(i), benchVersion(j), files); err != nil {
						errc <- err
						return
					}
				}
			}
		}()
	}
	for i := 0; i < modules; i++ {
		work <- i
		if i > 0 && i%50 == 0 {
			fmt.Fprintf(os.Stderr, "  generated %d of %d modules (%s)\n", i, modules, time.Since(start).Round(time.Second))
		}
	}
	close(work)
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	return os.WriteFile(done, []byte(dir+"\n"), 0o600)
}

// publishGenerated makes and publishes one module version.
func publishGenerated(ctx context.Context, st *store.Store, tmp, path, version string, files int) error {
	mod := []byte("module " + path + "\n\ngo 1.21\n")
	var zf []modzip.File
	zf = append(zf, memFile{"go.mod", mod})
	pkg := strings.ToLower(path[strings.LastIndex(path, "/")+1:])
	for k := 0; k < files; k++ {
		var b bytes.Buffer
		fmt.Fprintf(&b, "// Package %s is benchmark filler, %s %s, file %d.\npackage %s\n\n", pkg, path, version, k, pkg)
		for l := 0; l < 8; l++ {
			fmt.Fprintf(&b, "// F%d_%d returns a number.\nfunc F%d_%d() int { return %d }\n\n", k, l, k, l, k*100+l)
		}
		zf = append(zf, memFile{fmt.Sprintf("f%d.go", k), b.Bytes()})
	}
	zipFile := filepath.Join(tmp, strings.NewReplacer("/", "_", "@", "_").Replace(path+"@"+version)+".zip")
	f, err := os.Create(zipFile) // #nosec G304 -- a file in this generator's own MkdirTemp directory, named after the module version it generated
	if err != nil {
		return err
	}
	err = modzip.Create(f, module.Version{Path: path, Version: version}, zf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	defer os.Remove(zipFile)
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(path)+len(version)) * time.Hour)
	_, err = st.PublishModule(ctx, store.ModuleVersion{Path: path, Version: version, Mod: mod, Zip: zipFile, Time: when})
	return err
}

// memFile is a module zip file held in memory.
type memFile struct {
	name string
	data []byte
}

func (f memFile) Path() string                 { return f.name }
func (f memFile) Lstat() (os.FileInfo, error)  { return memInfo{f}, nil }
func (f memFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type memInfo struct{ f memFile }

func (i memInfo) Name() string       { return filepath.Base(i.f.name) }
func (i memInfo) Size() int64        { return int64(len(i.f.data)) }
func (i memInfo) Mode() fs.FileMode  { return 0o644 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
