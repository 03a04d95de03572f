// Package shipline holds Shipline's domain: the plain types that every other
// package speaks in (commits, versions, bumps, releases) and the application
// error type with its closed set of codes.
//
// Sub-packages are named for what they provide and talk to the rest of the
// program only in these terms; see ARCHITECTURE.md for the import rules.
package shipline

import "time"

// Bump is the size of a semantic version increment.
type Bump int

// The bumps, ordered so that a larger value is a larger increment.
const (
	BumpNone Bump = iota
	BumpPatch
	BumpMinor
	BumpMajor
)

// String returns "none", "patch", "minor" or "major".
func (b Bump) String() string {
	switch b {
	case BumpPatch:
		return "patch"
	case BumpMinor:
		return "minor"
	case BumpMajor:
		return "major"
	}
	return "none"
}

// ParseBump parses the String form of a Bump. It returns an EINVALID error
// for any other input.
func ParseBump(s string) (Bump, error) {
	switch s {
	case "none":
		return BumpNone, nil
	case "patch":
		return BumpPatch, nil
	case "minor":
		return BumpMinor, nil
	case "major":
		return BumpMajor, nil
	}
	return BumpNone, Errorf(EINVALID, "unknown bump %q: want one of none, patch, minor, major", s)
}

// MarshalText implements encoding.TextMarshaler.
func (b Bump) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Bump) UnmarshalText(p []byte) error {
	v, err := ParseBump(string(p))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// Commit is one commit as read from git: its identity and raw message.
// Interpreting the message is the job of package conventional.
type Commit struct {
	Hash    string    // full object name
	Parents []string  // parent object names; more than one for a merge
	Author  string    // author name
	Email   string    // author email
	Time    time.Time // committer time
	Subject string    // first line of the message
	Message string    // whole message, subject included
}

// Short returns the first 7 characters of the hash.
func (c Commit) Short() string {
	if len(c.Hash) > 7 {
		return c.Hash[:7]
	}
	return c.Hash
}

// IsMerge reports whether the commit has more than one parent.
func (c Commit) IsMerge() bool { return len(c.Parents) > 1 }

// Tag is a git tag that points, directly or through an annotated tag object,
// at a commit.
type Tag struct {
	Name      string // short name, such as "v1.2.3" or "api/v0.4.0"
	Commit    string // the commit it points at (peeled)
	Annotated bool   // whether it is an annotated tag object
}
