package versioning

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

// nextWant is what a Next result must hold. Problem and Note are
// substrings of one of the result's problems and notes; an empty Problem
// means no problem at all.
type nextWant struct {
	Current, Base, Next string
	Bump                shipline.Bump
	Commits, Ignored    int
	HeadTagged          bool
	Problem, Note       string
}

func checkNext(t *testing.T, res *Result, want nextWant) {
	t.Helper()
	got := nextWant{
		Current: res.Current, Base: res.Base, Next: res.Next, Bump: res.Bump,
		Commits: res.Commits, Ignored: res.Ignored, HeadTagged: res.HeadTagged,
		Problem: want.Problem, Note: want.Note,
	}
	if got != want {
		t.Errorf("Next =\n%+v\nwant\n%+v", got, want)
	}
	if want.Problem == "" && len(res.Problems) > 0 {
		t.Errorf("Next problems = %q; want none", res.Problems)
	}
	if want.Problem != "" && !slices.ContainsFunc(res.Problems, func(p string) bool { return strings.Contains(p, want.Problem) }) {
		t.Errorf("Next problems = %q; want one containing %q", res.Problems, want.Problem)
	}
	if want.Note != "" && !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, want.Note) }) {
		t.Errorf("Next notes = %q; want one containing %q", res.Notes, want.Note)
	}
	if len(res.Entries) != res.Commits {
		t.Errorf("Next has %d entries for %d commits", len(res.Entries), res.Commits)
	}
	if (res.Tag == nil) != (res.Base == "") {
		t.Errorf("Next Tag = %v with Base %q; want a tag exactly when there is a base", res.Tag, res.Base)
	} else if res.Tag != nil && res.Tag.Name != res.Base {
		t.Errorf("Next Tag.Name = %q; want Base %q", res.Tag.Name, res.Base)
	}
}

func TestNext(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *testRepo)
		opts  Options
		want  nextWant
	}{
		{
			name:  "first release",
			setup: func(r *testRepo) { r.commit("chore: init"); r.commit("feat: a") },
			want:  nextWant{Next: "v0.1.0", Bump: shipline.BumpMinor, Commits: 2, Note: "the first release is v0.1.0"},
		},
		{
			name:  "first release with a configured initial version",
			setup: func(r *testRepo) { r.commit("fix: a") },
			opts:  Options{Config: config.Versioning{Initial: "v1.0.0"}},
			want:  nextWant{Next: "v1.0.0", Bump: shipline.BumpPatch, Commits: 1},
		},
		{
			name: "first release of a /v2 module",
			setup: func(r *testRepo) {
				r.write("go.mod", "module example.com/m/v2\n")
				r.commit("feat: a", "go.mod")
			},
			want: nextWant{Next: "v2.0.0", Bump: shipline.BumpMinor, Commits: 1},
		},
		{
			name:  "nothing releases anything yet",
			setup: func(r *testRepo) { r.commit("chore: a"); r.commit("Update README") },
			want:  nextWant{Commits: 2, Ignored: 1, Note: "nothing to release"},
		},
		{
			name:  "patch",
			setup: func(r *testRepo) { r.commit("feat: a"); r.tag("v1.0.0"); r.commit("fix: b"); r.commit("docs: c") },
			want:  nextWant{Current: "v1.0.0", Base: "v1.0.0", Next: "v1.0.1", Bump: shipline.BumpPatch, Commits: 2},
		},
		{
			name:  "configured rule",
			setup: func(r *testRepo) { r.commit("feat: a"); r.tag("v1.0.0"); r.commit("docs: c") },
			opts:  Options{Config: config.Versioning{Rules: map[string]string{"docs": "minor"}}},
			want:  nextWant{Current: "v1.0.0", Base: "v1.0.0", Next: "v1.1.0", Bump: shipline.BumpMinor, Commits: 1},
		},
		{
			name: "minor wins over patch, non-conventional counted",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.annotate("v1.2.3")
				r.commit("fix: b")
				r.commit("WIP")
				r.commit("feat(api): c")
			},
			want: nextWant{Current: "v1.2.3", Base: "v1.2.3", Next: "v1.3.0", Bump: shipline.BumpMinor, Commits: 3, Ignored: 1},
		},
		{
			name: "breaking change needs a /v2 path",
			setup: func(r *testRepo) {
				r.write("go.mod", "module example.com/m\n")
				r.commit("feat: a", "go.mod")
				r.tag("v1.4.0")
				r.commit("feat!: drop Foo")
			},
			want: nextWant{Current: "v1.4.0", Base: "v1.4.0", Next: "v2.0.0", Bump: shipline.BumpMajor, Commits: 1, Problem: `"module example.com/m/v2"`},
		},
		{
			name: "breaking change while v0 is a minor bump",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v0.3.2")
				r.commit("fix: b\n\nBREAKING CHANGE: c")
			},
			want: nextWant{Current: "v0.3.2", Base: "v0.3.2", Next: "v0.4.0", Bump: shipline.BumpMinor, Commits: 1, Note: "major-on-zero"},
		},
		{
			name: "breaking change while v0 with major-on-zero",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v0.3.2")
				r.commit("fix!: b")
			},
			opts: Options{Config: config.Versioning{MajorOnZero: true}},
			want: nextWant{Current: "v0.3.2", Base: "v0.3.2", Next: "v1.0.0", Bump: shipline.BumpMajor, Commits: 1},
		},
		{
			name: "versions compare as semver, not as text",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v1.9.0")
				r.commit("feat: b")
				r.tag("v1.10.0")
				r.commit("fix: c")
			},
			want: nextWant{Current: "v1.10.0", Base: "v1.10.0", Next: "v1.10.1", Bump: shipline.BumpPatch, Commits: 1},
		},
		{
			name: "a pre-release is current but not the base",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("fix: b")
				r.tag("v1.0.1-rc.1")
				r.commit("fix: c")
			},
			want: nextWant{Current: "v1.0.1-rc.1", Base: "v1.0.0", Next: "v1.0.1", Bump: shipline.BumpPatch, Commits: 2},
		},
		{
			name: "next pre-release number",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("fix: b")
				r.tag("v1.0.1-rc.1")
				r.commit("fix: c")
			},
			opts: Options{Pre: "rc"},
			want: nextWant{Current: "v1.0.1-rc.1", Base: "v1.0.0", Next: "v1.0.1-rc.2", Bump: shipline.BumpPatch, Commits: 2},
		},
		{
			name: "HEAD already carries the pre-release",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("fix: b")
				r.annotate("v1.0.1-rc.1")
			},
			opts: Options{Pre: "rc"},
			want: nextWant{Current: "v1.0.1-rc.1", Base: "v1.0.0", Next: "v1.0.1-rc.1", Bump: shipline.BumpPatch, Commits: 1, HeadTagged: true},
		},
		{
			name: "pre-release moves to rc.1 when the bump grows",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("fix: b")
				r.tag("v1.0.1-rc.1")
				r.tag("v1.0.1-rc.2")
				r.commit("feat: c")
			},
			opts: Options{Pre: "rc"},
			want: nextWant{Current: "v1.0.1-rc.2", Base: "v1.0.0", Next: "v1.1.0-rc.1", Bump: shipline.BumpMinor, Commits: 2},
		},
		{
			name: "stable release after pre-releases",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("feat: b")
				r.tag("v1.1.0-rc.1")
			},
			want: nextWant{Current: "v1.1.0-rc.1", Base: "v1.0.0", Next: "v1.1.0", Bump: shipline.BumpMinor, Commits: 1},
		},
		{
			name:  "HEAD tagged",
			setup: func(r *testRepo) { r.commit("feat: a"); r.tag("v1.0.0") },
			want:  nextWant{Current: "v1.0.0", Base: "v1.0.0", Next: "v1.0.0", HeadTagged: true, Note: "no commit since v1.0.0"},
		},
		{
			name:  "nothing released since the tag",
			setup: func(r *testRepo) { r.commit("feat: a"); r.tag("v1.0.0"); r.commit("chore: b") },
			want:  nextWant{Current: "v1.0.0", Base: "v1.0.0", Next: "v1.0.0", Commits: 1},
		},
		{
			name: "tags that are not release tags are ignored",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.commit("fix: b")
				r.tag("v2.0")
				r.tag("v9.0.0+build")
				r.tag("release-3")
				r.tag("api/v5.0.0")
			},
			want: nextWant{Current: "v1.0.0", Base: "v1.0.0", Next: "v1.0.1", Bump: shipline.BumpPatch, Commits: 1},
		},
		{
			name: "a higher tag on an unmerged branch",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.git("switch", "-q", "-c", "exp")
				r.commit("feat!: b")
				r.tag("v2.0.0")
				r.git("switch", "-q", "main")
				r.commit("fix: c")
			},
			want: nextWant{Current: "v1.0.0", Base: "v1.0.0", Next: "v1.0.1", Bump: shipline.BumpPatch, Commits: 1},
		},
		{
			// More unreachable tags than maxAncestorChecks: the rest is
			// answered by one for-each-ref --merged, which must see through
			// annotated tags.
			name: "many higher tags on an unmerged branch",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.annotate("v1.0.0")
				r.commit("fix: b")
				r.annotate("v1.0.1-rc.1")
				r.git("switch", "-q", "-c", "exp")
				for _, v := range []string{"v1.2.0", "v1.5.0", "v2.0.0", "v2.1.0", "v3.0.0"} {
					r.commit("feat: " + v)
					if strings.HasPrefix(v, "v2") {
						r.annotate(v)
					} else {
						r.tag(v)
					}
				}
				r.git("switch", "-q", "main")
				r.commit("fix: c")
			},
			want: nextWant{Current: "v1.0.1-rc.1", Base: "v1.0.0", Next: "v1.0.1", Bump: shipline.BumpPatch, Commits: 2},
		},
		{
			name: "a merged branch's tag is reachable",
			setup: func(r *testRepo) {
				r.commit("feat: a")
				r.tag("v1.0.0")
				r.git("switch", "-q", "-c", "release")
				r.commit("fix: b", "release.txt")
				r.tag("v1.0.1")
				r.git("switch", "-q", "main")
				r.commit("feat: c", "main.txt")
				r.merge("release")
			},
			// Base..HEAD is c and the merge, whose message is not a
			// Conventional Commit.
			want: nextWant{Current: "v1.0.1", Base: "v1.0.1", Next: "v1.1.0", Bump: shipline.BumpMinor, Commits: 2, Ignored: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRepo(t)
			tt.setup(r)
			res, err := Next(context.Background(), r.open(), tt.opts)
			if err != nil {
				t.Fatalf("Next error: %v", err)
			}
			checkNext(t, res, tt.want)
		})
	}
}

func TestNextReasons(t *testing.T) {
	r := mustRepo(t)
	r.commit("feat: a")
	r.tag("v1.0.0")
	r.commit("fix: b")
	f1 := r.commit("feat(x): c")
	r.commit("fix: d")
	f2 := r.commit("feat: e\n\nbody")
	res, err := Next(context.Background(), r.open(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Reason{
		{Hash: f2, Subject: "feat: e", Bump: shipline.BumpMinor},
		{Hash: f1, Subject: "feat(x): c", Bump: shipline.BumpMinor},
	}
	if !slices.Equal(res.Reasons, want) {
		t.Errorf("Reasons = %+v; want %+v", res.Reasons, want)
	}
	if res.Head != f2 {
		t.Errorf("Head = %s; want %s", res.Head, f2)
	}
	if res.Module != "." {
		t.Errorf("Module = %q; want %q", res.Module, ".")
	}
	s := Unreleased(res)
	if s == nil {
		t.Fatal("Unreleased = nil; want a span")
	}
	if s.Version != "v1.1.0" || s.Previous != "v1.0.0" || s.Commit != f2 || s.Released || len(s.Entries) != 4 {
		t.Errorf("Unreleased = %s after %s at %.7s (released %v) with %d entries; want v1.1.0 after v1.0.0 at %.7s, unreleased, 4 entries",
			s.Version, s.Previous, s.Commit, s.Released, len(s.Entries), f2)
	}
	if want := baseTime.Add(5 * time.Minute); !s.Date.Equal(want) {
		t.Errorf("Unreleased date = %v; want HEAD's %v", s.Date, want)
	}
}

func TestUnreleasedNothing(t *testing.T) {
	if s := Unreleased(&Result{Bump: shipline.BumpNone, Entries: []Entry{{}}}); s != nil {
		t.Errorf("Unreleased with no bump = %+v; want nil", s)
	}
	if s := Unreleased(&Result{Bump: shipline.BumpPatch}); s != nil {
		t.Errorf("Unreleased with no entries = %+v; want nil", s)
	}
}

func TestNextModules(t *testing.T) {
	r := mustRepo(t)
	r.write("go.mod", "module example.com/m\n")
	r.write("api/go.mod", "module example.com/m/api\n")
	r.write("tools/gen/go.mod", "module example.com/m/tools/gen\n")
	r.commit("chore: init", "go.mod", "api/go.mod", "tools/gen/go.mod")
	r.tag("v1.0.0")
	r.tag("api/v0.1.0")
	r.tag("tools/gen/v1.1.0")
	r.commit("feat(api): a", "api/a.go")
	r.commit("fix(gen): b", "tools/gen/b.go")
	r.commit("docs: root", "README.md")
	r.commit("fix: root", "main.go")

	tests := []struct {
		module string
		want   nextWant
	}{
		{"", nextWant{Current: "v1.0.0", Base: "v1.0.0", Next: "v1.0.1", Bump: shipline.BumpPatch, Commits: 2}},
		{"api", nextWant{Current: "api/v0.1.0", Base: "api/v0.1.0", Next: "api/v0.2.0", Bump: shipline.BumpMinor, Commits: 1}},
		{"./api/", nextWant{Current: "api/v0.1.0", Base: "api/v0.1.0", Next: "api/v0.2.0", Bump: shipline.BumpMinor, Commits: 1}},
		{"tools/gen", nextWant{Current: "tools/gen/v1.1.0", Base: "tools/gen/v1.1.0", Next: "tools/gen/v1.1.1", Bump: shipline.BumpPatch, Commits: 1}},
	}
	repo := r.open()
	for _, tt := range tests {
		t.Run("module="+tt.module, func(t *testing.T) {
			res, err := Next(context.Background(), repo, Options{Module: tt.module})
			if err != nil {
				t.Fatal(err)
			}
			checkNext(t, res, tt.want)
		})
	}

	t.Run("no go.mod", func(t *testing.T) {
		_, err := Next(context.Background(), repo, Options{Module: "web"})
		if code := shipline.ErrorCode(err); code != shipline.EINVALID {
			t.Fatalf("Next(web) error %v (code %q); want %q", err, code, shipline.EINVALID)
		}
		if want := "modules in this repository: ., api, tools/gen"; !strings.Contains(err.Error(), want) {
			t.Errorf("Next(web) error = %q; want it to list the modules: %q", err, want)
		}
	})
}

// A module in "api" and its next major version in "api/v2" share the tag
// prefix "api/" (Go's rule), so the major version of a tag says which of
// the two it belongs to: example.com/m/api can only have v0 and v1
// versions, example.com/m/api/v2 only v2 ones.
func TestNextMajorSubdirectory(t *testing.T) {
	r := mustRepo(t)
	r.write("api/go.mod", "module example.com/m/api\n")
	r.commit("chore: init", "api/go.mod")
	r.tag("api/v1.5.0")

	t.Run("v2 before its first tag", func(t *testing.T) {
		r.write("api/v2/go.mod", "module example.com/m/api/v2\n")
		r.commit("feat: api v2", "api/v2/go.mod")
		res, err := Next(context.Background(), r.open(), Options{Module: "api/v2"})
		if err != nil {
			t.Fatal(err)
		}
		checkNext(t, res, nextWant{Next: "api/v2.0.0", Bump: shipline.BumpMinor, Commits: 1, Note: "first release"})
	})

	r.tag("api/v2.0.0")
	r.commit("feat(api): a", "api/a.go")
	r.commit("fix(api/v2): b", "api/v2/b.go")
	repo := r.open()
	tests := []struct {
		module string
		want   nextWant
	}{
		{"api", nextWant{Current: "api/v1.5.0", Base: "api/v1.5.0", Next: "api/v1.6.0", Bump: shipline.BumpMinor, Commits: 1}},
		{"api/v2", nextWant{Current: "api/v2.0.0", Base: "api/v2.0.0", Next: "api/v2.0.1", Bump: shipline.BumpPatch, Commits: 1}},
	}
	for _, tt := range tests {
		t.Run("module="+tt.module, func(t *testing.T) {
			res, err := Next(context.Background(), repo, Options{Module: tt.module})
			if err != nil {
				t.Fatal(err)
			}
			checkNext(t, res, tt.want)
		})
	}
	t.Run("history of api", func(t *testing.T) {
		spans, err := History(context.Background(), repo, Options{Module: "api"}, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range spans {
			got = append(got, s.Version)
		}
		if want := []string{"api/v1.5.0"}; !slices.Equal(got, want) {
			t.Errorf("History(api) releases = %q; want %q (api/v2.0.0 is a release of example.com/m/api/v2)", got, want)
		}
	})
}

func TestFindModule(t *testing.T) {
	r := mustRepo(t)
	r.write("go.mod", "module example.com/m\n")
	r.write("api/go.mod", "module example.com/m/api/v3\n")
	r.write("api/nested/go.mod", "module example.com/m/api/nested\n")
	r.write("tools/go.mod", "// no module line\n")
	r.commit("chore: init", "go.mod", "api/go.mod", "api/nested/go.mod", "tools/go.mod")
	repo := r.open()
	ctx := context.Background()

	tests := []struct {
		dir  string
		want Module
	}{
		{"", Module{Dir: "", Path: "example.com/m", TagPrefix: "", Nested: []string{"api", "api/nested", "tools"}}},
		{".", Module{Dir: "", Path: "example.com/m", TagPrefix: "", Nested: []string{"api", "api/nested", "tools"}}},
		{"api", Module{Dir: "api", Path: "example.com/m/api/v3", TagPrefix: "api/", Nested: []string{"api/nested"}}},
		{"api/nested/", Module{Dir: "api/nested", Path: "example.com/m/api/nested", TagPrefix: "api/nested/"}},
	}
	for _, tt := range tests {
		m, err := FindModule(ctx, repo, tt.dir)
		if err != nil {
			t.Errorf("FindModule(%q) error: %v", tt.dir, err)
			continue
		}
		slices.Sort(m.Nested)
		if m.Dir != tt.want.Dir || m.Path != tt.want.Path || m.TagPrefix != tt.want.TagPrefix || !slices.Equal(m.Nested, tt.want.Nested) {
			t.Errorf("FindModule(%q) = %+v; want %+v", tt.dir, *m, tt.want)
		}
	}

	_, err := FindModule(ctx, repo, "tools")
	if code := shipline.ErrorCode(err); code != shipline.EINVALID || !strings.Contains(errText(err), "no module line") {
		t.Errorf("FindModule(tools) error = %v (code %q); want %q saying there is no module line", err, code, shipline.EINVALID)
	}
}

// errText returns err.Error(), or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNextErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("no commits", func(t *testing.T) {
		r := mustRepo(t)
		_, err := Next(ctx, r.open(), Options{})
		if code := shipline.ErrorCode(err); code != shipline.EINVALID {
			t.Errorf("Next in an empty repository: error %v (code %q); want %q", err, code, shipline.EINVALID)
		}
	})
	t.Run("bad pre-release id", func(t *testing.T) {
		r := mustRepo(t)
		r.commit("feat: a")
		_, err := Next(ctx, r.open(), Options{Pre: "rc_1"})
		if code := shipline.ErrorCode(err); code != shipline.EUSAGE {
			t.Errorf("Next(Pre: rc_1): error %v (code %q); want %q", err, code, shipline.EUSAGE)
		}
	})
	t.Run("bad initial version", func(t *testing.T) {
		r := mustRepo(t)
		r.commit("feat: a")
		_, err := Next(ctx, r.open(), Options{Config: config.Versioning{Initial: "1.0"}})
		if code := shipline.ErrorCode(err); code != shipline.EINVALID {
			t.Errorf("Next(Initial: 1.0): error %v (code %q); want %q", err, code, shipline.EINVALID)
		}
	})
}

// mustShallowClone returns a depth-1 clone of src's main branch.
func mustShallowClone(t *testing.T, src *testRepo) *testRepo {
	t.Helper()
	dst := &testRepo{tb: t, dir: t.TempDir(), clock: src.clock}
	cmd := exec.Command("git", "clone", "-q", "--depth=1", "file://"+src.dir, dst.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	return dst
}

func TestNextShallow(t *testing.T) {
	src := mustRepo(t)
	src.commit("feat: a")
	src.tag("v1.0.0")
	src.commit("fix: b")
	src.commit("fix: c")
	ctx := context.Background()

	t.Run("fail", func(t *testing.T) {
		repo := mustShallowClone(t, src).open()
		if !repo.Shallow {
			t.Fatal("Shallow = false for a depth-1 clone")
		}
		_, err := Next(ctx, repo, Options{Config: config.Versioning{Shallow: "fail"}})
		if code := shipline.ErrorCode(err); code != shipline.EINVALID || !strings.Contains(errText(err), "git fetch --unshallow") {
			t.Errorf("Next in a shallow clone with shallow: fail: error %v (code %q); want %q saying how to fetch the history", err, code, shipline.EINVALID)
		}
	})
	t.Run("no remote", func(t *testing.T) {
		repo := mustShallowClone(t, src).open()
		_, err := Next(ctx, repo, Options{Remote: "upstream"})
		if code := shipline.ErrorCode(err); code != shipline.EINVALID || !strings.Contains(errText(err), `no remote "upstream"`) {
			t.Errorf("Next in a shallow clone without the remote: error %v (code %q); want %q naming the remote", err, code, shipline.EINVALID)
		}
	})
	t.Run("deepen", func(t *testing.T) {
		repo := mustShallowClone(t, src).open()
		res, err := Next(ctx, repo, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if repo.Shallow {
			t.Error("Shallow = true after Next deepened the clone")
		}
		checkNext(t, res, nextWant{Current: "v1.0.0", Base: "v1.0.0", Next: "v1.0.1", Bump: shipline.BumpPatch, Commits: 2})
	})
}
