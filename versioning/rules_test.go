package versioning

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
)

func TestRulesFrom(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]string
		want Rules
	}{
		{
			name: "defaults",
			want: Rules{"feat": shipline.BumpMinor, "fix": shipline.BumpPatch, "perf": shipline.BumpPatch, "revert": shipline.BumpPatch},
		},
		{
			name: "overrides merge over the defaults",
			cfg:  map[string]string{"perf": "minor", "docs": "patch", "revert": "none"},
			want: Rules{"feat": shipline.BumpMinor, "fix": shipline.BumpPatch, "perf": shipline.BumpMinor, "revert": shipline.BumpNone, "docs": shipline.BumpPatch},
		},
		{
			name: "type names are lower-cased",
			cfg:  map[string]string{"Refactor": "patch"},
			want: Rules{"feat": shipline.BumpMinor, "fix": shipline.BumpPatch, "perf": shipline.BumpPatch, "revert": shipline.BumpPatch, "refactor": shipline.BumpPatch},
		},
		{
			name: "an unknown bump is ignored",
			cfg:  map[string]string{"fix": "huge", "docs": ""},
			want: Rules{"feat": shipline.BumpMinor, "fix": shipline.BumpPatch, "perf": shipline.BumpPatch, "revert": shipline.BumpPatch},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RulesFrom(tt.cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("RulesFrom(%v) = %v; want %v", tt.cfg, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	rules := RulesFrom(map[string]string{"docs": "patch", "feat": "major"})
	tests := []struct {
		name    string
		msg     string
		parents []string
		want    shipline.Bump
		wantMsg bool // whether Msg is set
	}{
		{name: "feat by config", msg: "feat: add x", want: shipline.BumpMajor, wantMsg: true},
		{name: "fix", msg: "fix(api): y\n\nbody", want: shipline.BumpPatch, wantMsg: true},
		{name: "type is case-insensitive", msg: "FIX: y", want: shipline.BumpPatch, wantMsg: true},
		{name: "configured type", msg: "docs: readme", want: shipline.BumpPatch, wantMsg: true},
		{name: "type without a rule", msg: "chore: tidy", want: shipline.BumpNone, wantMsg: true},
		{name: "bang is breaking", msg: "chore!: drop Go 1.20", want: shipline.BumpMajor, wantMsg: true},
		{name: "footer is breaking", msg: "docs: x\n\nBREAKING CHANGE: y", want: shipline.BumpMajor, wantMsg: true},
		{name: "not conventional", msg: "Update README.md", want: shipline.BumpNone},
		{name: "merge releases nothing", msg: "feat!: merged", parents: []string{"a", "b"}, want: shipline.BumpNone},
		{name: "merge message", msg: "Merge branch 'dev'", parents: []string{"a", "b"}, want: shipline.BumpNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := shipline.Commit{Hash: "abc", Parents: tt.parents, Message: tt.msg}
			e := rules.Classify(c)
			if e.Bump != tt.want {
				t.Errorf("Classify(%q).Bump = %v; want %v", tt.msg, e.Bump, tt.want)
			}
			if got := e.Msg != nil; got != tt.wantMsg {
				t.Errorf("Classify(%q).Msg != nil is %v; want %v", tt.msg, got, tt.wantMsg)
			}
			if e.Hash != "abc" {
				t.Errorf("Classify kept hash %q; want %q", e.Hash, "abc")
			}
			isMerge := len(tt.parents) > 1
			if wantErr := !tt.wantMsg && !isMerge; (e.Err != nil) != wantErr {
				t.Errorf("Classify(%q).Err = %v; want error: %v", tt.msg, e.Err, wantErr)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	e := func(h string, b shipline.Bump) Entry { return Entry{Commit: shipline.Commit{Hash: h}, Bump: b} }
	tests := []struct {
		name    string
		entries []Entry
		want    shipline.Bump
		why     []string
	}{
		{name: "empty", want: shipline.BumpNone},
		{name: "nothing releases", entries: []Entry{e("a", 0), e("b", 0)}, want: shipline.BumpNone},
		{name: "patches", entries: []Entry{e("a", shipline.BumpPatch), e("b", 0), e("c", shipline.BumpPatch)}, want: shipline.BumpPatch, why: []string{"a", "c"}},
		{name: "largest wins", entries: []Entry{e("a", shipline.BumpPatch), e("b", shipline.BumpMinor), e("c", shipline.BumpPatch), e("d", shipline.BumpMinor)}, want: shipline.BumpMinor, why: []string{"b", "d"}},
		{name: "major after minors", entries: []Entry{e("a", shipline.BumpMinor), e("b", shipline.BumpMinor), e("c", shipline.BumpMajor)}, want: shipline.BumpMajor, why: []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Decide(tt.entries)
			if got != tt.want {
				t.Errorf("Decide bump = %v; want %v", got, tt.want)
			}
			var hashes []string
			for _, w := range why {
				hashes = append(hashes, w.Hash)
			}
			if !slices.Equal(hashes, tt.why) {
				t.Errorf("Decide why = %q; want %q", hashes, tt.why)
			}
		})
	}
}

func TestModuleTags(t *testing.T) {
	var all []shipline.Tag
	for _, n := range []string{
		"v1.9.0", "v1.10.0", "v1.0.0", "v1.0.0-rc.2", "v1.0.0-rc.10", "v1.0.0-beta.1",
		"v2.0.0+meta", "v1.2", "release-1", "latest",
		"api/v0.2.0", "api/v0.10.0", "api/v0.3.0-rc.1", "api/nested/v5.0.0", "apix/v9.0.0", "api/v1.0",
	} {
		all = append(all, shipline.Tag{Name: n, Commit: "c-" + n})
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"v1.10.0", "v1.9.0", "v1.0.0", "v1.0.0-rc.10", "v1.0.0-rc.2", "v1.0.0-beta.1"}},
		{"api/", []string{"api/v0.10.0", "api/v0.3.0-rc.1", "api/v0.2.0"}},
		{"api/nested/", []string{"api/nested/v5.0.0"}},
		{"web/", nil},
	}
	for _, tt := range tests {
		got := moduleTags(all, tt.prefix)
		var names []string
		for _, tv := range got {
			names = append(names, tv.tag.Name)
			if want := strings.TrimPrefix(tv.tag.Name, tt.prefix); tv.v != want {
				t.Errorf("moduleTags(%q): %s has v %q; want %q", tt.prefix, tv.tag.Name, tv.v, want)
			}
			if tv.tag.Commit != "c-"+tv.tag.Name {
				t.Errorf("moduleTags(%q): %s lost its commit: %q", tt.prefix, tv.tag.Name, tv.tag.Commit)
			}
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("moduleTags(%q) = %q; want %q", tt.prefix, names, tt.want)
		}
	}
}

func TestTagPrefix(t *testing.T) {
	tests := []struct {
		dir, path string
		want      string
	}{
		{"", "example.com/m", ""},
		{"", "example.com/m/v2", ""},
		{"", "", ""},
		{"api", "example.com/m/api", "api/"},
		{"api/v2", "example.com/m/api/v2", "api/"},
		{"v2", "example.com/m/v2", ""},
		{"api", "example.com/m/api/v2", "api/"}, // major branch layout
		{"tools/gen", "example.com/m/tools/gen", "tools/gen/"},
		{"x/v2", "example.com/m/x", "x/v2/"}, // a directory named v2 without a /v2 path
		{"yaml", "gopkg.in/yaml.v3", "yaml/"},
	}
	for _, tt := range tests {
		if got := tagPrefix(tt.dir, tt.path); got != tt.want {
			t.Errorf("tagPrefix(%q, %q) = %q; want %q", tt.dir, tt.path, got, tt.want)
		}
	}
}

func TestCheckPathMajor(t *testing.T) {
	tests := []struct {
		path, v string
		want    string // substring of the problem; "" for none
	}{
		{"", "v3.0.0", ""},
		{"example.com/m", "", ""},
		{"example.com/m", "v0.1.0", ""},
		{"example.com/m", "v1.5.0", ""},
		{"example.com/m", "v1.0.0-rc.1", ""},
		{"example.com/m/v2", "v2.0.0", ""},
		{"example.com/m/v2", "v2.1.0-rc.1", ""},
		{"example.com/m/v3", "v3.0.0", ""},
		{"example.com/m", "v2.0.0", `must end in /v2 for v2.0.0: change the module line in go.mod to "module example.com/m/v2"`},
		{"example.com/m", "v3.0.0-rc.1", `module example.com/m/v3`},
		{"example.com/m/v2", "v3.0.0", `must end in /v3 for v3.0.0: change the module line in go.mod to "module example.com/m/v3"`},
		{"example.com/m/v2", "v1.0.0", "ends in /v2, which only v2.x.y versions may use, not v1.0.0"},
		{"example.com/m/v2", "v0.1.0", "ends in /v2, which only v2.x.y versions may use, not v0.1.0"},
		{"gopkg.in/yaml.v3", "v3.0.1", ""},
		{"gopkg.in/yaml.v3", "v1.0.0", "gopkg.in paths name their major version"},
	}
	for _, tt := range tests {
		got := checkPathMajor(tt.path, tt.v)
		switch {
		case tt.want == "" && got != "":
			t.Errorf("checkPathMajor(%q, %q) = %q; want no problem", tt.path, tt.v, got)
		case tt.want != "" && !strings.Contains(got, tt.want):
			t.Errorf("checkPathMajor(%q, %q) = %q; want it to contain %q", tt.path, tt.v, got, tt.want)
		}
	}
}

// A gopkg.in module names its major version with ".vN": the fix for a
// version with another major is a gopkg.in path, not a "/vN" suffix.
func TestCheckPathMajorGopkgInNewMajor(t *testing.T) {
	got := checkPathMajor("gopkg.in/yaml.v3", "v4.0.0")
	if got == "" {
		t.Fatalf(`checkPathMajor("gopkg.in/yaml.v3", "v4.0.0") = ""; want a problem`)
	}
	if bad := "gopkg.in/yaml/v4"; strings.Contains(got, bad) {
		t.Errorf("checkPathMajor(%q, %q) = %q;\nwant no suggestion of %q, which is not a gopkg.in path (gopkg.in/yaml.v4 is)", "gopkg.in/yaml.v3", "v4.0.0", got, bad)
	}
}

func TestInitialVersion(t *testing.T) {
	tests := []struct {
		initial, path string
		want          string
		wantErr       bool
	}{
		{"", "", "v0.1.0", false},
		{"", "example.com/m", "v0.1.0", false},
		{"v1.0.0", "example.com/m", "v1.0.0", false},
		{"v0.0.1", "", "v0.0.1", false},
		{"v1.0.0-rc.1", "", "v1.0.0-rc.1", false},
		{"", "example.com/m/v2", "v2.0.0", false},
		{"v0.1.0", "example.com/m/v3", "v3.0.0", false},
		{"v3.1.0", "example.com/m/v3", "v3.1.0", false},
		{"1.0.0", "", "", true},
		{"v1.0", "", "", true},
		{"v1.0.0+x", "", "", true},
	}
	for _, tt := range tests {
		got, err := initialVersion(tt.initial, tt.path)
		if tt.wantErr {
			if err == nil {
				t.Errorf("initialVersion(%q, %q) = %s; want an error", tt.initial, tt.path, got)
			} else if code := shipline.ErrorCode(err); code != shipline.EINVALID {
				t.Errorf("initialVersion(%q, %q) error code %q; want %q", tt.initial, tt.path, code, shipline.EINVALID)
			} else if !strings.Contains(err.Error(), "versioning.initial") {
				t.Errorf("initialVersion(%q, %q) error %q does not name the config key versioning.initial", tt.initial, tt.path, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("initialVersion(%q, %q) error: %v", tt.initial, tt.path, err)
		} else if got.String() != tt.want {
			t.Errorf("initialVersion(%q, %q) = %s; want %s", tt.initial, tt.path, got, tt.want)
		}
	}
}

func TestPathMajorNumber(t *testing.T) {
	tests := []struct {
		path string
		want int
	}{
		{"example.com/m", 0},
		{"example.com/m/v2", 2},
		{"example.com/m/v10", 10},
		{"example.com/m/v1", 1},
		{"example.com/v2/pkg", 0},
		{"example.com/m/v2x", 0},
		{"example.com/m/v02", 0},
		{"example.com/m/v", 0},
		{"example.com/m/v+2", 0},
		{"example.com/vanity", 0},
		{"gopkg.in/yaml.v3", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := pathMajorNumber(tt.path); got != tt.want {
			t.Errorf("pathMajorNumber(%q) = %d; want %d", tt.path, got, tt.want)
		}
	}
}

func TestPreRelease(t *testing.T) {
	tag := func(name, commit string) taggedVersion {
		return taggedVersion{tag: shipline.Tag{Name: name, Commit: commit}, v: name}
	}
	tags := []taggedVersion{
		tag("v1.1.0-rc.2", "c2"),
		tag("v1.1.0-rc.1", "c1"),
		tag("v1.1.0-beta.4", "b4"),
		tag("v1.0.1-rc.7", "p7"),
		tag("v1.0.0", "c0"),
	}
	stable := func(s string) version {
		v, err := parseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name   string
		stable string
		id     string
		cur    *taggedVersion
		head   string
		want   string
	}{
		{name: "one above the highest", stable: "v1.1.0", id: "rc", head: "h", want: "v1.1.0-rc.3"},
		{name: "ids are counted apart", stable: "v1.1.0", id: "beta", head: "h", want: "v1.1.0-beta.5"},
		{name: "a new id starts at 1", stable: "v1.1.0", id: "alpha", head: "h", want: "v1.1.0-alpha.1"},
		{name: "a larger bump starts at 1", stable: "v2.0.0", id: "rc", head: "h", want: "v2.0.0-rc.1"},
		{name: "other cores do not count", stable: "v1.0.1", id: "rc", head: "h", want: "v1.0.1-rc.8"},
		{name: "HEAD already carries it", stable: "v1.1.0", id: "rc", cur: &tags[0], head: "c2", want: "v1.1.0-rc.2"},
		{name: "HEAD carries another id", stable: "v1.1.0", id: "rc", cur: &tags[2], head: "b4", want: "v1.1.0-rc.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := preRelease(stable(tt.stable), tt.id, tags, tt.cur, tt.head).String()
			if got != tt.want {
				t.Errorf("preRelease(%s, %q) = %s; want %s", tt.stable, tt.id, got, tt.want)
			}
		})
	}
}

// benchMessage is a typical commit message: a header, a body and trailers.
const benchMessage = "feat(api): add pagination to the list endpoint\n\n" +
	"Large projects time out when listing every release at once; the\n" +
	"endpoint now returns pages of 100 with a next link.\n\n" +
	"Refs #412\nSigned-off-by: A U Thor <author@example.com>\n"

func BenchmarkClassify(b *testing.B) {
	rules := RulesFrom(map[string]string{"docs": "patch"})
	c := shipline.Commit{
		Hash:    "0123456789abcdef0123456789abcdef01234567",
		Parents: []string{"89abcdef0123456789abcdef0123456789abcdef"},
		Subject: "feat(api): add pagination to the list endpoint",
		Message: benchMessage,
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(c.Message)))
	for b.Loop() {
		if e := rules.Classify(c); e.Bump != shipline.BumpMinor {
			b.Fatalf("Bump = %v; want minor", e.Bump)
		}
	}
}
