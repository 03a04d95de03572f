package apicheck

import (
	"fmt"

	"github.com/shipline-ci/shipline"
)

// Status is the outcome of Judge.
type Status int

// The outcomes of Judge.
const (
	// StatusOK means the commits claim a bump that fits the API change.
	StatusOK Status = iota
	// StatusUnder means the commits claim a smaller bump than the API
	// change needs, such as an incompatible change without a "!".
	StatusUnder
	// StatusOver means the commits claim a major bump (a "!" or a
	// BREAKING CHANGE footer) but the API has no incompatible change.
	StatusOver
)

// String returns "ok", "under" or "over".
func (s Status) String() string {
	switch s {
	case StatusUnder:
		return "under"
	case StatusOver:
		return "over"
	}
	return "ok"
}

// MarshalText implements encoding.TextMarshaler, so that a Status is a word
// in JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: it reads what
// MarshalText writes, so that a Verdict reads back from JSON.
func (s *Status) UnmarshalText(p []byte) error {
	for _, v := range []Status{StatusOK, StatusUnder, StatusOver} {
		if string(p) == v.String() {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown API check status %q: want ok, under or over", p)
}

// Verdict is the result of Judge. It marshals to JSON with lower-case keys
// and the status and bump as words.
type Verdict struct {
	Status Status `json:"status"`
	// Needed is the bump the API change needs once Go's v0 rule is
	// applied: Report.Required, lowered from BumpMajor to BumpMinor while
	// the major version is 0 unless majorOnZero.
	Needed shipline.Bump `json:"needed"`
	// Message explains the verdict to a person in one sentence, and for
	// StatusUnder and StatusOver says what to do.
	Message string `json:"message"`
}

// OK reports whether the claimed bump fits the API change
// (Status == StatusOK).
func (v Verdict) OK() bool { return v.Status == StatusOK }

// Judge compares the bump the API change needs (Report.Required) with the
// bump the commits claim, taking Go's v0 rule into account: while the
// current major version is 0, an incompatible change needs only a minor
// bump, unless majorOnZero (the project's choice to go to v1.0.0 on a
// breaking change).
//
// claimed is the bump the commits claim as Conventional Commits read them,
// before the v0 rule: BumpMajor for a "!" or a BREAKING CHANGE footer. A
// claimed bump already lowered by the v0 rule is judged the same way, except
// that it cannot be found StatusOver.
//
// The verdict is StatusUnder if the claimed bump, after the v0 rule, is
// smaller than Needed; otherwise StatusOver if the commits claim a major
// bump and required is not BumpMajor (the API shows no break, although
// behaviour may have changed in a way apidiff cannot see); otherwise
// StatusOK.
func Judge(required, claimed shipline.Bump, currentMajor int, majorOnZero bool) Verdict {
	onZero := currentMajor == 0 && !majorOnZero
	lower := func(b shipline.Bump) shipline.Bump {
		if onZero && b == shipline.BumpMajor {
			return shipline.BumpMinor
		}
		return b
	}
	v := Verdict{Needed: lower(required)}
	switch {
	case lower(claimed) < v.Needed:
		v.Status = StatusUnder
		v.Message = underMessage(required, claimed, v.Needed, onZero)
	case claimed == shipline.BumpMajor && required != shipline.BumpMajor:
		v.Status = StatusOver
		v.Message = fmt.Sprintf("the commits claim a breaking change but the exported API has %s: "+
			"drop the \"!\" or BREAKING CHANGE footer, unless the break is in behaviour, which the API check cannot see",
			changeSummary(required))
	default:
		v.Status = StatusOK
		v.Message = fmt.Sprintf("the exported API has %s and the commits claim %s", changeSummary(required), bumpPhrase(claimed))
		if onZero && required == shipline.BumpMajor {
			v.Message += ", which is enough while the major version is 0"
		}
	}
	return v
}

// underMessage explains a StatusUnder verdict.
func underMessage(required, claimed, needed shipline.Bump, onZero bool) string {
	var fix string
	switch {
	case required == shipline.BumpMajor && !onZero:
		fix = "mark the commit that breaks it with \"!\" (feat!: ...) or a BREAKING CHANGE footer"
	case required == shipline.BumpMajor:
		fix = "mark the commit that breaks it with \"!\" or as a feat, which is a minor bump while the major version is 0"
	default:
		fix = "make the commit that adds to it a feat"
	}
	need := fmt.Sprintf("which need a %s bump", needed)
	if onZero && required == shipline.BumpMajor {
		need += " while the major version is 0"
	}
	return fmt.Sprintf("the exported API has %s, %s, but the commits claim %s: %s",
		changeSummary(required), need, bumpPhrase(claimed), fix)
}

// changeSummary describes the API change that needs the bump required.
func changeSummary(required shipline.Bump) string {
	switch required {
	case shipline.BumpMajor:
		return "incompatible changes"
	case shipline.BumpMinor:
		return "only compatible changes"
	}
	return "no changes"
}

// bumpPhrase describes a claimed bump.
func bumpPhrase(b shipline.Bump) string {
	if b == shipline.BumpNone {
		return "no release"
	}
	return "a " + b.String() + " bump"
}
