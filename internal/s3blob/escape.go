package s3blob

import (
	"net/url"
	"strings"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// escapeKey escapes a key as gocloud.dev/blob/s3blob does, so that both
// drivers name the same object for a key: the ASCII control characters
// (0-31) and the "/" of "../" become "__0x<hex>__", and so does the first
// "_" of any text that would itself unescape (a literal "__0x2f__"), so
// that no two keys escape to the same name.
func escapeKey(key string) string { return blobhttp.HexEscape(key, keyNeedsEscape) }

// unescapeKey reverses escapeKey.
func unescapeKey(name string) string { return blobhttp.HexUnescape(name) }

func keyNeedsEscape(runes []rune, i int) bool {
	return runes[i] < 32 || blobhttp.IsDotDotSlash(runes, i)
}

// escapeMetaKey escapes a metadata key as gocloud's s3blob does: URL path
// escaping, then "@", ":" and "=" as "__0x<hex>__".
func escapeMetaKey(k string) string {
	return blobhttp.HexEscape(url.PathEscape(k), func(r []rune, i int) bool {
		return r[i] == '@' || r[i] == ':' || r[i] == '='
	})
}

func unescapeMetaKey(k string) string { return blobhttp.HexUnescape(blobhttp.PathUnescape(k)) }

func escapeMetaValue(v string) string   { return url.PathEscape(v) }
func unescapeMetaValue(v string) string { return blobhttp.PathUnescape(v) }

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
