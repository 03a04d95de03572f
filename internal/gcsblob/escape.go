package gcsblob

import (
	"fmt"
	"strconv"
	"strings"
)

// escapeKey escapes a key as gocloud.dev/blob/gcsblob does, so that both
// drivers name the same object for a key: a newline, a carriage return and
// the "/" of "../" become "__0x<hex>__", and so does the first "_" of any
// text that would itself unescape (a literal "__0x2f__"), so that no two
// keys escape to the same name.
func escapeKey(key string) string {
	runes := []rune(key)
	var b strings.Builder
	escaped := false
	for i, r := range runes {
		if needsEscape(runes, i) || isEscapeSequence(runes, i) {
			if !escaped {
				b.Grow(len(key) + 16)
				b.WriteString(string(runes[:i]))
				escaped = true
			}
			fmt.Fprintf(&b, "__%#x__", r)
		} else if escaped {
			b.WriteRune(r)
		}
	}
	if !escaped {
		return key
	}
	return b.String()
}

// needsEscape reports whether Cloud Storage cannot keep runes[i] as it is.
func needsEscape(runes []rune, i int) bool {
	switch r := runes[i]; {
	case r == '\n' || r == '\r':
		return true
	case r == '/' && i > 1 && runes[i-1] == '.' && runes[i-2] == '.':
		return true
	}
	return false
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

// unescapeKey reverses escapeKey.
func unescapeKey(name string) string {
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
