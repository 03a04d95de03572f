package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func smallConfig() genConfig {
	cfg := defaultGenConfig()
	cfg.Commits = 6000
	cfg.TagEvery = 150
	cfg.Tail = 40
	return cfg
}

func TestPlan(t *testing.T) {
	for _, cfg := range []genConfig{defaultGenConfig(), smallConfig()} {
		t.Run(strconv.Itoa(cfg.Commits), func(t *testing.T) {
			windows, tail, err := plan(cfg, rand.New(rand.NewPCG(cfg.Seed, 1)))
			if err != nil {
				t.Fatal(err)
			}
			sum, majors := 0, 0
			prev := version{}
			for i, w := range windows {
				sum += w.size
				if w.size < 4 {
					t.Errorf("window %d has %d commits", i, w.size)
				}
				if w.kind == kindMajor {
					majors++
				}
				if i > 0 && !less(prev, w.tag) {
					t.Errorf("tag %d: %s does not follow %s", i, w.tag, prev)
				}
				prev = w.tag
			}
			if got, want := sum, cfg.Commits-cfg.Tail; got != want {
				t.Errorf("tagged commits: got %d, want %d", got, want)
			}
			if got, want := majors, cfg.Majors; got != want {
				t.Errorf("major releases: got %d, want %d", got, want)
			}
			if got, want := tail.size, cfg.Tail; got != want {
				t.Errorf("tail: got %d, want %d", got, want)
			}
			if got, want := tail.tag, prev.bump(kindMinor); got != want {
				t.Errorf("expected next: got %s, want %s", got, want)
			}
		})
	}
}

func less(a, b version) bool {
	if a.major != b.major {
		return a.major < b.major
	}
	if a.minor != b.minor {
		return a.minor < b.minor
	}
	return a.patch < b.patch
}

// streamCommit is a commit read back from a fast-import stream, with the
// tag put on it, if any.
type streamCommit struct {
	message string
	tag     string
}

// readStream reads back the commits and tags of a stream that generate
// wrote.
func readStream(t *testing.T, r io.Reader) []streamCommit {
	t.Helper()
	br := bufio.NewReader(r)
	var commits []streamCommit
	wantMessage := false
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return commits
		}
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "commit refs/heads/main":
			commits = append(commits, streamCommit{})
			wantMessage = true
		case strings.HasPrefix(line, "data "):
			n, err := strconv.Atoi(strings.TrimPrefix(line, "data "))
			if err != nil {
				t.Fatal(err)
			}
			data := make([]byte, n)
			if _, err := io.ReadFull(br, data); err != nil {
				t.Fatal(err)
			}
			if wantMessage {
				commits[len(commits)-1].message = string(data)
				wantMessage = false
			}
		case strings.HasPrefix(line, "tag "):
			commits[len(commits)-1].tag = strings.TrimPrefix(line, "tag ")
		case strings.HasPrefix(line, "reset refs/tags/"):
			commits[len(commits)-1].tag = strings.TrimPrefix(line, "reset refs/tags/")
		}
	}
}

// ccBump classifies a message by the Conventional Commits rules, on its
// own, to check the generator's tags against.
var (
	ccHeader   = regexp.MustCompile(`^([a-z]+)(\([a-z]+\))?(!)?: \S`)
	ccBreaking = regexp.MustCompile(`(?m)^BREAKING[ -]CHANGE: `)
)

func ccBump(msg string) kind {
	header, rest, _ := strings.Cut(msg, "\n")
	m := ccHeader.FindStringSubmatch(header)
	if m == nil {
		return kindInitial // none
	}
	if m[3] == "!" || ccBreaking.MatchString(rest) {
		return kindMajor
	}
	switch m[1] {
	case "feat":
		return kindMinor
	case "fix":
		return kindPatch
	}
	return kindInitial
}

// svu v3's patterns: it matches substrings, so the history must not
// contain anything that it would read differently from the rules.
var (
	svuBreakingBody = regexp.MustCompile("(?m).*BREAKING[ -]CHANGE:.*")
	svuBreaking     = regexp.MustCompile(`(?im).*(\w+)(\(.*\))?!:.*`)
	svuFeature      = regexp.MustCompile(`(?im).*feat(\(.*\))?:.*`)
	svuPatch        = regexp.MustCompile(`(?im).*fix(\(.*\))?:.*`)
)

func svuBump(msg string) kind {
	title, body, _ := strings.Cut(msg, "\n")
	switch {
	case svuBreakingBody.MatchString(body) || svuBreaking.MatchString(title):
		return kindMajor
	case svuFeature.MatchString(title):
		return kindMinor
	case svuPatch.MatchString(title):
		return kindPatch
	}
	return kindInitial
}

func parseVersion(t *testing.T, s string) version {
	t.Helper()
	var v version
	if _, err := fmt.Sscanf(s, "v%d.%d.%d", &v.major, &v.minor, &v.patch); err != nil {
		t.Fatalf("tag %q: %v", s, err)
	}
	return v
}

// TestTagsFollowCommits checks that every tag is the bump that the commits
// since the previous tag call for, by the rules and by svu's patterns
// alike, and that the facts tell the truth.
func TestTagsFollowCommits(t *testing.T) {
	cfg := smallConfig()
	var buf bytes.Buffer
	f, err := generate(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	commits := readStream(t, &buf)
	if got, want := len(commits), cfg.Commits; got != want {
		t.Fatalf("commits: got %d, want %d", got, want)
	}
	var prev version
	var tags int
	largest, largestSVU := kindInitial, kindInitial
	nonConventional := 0
	check := func(what string, want version) {
		t.Helper()
		if prev == (version{}) {
			if want != (version{0, 1, 0}) {
				t.Errorf("%s: got %s, want v0.1.0", what, want)
			}
			return
		}
		for _, k := range []struct {
			name string
			k    kind
		}{{"rules", largest}, {"svu", largestSVU}} {
			next := prev.bump(k.k)
			if k.k == kindInitial {
				next = prev
			}
			if next != want {
				t.Errorf("%s after %s: the commits call for %s by %s, the history says %s", what, prev, next, k.name, want)
			}
		}
	}
	for i, c := range commits {
		b := ccBump(c.message)
		if b == kindInitial && !ccHeader.MatchString(c.message) {
			nonConventional++
		}
		largest = max(largest, b)
		largestSVU = max(largestSVU, svuBump(c.message))
		if c.tag == "" {
			continue
		}
		tags++
		v := parseVersion(t, c.tag)
		check(fmt.Sprintf("tag %s (commit %d)", c.tag, i), v)
		prev, largest, largestSVU = v, kindInitial, kindInitial
	}
	check("expected next", parseVersion(t, f.expectedNext))
	if got, want := tags, f.tags; got != want {
		t.Errorf("tags: got %d, facts say %d", got, want)
	}
	if got, want := prev.String(), f.lastTag; got != want {
		t.Errorf("last tag: got %s, facts say %s", got, want)
	}
	if got, want := nonConventional, f.nonConventional; got != want {
		t.Errorf("non-conventional: got %d, facts say %d", got, want)
	}
	if share := float64(nonConventional) / float64(len(commits)); share < 0.03 || share > 0.07 {
		t.Errorf("non-conventional share %.3f, want about 0.05", share)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := generate(&a, smallConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := generate(&b, smallConfig()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs with the same seed wrote different streams")
	}
}

// TestFastImport feeds a small stream to git fast-import and checks the
// repository that comes out.
func TestFastImport(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	git := func(stdin io.Reader, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(cmd.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		cmd.Stdin = stdin
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(nil, "init", "-q", "-b", "main")
	cfg := smallConfig()
	var buf bytes.Buffer
	f, err := generate(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	git(&buf, "fast-import", "--quiet")
	for _, c := range []struct{ args, want string }{
		{"rev-list --count HEAD", strconv.Itoa(cfg.Commits)},
		{"describe --tags --abbrev=0", f.lastTag},
		{"rev-list --count " + f.lastTag + "..HEAD", strconv.Itoa(cfg.Tail)},
		{"for-each-ref --count=1 --sort=-creatordate --format=%(refname:short) refs/tags", f.lastTag},
	} {
		if got := git(nil, strings.Fields(c.args)...); got != c.want {
			t.Errorf("git %s: got %q, want %q", c.args, got, c.want)
		}
	}
	if got := len(strings.Fields(git(nil, "tag"))); got != f.tags {
		t.Errorf("tags: got %d, want %d", got, f.tags)
	}
	types := strings.Fields(git(nil, "for-each-ref", "--format=%(objecttype)", "refs/tags"))
	annotated := strings.Count(strings.Join(types, " "), "tag")
	if annotated != f.annotated || annotated == 0 || annotated == len(types) {
		t.Errorf("annotated tags: got %d of %d, facts say %d; want some of each kind", annotated, len(types), f.annotated)
	}
	// Commit times only go forward.
	times := strings.Fields(git(nil, "log", "--format=%ct"))
	for i := 1; i < len(times); i++ {
		newer, _ := strconv.ParseInt(times[i-1], 10, 64)
		older, _ := strconv.ParseInt(times[i], 10, 64)
		if older >= newer {
			t.Fatalf("commit %d is not older than the one after it: %d >= %d", len(times)-i, older, newer)
		}
	}
}
