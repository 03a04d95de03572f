package commitlint

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline/config"
)

// want is a Problem without its message, which is for people; msg is a
// substring the message must hold.
type want struct {
	Line, Col int
	Rule      string
	msg       string
}

func TestCheck(t *testing.T) {
	strict := Policy{
		Types:        []string{"feat", "fix", "docs"},
		Scopes:       []string{"api", "cli", "ü"},
		RequireScope: true,
		MaxHeader:    20,
	}
	tests := []struct {
		name   string
		policy Policy
		msg    string
		want   []want
	}{
		{name: "any type by default", msg: "wip(x): anything goes"},
		{name: "full message", policy: strict, msg: "feat(api): add x\n\nBody.\n\nRefs: #1\n"},
		{name: "allowed type, any case", policy: Policy{Types: []string{"feat"}}, msg: "FEAT: x"},
		{
			name: "type not allowed", policy: Policy{Types: []string{"feat", "fix"}}, msg: "chore: x",
			want: []want{{1, 1, "commits.types", `type "chore" is not allowed here: use one of feat, fix`}},
		},
		{
			name: "scope not allowed", policy: Policy{Scopes: []string{"api"}}, msg: "fix(web): x",
			want: []want{{1, 5, "commits.scopes", `scope "web" is not allowed here: use one of api`}},
		},
		// Like types, scopes compare without regard to case (rule 15).
		{name: "scopes compare without case", policy: Policy{Scopes: []string{"api"}}, msg: "fix(API): x"},
		{name: "no scope is fine unless required", policy: Policy{Scopes: []string{"api"}}, msg: "fix: x"},
		{
			name: "scope required", policy: Policy{RequireScope: true}, msg: "docs: x",
			want: []want{{1, 5, "commits.require-scope", "write docs(scope): x"}},
		},
		{
			name: "header too long", policy: Policy{MaxHeader: 10}, msg: "fix: 123456\n\nbody is not counted at all",
			want: []want{{1, 11, "commits.max-header-length", "the header is 11 characters long, more than 10"}},
		},
		{name: "header at the limit", policy: Policy{MaxHeader: 10}, msg: "fix: 12345"},
		{name: "header length counts runes", policy: Policy{MaxHeader: 10}, msg: "fix: ééééé"},
		{name: "header length ignores CR", policy: Policy{MaxHeader: 10}, msg: "fix: 12345\r\n\r\nbody"},
		{
			name: "header length in runes, over", policy: Policy{MaxHeader: 10}, msg: "fix: 日本語日本語",
			want: []want{{1, 11, "commits.max-header-length", "11 characters"}},
		},
		{
			name: "every policy problem", policy: strict, msg: "chore(db): a description that is long",
			want: []want{
				{1, 1, "commits.types", `type "chore"`},
				{1, 7, "commits.scopes", `scope "db"`},
				{1, 21, "commits.max-header-length", "37 characters"},
			},
		},
		{
			name: "type and missing scope", policy: strict, msg: "style: x",
			want: []want{
				{1, 1, "commits.types", `type "style"`},
				{1, 6, "commits.require-scope", "a scope is required"},
			},
		},
		{name: "unicode scope", policy: strict, msg: "fix(ü): ok"},

		// The specification comes first and alone.
		{
			name: "missing space", policy: strict, msg: "feat:x",
			want: []want{{1, 6, "conventional-commits/1", "missing space after the colon"}},
		},
		{
			name: "not conventional", policy: strict, msg: "Update README.md",
			want: []want{{1, 7, "conventional-commits/1", ""}},
		},
		{
			name: "empty", msg: "",
			want: []want{{1, 1, "conventional-commits/1", "empty message"}},
		},
		{
			name: "no blank line after the header", msg: "fix: x\nbody",
			want: []want{{2, 1, "conventional-commits/6", "line 2 must be blank"}},
		},
		{
			name: "empty scope", msg: "fix(): x",
			want: []want{{1, 4, "conventional-commits/4", "empty scope"}},
		},
		{
			name: "empty description", msg: "fix: ",
			want: []want{{1, 5, "conventional-commits/5", "missing description"}},
		},
		{
			name: "lower-case breaking footer", msg: "fix: x\n\nbreaking change: y",
			want: []want{{3, 1, "conventional-commits/15", "must be upper case"}},
		},
		{
			name: "column counts runes", msg: "fïx(é) x",
			want: []want{{1, 2, "conventional-commits/1", ""}},
		},

		// Autosquash messages pass only when allowed.
		{name: "fixup allowed", policy: Policy{AllowAutosquash: true, Types: []string{"feat"}}, msg: "fixup! feat: x"},
		{name: "squash allowed", policy: Policy{AllowAutosquash: true}, msg: "squash! anything at all"},
		{name: "amend allowed", policy: Policy{AllowAutosquash: true}, msg: "amend! feat: x\n\nnew message"},
		{
			name: "fixup not allowed", msg: "fixup! feat: x",
			want: []want{{1, 7, "conventional-commits/1", ""}},
		},
		{
			name: "autosquash prefix needs its space", policy: Policy{AllowAutosquash: true}, msg: "fixup!feat: x",
			want: []want{{1, 7, "conventional-commits/1", ""}},
		},
		{
			name: "autosquash prefix is case-sensitive", policy: Policy{AllowAutosquash: true}, msg: "Fixup! feat: x",
			want: []want{{1, 7, "conventional-commits/1", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.Check(tt.msg)
			if len(got) != len(tt.want) {
				t.Fatalf("Check(%q) = %d problems:\n%s\nwant %d: %+v", tt.msg, len(got), dump(got), len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				p := got[i]
				if p.Line != w.Line || p.Col != w.Col || p.Rule != w.Rule {
					t.Errorf("Check(%q) problem %d = %d:%d [%s]; want %d:%d [%s]", tt.msg, i, p.Line, p.Col, p.Rule, w.Line, w.Col, w.Rule)
				}
				if p.Message == "" || !strings.Contains(p.Message, w.msg) {
					t.Errorf("Check(%q) problem %d message = %q; want it to contain %q", tt.msg, i, p.Message, w.msg)
				}
				if p.File != "" || p.Commit != "" || p.Subject != "" {
					t.Errorf("Check(%q) problem %d names where it is (%+v); the caller does that", tt.msg, i, p)
				}
			}
		})
	}
}

func dump(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

func TestPolicyFrom(t *testing.T) {
	got := PolicyFrom(config.Commits{
		Types:        []string{"Feat", "FIX", "docs"},
		Scopes:       []string{"API", "cli"},
		RequireScope: true,
		MaxHeader:    72,
	})
	want := Policy{
		Types:        []string{"feat", "fix", "docs"},
		Scopes:       []string{"API", "cli"},
		RequireScope: true,
		MaxHeader:    72,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PolicyFrom = %+v; want %+v", got, want)
	}
	if p := PolicyFrom(config.Default().Commits); !reflect.DeepEqual(p, Policy{}) {
		t.Errorf("PolicyFrom(default) = %+v; want the empty policy", p)
	}
	// Types from the configuration match however they were written.
	if probs := got.Check("feat(cli): x"); len(probs) != 0 {
		t.Errorf("PolicyFrom(Feat).Check(feat) = %v; want no problem", probs)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "msg.txt", Line: 1, Col: 6, Rule: "conventional-commits/1", Message: "missing space"},
			"msg.txt:1:6: missing space [conventional-commits/1]"},
		{Problem{File: ".git/COMMIT_EDITMSG", Line: 3, Col: 1, Rule: "commits.types", Message: "m"},
			".git/COMMIT_EDITMSG:3:1: m [commits.types]"},
		{Problem{Line: 1, Col: 1, Rule: "r", Message: "m"}, "<stdin>:1:1: m [r]"},
		{Problem{File: "-", Line: 2, Col: 1, Rule: "r", Message: "m"}, "<stdin>:2:1: m [r]"},
		{Problem{Commit: "0123456789abcdef", Subject: "bad message", Line: 1, Col: 4, Rule: "conventional-commits/1", Message: "m"},
			`0123456 "bad message": 1:4: m [conventional-commits/1]`},
		{Problem{Commit: "abc", Subject: `say "hi"`, File: "ignored", Line: 1, Col: 1, Rule: "r", Message: "m"},
			`abc "say \"hi\"": 1:1: m [r]`},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v.String() = %q; want %q", tt.p, got, tt.want)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	p := Policy{Types: []string{"feat", "fix", "docs", "chore"}, Scopes: []string{"api", "cli"}, MaxHeader: 72}
	msg := "feat(api): add pagination to the list endpoint\n\nLarge projects time out.\n\nRefs #412\nSigned-off-by: A <a@example.com>\n"
	b.ReportAllocs()
	for b.Loop() {
		if probs := p.Check(msg); len(probs) != 0 {
			b.Fatal(probs)
		}
	}
}
