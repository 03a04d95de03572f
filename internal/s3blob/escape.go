package s3blob

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// escapeKey escapes a key as gocloud.dev/blob/s3blob does, so that both
// drivers name the same object for a key: the ASCII control characters
// (0-31) and the "/" of "../" become "__0x<hex>__", and so does the first
// "_" of any text that would itself unescape (a literal "__0x2f__"), so
// that no two keys escape to the same name.
func escapeKey(key string) string { return hexEscape(key, keyNeedsEscape) }

// unescapeKey reverses escapeKey.
func unescapeKey(name string) string { return hexUnescape(name) }

func keyNeedsEscape(runes []rune, i int) bool {
	switch r := runes[i]; {
	case r < 32:
		return true
	case r == '/' && i > 1 && runes[i-1] == '.' && runes[i-2] == '.':
		return true
	}
	return false
}

// escapeMetaKey escapes a metadata key as gocloud's s3blob does: URL path
// escaping, then "@", ":" and "=" as "__0x<hex>__".
func escapeMetaKey(k string) string {
	return hexEscape(url.PathEscape(k), func(r []rune, i int) bool {
		return r[i] == '@' || r[i] == ':' || r[i] == '='
	})
}

func unescapeMetaKey(k string) string { return hexUnescape(urlUnescape(k)) }

func escapeMetaValue(v string) string   { return url.PathEscape(v) }
func unescapeMetaValue(v string) string { return urlUnescape(v) }

// urlUnescape is url.PathUnescape, or s unchanged when it is not a valid
// escaping (metadata another client wrote).
func urlUnescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// hexEscape replaces each rune of s for which should is true, and the
// start of each "__0x<hex>__" already in s, by "__0x<hex>__".
func hexEscape(s string, should func([]rune, int) bool) string {
	runes := []rune(s)
	var b strings.Builder
	escaped := false
	for i, r := range runes {
		if should(runes, i) || isEscapeSequence(runes, i) {
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

// hexUnescape reverses hexEscape.
func hexUnescape(name string) string {
	if !strings.Contains(name, "__0x") {
		return name
	}
	runes := []rune(name)
	var b strings.Builder
	b.Grow(len(name))
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
		return name
	}
	return b.String()
}

// uriEncode encodes s as SigV4 wants: every byte but the unreserved
// characters A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex), and "/" kept
// when keepSlash (an object key in a path).
func uriEncode(s string, keepSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
