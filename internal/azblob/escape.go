package azblob

import (
	"net/url"
	"strings"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// escapeKey escapes a key as gocloud.dev/blob/azureblob does, so that both
// drivers name the same blob for a key: ASCII control characters, '"',
// '#', '%', '?', '\' and DEL, the "/" of "../" and, in a whole key (not a
// prefix), a trailing "/" become "__0x<hex>__"; so does the first "_" of
// any text that would itself unescape, so that no two keys escape to the
// same name.
func escapeKey(key string, isPrefix bool) string {
	return blobhttp.HexEscape(key, func(r []rune, i int) bool {
		c := r[i]
		switch {
		case c == '\\':
			return true
		case c < 32 || c == '"' || c == '#' || c == '%' || c == '?' || c == 127:
			return true
		case !isPrefix && i == len(r)-1 && c == '/':
			return true
		case blobhttp.IsDotDotSlash(r, i):
			return true
		}
		return false
	})
}

// escapeMetadataKey escapes a metadata key as gocloud's azureblob does:
// Azure takes C# identifiers only, so anything but ASCII letters, digits
// and '_' (and a leading digit) becomes "__0x<hex>__".
func escapeMetadataKey(k string) string {
	return blobhttp.HexEscape(k, func(r []rune, i int) bool {
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
func escapeMetadataValue(v string) string   { return url.PathEscape(v) }
func unescapeMetadataValue(v string) string { return blobhttp.PathUnescape(v) }

// blobPath returns the escaped URL path of a blob name: each "/"-separated
// part path-escaped.
func blobPath(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
