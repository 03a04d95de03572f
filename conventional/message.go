// Package conventional parses commit messages by the Conventional Commits
// 1.0.0 specification (https://www.conventionalcommits.org/en/v1.0.0/),
// strictly: a message either follows every rule or Parse names the rule it
// breaks and where. Clean prepares editor text the way git does, so that a
// commit-msg hook can check a message before git stores it.
package conventional

import "strings"

// Message is a parsed Conventional Commit message.
type Message struct {
	Type        string   // lower-cased type, such as "feat"
	Scope       string   // scope without parentheses; "" when absent
	Bang        bool     // the header has "!" before the colon
	Description string   // the text after "type(scope)!: "
	Body        string   // free-form body, "" when absent
	Footers     []Footer // trailers in order of appearance
}

// Footer is one trailer of a message: "Token: value" or "Token #value".
type Footer struct {
	Token string // as written; "BREAKING CHANGE" and "BREAKING-CHANGE" are breaking
	Sep   string // ": " or " #"
	Value string // may span several lines
}

// IsBreaking reports whether the footer announces a breaking change.
func (f Footer) IsBreaking() bool {
	return f.Token == "BREAKING CHANGE" || f.Token == "BREAKING-CHANGE"
}

// Breaking reports whether the message announces a breaking change, by a
// "!" in the header or a BREAKING CHANGE footer.
func (m *Message) Breaking() bool {
	if m.Bang {
		return true
	}
	for _, f := range m.Footers {
		if f.IsBreaking() {
			return true
		}
	}
	return false
}

// BreakingNotes returns the values of the BREAKING CHANGE footers, or the
// description when the break is announced only by "!".
func (m *Message) BreakingNotes() []string {
	var notes []string
	for _, f := range m.Footers {
		if f.IsBreaking() {
			notes = append(notes, f.Value)
		}
	}
	if len(notes) == 0 && m.Bang {
		notes = append(notes, m.Description)
	}
	return notes
}

// FooterValues returns the values of the footers whose token is token,
// compared without regard to case (rule 15), in order of appearance. Asked
// for "BREAKING CHANGE" or "BREAKING-CHANGE", it returns the values of both,
// which are synonyms (rule 16).
func (m *Message) FooterValues(token string) []string {
	breaking := Footer{Token: token}.IsBreaking()
	var vals []string
	for _, f := range m.Footers {
		if breaking && f.IsBreaking() || !breaking && strings.EqualFold(f.Token, token) {
			vals = append(vals, f.Value)
		}
	}
	return vals
}

// String formats the message canonically: the header; then, each after one
// blank line, the body and the footers, one footer after the other with no
// blank lines between them; no final newline. For a Message returned by
// Parse, Parse(m.String()) returns an equal Message.
func (m *Message) String() string {
	n := len(m.Type) + len(m.Scope) + len(m.Description) + len(m.Body) + 8
	for _, f := range m.Footers {
		n += len(f.Token) + len(f.Sep) + len(f.Value) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(m.Type)
	if m.Scope != "" {
		b.WriteByte('(')
		b.WriteString(m.Scope)
		b.WriteByte(')')
	}
	if m.Bang {
		b.WriteByte('!')
	}
	b.WriteString(": ")
	b.WriteString(m.Description)
	if m.Body != "" {
		b.WriteString("\n\n")
		b.WriteString(m.Body)
	}
	for i, f := range m.Footers {
		if i == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteByte('\n')
		}
		b.WriteString(f.Token)
		b.WriteString(f.Sep)
		b.WriteString(f.Value)
	}
	return b.String()
}
