package blobhttp

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// HexEscape escapes s as gocloud.dev/internal/escape.HexEscape does, the
// escaping gocloud's own drivers apply to keys and metadata keys: each
// rune for which shouldEscape(runes, i) is true, and the first "_" of any
// text that HexUnescape would read as an escape, becomes "__0x<hex>__",
// so that a literal escape in s is kept. It returns s itself when nothing
// is escaped. As with gocloud's, a string that itself holds "__0x" may not
// come back whole from HexUnescape: the "__" of an escape can complete a
// "__0x<hex>" before it (HexEscape("__0x0\x00") is "__0x0__0x0__"); the
// drivers keep this so that they name the same objects as gocloud's.
func HexEscape(s string, shouldEscape func(runes []rune, i int) bool) string {
	runes := []rune(s)
	var b strings.Builder
	escaped := false
	for i, r := range runes {
		if shouldEscape(runes, i) || isEscapeSequence(runes, i) {
			if !escaped {
				b.Grow(len(s) + 16)
				b.WriteString(string(runes[:i]))
				escaped = true
			}
			fmt.Fprintf(&b, "__%#x__", r)
		} else if escaped {
			b.WriteRune(r)
		}
	}
	if !escaped {
		return s
	}
	return b.String()
}

// HexUnescape reverses HexEscape: each "__0x<hex>__" becomes the rune it
// stands for. It returns s itself when it holds no escape.
func HexUnescape(s string) string {
	if !strings.Contains(s, "__0x") {
		return s
	}
	runes := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	changed := false
	for i := 0; i < len(runes); i++ {
		if ok, r, last := unescapeAt(runes, i); ok {
			b.WriteRune(r)
			i = last
			changed = true
			continue
		}
		b.WriteRune(runes[i])
	}
	if !changed {
		return s
	}
	return b.String()
}

// IsDotDotSlash reports whether runes[i] is the "/" of "../", which every
// driver escapes in a key.
func IsDotDotSlash(runes []rune, i int) bool {
	return i > 1 && runes[i] == '/' && runes[i-1] == '.' && runes[i-2] == '.'
}

// PathUnescape is url.PathUnescape, or s unchanged when it is not a valid
// escaping (metadata another client wrote): the reverse of the
// url.PathEscape gocloud's drivers apply to metadata values.
func PathUnescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

func isEscapeSequence(runes []rune, i int) bool {
	ok, _, _ := unescapeAt(runes, i)
	return ok
}

// unescapeAt parses "__0x<hex>__" at runes[i:] and returns the rune it
// stands for and the index of its last rune.
func unescapeAt(runes []rune, i int) (ok bool, r rune, last int) {
	const head = "__0x"
	if len(runes)-i < len(head) || string(runes[i:i+len(head)]) != head {
		return false, 0, 0
	}
	j := i + len(head)
	start := j
	for j < len(runes) && runes[j] != '_' {
		j++
	}
	if j+1 >= len(runes) || runes[j+1] != '_' {
		return false, 0, 0
	}
	n, err := strconv.ParseInt(string(runes[start:j]), 16, 32)
	if err != nil {
		return false, 0, 0
	}
	return true, rune(n), j + 1
}
