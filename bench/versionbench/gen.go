package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
)

// genConfig says what history gen writes.
type genConfig struct {
	Commits        int     // commits in all, the first one included
	TagEvery       int     // mean commits between two tags
	Tail           int     // commits after the last tag
	Majors         int     // major releases (v1.0.0 is the first)
	AnnotatedShare float64 // share of tags that are annotated
	Seed           uint64
	Start          int64 // Unix time of the first commit
	Span           int64 // seconds between the first and the last commit, on average
}

func defaultGenConfig() genConfig {
	return genConfig{
		Commits:        100_000,
		TagEvery:       1000,
		Tail:           200,
		Majors:         12,
		AnnotatedShare: 0.6,
		Seed:           1,
		Start:          1362391200, // 2013-03-04 10:00 UTC
		Span:           12 * 365 * 24 * 3600,
	}
}

func runGen(args []string) error {
	cfg := defaultGenConfig()
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.IntVar(&cfg.Commits, "commits", cfg.Commits, "commits in all")
	fs.IntVar(&cfg.TagEvery, "tag-every", cfg.TagEvery, "mean commits between tags")
	fs.IntVar(&cfg.Tail, "tail", cfg.Tail, "commits after the last tag")
	fs.IntVar(&cfg.Majors, "majors", cfg.Majors, "major releases, v1.0.0 included")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed; the same seed writes the same stream")
	meta := fs.String("meta", "", "write KEY=VALUE facts about the history (last tag, expected next version, ...) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	facts, err := generate(w, cfg)
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if *meta != "" {
		return os.WriteFile(*meta, []byte(facts.String()), 0o600)
	}
	return nil
}

// kind is the largest change in a stretch of history, and so the bump of
// the tag that ends it.
type kind int

const (
	kindInitial kind = iota // the first release, v0.1.0
	kindPatch
	kindMinor
	kindMajor
)

func (k kind) String() string {
	return [...]string{"initial", "patch", "minor", "major"}[k]
}

type version struct{ major, minor, patch int }

func (v version) String() string { return fmt.Sprintf("v%d.%d.%d", v.major, v.minor, v.patch) }

func (v version) bump(k kind) version {
	switch k {
	case kindMajor:
		return version{v.major + 1, 0, 0}
	case kindMinor:
		return version{v.major, v.minor + 1, 0}
	case kindPatch:
		return version{v.major, v.minor, v.patch + 1}
	}
	return version{0, 1, 0}
}

// window is a stretch of commits; every window but the tail ends in a tag.
type window struct {
	kind kind
	size int
	tag  version // the tag on its last commit; the expected next version for the tail
}

// plan lays out the windows: when the releases happen and what they are.
func plan(cfg genConfig, rng *rand.Rand) ([]window, window, error) {
	tagged := cfg.Commits - cfg.Tail
	if cfg.Commits < 1 || cfg.Tail < 1 || tagged < 1 || cfg.TagEvery < 1 {
		return nil, window{}, fmt.Errorf("need commits > tail > 0 and tag-every > 0, have commits=%d tail=%d tag-every=%d", cfg.Commits, cfg.Tail, cfg.TagEvery)
	}
	n := max(1, int(math.Round(float64(tagged)/float64(cfg.TagEvery))))
	if tagged < 4*n {
		return nil, window{}, fmt.Errorf("%d tagged commits are too few for %d tags", tagged, n)
	}
	kinds := make([]kind, n)
	// The 0.x years: minor and patch releases, no breaking changes.
	zero := max(1, n/12)
	for i := 1; i < n; i++ {
		kinds[i] = kindPatch
		if rng.Float64() < 0.55 {
			kinds[i] = kindMinor
		}
	}
	if cfg.Majors > 0 && zero < n {
		kinds[zero] = kindMajor // v1.0.0
		rest := rng.Perm(n - zero - 1)
		for _, i := range rest[:min(cfg.Majors-1, len(rest))] {
			kinds[zero+1+i] = kindMajor
		}
	}
	// Patch releases come sooner than feature releases.
	weights := make([]float64, n)
	var total float64
	for i, k := range kinds {
		lo, hi := 0.9, 1.5
		switch k {
		case kindPatch:
			lo, hi = 0.4, 0.8
		case kindMajor:
			lo, hi = 1.0, 1.6
		}
		weights[i] = lo + (hi-lo)*rng.Float64()
		total += weights[i]
	}
	windows := make([]window, n)
	var cum float64
	prev := 0
	var v version
	for i, k := range kinds {
		cum += weights[i]
		end := int(math.Round(cum / total * float64(tagged)))
		if i == n-1 {
			end = tagged
		}
		v = v.bump(k)
		windows[i] = window{kind: k, size: end - prev, tag: v}
		prev = end
	}
	tail := window{kind: kindMinor, size: cfg.Tail, tag: v.bump(kindMinor)}
	return windows, tail, nil
}

// facts describe a generated history; gen -meta writes them for the script.
type facts struct {
	commits, tags, annotated, majors  int
	breaking, nonConventional, merges int
	firstTag, lastTag, lastTagKind    string
	expectedNext, tailKind            string
	tailCommits                       int
	types                             map[string]int
	firstCommitTime, lastCommitTime   int64
}

func (f facts) String() string {
	var b strings.Builder
	kv := func(k string, v any) { fmt.Fprintf(&b, "%s=%v\n", k, v) }
	kv("COMMITS", f.commits)
	kv("TAGS", f.tags)
	kv("ANNOTATED_TAGS", f.annotated)
	kv("FIRST_TAG", f.firstTag)
	kv("LAST_TAG", f.lastTag)
	kv("LAST_TAG_KIND", f.lastTagKind)
	kv("TAIL_COMMITS", f.tailCommits)
	kv("TAIL_BUMP", f.tailKind)
	kv("EXPECTED_NEXT", f.expectedNext)
	kv("MAJOR_RELEASES", f.majors)
	kv("BREAKING_COMMITS", f.breaking)
	kv("NON_CONVENTIONAL", f.nonConventional)
	kv("MERGE_LIKE", f.merges)
	types := make([]string, 0, len(f.types))
	for t := range f.types {
		types = append(types, t)
	}
	sort.Strings(types)
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%s:%d", t, f.types[t]))
	}
	kv("TYPES", strings.Join(parts, ","))
	kv("FIRST_COMMIT_TIME", f.firstCommitTime)
	kv("LAST_COMMIT_TIME", f.lastCommitTime)
	return b.String()
}

// generate writes the fast-import stream of the history cfg describes, on
// refs/heads/main, and returns facts about it.
func generate(w io.Writer, cfg genConfig) (facts, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed_5eed)) // #nosec G404 -- a seeded generator of a synthetic history: the same seed must write the same stream; nothing secret
	windows, tail, err := plan(cfg, rng)
	if err != nil {
		return facts{}, err
	}
	g := &generator{
		w:     w,
		rng:   rng,
		now:   cfg.Start,
		gap:   float64(cfg.Span) / float64(cfg.Commits),
		files: newFileTree(),
		f:     facts{types: map[string]int{}, firstCommitTime: cfg.Start, tailKind: tail.kind.String()},
	}
	all := append(windows, tail)
	for wi, win := range all {
		forced := g.forcedPositions(win, wi == 0)
		for j := range win.size {
			var m message
			if wi == 0 && j == 0 {
				m = message{text: "Initial commit\n", typ: "", path: "go.mod"}
				g.f.nonConventional++
			} else {
				m = g.message(win.kind, forced[j])
			}
			if forced[j] == forceBreaking && g.major != win.tag.major {
				// Go's rules: from v2 on, the module path ends in /vN,
				// and the breaking change is where it changes.
				g.major = win.tag.major
				m.path = "go.mod"
			}
			mark := 0
			if j == win.size-1 && wi < len(windows) {
				mark = wi + 1
			}
			g.commit(m, mark)
		}
		if wi < len(windows) {
			g.tag(win.tag.String(), wi+1)
			g.f.tags++
			if win.kind == kindMajor {
				g.f.majors++
			}
		}
	}
	if g.err != nil {
		return facts{}, g.err
	}
	g.f.firstTag = windows[0].tag.String()
	g.f.lastTag = windows[len(windows)-1].tag.String()
	g.f.tailCommits = tail.size
	g.f.expectedNext = tail.tag.String()
	g.f.lastCommitTime = g.now
	return g.f, nil
}

type generator struct {
	w     io.Writer
	rng   *rand.Rand
	now   int64
	gap   float64
	files *fileTree
	major int // the major version the module path names
	f     facts
	err   error
}

// forcedPositions picks where the commits that justify a window's bump go.
func (g *generator) forcedPositions(win window, first bool) map[int]forcedKind {
	forced := map[int]forcedKind{}
	pick := func() int {
		for {
			p := g.rng.IntN(win.size)
			if _, taken := forced[p]; !taken && !(first && p == 0) {
				return p
			}
		}
	}
	switch win.kind {
	case kindPatch:
		forced[pick()] = forceFix
	case kindMinor, kindInitial:
		forced[pick()] = forceFeat
	case kindMajor:
		forced[pick()] = forceBreaking
		if win.size > 100 && g.rng.Float64() < 0.3 {
			forced[pick()] = forceBreaking
		}
	}
	return forced
}

type forcedKind int

const (
	forceNone forcedKind = iota
	forceFix
	forceFeat
	forceBreaking
)

type message struct {
	text string
	typ  string // Conventional Commits type; "" for others
	path string // the one file the commit changes
}

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// message writes one commit message that does not change the window's
// kind, unless forced says it must carry the window's largest change.
func (g *generator) message(k kind, forced forcedKind) message {
	switch forced {
	case forceNone:
	case forceBreaking:
		return g.breaking()
	case forceFeat:
		return g.conventional("feat")
	case forceFix:
		return g.conventional("fix")
	}
	switch r := g.rng.Float64(); {
	case r < 0.006:
		g.f.merges++
		g.f.nonConventional++
		return g.mergeLike()
	case r < 0.05:
		g.f.nonConventional++
		return g.nonConventional()
	}
	typ := g.weightedType()
	if typ == "feat" && k == kindPatch {
		typ = "fix"
	}
	return g.conventional(typ)
}

var typeWeights = []struct {
	typ string
	w   int
}{
	{"feat", 22}, {"fix", 28}, {"docs", 10}, {"chore", 14}, {"refactor", 10},
	{"test", 6}, {"perf", 3}, {"ci", 3}, {"build", 2}, {"style", 2},
}

func (g *generator) weightedType() string {
	total := 0
	for _, t := range typeWeights {
		total += t.w
	}
	n := g.rng.IntN(total)
	for _, t := range typeWeights {
		if n < t.w {
			return t.typ
		}
		n -= t.w
	}
	panic("unreachable")
}

var scopes = []string{
	"api", "cli", "config", "changelog", "semver", "conventional", "gitrepo", "build",
	"sign", "sbom", "gate", "store", "goproxy", "pipeline", "server", "agent", "webui",
	"sqlstore", "deps", "release",
}

var verbs = map[string][]string{
	"feat":     {"add", "support", "introduce", "allow", "expose", "implement", "show", "accept"},
	"fix":      {"handle", "fix", "avoid", "correct", "prevent", "guard against", "report", "ignore"},
	"docs":     {"document", "clarify", "explain", "describe", "update docs for", "add example for"},
	"chore":    {"bump", "update", "tidy", "regenerate", "clean up", "upgrade"},
	"refactor": {"extract", "simplify", "split", "rename", "move", "inline", "untangle"},
	"test":     {"add tests for", "cover", "table-test", "fuzz", "add golden files for"},
	"perf":     {"speed up", "cache", "avoid allocations in", "stream", "batch", "parallelize"},
	"ci":       {"run", "pin", "cache", "split", "retry"},
	"build":    {"bump", "pin", "vendor", "drop", "update"},
	"style":    {"format", "reorder imports in", "rename variables in", "gofmt"},
}

var objects = []string{
	"retries on transient errors", "empty tag lists", "config file discovery", "the tag prefix option",
	"monorepo paths", "JSON output", "prerelease identifiers", "build metadata", "signing keys",
	"SBOM generation", "artifact digests", "agent heartbeats", "lease expiry", "web UI filters",
	"release notes", "the changelog template", "annotated tags", "lightweight tags", "shallow clones",
	"detached HEAD", "merge commits", "commit footers", "scope filtering", "the dry-run mode",
	"checksum files", "the upload step", "the blob store", "the Go module proxy", "cosign bundles",
	"SLSA provenance", "release gates", "the job queue", "step timeouts", "graceful shutdown",
	"the HTTP client", "error codes", "exit codes", "the progress output", "Windows paths",
	"long commit bodies", "unicode in scopes", "the version cache", "git worktrees", "submodules",
	"the retry budget", "rate limits", "token refresh", "webhook payloads", "the schema generator",
	"golden files", "the test harness", "flaky integration tests", "the lint config", "goreleaser import",
	"Homebrew taps", "container images", "multi-arch builds", "reproducible archives", "file permissions",
}

var bodySentences = []string{
	"The previous behaviour surprised users who ran it in CI.",
	"This keeps the output stable across runs.",
	"Without this, a missing file ended the whole release.",
	"The old code walked the list twice.",
	"Callers that relied on the old order keep working.",
	"Tested by hand against a repository with a few thousand tags.",
	"This mirrors what git itself does.",
	"A follow-up will remove the compatibility shim.",
	"The default stays the same.",
	"Nothing changes for configs that do not set the option.",
	"It was only reachable with an unusual config.",
	"Most of the time went into the string copies.",
	"The error now names the file and the line.",
	"This also fixes the help text.",
	"Reported on the discussion board.",
	"The benchmark went from seconds to milliseconds.",
	"Split out of a larger change to keep the review small.",
	"The test now waits on the condition instead of sleeping.",
}

var people = []struct{ name, email, tz string }{
	{"Alice Moreau", "alice@shipline.dev", "+0100"},
	{"Bob Nakamura", "bob@shipline.dev", "+0900"},
	{"Carla Souza", "carla@shipline.dev", "-0300"},
	{"Deepak Rao", "deepak@example.com", "+0530"},
	{"Eve Lindqvist", "eve@example.org", "+0100"},
	{"Farid Haddad", "farid@example.net", "+0200"},
	{"Grace Kim", "grace@example.com", "-0800"},
	{"Hugo Weber", "hugo@example.de", "+0100"},
	{"Ines Duarte", "ines@example.pt", "+0000"},
	{"Jonas Berg", "jonas@example.se", "+0100"},
	{"Kofi Mensah", "kofi@example.com", "+0000"},
	{"Lena Petrova", "lena@example.org", "+0300"},
	{"Mateo Garcia", "mateo@example.es", "+0100"},
	{"Nora O'Brien", "nora@example.ie", "+0000"},
	{"Oscar Lindgren", "oscar@example.se", "+0100"},
	{"Priya Shah", "priya@example.in", "+0530"},
	{"Quentin Dubois", "quentin@example.fr", "+0100"},
	{"Rosa Jiménez", "rosa@example.mx", "-0600"},
	{"dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", "+0000"},
	{"Sam Taylor", "sam@example.com", "-0500"},
}

var branchWords = []string{"retry-loop", "tag-prefix", "json-output", "docs-typos", "faster-log", "sbom", "gate-timeouts", "webui-filter", "agent-lease", "deps"}

func (g *generator) subject(typ string) string {
	s := pick(g, verbs[typ]) + " " + pick(g, objects)
	if g.chance(0.25) {
		s += fmt.Sprintf(" (#%d)", 100+g.rng.IntN(9000))
	}
	return s
}

func (g *generator) header(typ string, bang bool) (string, string) {
	scope := ""
	if g.chance(0.6) {
		scope = pick(g, scopes)
	}
	h := typ
	if scope != "" {
		h += "(" + scope + ")"
	}
	if bang {
		h += "!"
	}
	return h + ": " + g.subject(typ), scope
}

// body writes one to three paragraphs wrapped at 72 columns.
func (g *generator) body() string {
	var paras []string
	for range 1 + g.rng.IntN(3) {
		var words []string
		for range 1 + g.rng.IntN(3) {
			words = append(words, strings.Fields(pick(g, bodySentences))...)
		}
		paras = append(paras, wrap(words, 72))
	}
	return strings.Join(paras, "\n\n")
}

func wrap(words []string, width int) string {
	var b strings.Builder
	col := 0
	for _, w := range words {
		if col > 0 && col+1+len(w) > width {
			b.WriteByte('\n')
			col = 0
		} else if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

func (g *generator) footers() []string {
	var fs []string
	seen := map[int]bool{}
	for range 1 + g.rng.IntN(2) {
		n := g.rng.IntN(5)
		if seen[n] {
			continue
		}
		seen[n] = true
		switch n {
		case 0:
			fs = append(fs, fmt.Sprintf("Refs: #%d", 100+g.rng.IntN(9000)))
		case 1:
			p := pick(g, people[:8])
			fs = append(fs, fmt.Sprintf("Reviewed-by: %s <%s>", p.name, p.email))
		case 2:
			p := pick(g, people)
			fs = append(fs, fmt.Sprintf("Co-authored-by: %s <%s>", p.name, p.email))
		case 3:
			fs = append(fs, fmt.Sprintf("Closes #%d", 100+g.rng.IntN(9000)))
		case 4:
			p := pick(g, people[:12])
			fs = append(fs, fmt.Sprintf("Signed-off-by: %s <%s>", p.name, p.email))
		}
	}
	return fs
}

func join(header, body string, footers []string) string {
	parts := []string{header}
	if body != "" {
		parts = append(parts, body)
	}
	if len(footers) > 0 {
		parts = append(parts, strings.Join(footers, "\n"))
	}
	return strings.Join(parts, "\n\n") + "\n"
}

func (g *generator) conventional(typ string) message {
	g.f.types[typ]++
	h, scope := g.header(typ, false)
	body := ""
	if g.chance(0.3) {
		body = g.body()
	}
	var footers []string
	if g.chance(0.2) {
		footers = g.footers()
	}
	return message{text: join(h, body, footers), typ: typ, path: g.files.pathFor(g, typ, scope)}
}

var breakingObjects = []string{
	"remove the deprecated --tag-prefix flag", "rename config key release.draft to release.mode",
	"drop support for Go 1.21", "change the default tag prefix to v", "make the v1 API read-only",
	"remove the legacy JSON output", "require config version 2", "stop publishing 386 binaries",
	"replace the plugin interface", "move artifacts under dist/<target>",
}

func (g *generator) breaking() message {
	g.f.breaking++
	typ := pick(g, []string{"feat", "feat", "feat", "refactor", "fix", "chore"})
	g.f.types[typ]++
	scope := ""
	if g.chance(0.7) {
		scope = pick(g, scopes)
	}
	h := typ
	if scope != "" {
		h += "(" + scope + ")"
	}
	what := pick(g, breakingObjects)
	note := "users must " + pick(g, []string{"update their config", "rename the flag in scripts", "upgrade their agents first", "re-run shipline init"}) + "."
	var body string
	var footers []string
	switch r := g.rng.Float64(); {
	case r < 0.40: // "!" only
		h += "!"
		if g.chance(0.5) {
			body = g.body()
		}
	case r < 0.75: // footer only
		if g.chance(0.5) {
			body = g.body()
		}
		footers = append(footers, "BREAKING CHANGE: "+note)
	case r < 0.95: // both
		h += "!"
		body = g.body()
		footers = append(footers, "BREAKING CHANGE: "+note)
	default: // the hyphenated synonym
		footers = append(footers, "BREAKING-CHANGE: "+note)
	}
	if g.chance(0.4) {
		footers = append(footers, g.footers()...)
	}
	return message{text: join(h+": "+what, body, footers), typ: typ, path: g.files.pathFor(g, typ, scope)}
}

// nonConventional writes a message that does not follow Conventional
// Commits; none of them looks like a feature or a breaking change even to a
// substring search.
func (g *generator) nonConventional() message {
	path := g.files.random(g)
	var text string
	switch g.rng.IntN(10) {
	case 0:
		text = "Update " + path + "\n"
	case 1:
		text = "WIP\n"
	case 2:
		text = "Fix typo in " + path + "\n"
	case 3:
		text = fmt.Sprintf("Bump golang.org/x/%s from 0.%d.0 to 0.%d.0\n\nBumps golang.org/x/%[1]s from 0.%[2]d.0 to 0.%[3]d.0.\n",
			pick(g, []string{"sys", "mod", "term", "sync", "text"}), 10+g.rng.IntN(30), 41+g.rng.IntN(9))
		path = "go.sum"
	case 4:
		text = "Address review comments\n"
	case 5:
		text = "Small cleanups\n\n" + g.body() + "\n"
	case 6:
		text = "Add tests for " + pick(g, objects) + "\n"
	case 7:
		// A revert names the reverted header; only fixes and chores are
		// reverted so that the window's bump does not change.
		h, _ := g.header(pick(g, []string{"fix", "chore", "docs"}), false)
		text = fmt.Sprintf("Revert %q\n\nThis reverts commit %016x%016x%08x.\n", h, g.rng.Uint64(), g.rng.Uint64(), g.rng.Uint32())
	case 8:
		text = "More logging in " + pick(g, scopes) + "\n"
	case 9:
		text = "Refactor " + pick(g, scopes) + " package\n"
	}
	return message{text: text, path: path}
}

func (g *generator) mergeLike() message {
	p := pick(g, people)
	login := strings.ToLower(strings.Fields(p.name)[0])
	var text string
	switch g.rng.IntN(3) {
	case 0:
		text = fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s\n", 100+g.rng.IntN(9000), login, pick(g, branchWords), pick(g, bodySentences))
	case 1:
		text = fmt.Sprintf("Merge branch 'main' into %s\n", pick(g, branchWords))
	case 2:
		text = "Merge remote-tracking branch 'origin/main'\n"
	}
	return message{text: text, path: g.files.random(g)}
}

// commit writes one commit that changes one file. A mark > 0 names the
// commit for a later tag.
func (g *generator) commit(m message, mark int) {
	if g.err != nil {
		return
	}
	g.now += 30 + int64(g.rng.ExpFloat64()*g.gap)
	author := pick(g, people)
	committer := author
	if strings.Contains(strings.SplitN(m.text, "\n", 2)[0], "(#") {
		committer = struct{ name, email, tz string }{"GitHub", "noreply@github.com", "+0000"}
	}
	content := g.files.change(m.path, strings.SplitN(m.text, "\n", 2)[0], g.f.commits, g.major)
	g.f.commits++
	var b strings.Builder
	b.WriteString("commit refs/heads/main\n")
	if mark > 0 {
		fmt.Fprintf(&b, "mark :%d\n", mark)
	}
	fmt.Fprintf(&b, "author %s <%s> %d %s\n", author.name, author.email, g.now, author.tz)
	fmt.Fprintf(&b, "committer %s <%s> %d %s\n", committer.name, committer.email, g.now, committer.tz)
	fmt.Fprintf(&b, "data %d\n%s", len(m.text), m.text)
	fmt.Fprintf(&b, "M 100644 inline %s\ndata %d\n%s\n", m.path, len(content), content)
	_, g.err = io.WriteString(g.w, b.String())
}

// tag tags the commit with the mark: annotated or lightweight, by chance.
func (g *generator) tag(name string, mark int) {
	if g.err != nil {
		return
	}
	var s string
	if g.chance(0.6) {
		g.f.annotated++
		g.f.lastTagKind = "annotated"
		p := pick(g, people[:3])
		msg := "Release " + name + "\n"
		s = fmt.Sprintf("tag %s\nfrom :%d\ntagger %s <%s> %d %s\ndata %d\n%s\n", name, mark, p.name, p.email, g.now+int64(60+g.rng.IntN(3600)), p.tz, len(msg), msg)
	} else {
		g.f.lastTagKind = "lightweight"
		s = fmt.Sprintf("reset refs/tags/%s\nfrom :%d\n\n", name, mark)
	}
	_, g.err = io.WriteString(g.w, s)
}

// fileTree is the set of files the history changes, and the recent lines
// of each, so that each commit changes its file a little.
type fileTree struct {
	byDir map[string][]string
	dirs  []string
	lines map[string][]string
}

var dirFiles = map[string][]string{
	"":                  {"README.md", "Makefile", "go.mod", "go.sum", ".gitignore", "Dockerfile", "LICENSE", "shipline.go", "error.go"},
	"docs":              {"index.md", "install.md", "config.md", "changelog.md", "versions.md", "signing.md", "agents.md", "faq.md", "contributing.md"},
	".github/workflows": {"ci.yml", "release.yml", "lint.yml", "codeql.yml"},
	"cmd/shipline":      {"main.go", "version.go", "changelog.go", "release.go", "flags.go", "main_test.go"},
}

var goFiles = []string{"doc.go", "%s.go", "%s_test.go", "parse.go", "parse_test.go", "errors.go", "options.go", "format.go", "format_test.go", "cache.go", "client.go", "export_test.go", "fuzz_test.go", "testdata/golden.txt"}

func newFileTree() *fileTree {
	t := &fileTree{byDir: map[string][]string{}, lines: map[string][]string{}}
	for dir, files := range dirFiles {
		t.byDir[dir] = files
	}
	for i, s := range scopes {
		if s == "deps" || s == "release" {
			continue
		}
		dir := s
		if i%3 == 0 {
			dir = "internal/" + s
		}
		var files []string
		for _, f := range goFiles[:8+i%(len(goFiles)-7)] {
			files = append(files, strings.ReplaceAll(f, "%s", s))
		}
		t.byDir[dir] = files
	}
	for dir := range t.byDir {
		t.dirs = append(t.dirs, dir)
	}
	sort.Strings(t.dirs)
	return t
}

func (t *fileTree) random(g *generator) string {
	dir := pick(g, t.dirs)
	return joinPath(dir, pick(g, t.byDir[dir]))
}

func joinPath(dir, file string) string {
	if dir == "" {
		return file
	}
	return dir + "/" + file
}

// pathFor picks a file that fits the type and scope of a commit.
func (t *fileTree) pathFor(g *generator, typ, scope string) string {
	switch typ {
	case "docs":
		return joinPath("docs", pick(g, t.byDir["docs"]))
	case "ci":
		return joinPath(".github/workflows", pick(g, t.byDir[".github/workflows"]))
	case "build":
		return pick(g, []string{"Makefile", "Dockerfile", "go.mod"})
	}
	if scope == "deps" {
		return pick(g, []string{"go.mod", "go.sum"})
	}
	for _, dir := range []string{scope, "internal/" + scope} {
		if files, ok := t.byDir[dir]; ok && scope != "" {
			if typ == "test" {
				for range 4 {
					if f := pick(g, files); strings.Contains(f, "_test") {
						return joinPath(dir, f)
					}
				}
			}
			return joinPath(dir, pick(g, files))
		}
	}
	return t.random(g)
}

// modulePath is the path of the generated repository's Go module.
const modulePath = "github.com/shipyard-dev/shipyard"

// change returns the next content of path: a header and its last few
// changes, one line each. go.mod names the module, with a /vN suffix from
// v2 on, and Go files have a package clause.
func (t *fileTree) change(path, subject string, n, major int) string {
	const keep = 6
	ls := append(t.lines[path], fmt.Sprintf("change %d: %s", n, subject))
	if len(ls) > keep {
		ls = ls[len(ls)-keep:]
	}
	t.lines[path] = ls
	var b strings.Builder
	prefix := "// "
	switch dir, _ := splitDir(path); {
	case path == "go.mod":
		mod := modulePath
		if major >= 2 {
			mod += fmt.Sprintf("/v%d", major)
		}
		fmt.Fprintf(&b, "module %s\n\ngo 1.22\n\n", mod)
	case strings.HasSuffix(path, ".go"):
		pkg := dir[strings.LastIndex(dir, "/")+1:]
		switch {
		case dir == "":
			pkg = "shipyard"
		case strings.HasPrefix(dir, "cmd/"):
			pkg = "main"
		}
		fmt.Fprintf(&b, "// %s\n\npackage %s\n\n", path, pkg)
	default:
		prefix = "# "
		fmt.Fprintf(&b, "# %s\n\n", path)
	}
	for _, l := range ls {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

// splitDir splits a slash path into its directory ("" at the top) and name.
func splitDir(path string) (dir, name string) {
	i := strings.LastIndex(path, "/")
	if i < 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}
