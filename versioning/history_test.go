package versioning

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
)

// spanSummary is a Span with its entries reduced to subjects, for messages.
type spanSummary struct {
	Version, Previous, Commit string
	Date                      time.Time
	Released                  bool
	Subjects                  []string
}

func summarize(spans []Span) []spanSummary {
	out := make([]spanSummary, len(spans))
	for i, s := range spans {
		out[i] = spanSummary{Version: s.Version, Previous: s.Previous, Commit: s.Commit, Date: s.Date, Released: s.Released}
		for _, e := range s.Entries {
			out[i].Subjects = append(out[i].Subjects, e.Subject)
		}
	}
	return out
}

func checkSpans(t *testing.T, got []Span, want []spanSummary) {
	t.Helper()
	g := summarize(got)
	if len(g) != len(want) {
		t.Fatalf("got %d spans:\n%s\nwant %d:\n%s", len(g), dump(g), len(want), dump(want))
	}
	for i := range want {
		if !g[i].Date.Equal(want[i].Date) {
			t.Errorf("span %d (%s) date = %v; want %v", i, g[i].Version, g[i].Date, want[i].Date)
		}
		g[i].Date = want[i].Date
		if fmt.Sprint(g[i]) != fmt.Sprint(want[i]) {
			t.Errorf("span %d =\n%s\nwant\n%s", i, dump(g[i:i+1]), dump(want[i:i+1]))
		}
	}
}

func dump(ss []spanSummary) string {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "  %s (after %q, at %.7s, released %v): %q\n", s.Version, s.Previous, s.Commit, s.Released, s.Subjects)
	}
	return b.String()
}

// TestHistory gives each commit to the lowest release whose tag reaches
// it: a side branch merged before v1.1.0 belongs to v1.1.0 even though its
// commit is dated before v1.0.0's, and the commits of the pre-release
// v1.1.0-rc.1 belong to v1.1.0.
func TestHistory(t *testing.T) {
	r := mustRepo(t)
	c0 := r.commit("feat: first", "main.txt")
	t0 := r.clock
	r.git("switch", "-q", "-c", "side")
	r.commitAt(baseTime.Add(-time.Hour), "fix: side, dated before everything", "side.txt")
	r.git("switch", "-q", "main")
	c1 := r.commit("feat: second", "main.txt")
	t1 := r.clock
	r.tag("v1.0.0")
	r.commit("fix: third", "main.txt")
	r.annotate("v1.1.0-rc.1")
	r.merge("side")
	r.commit("Update docs", "docs.txt")
	c3 := r.commit("feat: fourth", "main.txt")
	t3 := r.clock
	r.annotate("v1.1.0")
	r.tag("api/v7.0.0") // not a tag of the root module
	r.git("switch", "-q", "-c", "exp")
	r.commit("feat!: unmerged", "exp.txt")
	r.tag("v9.0.0") // not reachable from main
	r.git("switch", "-q", "main")
	c4 := r.commit("fix: fifth", "main.txt")
	t4 := r.clock

	v100 := spanSummary{Version: "v1.0.0", Commit: c1, Date: t1, Released: true,
		Subjects: []string{"feat: second", "feat: first"}}
	v110 := spanSummary{Version: "v1.1.0", Previous: "v1.0.0", Commit: c3, Date: t3, Released: true,
		Subjects: []string{"feat: fourth", "Update docs", "Merge branch 'side'", "fix: third", "fix: side, dated before everything"}}
	next := spanSummary{Version: "v1.1.1", Previous: "v1.1.0", Commit: c4, Date: t4,
		Subjects: []string{"fix: fifth"}}
	ctx := context.Background()

	t.Run("with next", func(t *testing.T) {
		spans, err := History(ctx, r.open(), Options{}, "v1.1.1")
		if err != nil {
			t.Fatal(err)
		}
		checkSpans(t, spans, []spanSummary{next, v110, v100})
		for _, s := range spans {
			for _, e := range s.Entries {
				if e.Subject == "fix: fifth" && (e.Bump != shipline.BumpPatch || e.Msg == nil) {
					t.Errorf("entry %q classified as %v (msg %v); want patch", e.Subject, e.Bump, e.Msg)
				}
			}
		}
	})
	t.Run("without next", func(t *testing.T) {
		spans, err := History(ctx, r.open(), Options{}, "")
		if err != nil {
			t.Fatal(err)
		}
		checkSpans(t, spans, []spanSummary{v110, v100})
	})
	t.Run("next with nothing unreleased", func(t *testing.T) {
		r.git("switch", "-q", "--detach", "v1.1.0")
		t.Cleanup(func() { r.git("switch", "-q", "main") })
		spans, err := History(ctx, r.open(), Options{}, "v1.1.1")
		if err != nil {
			t.Fatal(err)
		}
		checkSpans(t, spans, []spanSummary{v110, v100})
	})
	t.Run("before the first tag", func(t *testing.T) {
		r.git("switch", "-q", "--detach", c0)
		t.Cleanup(func() { r.git("switch", "-q", "main") })
		spans, err := History(ctx, r.open(), Options{}, "v0.1.0")
		if err != nil {
			t.Fatal(err)
		}
		checkSpans(t, spans, []spanSummary{{Version: "v0.1.0", Commit: c0, Date: t0, Subjects: []string{"feat: first"}}})
	})
}

// TestHistoryModules: a module's history holds the commits that touch its
// directory, except those that touch only modules nested inside it.
func TestHistoryModules(t *testing.T) {
	r := mustRepo(t)
	r.write("go.mod", "module example.com/m\n")
	r.write("api/go.mod", "module example.com/m/api\n")
	r.write("api/nested/go.mod", "module example.com/m/api/nested\n")
	r.commit("chore: init", "go.mod", "api/go.mod", "api/nested/go.mod")
	r.commit("feat(api): a", "api/a.go")
	c2 := r.commit("fix(nested): n", "api/nested/n.go") // not api's
	t2 := r.clock
	r.tag("api/v0.1.0")
	c3 := r.commit("feat: root", "main.go")
	t3 := r.clock
	r.tag("v0.1.0")
	r.commit("fix(api): both", "api/b.go", "api/nested/m.go")
	r.commit("docs(nested): only nested", "api/nested/README")
	c6 := r.commit("fix: root and nested", "main.go", "api/nested/x.go")
	t6 := r.clock
	repo := r.open()
	ctx := context.Background()

	tests := []struct {
		module string
		next   string
		want   []spanSummary
	}{
		{
			module: "api",
			next:   "api/v0.1.1",
			want: []spanSummary{
				{Version: "api/v0.1.1", Previous: "api/v0.1.0", Commit: c6, Date: t6, Subjects: []string{"fix(api): both"}},
				{Version: "api/v0.1.0", Commit: c2, Date: t2, Released: true,
					Subjects: []string{"feat(api): a", "chore: init"}},
			},
		},
		{
			module: "",
			next:   "v0.2.0",
			want: []spanSummary{
				{Version: "v0.2.0", Previous: "v0.1.0", Commit: c6, Date: t6, Subjects: []string{"fix: root and nested"}},
				{Version: "v0.1.0", Commit: c3, Date: t3, Released: true, Subjects: []string{"feat: root", "chore: init"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run("module="+tt.module, func(t *testing.T) {
			spans, err := History(ctx, repo, Options{Module: tt.module}, tt.next)
			if err != nil {
				t.Fatal(err)
			}
			checkSpans(t, spans, tt.want)
		})
	}
}

func TestSince(t *testing.T) {
	r := mustRepo(t)
	r.commit("feat: a")
	r.tag("v1.0.0")
	r.commit("fix: b")
	r.tag("v1.0.1")
	r.commit("Update README")
	head := r.commit("feat: c")
	headTime := r.clock
	r.git("switch", "-q", "-c", "exp", "v1.0.0")
	r.commit("feat: x", "exp.txt")
	r.tag("v1.0.0-exp.1")
	r.git("switch", "-q", "main")
	repo := r.open()
	ctx := context.Background()

	s, err := Since(ctx, repo, Options{}, "v1.0.0", "v1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	checkSpans(t, []Span{*s}, []spanSummary{{Version: "v1.1.0", Previous: "v1.0.0", Commit: head, Date: headTime,
		Subjects: []string{"feat: c", "Update README", "fix: b"}}})

	_, err = Since(ctx, repo, Options{}, "v1.0.0-exp.1", "v1.1.0")
	if code := shipline.ErrorCode(err); code != shipline.EINVALID {
		t.Errorf("Since(a tag off the branch) error %v (code %q); want %q", err, code, shipline.EINVALID)
	}
	_, err = Since(ctx, repo, Options{}, "v0.9.0", "v1.1.0")
	if code := shipline.ErrorCode(err); code != shipline.ENOTFOUND {
		t.Errorf("Since(a missing tag) error %v (code %q); want %q", err, code, shipline.ENOTFOUND)
	}
}

func TestHistoryIsSorted(t *testing.T) {
	// Tags created out of version order still give spans in version order.
	r := mustRepo(t)
	r.commit("feat: a")
	r.tag("v0.9.0")
	r.commit("feat: b")
	r.tag("v0.10.0")
	r.commit("feat: c")
	r.tag("v0.11.0")
	spans, err := History(context.Background(), r.open(), Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range spans {
		got = append(got, s.Version+"<"+s.Previous)
	}
	if want := []string{"v0.11.0<v0.10.0", "v0.10.0<v0.9.0", "v0.9.0<"}; !slices.Equal(got, want) {
		t.Errorf("History versions = %q; want %q", got, want)
	}
}
