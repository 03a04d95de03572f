package conventional

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that its errors are
// *ParseErrors pointing inside the message, and that a parsed message
// survives a round trip through String.
func FuzzParse(f *testing.F) {
	for _, tt := range ruleTests {
		f.Add(tt.msg)
	}
	for _, tt := range footerTests {
		f.Add(tt.msg)
	}
	for _, msg := range []string{
		"fix: a\rb\n\n\rbody\r\n\r\nRefs: 1\r\r\n",
		"fix: x\n\nBreaking-Change-x: y\nbreaking-changes: z\nBREAKING CHANGE: a\n\n\nb",
		"fix: x\n\nbody\n\nRefs #\nRefs:\nA: b\n\t\nc",
		"FIX(ä)!: ü\v\n\f\nbody",
	} {
		f.Add(msg)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		m, err := Parse(msg)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T, not *ParseError: %v", msg, err, err)
			}
			lines := strings.Count(msg, "\n") + 1
			if pe.Rule < 1 || pe.Rule > 16 || pe.Line < 1 || pe.Line > lines || pe.Col < 1 || pe.Msg == "" {
				t.Fatalf("Parse(%q) error out of range: %#v", msg, pe)
			}
			if m != nil {
				t.Fatalf("Parse(%q) returned a message with its error", msg)
			}
			return
		}
		if m.Type == "" || m.Type != strings.ToLower(m.Type) {
			t.Errorf("Parse(%q).Type = %q; want non-empty lower case", msg, m.Type)
		}
		if m.Description == "" {
			t.Errorf("Parse(%q).Description is empty", msg)
		}
		for _, f := range m.Footers {
			if f.Value == "" || (f.Sep != ": " && f.Sep != " #") {
				t.Errorf("Parse(%q) footer %q: want a value and a valid separator", msg, f)
			}
		}
		s := m.String()
		again, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse(String() = %q) error: %v", msg, s, err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip of %q through %q:\n got %#v\nwant %#v", msg, s, again, m)
		}
	})
}

// FuzzClean checks that Clean's output is what it promises and that Clean is
// idempotent.
func FuzzClean(f *testing.F) {
	for _, tt := range ruleTests {
		f.Add(tt.msg)
	}
	f.Add("feat: x\n# c\n\n\nbody \n# ------------------------ >8 ------------------------\ndiff")
	f.Fuzz(func(t *testing.T, raw string) {
		got := Clean(raw)
		if again := Clean(got); again != got {
			t.Fatalf("Clean(%q) = %q, but Clean of that = %q", raw, got, again)
		}
		if strings.HasPrefix(got, "\n") || strings.HasSuffix(got, "\n") || strings.Contains(got, "\n\n\n") {
			t.Fatalf("Clean(%q) = %q: blank lines left", raw, got)
		}
		for _, line := range strings.Split(got, "\n") {
			if strings.HasPrefix(line, "#") || strings.TrimRight(line, spaceChars) != line {
				t.Fatalf("Clean(%q) = %q: line %q left", raw, got, line)
			}
		}
		_, _ = Parse(got) // must not panic
	})
}
