package changelog

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/conventional"
)

var update = flag.Bool("update", false, "rewrite golden files")

// mustCommit returns a commit with the message parsed (Msg nil when it is
// not a Conventional Commit). The hash is n repeated to 40 hex digits.
func mustCommit(tb testing.TB, n int, msg string, parents ...string) Commit {
	tb.Helper()
	c := Commit{Commit: shipline.Commit{
		Hash:    strings.Repeat(fmt.Sprintf("%x", n%16), 7) + fmt.Sprintf("%033x", n),
		Parents: parents,
		Message: msg,
	}}
	c.Subject, _, _ = strings.Cut(msg, "\n")
	if m, err := conventional.Parse(msg); err == nil {
		c.Msg = m
	}
	return c
}

// itemsOf reduces groups to "Title: desc, desc" lines for messages.
func itemsOf(groups []Group) []string {
	var out []string
	for _, g := range groups {
		var ds []string
		for _, it := range g.Items {
			d := it.Description
			if it.Scope != "" {
				d = it.Scope + "/" + d
			}
			ds = append(ds, d)
		}
		out = append(out, g.Title+": "+strings.Join(ds, ", "))
	}
	return out
}

func TestNewRelease(t *testing.T) {
	commits := []Commit{
		mustCommit(t, 1, "feat(api): a"),
		mustCommit(t, 2, "fix: b"),
		mustCommit(t, 3, "perf: c"),
		mustCommit(t, 4, "chore: d"),
		mustCommit(t, 5, "WIP do not merge"),
		mustCommit(t, 6, "feat!: merged", "p1", "p2"),
		mustCommit(t, 7, "feat!: e"),
		mustCommit(t, 8, "fix(io): f\n\nBREAKING CHANGE: note one\n\nmore\nBREAKING-CHANGE: note two"),
		mustCommit(t, 9, "revert: g"),
		mustCommit(t, 10, "DOCS: h"),
	}
	defaults := config.Default().Changelog.Sections
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{
			name: "default sections",
			opts: Options{Sections: defaults},
			want: []string{
				"Breaking Changes: e, io/note one\n\nmore, io/note two",
				"Features: api/a, e",
				"Bug Fixes: b, io/f",
				"Performance: c",
				"Reverts: g",
			},
		},
		{
			name: "other changes",
			opts: Options{Sections: defaults, Other: true},
			want: []string{
				"Breaking Changes: e, io/note one\n\nmore, io/note two",
				"Features: api/a, e",
				"Bug Fixes: b, io/f",
				"Performance: c",
				"Reverts: g",
				"Other Changes: d, h",
			},
		},
		{
			name: "configured order and types",
			opts: Options{Sections: []config.Section{
				{Title: "Fixes", Types: []string{"fix", "revert"}},
				{Title: "Maintenance", Types: []string{"chore", "Docs"}},
				{Title: "New", Types: []string{"FEAT"}},
				{Title: "Empty", Types: []string{"style"}},
			}},
			want: []string{
				"Breaking Changes: e, io/note one\n\nmore, io/note two",
				"Fixes: b, io/f, g",
				"Maintenance: d, h",
				"New: api/a, e",
			},
		},
		{
			name: "no sections",
			opts: Options{},
			want: []string{"Breaking Changes: e, io/note one\n\nmore, io/note two"},
		},
		{
			name: "no sections, other",
			opts: Options{Other: true},
			want: []string{
				"Breaking Changes: e, io/note one\n\nmore, io/note two",
				"Other Changes: api/a, b, c, d, e, io/f, g, h",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRelease("v2.0.0", "v1.0.0", time.Unix(0, 0), true, commits, tt.opts)
			if got := itemsOf(r.Groups); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("groups =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestNewReleaseItems(t *testing.T) {
	c := mustCommit(t, 7, "feat(api)!: drop v1")
	links := Links{Kind: "github", Base: "https://github.com/o/r"}
	date := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	r := NewRelease("v2.0.0", "v1.4.0", date, true, []Commit{c}, Options{Sections: config.Default().Changelog.Sections, Links: links})
	want := Release{
		Version: "v2.0.0", Previous: "v1.4.0", Date: date, Released: true,
		CompareURL: "https://github.com/o/r/compare/v1.4.0...v2.0.0",
		Groups: []Group{
			{Title: BreakingTitle, Items: []Item{{Type: "feat", Scope: "api", Description: "drop v1", Hash: c.Hash, Short: c.Hash[:7], URL: "https://github.com/o/r/commit/" + c.Hash, Breaking: true}}},
			{Title: "Features", Items: []Item{{Type: "feat", Scope: "api", Description: "drop v1", Hash: c.Hash, Short: c.Hash[:7], URL: "https://github.com/o/r/commit/" + c.Hash, Breaking: true}}},
		},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("NewRelease =\n%+v\nwant\n%+v", r, want)
	}

	first := NewRelease("v0.1.0", "", date, false, nil, Options{Links: links})
	if first.CompareURL != "" {
		t.Errorf("first release CompareURL = %q; want none", first.CompareURL)
	}
	if first.Groups == nil || len(first.Groups) != 0 {
		t.Errorf("release without commits Groups = %#v; want an empty, non-nil list", first.Groups)
	}
	out, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"groups":[]`)) {
		t.Errorf("JSON = %s; want \"groups\":[]", out)
	}
}

// releases is the history rendered by the golden tests: an unreleased
// version, a release with breaking changes and multi-line notes, and a
// first release.
func releases(tb testing.TB, links Links) []Release {
	tb.Helper()
	opts := Options{Sections: config.Default().Changelog.Sections, Links: links}
	day := func(d int) time.Time { return time.Date(2024, 3, d, 23, 30, 0, 0, time.FixedZone("X", -5*3600)) }
	return []Release{
		NewRelease("v2.1.0", "v2.0.0", day(20), false, []Commit{
			mustCommit(tb, 30, "feat(cli): add --json"),
			mustCommit(tb, 31, "fix: handle *emphasis* and `code` in descriptions"),
			mustCommit(tb, 32, "Merge pull request #7 from o/x", "a", "b"),
		}, opts),
		NewRelease("v2.0.0", "v1.0.0", day(10), true, []Commit{
			mustCommit(tb, 20, "feat(api)!: rename Client to Conn\n\nBREAKING CHANGE: Client is now Conn.\nUpdate your imports:\n\n    conn := api.Conn{}\n\nRefs #12"),
			mustCommit(tb, 21, "perf(parser): faster tokenizer"),
			mustCommit(tb, 22, "revert: undo faster parse"),
			mustCommit(tb, 23, "refactor!: drop Go 1.20"),
			mustCommit(tb, 24, "docs: typo"),
		}, opts),
		NewRelease("v1.0.0", "", day(1), true, []Commit{
			mustCommit(tb, 10, "feat: first"),
			mustCommit(tb, 11, "fix(io): handle EOF"),
		}, opts),
	}
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name  string
		links Links
	}{
		{"github", DetectLinks("auto", "git@github.com:acme/widget.git", "")},
		{"gitlab", DetectLinks("auto", "https://gitlab.com/acme/tools/widget.git", "")},
		{"nolinks", Links{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultTemplate().Render(releases(t, tt.links))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", tt.name+".golden"), got)
		})
	}
}

// checkGolden compares got with the golden file, or rewrites the file
// with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestRenderEmpty(t *testing.T) {
	got, err := DefaultTemplate().Render(nil)
	if err != nil || len(got) != 0 {
		t.Errorf("Render(nil) = %q, %v; want nothing", got, err)
	}
}

// A multi-line note stays inside its list item: continuation lines are
// indented by two spaces.
func TestRenderIndentsNotes(t *testing.T) {
	r := NewRelease("v2.0.0", "", time.Unix(0, 0), true, []Commit{
		mustCommit(t, 1, "fix: x\n\nBREAKING CHANGE: line one\nline two\n\nparagraph"),
	}, Options{})
	got, err := DefaultTemplate().Render([]Release{r})
	if err != nil {
		t.Fatal(err)
	}
	want := "- line one\n  line two\n"
	if !bytes.Contains(got, []byte(want)) {
		t.Errorf("Render =\n%s\nwant it to contain %q", got, want)
	}
	if !bytes.Contains(got, []byte("\n  paragraph (1111111)\n")) {
		t.Errorf("Render =\n%s\nwant the last paragraph indented and followed by the hash", got)
	}
}

func TestTemplateFuncs(t *testing.T) {
	tmpl, err := ParseTemplate("t", `{{range .Releases}}[{{indent 4 .Version}}] {{date .Date}}{{"\n"}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render([]Release{
		{Version: "a\nb\n\n", Date: time.Date(2024, 12, 31, 22, 0, 0, 0, time.FixedZone("E", -3*3600))},
		{Version: "one", Date: time.Date(2024, 1, 2, 0, 30, 0, 0, time.FixedZone("W", 2*3600))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[a\n    b] 2025-01-01\n[one] 2024-01-01\n"; string(got) != want {
		t.Errorf("Render = %q; want %q", got, want)
	}
}

func TestParseTemplateErrors(t *testing.T) {
	for _, text := range []string{
		"{{range .Releases}}",
		"{{.Releases",
		"{{nosuch .Releases}}",
		"{{end}}",
	} {
		_, err := ParseTemplate("mine.tmpl", text)
		if code := shipline.ErrorCode(err); code != shipline.EINVALID {
			t.Errorf("ParseTemplate(%q) error %v (code %q); want %q", text, err, code, shipline.EINVALID)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "changelog template: ") || !strings.Contains(msg, "mine.tmpl:1") {
			t.Errorf("ParseTemplate(%q) error = %q; want it to say changelog template and mine.tmpl:1", text, msg)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	for _, text := range []string{
		"{{.Nope}}",
		"{{index .Releases 3}}",
		"{{range .Releases}}{{.Groups.Title}}{{end}}",
	} {
		tmpl, err := ParseTemplate("t", text)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", text, err)
		}
		_, err = tmpl.Render([]Release{{Version: "v1.0.0", Groups: []Group{{Title: "x"}}}})
		if code := shipline.ErrorCode(err); code != shipline.EINVALID || !strings.HasPrefix(errText(err), "changelog template: ") {
			t.Errorf("Render with %q: error %v (code %q); want %q starting \"changelog template: \"", text, err, code, shipline.EINVALID)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// BenchmarkRender groups 10,000 commits into one release and renders it
// with the default template and GitHub links.
func BenchmarkRender(b *testing.B) {
	msgs := []string{
		"feat(api): add pagination to the list endpoint\n\nLarge projects time out.\n\nRefs #412",
		"fix(io): handle EOF on a closed pipe",
		"perf: cache parsed messages",
		"chore(deps): bump x from 1.2.3 to 1.2.4",
		"refactor(config)!: rename the build section\n\nBREAKING CHANGE: the \"build\" key is now \"builds\".\nRun shipline migrate.",
		"docs: typo",
		"Merge branch 'main' into dev",
		"revert: undo faster parse",
	}
	commits := make([]Commit, 10_000)
	for i := range commits {
		commits[i] = mustCommit(b, i, msgs[i%len(msgs)])
	}
	opts := Options{Sections: config.Default().Changelog.Sections, Other: true, Links: Links{Kind: "github", Base: "https://github.com/acme/widget"}}
	tmpl := DefaultTemplate()
	date := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	out, err := tmpl.Render([]Release{NewRelease("v2.0.0", "v1.9.0", date, true, commits, opts)})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out))) // bytes of Markdown written
	b.ReportAllocs()
	for b.Loop() {
		r := NewRelease("v2.0.0", "v1.9.0", date, true, commits, opts)
		if _, err := tmpl.Render([]Release{r}); err != nil {
			b.Fatal(err)
		}
	}
}
