// Package storesync keeps a mirror of a Shipline store: Sync copies to a
// destination store the committed module versions and releases of a
// source store that it does not have, with the store's own guarantees.
//
// # What is copied, and how it is decided
//
// Both stores are listed once, and the names decide: a version is
// committed where its commit marker exists (.info for a module version,
// artifacts.json for a release), and missing at the destination where its
// marker does not. Nothing the destination already has is read or
// written: the cost of a sync follows the difference, not the size of the
// stores. (A local store is listed by walking its directory by name, which
// is several times faster than gocloud's listing; the few objects whose
// size or time matters are stat'ed.)
//
// For each missing version it reads the small manifest at the source,
// which lists every object with its SHA-256 and size, and copies the
// version as a publish writes it: the manifest first, then each object,
// checked against the manifest's SHA-256 and size while it streams (a
// mismatch abandons the write, so nothing unverified is stored), then the
// commit marker last, created only if it does not exist. Then the derived
// objects of what changed are rewritten by the store's own code: each
// touched module's list and @latest (store.RefreshModule), and
// _releases/index.json (store.RefreshIndex).
//
// # Conflicts
//
// A committed version is never written to. A version both stores have is
// compared by what the listings say (sizes of the zip and go.mod, or of a
// release's files, and their MD5s where the backend lists them: S3, GCS,
// Azure); when they differ, or always with Options.Deep, both manifests are
// read and the content hashes compared. A version with other content at
// the destination (committed, or being published within its lease) is a
// conflict: reported, left alone, and the sync goes on with the others.
// Report.Err is then an ECONFLICT error.
//
// # Interruptions
//
// A sync that stops at any point (an error, a kill, a full disk) leaves
// every version at the destination either committed whole or invisible,
// and the next sync completes it: a version whose marker is missing is
// copied again, keeping each object already there whose SHA-256 is the
// manifest's (it is read, not written again), and a module whose list
// does not name all its committed versions is refreshed. A local listing
// cannot tell @latest from its size, so RefreshModule writes @latest
// before list: a complete list vouches for @latest.
//
// # Lag
//
// Report.Before and Report.After say how far behind the destination is:
// how many module versions and releases the source has and it does not,
// and the age of the oldest of them by its own time (the .info Time of a
// module version, the time of a release). Metrics exposes them in the
// Prometheus text format for a long-running sync.
package storesync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/store"
)

// DefaultJobs is how many versions Sync copies at once when Options.Jobs
// is zero.
const DefaultJobs = 8

// Options adjust Sync.
type Options struct {
	// Jobs is how many versions are copied at once; DefaultJobs when 0.
	Jobs int

	// DryRun reports what is missing and the lag, and writes nothing.
	DryRun bool

	// Deep reads and compares the manifests of every version both stores
	// have, instead of trusting equal sizes in the listings.
	Deep bool

	// Now is the clock for lag and leases; nil means time.Now.
	Now func() time.Time

	// Drain, when closed, stops Sync from starting more versions: those
	// in flight finish, the derived objects of what was copied are
	// rewritten, and the report says Interrupted. Cancelling the context
	// instead stops everything at once (what was not committed stays
	// invisible, for the next sync to complete).
	Drain <-chan struct{}
}

// Report is what Sync found and did.
type Report struct {
	Source      string    `json:"source"`
	Destination string    `json:"destination"`
	DryRun      bool      `json:"dry_run,omitempty"`
	Started     time.Time `json:"started"`
	Seconds     float64   `json:"seconds"` // how long the sync took

	Modules  Counts `json:"module_versions"`
	Releases Counts `json:"releases"`

	ObjectsCopied int   `json:"objects_copied"`
	BytesCopied   int64 `json:"bytes_copied"`
	ObjectsKept   int   `json:"objects_kept"` // objects of an unfinished copy found whole at the destination, not written again

	Copied    []Ref     `json:"copied"`    // versions committed at the destination by this sync, in order
	Refreshed []string  `json:"refreshed"` // modules whose list and @latest were rewritten (or would be, in a dry run); "_releases/index.json"
	Conflicts []Problem `json:"conflicts"` // versions with other content at the destination, left alone
	Errors    []Problem `json:"errors"`    // versions that could not be copied

	Before      Lag  `json:"lag_before"`            // the destination's lag when the sync began
	After       Lag  `json:"lag"`                   // what it still lacks: versions that failed or conflicted while being copied, or that an interruption left
	Interrupted bool `json:"interrupted,omitempty"` // Options.Drain stopped it before it was done
}

// Counts counts the versions of one kind.
type Counts struct {
	Source      int `json:"source"`      // committed at the source
	Destination int `json:"destination"` // committed at the destination when the sync began
	Missing     int `json:"missing"`     // at the source and not at the destination
	Copied      int `json:"copied"`      // committed at the destination by this sync
}

// Ref names a version.
type Ref struct {
	Kind    string `json:"kind"` // store.KindModule or store.KindRelease
	Module  string `json:"module"`
	Version string `json:"version"`
}

func (r Ref) String() string {
	if r.Kind == store.KindRelease {
		return "the release of " + r.Module + "@" + r.Version
	}
	return r.Module + "@" + r.Version
}

// Problem is a version Sync did not copy, and why.
type Problem struct {
	Ref
	Code    string `json:"code"` // a shipline error code: conflict, invalid, internal, ...
	Message string `json:"message"`
}

// Lag is how far a destination is behind its source.
type Lag struct {
	Versions int     `json:"versions"`         // module versions the source has and the destination does not
	Releases int     `json:"releases"`         // releases the source has and the destination does not
	Seconds  float64 `json:"seconds"`          // age of the oldest of them, by its time; 0 when none
	Oldest   string  `json:"oldest,omitempty"` // which one that is
}

// Err returns nil when the sync copied everything it had to; otherwise an
// error that counts what is left and names the first problem: ECONFLICT
// when any version conflicts, else the code of the first error, else
// EINTERNAL for an interrupted sync.
func (r *Report) Err() error {
	switch {
	case len(r.Conflicts) > 0:
		c := r.Conflicts[0]
		return shipline.Errorf(shipline.ECONFLICT, "%d version(s) differ at the destination and were left alone (and %d other error(s)); the first: %s", len(r.Conflicts), len(r.Errors), c.Message)
	case len(r.Errors) > 0:
		e := r.Errors[0]
		return shipline.Errorf(e.Code, "%d version(s) could not be copied; the first: %s", len(r.Errors), e.Message)
	case r.Interrupted:
		return shipline.Errorf(shipline.EINTERNAL, "interrupted with %d module version(s) and %d release(s) not copied: run the sync again to finish", r.After.Versions, r.After.Releases)
	}
	return nil
}

// item is a version missing at the destination.
type item struct {
	version
	ref          Ref
	manifestData []byte
	man          *store.Manifest
	markerData   []byte
	markerSum    store.ObjectSum
	time         time.Time
	prepared     bool
	done         bool // committed at the destination
}

type syncer struct {
	src, dst *store.Store
	opts     Options
	sl, dl   listing

	mu  sync.Mutex
	rep *Report

	srcRels, dstRels map[string][]string // release objects by release id, built by sameListed when first needed
}

// Sync copies what the source store src has and the destination dst does
// not (see the package documentation). Problems with single versions go
// into the report (see Report.Err); the error is for a sync that could not
// run at all: a store that cannot be listed, a cancelled context. The
// report is returned, as far as it got, with either.
func Sync(ctx context.Context, src, dst *store.Store, opts Options) (*Report, error) {
	if opts.Jobs <= 0 {
		opts.Jobs = DefaultJobs
	}
	s := &syncer{src: src, dst: dst, opts: opts}
	start := s.now()
	rep := &Report{Source: src.URL, Destination: dst.URL, DryRun: opts.DryRun, Started: start,
		Copied: []Ref{}, Refreshed: []string{}, Conflicts: []Problem{}, Errors: []Problem{}}
	s.rep = rep
	defer func() { rep.Seconds = s.now().Sub(start).Seconds() }()
	if src == dst || src.URL == dst.URL && !strings.HasPrefix(src.URL, "mem://") || localDir(src) != "" && localDir(src) == localDir(dst) {
		return rep, shipline.Errorf(shipline.EINVALID, "the source and the destination are the same store, %s", src.URL)
	}

	var same []sameDir
	if a, b := localDir(src), localDir(dst); a != "" && b != "" && !opts.Deep {
		var err error
		if s.sl, s.dl, same, err = listPair(ctx, src, dst, a, b); err != nil {
			return rep, err
		}
	} else {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { s.sl, err = list(gctx, src); return err })
		g.Go(func() (err error) { s.dl, err = list(gctx, dst); return err })
		if err := g.Wait(); err != nil {
			return rep, err
		}
	}
	for _, d := range same {
		rep.Modules.Source += len(d.versions)
		rep.Modules.Destination += len(d.versions)
	}

	srcVersions, dstVersions := s.sl.committed(), s.dl.committed()
	var missing []*item
	var common []version
	for key, v := range srcVersions {
		s.counts(v.kind).Source++
		if _, ok := dstVersions[key]; ok {
			common = append(common, v)
			continue
		}
		mod, ver, ok := v.parse()
		if !ok {
			continue // a stray object named like a marker
		}
		s.counts(v.kind).Missing++
		missing = append(missing, &item{version: v, ref: Ref{Kind: v.kind, Module: mod, Version: ver}})
	}
	for _, v := range dstVersions {
		s.counts(v.kind).Destination++
	}
	// Module versions first, then releases, each in name order.
	slices.SortFunc(missing, func(a, b *item) int {
		if a.kind != b.kind {
			return strings.Compare(b.kind, a.kind) // "module" before "release"
		}
		return strings.Compare(a.id, b.id)
	})
	slices.SortFunc(common, func(a, b version) int { return strings.Compare(a.id, b.id) })

	// Versions both have: compare what the listings say, and the
	// manifests of those whose listings differ (all of them with Deep).
	var differ []version
	for _, v := range common {
		if opts.Deep || !s.sameListed(v) {
			differ = append(differ, v)
		}
	}
	if err := s.each(ctx, len(differ), nil, func(ctx context.Context, i int) error {
		return s.compare(ctx, differ[i])
	}); err != nil {
		return rep, err
	}

	// The small objects of each missing version: its manifest and marker,
	// which give its time for the lag.
	if err := s.each(ctx, len(missing), nil, func(ctx context.Context, i int) error {
		return s.prepare(ctx, missing[i])
	}); err != nil {
		return rep, err
	}
	rep.Before = s.lag(missing)

	var err error
	if !opts.DryRun {
		err = s.each(ctx, len(missing), opts.Drain, func(ctx context.Context, i int) error {
			it := missing[i]
			if !it.prepared {
				return nil
			}
			return s.copyVersion(ctx, it)
		})
	}
	for _, it := range missing {
		if it.done {
			rep.Copied = append(rep.Copied, it.ref)
			s.counts(it.kind).Copied++
		}
	}
	if errors.Is(err, errDrained) {
		rep.Interrupted = true
	} else if err != nil {
		rep.After = s.lag(missing)
		return rep, err
	}
	if err := s.refresh(ctx, missing, dstVersions, same); err != nil {
		rep.After = s.lag(missing)
		return rep, err
	}
	rep.After = s.lag(missing)
	slices.SortFunc(rep.Conflicts, compareProblems)
	slices.SortFunc(rep.Errors, compareProblems)
	return rep, nil
}

func compareProblems(a, b Problem) int {
	if c := strings.Compare(a.Kind, b.Kind); c != 0 {
		return -c
	}
	if c := strings.Compare(a.Module, b.Module); c != 0 {
		return c
	}
	return strings.Compare(a.Version, b.Version)
}

func (s *syncer) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

func (s *syncer) counts(kind string) *Counts {
	if kind == store.KindRelease {
		return &s.rep.Releases
	}
	return &s.rep.Modules
}

// errDrained stops each when Options.Drain is closed.
var errDrained = errors.New("drained")

// each calls fn for 0..n-1, Options.Jobs at a time, in order of start. It
// stops at the first error fn returns (the calls in flight finish) and
// returns it; when drain is closed it starts no more calls and returns
// errDrained.
func (s *syncer) each(ctx context.Context, n int, drain <-chan struct{}, fn func(context.Context, int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Jobs)
	for i := range n {
		select {
		case <-drain:
			if err := g.Wait(); err != nil {
				return err
			}
			return errDrained
		default:
		}
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// problem records a version that was not copied. Errors that stop the
// whole sync (a cancelled context) are returned instead.
func (s *syncer) problem(ctx context.Context, ref Ref, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p := Problem{Ref: ref, Code: shipline.ErrorCode(err), Message: err.Error()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Code == shipline.ECONFLICT {
		s.rep.Conflicts = append(s.rep.Conflicts, p)
	} else {
		s.rep.Errors = append(s.rep.Errors, p)
	}
	return nil
}

// compare reads the manifests of a version both stores have committed,
// and reports it as a conflict when they record other content.
func (s *syncer) compare(ctx context.Context, v version) error {
	mod, ver, ok := v.parse()
	if !ok {
		return nil
	}
	ref := Ref{Kind: v.kind, Module: mod, Version: ver}
	sm, err := readManifest(ctx, s.src, v.manifestKey)
	if err != nil {
		if shipline.ErrorCode(err) == shipline.ENOTFOUND {
			return nil // nothing to compare with; store verify reports it
		}
		return s.problem(ctx, ref, err)
	}
	dm, err := readManifest(ctx, s.dst, v.manifestKey)
	if err != nil {
		if shipline.ErrorCode(err) == shipline.ENOTFOUND {
			return nil
		}
		return s.problem(ctx, ref, err)
	}
	if err := sameContent(ref, v.markerKey, sm, dm); err != nil {
		return s.problem(ctx, ref, err)
	}
	return nil
}

// sameListed reports whether the listings show nothing different about
// the content of a version both stores have.
func (s *syncer) sameListed(v version) bool {
	if v.kind == store.KindModule {
		return sameSize(s.sl, s.dl, v.id+".zip") && sameSize(s.sl, s.dl, v.id+".mod")
	}
	if s.srcRels == nil {
		s.srcRels, s.dstRels = s.sl.releaseObjects(), s.dl.releaseObjects()
	}
	if len(s.srcRels[v.id]) != len(s.dstRels[v.id]) {
		return false
	}
	for _, key := range s.srcRels[v.id] {
		if key != v.markerKey && !sameSize(s.sl, s.dl, key) {
			return false
		}
	}
	return true
}

// sameContent returns nil when two manifests of a version record the same
// content, and otherwise an ECONFLICT error naming the difference: the
// h1: hashes of a module version; each file of a release but its
// artifacts.json (which differs in time only when the same files are
// released again), as the store's own publish compares them.
func sameContent(ref Ref, marker string, src, dst *store.Manifest) error {
	if ref.Kind == store.KindModule {
		if src.ZipHash == dst.ZipHash && src.ModHash == dst.ModHash {
			return nil
		}
		return shipline.Errorf(shipline.ECONFLICT, "%s differs at the destination: zip %s, go.mod %s there; zip %s, go.mod %s at the source", ref, dst.ZipHash, dst.ModHash, src.ZipHash, src.ModHash)
	}
	files := func(m *store.Manifest) map[string]string {
		out := map[string]string{}
		for _, o := range m.Objects {
			if o.Key != marker {
				out[o.Key] = o.SHA256
			}
		}
		return out
	}
	a, b := files(src), files(dst)
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			return shipline.Errorf(shipline.ECONFLICT, "%s differs at the destination: %s is sha256 %s there, %s at the source", ref, k, orDash(b[k]), orDash(a[k]))
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// prepare reads the manifest and the commit marker of a missing version
// at the source and checks them.
func (s *syncer) prepare(ctx context.Context, it *item) error {
	data, err := readSmall(ctx, s.src, it.manifestKey)
	if shipline.ErrorCode(err) == shipline.ENOTFOUND {
		return s.problem(ctx, it.ref, shipline.Errorf(shipline.EINVALID, "%s has no manifest at the source (%s), so its objects cannot be verified: not copied; publish it again at the source to record one", it.ref, it.manifestKey))
	}
	if err != nil {
		return s.problem(ctx, it.ref, err)
	}
	m, err := store.ParseManifest(it.manifestKey, data)
	if err != nil {
		return s.problem(ctx, it.ref, err)
	}
	if m.Kind != it.kind {
		return s.problem(ctx, it.ref, shipline.Errorf(shipline.EINVALID, "manifest %s at the source is of a %s, not a %s", it.manifestKey, m.Kind, it.kind))
	}
	i := slices.IndexFunc(m.Objects, func(o store.ObjectSum) bool { return o.Key == it.markerKey })
	if i < 0 {
		return s.problem(ctx, it.ref, shipline.Errorf(shipline.EINVALID, "manifest %s at the source does not list %s", it.manifestKey, it.markerKey))
	}
	marker, err := readSmall(ctx, s.src, it.markerKey)
	if err != nil {
		return s.problem(ctx, it.ref, err)
	}
	if err := checkData(it.markerKey, marker, m.Objects[i]); err != nil {
		return s.problem(ctx, it.ref, err)
	}
	if it.kind == store.KindModule {
		var info store.Info
		if err := json.Unmarshal(marker, &info); err != nil {
			return s.problem(ctx, it.ref, shipline.Errorf(shipline.EINVALID, "%s at the source: %v", it.markerKey, err))
		}
		it.time = info.Time
	} else {
		rel, err := store.ParseRelease(it.markerKey, marker)
		if err != nil {
			return s.problem(ctx, it.ref, err)
		}
		it.time = rel.Time
	}
	it.manifestData, it.man, it.markerData, it.markerSum = data, m, marker, m.Objects[i]
	it.prepared = true
	return nil
}

// lag measures what the destination still lacks of the missing versions.
func (s *syncer) lag(missing []*item) Lag {
	var l Lag
	var oldest time.Time
	for _, it := range missing {
		if it.done {
			continue
		}
		if it.kind == store.KindRelease {
			l.Releases++
		} else {
			l.Versions++
		}
		if !it.time.IsZero() && (oldest.IsZero() || it.time.Before(oldest)) {
			oldest, l.Oldest = it.time, it.ref.String()
		}
	}
	if !oldest.IsZero() {
		l.Seconds = max(0, s.now().Sub(oldest).Seconds())
	}
	return l
}

// copyVersion copies one missing version as a publish writes it.
func (s *syncer) copyVersion(ctx context.Context, it *item) error {
	lease := s.dst.Lease
	if lease <= 0 {
		lease = store.DefaultLease
	}
	// An unfinished publish or copy at the destination.
	var old []byte
	if _, ok := s.dl[it.manifestKey]; ok {
		data, err := readSmall(ctx, s.dst, it.manifestKey)
		if err != nil && shipline.ErrorCode(err) != shipline.ENOTFOUND {
			return s.problem(ctx, it.ref, err)
		}
		old = data
	}
	var replaced *store.Manifest
	if old != nil && !bytes.Equal(old, it.manifestData) {
		if om, err := store.ParseManifest(it.manifestKey, old); err == nil && sameContent(it.ref, it.markerKey, it.man, om) != nil {
			if until := om.Started.Add(lease); s.now().Before(until) {
				return s.problem(ctx, it.ref, shipline.Errorf(shipline.ECONFLICT, "%s is being published at the destination with other content (started %s by %s): left alone; if that publish crashed, sync again after %s",
					it.ref, om.Started.Format(time.RFC3339), orDash(om.Publisher), until.Format(time.RFC3339)))
			}
			replaced = om
		}
	}
	if !bytes.Equal(old, it.manifestData) {
		if err := s.write(ctx, it.manifestKey, it.manifestData, false); err != nil {
			return s.problem(ctx, it.ref, err)
		}
	}
	if replaced != nil {
		// Objects of the replaced publish that this version does not have.
		for _, o := range replaced.Objects {
			if !slices.ContainsFunc(it.man.Objects, func(n store.ObjectSum) bool { return n.Key == o.Key }) {
				if err := s.dst.DeleteObject(ctx, o.Key); err != nil {
					return s.problem(ctx, it.ref, err)
				}
			}
		}
	}
	for _, o := range it.man.Objects {
		if o.Key == it.markerKey {
			continue
		}
		if _, ok := s.dl[o.Key]; ok {
			same, err := s.dstHas(ctx, o)
			if err != nil {
				return s.problem(ctx, it.ref, err)
			}
			if same {
				s.mu.Lock()
				s.rep.ObjectsKept++
				s.mu.Unlock()
				continue
			}
		}
		if err := s.copyObject(ctx, o); err != nil {
			return s.problem(ctx, it.ref, err)
		}
	}
	// Another publish may have taken the version over meanwhile.
	cur, err := readSmall(ctx, s.dst, it.manifestKey)
	if err != nil {
		return s.problem(ctx, it.ref, err)
	}
	if !bytes.Equal(cur, it.manifestData) {
		return s.problem(ctx, it.ref, shipline.Errorf(shipline.ECONFLICT, "%s: another publish took it over at the destination while it was being copied: left alone", it.ref))
	}
	err = s.write(ctx, it.markerKey, it.markerData, true)
	if errors.Is(err, store.ErrExists) {
		// Committed by someone else meanwhile: the same content is fine.
		dm, err := readManifest(ctx, s.dst, it.manifestKey)
		if err != nil {
			return s.problem(ctx, it.ref, err)
		}
		if err := sameContent(it.ref, it.markerKey, it.man, dm); err != nil {
			return s.problem(ctx, it.ref, err)
		}
		it.done = true
		return nil
	}
	if err != nil {
		return s.problem(ctx, it.ref, err)
	}
	it.done = true
	return nil
}

// write writes a small object held in memory.
func (s *syncer) write(ctx context.Context, key string, data []byte, ifNotExist bool) error {
	sum := sha256.Sum256(data)
	err := s.dst.WriteObject(ctx, key, bytes.NewReader(data), hex.EncodeToString(sum[:]), int64(len(data)), ifNotExist)
	if err == nil {
		s.mu.Lock()
		s.rep.ObjectsCopied++
		s.rep.BytesCopied += int64(len(data))
		s.mu.Unlock()
	}
	return err
}

// copyObject streams an object from the source to the destination; the
// store abandons the write unless the content has the manifest's SHA-256
// and size.
func (s *syncer) copyObject(ctx context.Context, o store.ObjectSum) error {
	rc, err := s.src.OpenObject(ctx, o.Key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := s.dst.WriteObject(ctx, o.Key, rc, o.SHA256, o.Size, false); err != nil {
		if errors.Is(err, store.ErrDigest) {
			return shipline.Errorf(shipline.EINVALID, "%s at the source is not what its manifest records (sha256 %s, %d bytes): not copied; run 'shipline store verify %s'", o.Key, o.SHA256, o.Size, s.src.URL)
		}
		return err
	}
	s.mu.Lock()
	s.rep.ObjectsCopied++
	s.rep.BytesCopied += o.Size
	s.mu.Unlock()
	return nil
}

// dstHas reports whether the destination's object has the SHA-256 and
// size the manifest records, by reading it.
func (s *syncer) dstHas(ctx context.Context, o store.ObjectSum) (bool, error) {
	rc, err := s.dst.OpenObject(ctx, o.Key)
	if shipline.ErrorCode(err) == shipline.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, o.Size+1))
	if err != nil {
		return false, err
	}
	return n == o.Size && hex.EncodeToString(h.Sum(nil)) == o.SHA256, nil
}

// refresh rewrites the derived objects that need it: the list and
// @latest of each module with a version copied, or whose list does not
// name every committed version (a sync or publish that stopped between
// its commit and its refresh); index.json when a release was copied, or
// a release is newer than it.
func (s *syncer) refresh(ctx context.Context, missing []*item, dstVersions map[string]version, same []sameDir) error {
	// The destination's committed versions now, by escaped module.
	versions := map[string][]string{} // escaped module -> escaped versions
	touched := map[string]bool{}
	releases, releaseTouched := false, false
	var newest time.Time
	add := func(v version) {
		if v.kind == store.KindRelease {
			releases = true
			if t := s.dl[v.markerKey].modTime; t.After(newest) {
				newest = t
			}
			return
		}
		m := v.escapedModule()
		versions[m] = append(versions[m], strings.TrimPrefix(v.id, m+"/@v/"))
	}
	for _, v := range dstVersions {
		add(v)
	}
	for _, d := range same {
		m := strings.TrimSuffix(d.dir, "/@v")
		versions[m] = append(versions[m], d.versions...)
	}
	for _, it := range missing {
		if !it.done && !(s.opts.DryRun && it.prepared) {
			continue
		}
		if it.kind == store.KindRelease {
			releases, releaseTouched = true, true
			continue
		}
		add(it.version)
		touched[it.escapedModule()] = true
	}
	var mods []string
	for m, vs := range versions {
		if touched[m] || !s.listNames(m, vs) {
			mods = append(mods, m)
		}
	}
	slices.Sort(mods)
	var refreshed []string
	var mu sync.Mutex
	err := s.each(ctx, len(mods), nil, func(ctx context.Context, i int) error {
		k, ok := store.ParseModuleKey(mods[i] + "/@v/list")
		if !ok {
			return nil
		}
		if !s.opts.DryRun {
			if err := s.dst.RefreshModule(ctx, k.Module); err != nil {
				return s.problem(ctx, Ref{Kind: store.KindModule, Module: k.Module}, fmt.Errorf("rewrite the list and @latest of %s: %w", k.Module, err))
			}
		}
		mu.Lock()
		refreshed = append(refreshed, k.Module)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(refreshed)
	s.rep.Refreshed = append(s.rep.Refreshed, refreshed...)
	index, ok := s.dl[store.IndexKey]
	if releaseTouched || releases && (!ok || newest.After(index.modTime)) {
		if !s.opts.DryRun {
			if err := s.dst.RefreshIndex(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.problem(ctx, Ref{Kind: store.KindRelease}, fmt.Errorf("rewrite %s: %w", store.IndexKey, err))
				return nil
			}
		}
		s.rep.Refreshed = append(s.rep.Refreshed, store.IndexKey)
	}
	return nil
}

// listNames reports whether the destination's list of the escaped module
// m has the size of a list of exactly the escaped versions vs: a list is
// only ever rewritten with more versions, so its size tells whether it
// names them all.
func (s *syncer) listNames(m string, vs []string) bool {
	o, ok := s.dl[m+"/@v/list"]
	if !ok || o.size < 0 {
		return false
	}
	var want int64
	for _, ev := range vs {
		v, err := module.UnescapeVersion(ev)
		if err != nil {
			return false
		}
		want += int64(len(v)) + 1
	}
	return o.size == want
}

// readSmall reads a small object of st whole.
func readSmall(ctx context.Context, st *store.Store, key string) ([]byte, error) {
	rc, err := st.OpenObject(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("store %s: read %s: %w", st.URL, key, err)
	}
	return data, nil
}

func readManifest(ctx context.Context, st *store.Store, key string) (*store.Manifest, error) {
	data, err := readSmall(ctx, st, key)
	if err != nil {
		return nil, err
	}
	return store.ParseManifest(key, data)
}

// checkData returns an EINVALID error unless data has the digest of o.
func checkData(key string, data []byte, o store.ObjectSum) error {
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != o.SHA256 || int64(len(data)) != o.Size {
		return shipline.Errorf(shipline.EINVALID, "%s at the source is not what its manifest records (sha256 %s, %d bytes; it is %s, %d bytes): not copied; run 'shipline store verify'", key, o.SHA256, o.Size, got, len(data))
	}
	return nil
}
