package runner

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// splitLines runs text through a lineWriter in writes of the given sizes.
func splitLines(limit int, text []byte, sizes []byte) (lines []string, continued []bool) {
	l := &lineWriter{max: limit, emit: func(s string, c bool) {
		lines = append(lines, s)
		continued = append(continued, c)
	}}
	for i := 0; len(text) > 0; i++ {
		n := 1
		if len(sizes) > 0 {
			n = max(int(sizes[i%len(sizes)]), 1)
		}
		n = min(n, len(text))
		l.Write(text[:n])
		text = text[n:]
	}
	l.Flush()
	return lines, continued
}

func TestLineWriter(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		cont []bool
	}{
		{"a\nb\n", []string{"a", "b"}, []bool{false, false}},
		{"a\r\n\nlast", []string{"a", "", "last"}, []bool{false, false, false}},
		{"abcdefghij\n", []string{"abcd", "efgh", "ij"}, []bool{true, true, false}},
		{"abcd\n", []string{"abcd"}, []bool{false}},
		{"abcdefgh", []string{"abcd", "efgh"}, []bool{true, false}},
		{"abcé", []string{"abc", "é"}, []bool{true, false}},
		{"a\xffb\xe2\x82", []string{"a\uFFFD", "b\uFFFD", "\uFFFD"}, []bool{true, true, false}},
		{"€€", []string{"€", "€"}, []bool{true, false}},
	}
	for _, tt := range tests {
		for _, sizes := range [][]byte{{1}, {2}, {100}} {
			lines, cont := splitLines(4, []byte(tt.in), sizes)
			if strings.Join(lines, "|") != strings.Join(tt.want, "|") || len(cont) != len(tt.cont) {
				t.Errorf("%q in writes of %v: lines %q, want %q", tt.in, sizes, lines, tt.want)
				continue
			}
			for i := range cont {
				if cont[i] != tt.cont[i] {
					t.Errorf("%q: continued %v, want %v", tt.in, cont, tt.cont)
					break
				}
			}
		}
	}
}

// FuzzLineWriter checks that lines are valid UTF-8, never longer than the
// limit, independent of how the input was split, and that valid input
// without "\r" comes back whole.
func FuzzLineWriter(f *testing.F) {
	f.Add([]byte("hello\nworld"), []byte{3})
	f.Add([]byte("é€\xf0\x9f\x98\x80\xff\xfe\n"), []byte{1, 2})
	f.Add(bytes.Repeat([]byte("a"), 40), []byte{7})
	f.Fuzz(func(t *testing.T, in, sizes []byte) {
		const limit = 8
		lines, cont := splitLines(limit, in, sizes)
		whole, _ := splitLines(limit, in, []byte{255})
		if strings.Join(lines, "\x00") != strings.Join(whole, "\x00") {
			t.Fatalf("writes of %v give %q, one write %q", sizes, lines, whole)
		}
		var b strings.Builder
		for i, l := range lines {
			if len(l) > limit || !utf8.ValidString(l) {
				t.Fatalf("line %q is too long or not UTF-8", l)
			}
			b.WriteString(l)
			if !cont[i] {
				b.WriteByte('\n')
			}
		}
		if utf8.Valid(in) && !bytes.Contains(in, []byte("\r")) {
			want := string(in)
			if len(in) > 0 && !bytes.HasSuffix(in, []byte("\n")) {
				want += "\n"
			}
			if b.String() != want {
				t.Fatalf("lines %q do not add up to %q", lines, in)
			}
		}
	})
}

func BenchmarkLineWriter(b *testing.B) {
	line := []byte(strings.Repeat("go: downloading example.com/module v1.2.3 ", 3) + "é\n")
	var in []byte
	for len(in) < 1<<20 {
		in = append(in, line...)
	}
	l := &lineWriter{max: MaxLineBytes, emit: func(string, bool) {}}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		l.Write(in)
	}
}
