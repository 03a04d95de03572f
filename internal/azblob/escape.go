package azblob

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// escapeKey escapes a key as gocloud.dev/blob/azureblob does, so that both
// drivers name the same blob for a key: ASCII control characters, '"',
// '#', '%', '?', '\' and DEL, the "/" of "../" and, in a whole key (not a
// prefix), a trailing "/" become "__0x<hex>__"; so does the first "_" of
// any text that would itself unescape, so that no two keys escape to the
// same name.
func escapeKey(key string, isPrefix bool) string {
	return hexEscape(key, func(r []rune, i int) bool {
		c := r[i]
		switch {
		case c == '\\':
			return true
		case c < 32 || c == '"' || c == '#' || c == '%' || c == '?' || c == 127:
			return true
		case !isPrefix && i == len(r)-1 && c == '/':
			return true
		case i > 1 && c == '/' && r[i-1] == '.' && r[i-2] == '.':
			return true
		}
		return false
	})
}

// escapeMetadataKey escapes a metadata key as gocloud's azureblob does:
// Azure takes C# identifiers only, so anything but ASCII letters, digits
// and '_' (and a leading digit) becomes "__0x<hex>__".
func escapeMetadataKey(k string) string {
	return hexEscape(k, func(r []rune, i int) bool {
		c := r[i]
		switch {
		case i == 0 && c >= '0' && c <= '9':
			return true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			return false
		}
		return true
	})
}

// escapeMetadataValue and unescapeMetadataValue are gocloud's URL escaping
// of metadata values.
func escapeMetadataValue(v string) string { return url.PathEscape(v) }

func unescapeMetadataValue(v string) string {
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// hexEscape replaces each rune that shouldEscape picks, and the start of
// each text that hexUnescape would read as an escape, by "__0x<hex>__".
func hexEscape(s string, shouldEscape func(r []rune, i int) bool) string {
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

func isEscapeSequence(r []rune, i int) bool {
	ok, _, _ := unescapeAt(r, i)
	return ok
}

// unescapeAt reads "__0x<hex>__" at r[i:]: the rune, and the index of its
// last '_'.
func unescapeAt(r []rune, i int) (bool, rune, int) {
	if i+4 > len(r) || string(r[i:i+4]) != "__0x" {
		return false, 0, 0
	}
	j := i + 4
	for j < len(r) && r[j] != '_' {
		j++
	}
	if j+1 >= len(r) || r[j+1] != '_' {
		return false, 0, 0
	}
	v, err := strconv.ParseInt(string(r[i+4:j]), 16, 32)
	if err != nil {
		return false, 0, 0
	}
	return true, rune(v), j + 1
}

// hexUnescape reverses hexEscape.
func hexUnescape(s string) string {
	if !strings.Contains(s, "__0x") {
		return s
	}
	runes := []rune(s)
	var out []rune
	for i := 0; i < len(runes); i++ {
		if ok, r, end := unescapeAt(runes, i); ok {
			if out == nil {
				out = append(make([]rune, 0, len(runes)), runes[:i]...)
			}
			out = append(out, r)
			i = end
		} else if out != nil {
			out = append(out, runes[i])
		}
	}
	if out == nil {
		return s
	}
	return string(out)
}

// blobPath returns the escaped URL path of a blob name: each "/"-separated
// part path-escaped.
func blobPath(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
