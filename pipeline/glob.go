package pipeline

import (
	"path"
	"strings"
)

// Match reports whether the slash-separated path name matches glob
// pattern. The pattern is split at '/' like name; a segment "**" matches
// any number of segments (none included), and any other segment matches
// one segment as path.Match reads it: '*' and '?' never match a '/'. So
// "*.go" matches only files at the top, "**/*.go" Go files anywhere, and
// "docs/**" everything under docs. A malformed pattern matches nothing
// (Parse rejects it).
func Match(pattern, name string) bool {
	ps := strings.Split(pattern, "/")
	ns := strings.Split(name, "/")
	// ok[j] reports whether ps[i:] matches ns[j:], for i from the end
	// down: the usual dynamic programme for '*', over segments.
	ok := make([]bool, len(ns)+1)
	ok[len(ns)] = true
	for i := len(ps) - 1; i >= 0; i-- {
		next := make([]bool, len(ns)+1)
		if ps[i] == "**" {
			// ** matches nothing (ok[j]) or one more segment (next[j+1]).
			for j := len(ns); j >= 0; j-- {
				next[j] = ok[j] || j < len(ns) && next[j+1]
			}
		} else {
			for j := range ns {
				if ok[j+1] {
					m, err := path.Match(ps[i], ns[j])
					next[j] = m && err == nil
				}
			}
		}
		ok = next
	}
	return ok[0]
}

// matchAny returns the first of patterns that name matches, and whether
// there is one.
func matchAny(patterns []string, name string) (string, bool) {
	for _, p := range patterns {
		if Match(p, name) {
			return p, true
		}
	}
	return "", false
}
