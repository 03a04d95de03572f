package conventional

import (
	"reflect"
	"testing"
)

// footerTests are messages whose body and footers Parse must find.
var footerTests = []struct {
	name    string
	msg     string
	body    string
	footers []Footer
}{
	{
		name: "multi-line value",
		msg:  "fix: x\n\nBREAKING CHANGE: line one\nline two\n  indented\nRefs: #1",
		footers: []Footer{
			{"BREAKING CHANGE", ": ", "line one\nline two\n  indented"},
			{"Refs", ": ", "#1"},
		},
	},
	{
		name: "multi-paragraph breaking note, Angular style",
		msg: "feat(api): rename Foo\n\nFoo was confusing.\n\n" +
			"BREAKING CHANGE: Foo is now Bar.\n\nTo migrate, replace every Foo with Bar.\n\n\nFixes #12\n",
		body: "Foo was confusing.",
		footers: []Footer{
			{"BREAKING CHANGE", ": ", "Foo is now Bar.\n\nTo migrate, replace every Foo with Bar."},
			{"Fixes", " #", "12"},
		},
	},
	{
		name: "hash separator",
		msg:  "fix: x\n\nRefs #133\nCloses #1, #2",
		footers: []Footer{
			{"Refs", " #", "133"},
			{"Closes", " #", "1, #2"},
		},
	},
	{
		name: "colon separator with a hash value",
		msg:  "fix: x\n\nRefs: #133",
		footers: []Footer{
			{"Refs", ": ", "#133"},
		},
	},
	{
		name: "git trailers",
		msg: "fix: x\n\nbody text\n\nSigned-off-by: A U Thor <a@example.com>\n" +
			"Co-authored-by: B <b@example.com>\nReviewed-by: Z\nRefs #123",
		body: "body text",
		footers: []Footer{
			{"Signed-off-by", ": ", "A U Thor <a@example.com>"},
			{"Co-authored-by", ": ", "B <b@example.com>"},
			{"Reviewed-by", ": ", "Z"},
			{"Refs", " #", "123"},
		},
	},
	{
		name: "footers in two paragraphs",
		msg:  "fix: x\n\nbody\n\nRefs: 1\n\nSigned-off-by: A <a@b>",
		body: "body",
		footers: []Footer{
			{"Refs", ": ", "1"},
			{"Signed-off-by", ": ", "A <a@b>"},
		},
	},
	{
		name: "BREAKING CHANGE and BREAKING-CHANGE",
		msg:  "fix: x\n\nBREAKING CHANGE: a\nBREAKING-CHANGE: b",
		footers: []Footer{
			{"BREAKING CHANGE", ": ", "a"},
			{"BREAKING-CHANGE", ": ", "b"},
		},
	},
	{
		name: "value keeps inner colons and extra spaces",
		msg:  "fix: x\n\nSee-also:  https://example.com/a: b",
		footers: []Footer{
			{"See-also", ": ", " https://example.com/a: b"},
		},
	},
	{
		name: "a trailer inside a body paragraph stays body",
		msg:  "fix: x\n\nsome text\nRefs: 1\n\nAcked-by: B",
		body: "some text\nRefs: 1",
		footers: []Footer{
			{"Acked-by", ": ", "B"},
		},
	},
	{
		name: "body lines that are not footers",
		msg:  "fix: x\n\nhttp://example.com\nNote:\nTwo words: no\n-x: y\n1-x: y",
		body: "http://example.com\nNote:\nTwo words: no\n-x: y\n1-x: y",
	},
	{
		// Rule 10 read literally: a one-word "Label: " at the start of a
		// paragraph starts the footer section, and the rest is its value.
		name: "single-word label starts the footers",
		msg:  "fix: x\n\nNote: this matters.\n\nMore text.",
		footers: []Footer{
			{"Note", ": ", "this matters.\n\nMore text."},
		},
	},
}

func TestParseFooters(t *testing.T) {
	for _, tt := range footerTests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.msg)
			if err != nil {
				t.Fatalf("Parse error: %v", err)
			}
			if m.Body != tt.body {
				t.Errorf("Body = %q; want %q", m.Body, tt.body)
			}
			if !reflect.DeepEqual(m.Footers, tt.footers) {
				t.Errorf("Footers =\n%q\nwant\n%q", m.Footers, tt.footers)
			}
		})
	}
}

func TestFooterIsBreaking(t *testing.T) {
	tests := []struct {
		token string
		want  bool
	}{
		{"BREAKING CHANGE", true},
		{"BREAKING-CHANGE", true},
		{"breaking change", false},
		{"Breaking-Change", false},
		{"BREAKING", false},
		{"Refs", false},
	}
	for _, tt := range tests {
		if got := (Footer{Token: tt.token}).IsBreaking(); got != tt.want {
			t.Errorf("Footer{Token: %q}.IsBreaking() = %v; want %v", tt.token, got, tt.want)
		}
	}
}

func TestBreaking(t *testing.T) {
	tests := []struct {
		name  string
		msg   string
		want  bool
		notes []string
	}{
		{name: "none", msg: "feat: x\n\nRefs: 1"},
		{name: "bang only", msg: "feat!: drop Node 6", want: true, notes: []string{"drop Node 6"}},
		{name: "bang with scope", msg: "feat(api)!: drop v1", want: true, notes: []string{"drop v1"}},
		{name: "footer only", msg: "feat: x\n\nBREAKING CHANGE: y", want: true, notes: []string{"y"}},
		{name: "bang and footer: the footer explains", msg: "feat!: x\n\nBREAKING CHANGE: y", want: true, notes: []string{"y"}},
		{name: "both tokens in order", msg: "feat: x\n\nBREAKING-CHANGE: a\nRefs: 1\nBREAKING CHANGE: b\nc", want: true, notes: []string{"a", "b\nc"}},
		{name: "an ordinary token is not breaking", msg: "feat: x\n\nBreaking: y"},
		{name: "breaking text inside a value is not a footer", msg: "feat: x\n\nRefs: BREAKING CHANGE: y"},
		{name: "breaking text in the body is not a footer", msg: "feat: x\n\nno BREAKING CHANGE: here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.msg)
			if err != nil {
				t.Fatalf("Parse error: %v", err)
			}
			if got := m.Breaking(); got != tt.want {
				t.Errorf("Breaking() = %v; want %v", got, tt.want)
			}
			if got := m.BreakingNotes(); !reflect.DeepEqual(got, tt.notes) {
				t.Errorf("BreakingNotes() = %q; want %q", got, tt.notes)
			}
		})
	}
}

func TestFooterValues(t *testing.T) {
	m, err := Parse("fix: x\n\nRefs: 1\nREFS #2\nBREAKING CHANGE: a\nrefs: 3\nBREAKING-CHANGE: b")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		token string
		want  []string
	}{
		{"Refs", []string{"1", "2", "3"}},
		{"refs", []string{"1", "2", "3"}},
		{"BREAKING CHANGE", []string{"a", "b"}},
		{"BREAKING-CHANGE", []string{"a", "b"}},
		{"Acked-by", nil},
	}
	for _, tt := range tests {
		if got := m.FooterValues(tt.token); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FooterValues(%q) = %q; want %q", tt.token, got, tt.want)
		}
	}
}
