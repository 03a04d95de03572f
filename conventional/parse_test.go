package conventional

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// parseTest is one message and what Parse must make of it: a Message, or a
// ParseError whose Rule, Line and Col must match (its Msg only must be set).
type parseTest struct {
	name string
	msg  string
	want *Message
	err  *ParseError
}

// ruleTests walks the Conventional Commits 1.0.0 specification rule by rule.
var ruleTests = []parseTest{
	// Rule 1: type, optional scope, optional "!", REQUIRED colon and space.
	{name: "rule 1: type, colon and space", msg: "feat: add x",
		want: &Message{Type: "feat", Description: "add x"}},
	{name: "rule 1: type with digits, hyphen and underscore", msg: "i18n-fix_2: x",
		want: &Message{Type: "i18n-fix_2", Description: "x"}},
	{name: "rule 1: empty message", msg: "",
		err: &ParseError{Rule: 1, Line: 1, Col: 1}},
	{name: "rule 1: only white space", msg: " \n\t\r\n\n",
		err: &ParseError{Rule: 1, Line: 1, Col: 1}},
	{name: "rule 1: leading blank line", msg: "\nfeat: x",
		err: &ParseError{Rule: 1, Line: 1, Col: 1}},
	{name: "rule 1: leading space", msg: " feat: x",
		err: &ParseError{Rule: 1, Line: 1, Col: 1}},
	{name: "rule 1: no type", msg: ": x",
		err: &ParseError{Rule: 1, Line: 1, Col: 1}},
	{name: "rule 1: type starts with a letter", msg: "1feat: x",
		err: &ParseError{Rule: 1, Line: 1, Col: 1}},
	{name: "rule 1: missing colon", msg: "feat add x",
		err: &ParseError{Rule: 1, Line: 1, Col: 5}},
	{name: "rule 1: merge commit", msg: "Merge branch 'main' into dev\n",
		err: &ParseError{Rule: 1, Line: 1, Col: 6}},
	{name: "rule 1: bare type", msg: "feat",
		err: &ParseError{Rule: 1, Line: 1, Col: 5}},
	{name: "rule 1: type is one word", msg: "feat ure: x",
		err: &ParseError{Rule: 1, Line: 1, Col: 5}},
	{name: "rule 1: punctuation in type", msg: "feat.x: y",
		err: &ParseError{Rule: 1, Line: 1, Col: 5}},
	{name: "rule 1: non-ASCII letter in type", msg: "fé: x",
		err: &ParseError{Rule: 1, Line: 1, Col: 2}},
	{name: "rule 1: colon and space required, space missing", msg: "feat:x",
		err: &ParseError{Rule: 1, Line: 1, Col: 6}},
	{name: "rule 1: colon and space required, tab is not a space", msg: "feat:\tx",
		err: &ParseError{Rule: 1, Line: 1, Col: 6}},
	{name: "rule 1: no space before the colon", msg: "feat : x",
		err: &ParseError{Rule: 1, Line: 1, Col: 5}},
	{name: "rule 1: colon and space required after the scope", msg: "feat(api) x",
		err: &ParseError{Rule: 1, Line: 1, Col: 10}},
	{name: "rule 1: column counts runes", msg: "feat(é) x",
		err: &ParseError{Rule: 1, Line: 1, Col: 8}},

	// Rules 2 and 3: feat and fix (their meaning cannot be checked).
	{name: "rule 2: feat", msg: "feat: allow provided config object to extend other configs",
		want: &Message{Type: "feat", Description: "allow provided config object to extend other configs"}},
	{name: "rule 3: fix", msg: "fix: array parsing issue when multiple spaces were contained in string",
		want: &Message{Type: "fix", Description: "array parsing issue when multiple spaces were contained in string"}},

	// Rule 4: optional scope in parentheses.
	{name: "rule 4: scope", msg: "fix(parser): x",
		want: &Message{Type: "fix", Scope: "parser", Description: "x"}},
	{name: "rule 4: scope with punctuation and spaces", msg: "feat(api, cli/v2): x",
		want: &Message{Type: "feat", Scope: "api, cli/v2", Description: "x"}},
	{name: "rule 4: non-ASCII scope", msg: "feat(größe): ü",
		want: &Message{Type: "feat", Scope: "größe", Description: "ü"}},
	{name: "rule 4: empty scope", msg: "feat(): x",
		err: &ParseError{Rule: 4, Line: 1, Col: 5}},
	{name: "rule 4: unclosed scope", msg: "feat(parser: x",
		err: &ParseError{Rule: 4, Line: 1, Col: 5}},
	{name: "rule 4: parenthesis inside scope", msg: "feat(a(b)): x",
		err: &ParseError{Rule: 4, Line: 1, Col: 7}},
	{name: "rule 4: one scope only", msg: "feat(a)(b): x",
		err: &ParseError{Rule: 4, Line: 1, Col: 8}},
	{name: "rule 4: scope begins with a space", msg: "feat( a): x",
		err: &ParseError{Rule: 4, Line: 1, Col: 6}},
	{name: "rule 4: scope ends with a space", msg: "feat(a ): x",
		err: &ParseError{Rule: 4, Line: 1, Col: 7}},

	// Rule 5: the description immediately follows the colon and space.
	{name: "rule 5: description follows colon and space", msg: "docs: correct spelling of CHANGELOG",
		want: &Message{Type: "docs", Description: "correct spelling of CHANGELOG"}},
	{name: "rule 5: description keeps inner spaces and colons", msg: "fix: a:  b  c",
		want: &Message{Type: "fix", Description: "a:  b  c"}},
	{name: "rule 5: missing description", msg: "feat: ",
		err: &ParseError{Rule: 5, Line: 1, Col: 6}},
	{name: "rule 5: missing description and space", msg: "feat(x)!:",
		err: &ParseError{Rule: 5, Line: 1, Col: 10}},
	{name: "rule 5: extra space before description", msg: "feat:  x",
		err: &ParseError{Rule: 5, Line: 1, Col: 7}},
	{name: "rule 5: tab before description", msg: "feat(é): \tx",
		err: &ParseError{Rule: 5, Line: 1, Col: 10}},

	// Rule 6: the body begins one blank line after the description.
	{name: "rule 6: body after one blank line", msg: "fix: x\n\nbody line\nmore\n",
		want: &Message{Type: "fix", Description: "x", Body: "body line\nmore"}},
	{name: "rule 6: second line not blank", msg: "fix: x\nbody",
		err: &ParseError{Rule: 6, Line: 2, Col: 1}},
	{name: "rule 6: second line looks like a footer", msg: "fix: x\nRefs: #1",
		err: &ParseError{Rule: 6, Line: 2, Col: 1}},
	{name: "rule 6: more than one blank line", msg: "fix: x\n\n\nbody",
		err: &ParseError{Rule: 6, Line: 3, Col: 1}},
	{name: "rule 6: white-space line counts as blank", msg: "fix: x\n  \nbody",
		want: &Message{Type: "fix", Description: "x", Body: "body"}},

	// Rule 7: the body is free-form.
	{name: "rule 7: multi-paragraph body", msg: "fix: x\n\npara one\n\n\npara two:\n  - item #1\n",
		want: &Message{Type: "fix", Description: "x", Body: "para one\n\n\npara two:\n  - item #1"}},
	{name: "rule 7: body text that is not a footer", msg: "fix: x\n\nReviewed by: Z\nhttp://example.com/x\nRefs:",
		want: &Message{Type: "fix", Description: "x", Body: "Reviewed by: Z\nhttp://example.com/x\nRefs:"}},
	{name: "rule 7: trailer without a blank line before it is body", msg: "fix: x\n\nbody\nSigned-off-by: A <a@b>",
		want: &Message{Type: "fix", Description: "x", Body: "body\nSigned-off-by: A <a@b>"}},

	// Rule 8: footers one blank line after the body.
	{name: "rule 8: footers after the body", msg: "fix: correct minor typos in code\n\nsee the issue for details\n\non typos fixed.\n\nReviewed-by: Z\nRefs #133\n",
		want: &Message{Type: "fix", Description: "correct minor typos in code", Body: "see the issue for details\n\non typos fixed.",
			Footers: []Footer{{"Reviewed-by", ": ", "Z"}, {"Refs", " #", "133"}}}},
	{name: "rule 8: footers without a body", msg: "revert: let us never again speak of the noodle incident\n\nRefs: 676104e, a215868",
		want: &Message{Type: "revert", Description: "let us never again speak of the noodle incident",
			Footers: []Footer{{"Refs", ": ", "676104e, a215868"}}}},
	{name: "rule 8: more than one blank line before footers without a body", msg: "fix: x\n\n\nRefs: 1",
		err: &ParseError{Rule: 8, Line: 3, Col: 1}},
	{name: "rule 8: more than one blank line between body and footers", msg: "fix: x\n\nbody\n\n\nRefs: 1",
		err: &ParseError{Rule: 8, Line: 5, Col: 1}},
	{name: "rule 8: BREAKING CHANGE needs a blank line before it", msg: "fix: x\n\nbody\nBREAKING CHANGE: y",
		err: &ParseError{Rule: 8, Line: 4, Col: 1}},

	// Rule 9: tokens use "-" for white space, except BREAKING CHANGE.
	{name: "rule 9: hyphenated token", msg: "fix: x\n\nAcked-by: Y",
		want: &Message{Type: "fix", Description: "x", Footers: []Footer{{"Acked-by", ": ", "Y"}}}},
	{name: "rule 9: token with a space is body text", msg: "fix: x\n\nAcked by: Y",
		want: &Message{Type: "fix", Description: "x", Body: "Acked by: Y"}},
	{name: "rule 9: BREAKING CHANGE may contain a space", msg: "fix: x\n\nBREAKING CHANGE: y",
		want: &Message{Type: "fix", Description: "x", Footers: []Footer{{"BREAKING CHANGE", ": ", "y"}}}},

	// Rule 10: values may span lines; parsing stops at the next token.
	{name: "rule 10: multi-line value", msg: "fix: x\n\nBREAKING CHANGE: one\ntwo\n\nthree\nRefs: #1",
		want: &Message{Type: "fix", Description: "x", Footers: []Footer{{"BREAKING CHANGE", ": ", "one\ntwo\n\nthree"}, {"Refs", ": ", "#1"}}}},

	// Rule 11: breaking changes in the prefix or in a footer.
	{name: "rule 11: breaking change in the prefix", msg: "refactor!: drop support for Node 6",
		want: &Message{Type: "refactor", Bang: true, Description: "drop support for Node 6"}},
	{name: "rule 11: breaking change in both", msg: "refactor!: drop support for Node 6\n\nBREAKING CHANGE: refactor to use JavaScript features not available in Node 6.",
		want: &Message{Type: "refactor", Bang: true, Description: "drop support for Node 6",
			Footers: []Footer{{"BREAKING CHANGE", ": ", "refactor to use JavaScript features not available in Node 6."}}}},

	// Rule 12: BREAKING CHANGE, colon, space, description.
	{name: "rule 12: breaking change footer", msg: "feat: allow provided config object to extend other configs\n\nBREAKING CHANGE: `extends` key in config file is now used for extending other config files",
		want: &Message{Type: "feat", Description: "allow provided config object to extend other configs",
			Footers: []Footer{{"BREAKING CHANGE", ": ", "`extends` key in config file is now used for extending other config files"}}}},
	{name: "rule 12: BREAKING CHANGE takes no #", msg: "fix: x\n\nBREAKING CHANGE #12",
		err: &ParseError{Rule: 12, Line: 3, Col: 16}},
	{name: "rule 12: BREAKING CHANGE without description", msg: "fix: x\n\nRefs: 1\nBREAKING CHANGE: \n",
		err: &ParseError{Rule: 12, Line: 4, Col: 16}},
	{name: "rule 12: BREAKING CHANGE without space", msg: "fix: x\n\nBREAKING-CHANGE:y",
		err: &ParseError{Rule: 12, Line: 3, Col: 16}},
	{name: "rule 12: BREAKING CHANGES is misspelt", msg: "fix: x\n\nbody\n\nBREAKING CHANGES: y",
		err: &ParseError{Rule: 12, Line: 5, Col: 16}},
	{name: "rule 12: misspelt inside a body paragraph", msg: "fix: x\n\nbody\nBREAKING CHANGE - y",
		err: &ParseError{Rule: 12, Line: 4, Col: 16}},
	{name: "rule 12: column counts runes", msg: "fix: x\n\nRefs: é\nBREAKING CHANGE:",
		err: &ParseError{Rule: 12, Line: 4, Col: 16}},

	// Rule 13: "!" immediately before the colon.
	{name: "rule 13: bang after scope", msg: "refactor(runtime)!: drop support for Node 6",
		want: &Message{Type: "refactor", Scope: "runtime", Bang: true, Description: "drop support for Node 6"}},
	{name: "rule 13: bang before scope", msg: "feat!(api): x",
		err: &ParseError{Rule: 13, Line: 1, Col: 5}},
	{name: "rule 13: one bang", msg: "feat(api)!!: x",
		err: &ParseError{Rule: 13, Line: 1, Col: 11}},
	{name: "rule 13: bang separated from colon", msg: "feat! : x",
		err: &ParseError{Rule: 1, Line: 1, Col: 6}},

	// Rule 14: other types.
	{name: "rule 14: other type", msg: "docs: updated ref docs.",
		want: &Message{Type: "docs", Description: "updated ref docs."}},
	{name: "rule 14: other type with scope", msg: "chore(deps): bump x",
		want: &Message{Type: "chore", Scope: "deps", Description: "bump x"}},

	// Rule 15: case-insensitive, except BREAKING CHANGE.
	{name: "rule 15: type is stored lower-cased", msg: "FEAT(Parser)!: X",
		want: &Message{Type: "feat", Scope: "Parser", Bang: true, Description: "X"}},
	{name: "rule 15: tokens are stored as written", msg: "fix: x\n\nREFS #1\nsigned-OFF-by: A",
		want: &Message{Type: "fix", Description: "x", Footers: []Footer{{"REFS", " #", "1"}, {"signed-OFF-by", ": ", "A"}}}},
	{name: "rule 15: lower-case breaking change", msg: "fix: x\n\nbreaking change: y",
		err: &ParseError{Rule: 15, Line: 3, Col: 1}},
	{name: "rule 15: mixed-case breaking change after a footer", msg: "fix: x\n\nbody\n\nRefs: 1\nBreaking Change #2",
		err: &ParseError{Rule: 15, Line: 6, Col: 1}},
	{name: "rule 15: BREAKING change", msg: "fix: x\n\nBREAKING change: y",
		err: &ParseError{Rule: 15, Line: 3, Col: 1}},
	{name: "rule 15: lower-case breaking change in a body line is prose", msg: "fix: x\n\nnot a\nbreaking change: y",
		want: &Message{Type: "fix", Description: "x", Body: "not a\nbreaking change: y"}},

	// Rule 16: BREAKING-CHANGE is a synonym.
	{name: "rule 16: BREAKING-CHANGE", msg: "fix: x\n\nBREAKING-CHANGE: y",
		want: &Message{Type: "fix", Description: "x", Footers: []Footer{{"BREAKING-CHANGE", ": ", "y"}}}},
	{name: "rule 16: Breaking-Change must be upper case too", msg: "fix: x\n\nBreaking-Change: y",
		err: &ParseError{Rule: 15, Line: 3, Col: 1}},
	{name: "rule 16: breaking-changes is an ordinary token", msg: "fix: x\n\nbreaking-changes: y",
		want: &Message{Type: "fix", Description: "x", Footers: []Footer{{"breaking-changes", ": ", "y"}}}},

	// Line endings and white space, as git stores messages.
	{name: "windows line endings", msg: "feat(a): x\r\n\r\nbody\r\n\r\nRefs: 1\r\nAcked-by: B\r\n",
		want: &Message{Type: "feat", Scope: "a", Description: "x", Body: "body",
			Footers: []Footer{{"Refs", ": ", "1"}, {"Acked-by", ": ", "B"}}}},
	{name: "trailing white space and newlines", msg: "feat: x \t\n\nbody  \n\n\n",
		want: &Message{Type: "feat", Description: "x", Body: "body"}},
}

func TestParseRules(t *testing.T) {
	for _, tt := range ruleTests {
		t.Run(tt.name, func(t *testing.T) { checkParse(t, tt) })
	}
}

// checkParse runs Parse on tt.msg and compares the result with tt.
func checkParse(t *testing.T, tt parseTest) {
	t.Helper()
	got, err := Parse(tt.msg)
	if tt.err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%q) = %+v, %v; want *ParseError rule %d at %d:%d", tt.msg, got, err, tt.err.Rule, tt.err.Line, tt.err.Col)
		}
		if got != nil {
			t.Errorf("Parse(%q) returned a message with its error: %+v", tt.msg, got)
		}
		if pe.Rule != tt.err.Rule || pe.Line != tt.err.Line || pe.Col != tt.err.Col {
			t.Errorf("Parse(%q) error = rule %d at %d:%d (%v); want rule %d at %d:%d", tt.msg, pe.Rule, pe.Line, pe.Col, pe, tt.err.Rule, tt.err.Line, tt.err.Col)
		}
		if pe.Msg == "" {
			t.Errorf("Parse(%q) error has no Msg", tt.msg)
		}
		return
	}
	if err != nil {
		t.Fatalf("Parse(%q) error: %v", tt.msg, err)
	}
	if !reflect.DeepEqual(got, tt.want) {
		t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.msg, got, tt.want)
	}
}

func TestParseErrorError(t *testing.T) {
	e := &ParseError{Rule: 5, Line: 1, Col: 7, Msg: `the description must follow ": " immediately`}
	got := e.Error()
	want := `1:7: the description must follow ": " immediately (Conventional Commits rule 5)`
	if got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestParseErrorMessages(t *testing.T) {
	// The message says what to do; for common typos it shows the fix.
	tests := []struct {
		msg  string
		want string
	}{
		{"feat:x", `write "feat: x"`},
		{"feat:  x", `write "feat: x"`},
		{"feat : x", `write "feat: x"`},
		{"feat(api) x", `write "feat(api): x"`},
		{"feat add x", `missing ": " after the type "feat"`},
		{"feat", `write "feat: description"`},
		{"feat!(api): x", `write "type(scope)!: description"`},
		{"fix: x\nbody", "insert a blank line"},
		{"fix: x\n\nbreaking change: y", `write "BREAKING CHANGE: y"`},
		{"fix: x\n\nbreaking-change #12", `write "BREAKING-CHANGE: 12"`},
		{"fix: x\n\nBreaking Change:", `write "BREAKING CHANGE: description"`},
		{"fix: x\n\nBREAKING CHANGE #12", `write "BREAKING CHANGE: 12"`},
		{"fix: x\n\nBREAKING CHANGE:y", `write "BREAKING CHANGE: y"`},
		{"fix: x\n\nBREAKING CHANGES: y", `write the token exactly "BREAKING CHANGE"`},
		{"feat: " + strings.Repeat("x", 100) + "\n", ""},
	}
	for _, tt := range tests {
		_, err := Parse(tt.msg)
		if tt.want == "" {
			if err != nil {
				t.Errorf("Parse(%q) error: %v", tt.msg, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v; want it to contain %q", tt.msg, err, tt.want)
		}
	}
	_, err := Parse("feat:" + strings.Repeat("x", 200))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("Parse(long header) error = %v; want a short message", err)
	}
}
