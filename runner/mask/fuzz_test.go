package mask

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzWriter checks, for random text with the secret inserted and random
// write sizes, that the Writer never panics, that its output does not depend
// on the write sizes, and that the output contains no form of the secret.
// Forms that contain a '*' are left out of the last check: text next to a
// Mask could spell them again.
func FuzzWriter(f *testing.F) {
	f.Add("s3cret", "before ", " after\n", []byte{1, 2, 3})
	f.Add("aaaa", "aaa", "aaaaa", []byte{1})
	f.Add("abcabc", "abcab", "cabc", []byte{5, 1})
	f.Add("line1\nline2", "x", "line2\n", []byte{})
	f.Add("\xff\xfe\xfd\xfc", "\xff", "\xfc", []byte{2})
	f.Fuzz(func(t *testing.T, secret, before, after string, sizes []byte) {
		if len(secret) < MinLen {
			if _, err := New(secret); err == nil {
				t.Fatalf("New(%q) accepted a short secret", secret)
			}
			return
		}
		s, err := New(secret)
		if err != nil {
			t.Fatal(err)
		}
		in := before + secret + after
		ints := make([]int, len(sizes))
		for i, b := range sizes {
			ints[i] = int(b)
		}
		got := maskChunked(s, []byte(in), ints)
		if want := s.String(in); got != want {
			t.Fatalf("writes of %v gave %q, one write gave %q", ints, got, want)
		}
		for _, p := range s.patterns {
			if !bytes.Contains(p, []byte("*")) && strings.Contains(got, string(p)) {
				t.Fatalf("masked %q = %q, still contains %q", in, got, p)
			}
		}
	})
}
