package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/shipline-ci/shipline/bench/internal/benchmd"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"

	"github.com/shipline-ci/shipline/store"
)

// runSync is 'proxybench sync': shipline store sync of a store to a
// mirror missing a share of its versions, against cp of exactly the
// missing objects.
func runSync(args []string) error {
	fl := flag.NewFlagSet("sync", flag.ExitOnError)
	cache := fl.String("cache", filepath.Join(os.TempDir(), "shipline-bench"), "cache `DIR` for the generated stores")
	shipline := fl.String("shipline", "", "the shipline `BINARY` to benchmark (required)")
	runs := fl.Int("runs", 5, "timed rounds")
	modules := fl.Int("modules", 200, "modules in the store")
	versions := fl.Int("versions", 50, "versions of each module")
	missing := fl.Int("missing", 100, "versions the mirror lacks")
	out := fl.String("out", "BENCHMARKS.md", "write the section to `FILE`")
	fl.Parse(args)
	if *shipline == "" {
		return fmt.Errorf("-shipline is required")
	}
	total := *modules * *versions
	if *missing < 1 || *missing > total {
		return fmt.Errorf("-missing must be between 1 and %d", total)
	}
	dir := filepath.Join(*cache, fmt.Sprintf("sync-%dx%d-%s", *modules, *versions, genVersion))
	src := filepath.Join(dir, "src")
	say("store of %d module versions in %s", total, src)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := genStore(src, *modules, *versions, 1); err != nil {
		return err
	}
	pristine := filepath.Join(dir, fmt.Sprintf("mirror-missing%d", *missing))
	objects, modulesTouched, err := makeMirror(src, pristine, *modules, *versions, *missing)
	if err != nil {
		return err
	}
	srcObjects, srcBytes, err := countFiles(src)
	if err != nil {
		return err
	}

	work, err := os.MkdirTemp(*cache, "sync-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dst := filepath.Join(work, "dst")
	synced := filepath.Join(work, "synced")
	restore := func(from string) func() error {
		return func() error {
			if err := os.RemoveAll(dst); err != nil {
				return err
			}
			// Hard links: the store writes by rename, so the copies
			// never share a change.
			return exec.Command("cp", "-al", from, dst).Run() // #nosec G204 -- cp of two directories of this benchmark's cache and run directory, as argv without a shell
		}
	}
	env := cleanEnv()
	syncCmd := command{id: "sync", label: fmt.Sprintf("`shipline store sync` of the store to a mirror missing %d versions", *missing),
		prepare: restore(pristine), argv: []string{*shipline, "store", "sync", src, dst}, env: env}
	cpCmd := command{id: "cp", label: fmt.Sprintf("`cp` of exactly the %d missing objects (baseline)", len(objects)),
		prepare: restore(pristine), argv: append([]string{"cp", "--parents", "-t", dst}, objects...), env: env, dir: src}
	noop := command{id: "noop", label: "`shipline store sync` of the store to a complete mirror (nothing to copy)",
		prepare: restore(synced), argv: []string{*shipline, "store", "sync", src, dst}, env: env}

	// Check what a sync leaves, and keep it for the no-op runs.
	say("checking that a sync makes the mirror complete")
	if _, err := syncCmd.run(); err != nil {
		return err
	}
	if err := sameFiles(src, dst); err != nil {
		return fmt.Errorf("after a sync: %v", err)
	}
	if err := exec.Command("cp", "-al", dst, synced).Run(); err != nil { // #nosec G204 -- cp between two directories of this benchmark's run directory, as argv without a shell
		return err
	}

	load := loadavg()
	got, err := timeRounds([]command{syncCmd, cpCmd, noop}, *runs)
	if err != nil {
		return err
	}
	var b strings.Builder
	title := fmt.Sprintf("Store sync (%s versions, %d missing)", thousands(total), *missing)
	fmt.Fprintf(&b, "## %s\n\n", title)
	fmt.Fprintf(&b, "Written by `bash bench/sync.sh` on %s (see [bench/README.md](bench/README.md)); rerun it to refresh this section.\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "- Machine: %s; 1-minute load average %s when timing began.\n", machine(), load)
	fmt.Fprintf(&b, "- Source: a local store of %s module versions (%d modules × %d versions; %s objects, %.1f MiB), published through the store API.\n", thousands(total), *modules, *versions, thousands(srcObjects), float64(srcBytes)/(1<<20))
	fmt.Fprintf(&b, "- Mirror: a copy of it without %d versions picked at random (%d objects: .info, .mod, .zip and manifest of each), in %d modules whose list and @latest were rewritten to match, as a mirror that fell behind has them. It is restored (hard links, untimed) before each run.\n", *missing, len(objects), modulesTouched)
	fmt.Fprintf(&b, "- The sync also rewrites list and @latest of those %d modules (through the store's own code, which reads each module's versions); the baseline copies only the missing objects, in one `cp --parents` process. The first sync's result was checked: every object of the source, byte for byte.\n", modulesTouched)
	fmt.Fprintf(&b, "- %d rounds, each running the three commands in turn, after one untimed warm-up run of each.\n\n", *runs)
	renderTable(&b, []row{{syncCmd.label, got["sync"]}, {cpCmd.label, got["cp"]}, {noop.label, got["noop"]}},
		[]ratio{{"sync / cp of the missing objects", got["sync"], got["cp"], 3}, {"no-op sync / cp of the missing objects", got["noop"], got["cp"], 0}})
	fmt.Fprintf(&b, "\nThe no-op sync is the fixed cost, which grows with the store: it starts the shipline process (about 50 ms here, most of it package initialization elsewhere in the binary) and walks both trees by name, without a stat per object (%s names), comparing each module's directory side by side; a directory with the same names on both sides has nothing to copy and is not looked at further.\n", thousands(2*srcObjects))
	say("writing section %q to %s", title, *out)
	return benchmd.ReplaceSection(*out, title, b.String())
}

// makeMirror makes (once, cached) a copy of src without missing random
// versions, with the list and @latest of their modules rewritten, and
// returns the missing objects' paths relative to the store and how many
// modules they are in.
//
// The pick is seeded, not secure, on purpose: the same flags must make the
// same mirror, so that runs on different days compare.
func makeMirror(src, dir string, modules, versions, missing int) (objects []string, touched int, err error) {
	// Picking more versions than there are would never end.
	if missing < 1 || modules < 1 || versions < 1 || missing > modules*versions {
		return nil, 0, fmt.Errorf("cannot pick %d missing versions of %d modules × %d versions", missing, modules, versions)
	}
	r := rand.New(rand.NewPCG(1, uint64(missing))) // #nosec G404 -- a reproducible benchmark fixture, not a secret (see above)
	picked := map[int]bool{}
	for len(picked) < missing {
		picked[r.IntN(modules*versions)] = true
	}
	mods := map[string]bool{}
	for n := range picked {
		path, version := benchModule(n/versions), benchVersion(n%versions)
		mods[path] = true
		ep, _ := module.EscapePath(path)
		ev, _ := module.EscapeVersion(version)
		for _, ext := range []string{".info", ".mod", ".zip", ".shipline.json"} {
			objects = append(objects, ep+"/@v/"+ev+ext)
		}
	}
	slices.Sort(objects)
	if _, err := os.Stat(dir + ".done"); err == nil {
		return objects, len(mods), nil
	}
	say("making the mirror %s", dir)
	os.RemoveAll(dir)
	if err := exec.Command("cp", "-al", src, dir).Run(); err != nil { // #nosec G204 -- cp between two directories of this benchmark's cache, as argv without a shell
		return nil, 0, err
	}
	for _, o := range objects {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(o))); err != nil {
			return nil, 0, err
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dir)
	if err != nil {
		return nil, 0, err
	}
	defer st.Close()
	for m := range mods {
		if err := st.RefreshModule(ctx, m); err != nil {
			return nil, 0, err
		}
	}
	return objects, len(mods), os.WriteFile(dir+".done", []byte(dir+"\n"), 0o600)
}

// sameFiles checks that every file of a is in b with the same content.
// Both are this benchmark's own trees, which nothing else changes while it
// compares them.
func sameFiles(a, b string) error {
	return filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, err := os.ReadFile(p) // #nosec G304 G122 -- a file of this benchmark's own generated store (see above), not a tree another user can change
		if err != nil {
			return err
		}
		y, err := os.ReadFile(filepath.Join(b, rel)) // #nosec G304 -- the same file in the mirror this benchmark synced
		if err != nil {
			return err
		}
		if string(x) != string(y) {
			return fmt.Errorf("%s differs", rel)
		}
		return nil
	})
}

func countFiles(dir string) (n int, size int64, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n++
		size += fi.Size()
		return nil
	})
	return n, size, err
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
