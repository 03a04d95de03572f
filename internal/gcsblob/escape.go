package gcsblob

import "github.com/shipline-ci/shipline/internal/blobhttp"

// escapeKey escapes a key as gocloud.dev/blob/gcsblob does, so that both
// drivers name the same object for a key: a newline, a carriage return and
// the "/" of "../" become "__0x<hex>__", and so does the first "_" of any
// text that would itself unescape (a literal "__0x2f__"), so that no two
// keys escape to the same name.
func escapeKey(key string) string { return blobhttp.HexEscape(key, needsEscape) }

// unescapeKey reverses escapeKey.
func unescapeKey(name string) string { return blobhttp.HexUnescape(name) }

// needsEscape reports whether Cloud Storage cannot keep runes[i] as it is.
func needsEscape(runes []rune, i int) bool {
	r := runes[i]
	return r == '\n' || r == '\r' || blobhttp.IsDotDotSlash(runes, i)
}
