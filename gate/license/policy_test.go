package license

import (
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
)

func TestPolicyEvaluate(t *testing.T) {
	mit := Found{ID: "MIT", File: "LICENSE", Coverage: 100}
	apache := Found{ID: "Apache-2.0", File: "LICENSE-APACHE", Coverage: 99}
	gpl := Found{ID: "GPL-3.0", File: "COPYING", Coverage: 100}
	gplLater := Found{ID: "GPL-3.0-or-later", File: "LICENSE", Coverage: 96}
	gplOnly := Found{ID: "GPL-3.0-only", File: "LICENSE", Coverage: 96}
	type want struct {
		id, rule string
		blocking bool
	}
	tests := []struct {
		name        string
		allow, deny []string
		unknown     string
		found       []Found
		unid        []Unidentified
		want        []want
	}{
		{name: "no lists", found: []Found{gpl}},
		{name: "allowed", allow: []string{"MIT"}, found: []Found{mit}},
		{name: "allow ignores case", allow: []string{"mit"}, found: []Found{mit}},
		{name: "not denied", deny: []string{"GPL-3.0-only"}, found: []Found{mit}},
		{name: "not allowed", allow: []string{"Apache-2.0"}, found: []Found{mit},
			want: []want{{"MIT", RuleNotAllowed, true}}},
		{name: "bare GPL denied by both forms", deny: []string{"GPL-3.0-only", "GPL-3.0-or-later"}, found: []Found{gpl},
			want: []want{{"GPL-3.0", RuleDenied, true}}},
		{name: "bare GPL denied by one form", deny: []string{"GPL-3.0-or-later"}, found: []Found{gpl},
			want: []want{{"GPL-3.0", RuleDenied, true}}},
		{name: "bare GPL not allowed by one form", allow: []string{"GPL-3.0-or-later"}, found: []Found{gpl},
			want: []want{{"GPL-3.0", RuleNotAllowed, true}}},
		{name: "bare GPL allowed by both forms", allow: []string{"GPL-3.0-only", "GPL-3.0-or-later"}, found: []Found{gpl}},
		{name: "bare list entry denies or-later", deny: []string{"GPL-3.0"}, found: []Found{gplLater},
			want: []want{{"GPL-3.0-or-later", RuleDenied, true}}},
		{name: "bare list entry allows only", allow: []string{"GPL-3.0"}, found: []Found{gplOnly}},
		{name: "other GNU form not denied", deny: []string{"GPL-3.0-only"}, found: []Found{gplLater}},
		{name: "dual: one allowed is enough", allow: []string{"MIT"}, found: []Found{mit, apache}},
		{name: "dual: a denied one blocks", allow: []string{"MIT"}, deny: []string{"GPL-3.0-only"}, found: []Found{mit, gplOnly},
			want: []want{{"GPL-3.0-only", RuleDenied, true}}},
		{name: "dual: none allowed", allow: []string{"BSD-3-Clause"}, found: []Found{mit, apache},
			want: []want{{"MIT", RuleNotAllowed, true}, {"Apache-2.0", RuleNotAllowed, true}}},
		{name: "unknown fails by default",
			want: []want{{Unknown, RuleUnknown, true}}},
		{name: "unknown fails", unknown: "fail",
			want: []want{{Unknown, RuleUnknown, true}}},
		{name: "unknown warns", unknown: "warn", allow: []string{"MIT"},
			want: []want{{Unknown, RuleUnknown, false}}},
		{name: "low coverage is unknown", unid: []Unidentified{{File: "LICENSE", Coverage: 40, Partial: []string{"MIT"}}},
			want: []want{{Unknown, RuleUnknown, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPolicy(tt.allow, tt.deny, tt.unknown)
			if err != nil {
				t.Fatal(err)
			}
			got := p.Evaluate("example.com/m@v1.0.0", Detection{Licenses: tt.found, Unidentified: tt.unid, MinCoverage: 75})
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i, f := range got {
				w := tt.want[i]
				if f.ID != w.id || f.Rule != w.rule || f.Blocking != w.blocking {
					t.Errorf("finding %d: got %s %s blocking=%v, want %s %s blocking=%v", i, f.ID, f.Rule, f.Blocking, w.id, w.rule, w.blocking)
				}
				if f.Gate != Name || f.Module != "example.com/m@v1.0.0" || f.Message == "" {
					t.Errorf("finding %d: got gate %q module %q message %q", i, f.Gate, f.Module, f.Message)
				}
			}
		})
	}
}

func TestPolicyMessages(t *testing.T) {
	p, err := NewPolicy(nil, []string{"GPL-3.0-only", "GPL-3.0-or-later"}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := p.Evaluate("m@v1", Detection{Licenses: []Found{{ID: "GPL-3.0", File: "COPYING", Coverage: 100}}})
	for _, want := range []string{"COPYING", "GPL-3.0", "100%", "GPL-3.0-only, GPL-3.0-or-later", "does not say which"} {
		if !strings.Contains(got[0].Message, want) {
			t.Errorf("message %q does not contain %q", got[0].Message, want)
		}
	}
	got = p.Evaluate("m@v1", Detection{Unidentified: []Unidentified{{File: "LICENSE.md", Coverage: 41.6, Partial: []string{"MIT"}}}, MinCoverage: 75})
	for _, want := range []string{"LICENSE.md", "42%", "partly MIT", "75%"} {
		if !strings.Contains(got[0].Message, want) {
			t.Errorf("message %q does not contain %q", got[0].Message, want)
		}
	}
	got = p.Evaluate("m@v1", Detection{})
	if !strings.Contains(got[0].Message, "no license file") {
		t.Errorf("message %q does not say there is no license file", got[0].Message)
	}
}

func TestNewPolicyErrors(t *testing.T) {
	tests := []struct {
		name        string
		allow, deny []string
		unknown     string
		want        string
	}{
		{name: "unknown id", allow: []string{"Foo-License-9"}, want: `unknown license identifier "Foo-License-9"`},
		{name: "deprecated plus form", deny: []string{"GPL-3.0+"}, want: "GPL-3.0-or-later"},
		{name: "both lists", allow: []string{"MIT"}, deny: []string{"mit"}, want: "MIT is both allowed and denied"},
		{name: "bad unknown", unknown: "ignore", want: `"ignore" is not one of fail, warn`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewPolicy(tt.allow, tt.deny, tt.unknown)
			if err == nil {
				t.Fatal("got no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if code := shipline.ErrorCode(err); code != shipline.EINVALID {
				t.Errorf("got code %q, want %q", code, shipline.EINVALID)
			}
		})
	}
}

func TestCanonicalID(t *testing.T) {
	for in, want := range map[string]string{"mit": "MIT", "apache-2.0": "Apache-2.0", " BSD-3-Clause ": "BSD-3-Clause", "gpl-3.0": "GPL-3.0"} {
		got, err := CanonicalID(in)
		if err != nil || got != want {
			t.Errorf("CanonicalID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
