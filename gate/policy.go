package gate

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DateLayout is how ignore entries write their expiry: YYYY-MM-DD.
const DateLayout = time.DateOnly

// Ignore is a policy exception: findings with this ID (or alias) do not
// block until the entry expires. Every entry needs a reason and an expiry,
// so that an exception is explained and looked at again.
type Ignore struct {
	ID      string    `json:"id"`      // finding ID or alias: GO-2024-1234, CVE-2024-1234, G401, ...
	Reason  string    `json:"reason"`  // why the finding is accepted for now
	Expires time.Time `json:"expires"` // the first day the entry no longer applies (a date, UTC)
}

// Validate reports an entry without an ID, reason or expiry.
func (ig Ignore) Validate() error {
	var missing []string
	if strings.TrimSpace(ig.ID) == "" {
		missing = append(missing, "an id")
	}
	if strings.TrimSpace(ig.Reason) == "" {
		missing = append(missing, "a reason")
	}
	if ig.Expires.IsZero() {
		missing = append(missing, "an expiry date (expires: YYYY-MM-DD)")
	}
	if len(missing) > 0 {
		id := ig.ID
		if id == "" {
			id = "(no id)"
		}
		return fmt.Errorf("ignore entry %s needs %s", id, strings.Join(missing, " and "))
	}
	return nil
}

// Expired reports whether the entry no longer applies at now: from the
// start of its expiry date (UTC) on.
func (ig Ignore) Expired(now time.Time) bool {
	return !now.Before(ig.Expires)
}

// matches reports whether the entry names f by its ID or an alias.
func (ig Ignore) matches(f *Finding) bool {
	return strings.EqualFold(ig.ID, f.ID) || slices.ContainsFunc(f.Aliases, func(a string) bool { return strings.EqualFold(a, ig.ID) })
}

// ApplyIgnores applies ignore entries to the findings of rep at time now:
// a blocking finding named by an entry in force stops blocking and says
// why in Suppressed; one named only by an expired entry keeps blocking,
// and its message says on which date the entry expired. Notes are added
// for entries that match no finding, so that stale exceptions get
// removed. Entries must be valid (see Ignore.Validate).
func ApplyIgnores(rep *Report, ignores []Ignore, now time.Time) {
	used := make([]bool, len(ignores))
	for i := range rep.Findings {
		f := &rep.Findings[i]
		var expired *Ignore
		for j, ig := range ignores {
			if !ig.matches(f) {
				continue
			}
			used[j] = true
			if ig.Expired(now) {
				if expired == nil {
					expired = &ignores[j]
				}
				continue
			}
			if f.Suppressed == "" {
				f.Suppressed = fmt.Sprintf("ignored until %s: %s", ig.Expires.Format(DateLayout), ig.Reason)
				f.Blocking = false
			}
		}
		if expired != nil && f.Suppressed == "" {
			f.Message += fmt.Sprintf(" (the ignore entry for %s expired on %s; it said: %s)", expired.ID, expired.Expires.Format(DateLayout), expired.Reason)
		}
	}
	for j, ig := range ignores {
		if !used[j] {
			rep.Notes = append(rep.Notes, fmt.Sprintf("ignore entry %s matches no finding: remove it", ig.ID))
		}
	}
	rep.Passed = rep.Error == "" && len(rep.Blocking()) == 0
}
