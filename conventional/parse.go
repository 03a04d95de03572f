package conventional

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseError says which rule of the specification a message breaks and
// where. Parse returns it for every message it rejects.
type ParseError struct {
	Rule int    // number of the rule in the Conventional Commits 1.0.0 specification (1..16)
	Line int    // 1-based line in the message
	Col  int    // 1-based column, counted in runes
	Msg  string // what is wrong and what to do about it, for a person
}

// Error returns "line:col: message (Conventional Commits rule N)".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%d:%d: %s (Conventional Commits rule %d)", e.Line, e.Col, e.Msg, e.Rule)
}

// The footer tokens that announce a breaking change (rules 12 and 16).
const (
	breakingChange       = "BREAKING CHANGE"
	breakingChangeHyphen = "BREAKING-CHANGE"
)

// Parse parses a commit message strictly by Conventional Commits 1.0.0. On
// failure it returns a nil Message and a *ParseError naming the first rule
// the message breaks; it never returns any other kind of error.
//
// Before parsing, "\r\n" line endings become "\n", trailing white space is
// dropped from every line and trailing blank lines from the message, as git
// does when it stores a message. Leading blank lines are an error: run raw
// editor text through Clean first.
//
// The message is read as follows; where the specification leaves a choice
// open, the choice is stated.
//
//   - Header (rules 1, 4, 5, 13): line 1 is type, optional "(scope)",
//     optional "!", then ": " and the description. The type starts with an
//     ASCII letter followed by ASCII letters, digits, "-" or "_"; it is stored
//     lower-cased (rule 15). The scope is non-empty, holds no parentheses and
//     does not begin or end with white space; it is stored as written. Exactly
//     one space must follow the colon: "feat:x" breaks rule 1 and "feat:  x"
//     breaks rule 5 (the description must follow the colon and space
//     immediately). An empty description breaks rule 5.
//   - Body (rules 6, 7): line 2 must be blank and line 3, if any, must not be
//     (exactly one blank line). The body is free-form; paragraphs may be
//     separated by any number of blank lines.
//   - Footers (rules 8 to 10): the footer section starts at the first
//     paragraph after the header whose first line is a footer, and runs to the
//     end of the message; everything before it is the body. A footer line is a
//     token followed by ": " or " #" and a non-empty value. A token is
//     "BREAKING CHANGE", "BREAKING-CHANGE", or an ASCII letter followed by
//     ASCII letters, digits and "-" (as in git trailers, so
//     "Signed-off-by: A <a@b>" and "Refs #123" are footers). Inside the
//     section, every line that starts with a token and separator starts a new
//     footer; all other lines, blank ones included, continue the value of the
//     footer before them, so a value may span lines and paragraphs (rule 10).
//     Trailing blank lines of a value are dropped. Exactly one blank line
//     separates the body from the footers. A footer line inside a body
//     paragraph, without a blank line before it, is body text, except that a
//     BREAKING CHANGE footer there is an error (rule 8), so that a breaking
//     change is never silently missed.
//   - Breaking changes (rules 12, 15, 16): a breaking footer is written
//     "BREAKING CHANGE: " or "BREAKING-CHANGE: " in upper case, followed by
//     a description. Any other casing of either token, followed by ":" or
//     " #", breaks rule 15 (BREAKING CHANGE MUST be uppercase; rule 16 makes
//     BREAKING-CHANGE its synonym, so the same holds for it). A line that
//     starts with upper-case "BREAKING CHANGE" or "BREAKING-CHANGE" but is
//     not followed by ": " and a description (as in "BREAKING CHANGE #12" or
//     "BREAKING CHANGES: x") breaks rule 12. Other tokens are kept as
//     written; compare them case-insensitively, as FooterValues does.
//
// Footer values end only where the next footer starts (rule 10), so a body
// paragraph that begins with a one-word label and ": " (such as "Note: ...")
// starts the footer section and the rest of the message becomes its value;
// rule 9's hyphenated tokens tell footers from body text, but a one-word
// label cannot be told apart.
func Parse(msg string) (*Message, error) {
	s := normalize(msg)
	if s == "" {
		return nil, &ParseError{Rule: 1, Line: 1, Col: 1, Msg: `empty message: write a header such as "feat: add x"`}
	}
	m := &Message{}
	header, rest, more := strings.Cut(s, "\n")
	if err := parseHeader(header, m); err != nil {
		return nil, err
	}
	if !more {
		return m, nil
	}
	// rest starts at line 2; trailing blank lines are gone, so it holds a
	// non-blank line somewhere.
	if rest[0] != '\n' {
		return nil, &ParseError{Rule: 6, Line: 2, Col: 1, Msg: "line 2 must be blank: insert a blank line between the header and the body"}
	}
	rest = rest[1:]
	if rest[0] == '\n' {
		return nil, extraBlankAfterHeader(rest)
	}
	if err := parseBodyAndFooters(rest, m); err != nil {
		return nil, err
	}
	return m, nil
}

// extraBlankAfterHeader reports more than one blank line after the header;
// rest starts at line 3, which is blank.
func extraBlankAfterHeader(rest string) *ParseError {
	next := strings.TrimLeft(rest, "\n")
	line, _, _ := strings.Cut(next, "\n")
	if classify(line).kind != plainLine {
		return &ParseError{Rule: 8, Line: 3, Col: 1, Msg: "more than one blank line between the header and the footers: remove this line"}
	}
	return &ParseError{Rule: 6, Line: 3, Col: 1, Msg: "more than one blank line between the header and the body: remove this line"}
}

// parseHeader parses line 1 into m.
func parseHeader(h string, m *Message) *ParseError {
	if h == "" {
		return &ParseError{Rule: 1, Line: 1, Col: 1, Msg: `line 1 is blank: the message must start with its header, such as "feat: add x"`}
	}
	if !isLetter(h[0]) {
		return &ParseError{Rule: 1, Line: 1, Col: 1, Msg: `the header must start with a type, a word such as "feat" or "fix": write "feat: add x"`}
	}
	i := 1
	for i < len(h) && isTypeByte(h[i]) {
		i++
	}
	m.Type = lowerASCII(h[:i])
	if i < len(h) && h[i] == '(' {
		open := i
		j := i + 1
		for j < len(h) && h[j] != ')' {
			if h[j] == '(' {
				return headerErr(4, h, j, `a scope may not contain "(": write one noun in one pair of parentheses, such as "fix(parser): ..."`)
			}
			j++
		}
		if j == len(h) {
			return headerErr(4, h, open, `the scope's "(" is never closed: write "`+h[:open]+`(scope): description"`)
		}
		scope := h[open+1 : j]
		switch {
		case scope == "":
			return headerErr(4, h, open, `empty scope: write a noun between the parentheses, such as "fix(parser): ...", or leave them out`)
		case isSpace(scope[0]):
			return headerErr(4, h, open+1, "the scope may not begin with white space: remove it")
		case isSpace(scope[len(scope)-1]):
			return headerErr(4, h, j-1, "the scope may not end with white space: remove it")
		}
		m.Scope = scope
		i = j + 1
	}
	if i < len(h) && h[i] == '!' {
		m.Bang = true
		i++
	}
	if i == len(h) {
		return headerErr(1, h, i, `missing ": " and a description after the type: write "`+suggest(h+": description")+`"`)
	}
	if h[i] != ':' {
		return headerPrefixErr(h, i, m)
	}
	i++
	if i == len(h) {
		return headerErr(5, h, i, `missing description after the colon: write "`+suggest(h+" description")+`"`)
	}
	if h[i] != ' ' {
		return headerErr(1, h, i, `missing space after the colon: write "`+suggest(h[:i]+" "+strings.TrimLeft(h[i:], " \t"))+`"`)
	}
	i++
	if i == len(h) {
		return headerErr(5, h, i, `missing description after ": "`)
	}
	if isSpace(h[i]) {
		return headerErr(5, h, i, `the description must follow ": " immediately: write "`+suggest(h[:i]+strings.TrimLeft(h[i:], " \t"))+`"`)
	}
	m.Description = h[i:]
	return nil
}

// headerPrefixErr explains an unexpected byte at h[i] where "!" or ":" was
// due.
func headerPrefixErr(h string, i int, m *Message) *ParseError {
	c := h[i]
	switch {
	case c == '(' && m.Bang:
		return headerErr(13, h, i-1, `"!" must come immediately before the colon, after the scope: write "type(scope)!: description"`)
	case c == '(':
		return headerErr(4, h, i, `only one scope is allowed: write "type(scope): description"`)
	case c == '!':
		return headerErr(13, h, i, `write a single "!" immediately before the colon`)
	case isSpace(c) && strings.HasPrefix(strings.TrimLeft(h[i:], " \t"), ":"):
		return headerErr(1, h, i, `no space is allowed before the colon: write "`+suggest(h[:i]+strings.TrimLeft(h[i:], " \t"))+`"`)
	case isSpace(c) && !m.Bang && m.Scope == "":
		return headerErr(1, h, i, fmt.Sprintf(`missing ": " after the type %q: a header reads "type: description", such as "feat: add x"`, h[:i]))
	case isSpace(c):
		return headerErr(1, h, i, `missing ": " before the description: write "`+suggest(h[:i]+": "+strings.TrimLeft(h[i:], " \t"))+`"`)
	case m.Bang || m.Scope != "":
		return headerErr(1, h, i, `missing ": " before the description`)
	}
	r, _ := utf8.DecodeRuneInString(h[i:])
	return headerErr(1, h, i, fmt.Sprintf(`unexpected %q in the type: a type is one word of letters, digits, "-" and "_", followed by an optional "(scope)", an optional "!" and ": "`, r))
}

// headerErr returns a ParseError at byte offset off of the header.
func headerErr(rule int, h string, off int, msg string) *ParseError {
	return &ParseError{Rule: rule, Line: 1, Col: utf8.RuneCountInString(h[:off]) + 1, Msg: msg}
}

// suggest shortens a suggested header so that error messages stay short.
func suggest(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "..."
		}
		n++
	}
	return s
}

// parseBodyAndFooters parses the message from line 3 on into m. rest starts
// with a non-blank line and ends with one.
func parseBodyAndFooters(rest string, m *Message) *ParseError {
	const firstLine = 3
	var (
		off       int // byte offset of the current line in rest
		lineNo    = firstLine
		paraStart = true // the current line follows a blank line
		blanks    int    // blank lines just before the current line
		bodyEnd   int    // end of the last body line seen
		footAt    = -1   // offset of the footer section
		footLine  int    // its line number
	)
	for off < len(rest) {
		end := strings.IndexByte(rest[off:], '\n')
		if end < 0 {
			end = len(rest)
		} else {
			end += off
		}
		line := rest[off:end]
		switch {
		case line == "":
			paraStart = true
			blanks++
		case paraStart:
			if classify(line).kind != plainLine {
				footAt, footLine = off, lineNo
				if bodyEnd > 0 && blanks > 1 {
					return &ParseError{Rule: 8, Line: lineNo - blanks + 1, Col: 1, Msg: "more than one blank line between the body and the footers: remove this line"}
				}
			} else {
				bodyEnd = end
			}
			paraStart, blanks = false, 0
		default:
			if hasBreakingPrefix(line) {
				c := classify(line)
				if c.kind == badLine {
					return c.err(lineNo)
				}
				return &ParseError{Rule: 8, Line: lineNo, Col: 1, Msg: fmt.Sprintf("a %s footer must follow a blank line: insert one before line %d", line[:len(breakingChange)], lineNo)}
			}
			bodyEnd = end
		}
		if footAt >= 0 {
			break
		}
		off = end + 1
		lineNo++
	}
	if bodyEnd > 0 {
		m.Body = rest[:bodyEnd]
	}
	if footAt < 0 {
		return nil
	}
	return parseFooters(rest[footAt:], footLine, m)
}

// parseFooters parses the footer section sec, which starts at line lineNo
// with a footer line (or a malformed breaking one) and ends with a non-blank
// line.
func parseFooters(sec string, lineNo int, m *Message) *ParseError {
	var (
		buf     [8]Footer
		fs      = buf[:0]
		valAt   int // offset in sec of the current footer's value
		lastEnd int // end of the last non-blank line
		off     int
	)
	for off < len(sec) {
		end := strings.IndexByte(sec[off:], '\n')
		if end < 0 {
			end = len(sec)
		} else {
			end += off
		}
		line := sec[off:end]
		if line != "" {
			c := classify(line)
			switch c.kind {
			case badLine:
				return c.err(lineNo)
			case footerLine:
				if len(fs) > 0 {
					fs[len(fs)-1].Value = sec[valAt:lastEnd]
				}
				fs = append(fs, Footer{Token: c.token, Sep: c.sep})
				valAt = off + len(c.token) + len(c.sep)
			}
			lastEnd = end
		}
		off = end + 1
		lineNo++
	}
	fs[len(fs)-1].Value = sec[valAt:lastEnd]
	m.Footers = make([]Footer, len(fs))
	copy(m.Footers, fs)
	return nil
}

type lineKind uint8

const (
	plainLine  lineKind = iota // body text or a footer value's continuation
	footerLine                 // token, separator and value
	badLine                    // an attempt at a breaking footer that breaks a rule
)

// lineClass is what classify finds in a line.
type lineClass struct {
	kind  lineKind
	token string // footerLine: the token as written
	sep   string // footerLine: ": " or " #"
	rule  int    // badLine: the rule broken
	col   int    // badLine: byte offset of the fault
	msg   string // badLine: what is wrong
}

// err returns the ParseError for a badLine at line lineNo.
func (c lineClass) err(lineNo int) *ParseError {
	return &ParseError{Rule: c.rule, Line: lineNo, Col: c.col + 1, Msg: c.msg}
}

// classify tells whether line is a footer line. It does not allocate unless
// it finds a fault.
func classify(line string) lineClass {
	const n = len(breakingChange)
	if len(line) >= n && hasPrefixFold(line, breakingChange, breakingChangeHyphen) {
		tok, rest := line[:n], line[n:]
		if tok == breakingChange || tok == breakingChangeHyphen {
			if len(rest) > 2 && rest[0] == ':' && rest[1] == ' ' {
				return lineClass{kind: footerLine, token: tok, sep: ": "}
			}
			return lineClass{kind: badLine, rule: 12, col: n, msg: badBreakingMsg(tok, rest)}
		}
		if strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, " #") {
			want := breakingChange
			if tok[8] == '-' {
				want = breakingChangeHyphen
			}
			val := strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(rest, ":"), " #"), " \t")
			if val == "" {
				val = "description"
			}
			return lineClass{kind: badLine, rule: 15, col: 0, msg: fmt.Sprintf(`footer token %q must be upper case: write "%s: %s"`, tok, want, suggest(val))}
		}
		// "Breaking changes are ..." or "breaking-changes: x": not a
		// breaking footer; read on as for any other token.
	}
	i := 0
	for i < len(line) && isTokenByte(line[i]) {
		i++
	}
	if i == 0 || !isLetter(line[0]) || len(line)-i < 3 {
		return lineClass{}
	}
	switch line[i : i+2] {
	case ": ":
		return lineClass{kind: footerLine, token: line[:i], sep: ": "}
	case " #":
		return lineClass{kind: footerLine, token: line[:i], sep: " #"}
	}
	return lineClass{}
}

// badBreakingMsg explains what is wrong after an upper-case breaking token.
func badBreakingMsg(tok, rest string) string {
	switch {
	case rest == "" || rest == ":":
		return fmt.Sprintf(`a %s footer needs ": " and a description: write "%s: what breaks and what to do"`, tok, tok)
	case strings.HasPrefix(rest, " #"):
		return fmt.Sprintf(`a %s footer takes ": ", not " #": write "%s: %s"`, tok, tok, suggest(rest[2:]))
	case rest[0] == ':':
		return fmt.Sprintf(`missing space after the colon: write "%s: %s"`, tok, suggest(strings.TrimLeft(rest[1:], " \t")))
	}
	return fmt.Sprintf(`write the token exactly %q, followed by ": " and a description`, tok)
}

// hasBreakingPrefix reports whether line starts with an upper-case breaking
// token.
func hasBreakingPrefix(line string) bool {
	const n = len(breakingChange)
	return len(line) >= n && line[0] == 'B' && (line[:n] == breakingChange || line[:n] == breakingChangeHyphen)
}

// hasPrefixFold reports whether s starts with a or b, ignoring ASCII case;
// a and b are upper case and of equal length.
func hasPrefixFold(s, a, b string) bool {
	for i := 0; i < len(a); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != a[i] && c != b[i] {
			return false
		}
	}
	return true
}

// normalize turns "\r\n" into "\n", drops trailing white space from each
// line and trailing blank lines from s. It returns s itself when nothing
// needs to change.
func normalize(s string) string {
	clean := true
	for off := 0; ; {
		end := strings.IndexByte(s[off:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += off
		}
		if end > off && isSpace(s[end-1]) {
			clean = false
			break
		}
		if end == len(s) {
			break
		}
		off = end + 1
	}
	if clean {
		return strings.TrimRight(s, "\n")
	}
	var b strings.Builder
	b.Grow(len(s))
	for off := 0; off <= len(s); {
		end := strings.IndexByte(s[off:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += off
		}
		b.WriteString(strings.TrimRight(s[off:end], spaceChars))
		if end < len(s) {
			b.WriteByte('\n')
		}
		off = end + 1
	}
	return strings.TrimRight(b.String(), "\n")
}

// spaceChars are the bytes that count as white space, as for git's
// isspace.
const spaceChars = " \t\r\v\f"

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isTypeByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '-' || c == '_' }

func isTokenByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '-' }

// lowerASCII lower-cases an ASCII string, allocating only if it has upper
// case letters.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
