package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/shipline-ci/shipline"
)

// Problem is one thing wrong with a config file, at a 1-based line and
// column. Msg starts with the key path it is about (such as
// "versioning.rules.feat: ...") when there is one.
type Problem struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"message"`
}

// String returns the problem as "FILE:LINE:COL: MSG".
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// Problems returns the problems that Parse or Load reported in err, sorted by
// position, or nil if err carries none.
func Problems(err error) []Problem {
	var list problemList
	if !errors.As(err, &list) {
		return nil
	}
	return append([]Problem(nil), list...)
}

// problemList is the cause recorded in the *shipline.Error that Parse
// returns, so that Problems can find it with errors.As.
type problemList []Problem

func (l problemList) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problemsError sorts ps by position and wraps them in an EINVALID error
// whose message is one problem per line.
func problemsError(ps []Problem) error {
	list := problemList(append([]Problem(nil), ps...))
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return &shipline.Error{Code: shipline.EINVALID, Message: list.Error(), Err: list}
}

// suggest returns the one candidate close to s (ignoring case, '-' and '_',
// then by edit distance, then as a prefix), or "" when none or several are
// equally close.
func suggest(s string, candidates []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s))
	}
	ns := norm(s)
	if ns == "" {
		return ""
	}
	best, bestScore, tie := "", 0, false
	for _, c := range candidates {
		nc := norm(c)
		score := -1
		switch d := editDistance(ns, nc); {
		case d <= max(1, len(nc)/3):
			score = d
		case len(ns) >= 3 && strings.HasPrefix(nc, ns), len(nc) >= 3 && strings.HasPrefix(ns, nc):
			score = 100 // one is a prefix of the other: weaker than any typo
		}
		if score < 0 {
			continue
		}
		switch {
		case best == "" || score < bestScore:
			best, bestScore, tie = c, score, false
		case score == bestScore:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// the number of inserted, deleted, replaced or swapped adjacent bytes.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// quote returns s in Go quotes, shortened to about 40 characters, so that
// a message stays on one line whatever the file holds.
func quote(s string) string {
	const limit = 40
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit-3]) + "..."
	}
	return fmt.Sprintf("%q", s)
}
