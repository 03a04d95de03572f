package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

func mustNew(tb testing.TB, secrets ...string) *Set {
	tb.Helper()
	s, err := New(secrets...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestString(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name, in, want string
	}{
		{"plain", "token=" + secret + "\n", "token=***\n"},
		{"start and end", secret + " and " + secret, "*** and ***"},
		{"touching", secret + secret, "******"},
		{"nothing", "nothing to see", "nothing to see"},
		{"prefix only", "hunter2-s3cr3", "hunter2-s3cr3"},
		{"base64 std", b64([]byte(secret)), "***"},
		{"base64 url", base64.URLEncoding.EncodeToString([]byte(secret)), "***"},
		{"hex", hex.EncodeToString([]byte(secret)), "***"},
		{"hex upper", strings.ToUpper(hex.EncodeToString([]byte(secret))), "***"},
		// Inside a longer stream the boundary characters, which also
		// depend on the neighbouring bytes, stay.
		{"base64 aligned 0", b64([]byte(secret + "\n")), "***" + b64([]byte(secret + "\n"))[18:]},
		{"base64 aligned 1", b64([]byte("x" + secret + "yz")), b64([]byte("x" + secret + "yz"))[:2] + "***" + b64([]byte("x" + secret + "yz"))[20:]},
	}
	s := mustNew(t, secret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEscapes(t *testing.T) {
	const secret = `p&ss w/rd"<x>`
	s := mustNew(t, secret)
	for _, in := range []string{
		"q=p%26ss+w%2Frd%22%3Cx%3E",              // url.QueryEscape
		`{"pw":"p\u0026ss w/rd\"\u003cx\u003e"}`, // JSON, HTML-escaped
		`{"pw":"p&ss w/rd\"<x>"}`,                // JSON
	} {
		if got := s.String(in); strings.Contains(got, "ss") {
			t.Errorf("String(%q) = %q, want the escaped secret masked", in, got)
		}
	}
}

func TestOverlapMerges(t *testing.T) {
	s := mustNew(t, "abcdef", "defghi")
	if got, want := s.String("xabcdefghiy"), "x***y"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	s = mustNew(t, "aaaa")
	if got, want := s.String("b"+strings.Repeat("a", 100)+"b"), "b***b"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMultiLineSecret(t *testing.T) {
	key := "-----BEGIN KEY-----\r\nAAAABBBBCCCC\r\nDDDDEEEE\r\n-----END KEY-----\r\n"
	s := mustNew(t, key)
	got := s.String("line two alone: DDDDEEEE\nwhole: " + key)
	if strings.Contains(got, "DDDDEEEE") || strings.Contains(got, "AAAABBBB") {
		t.Errorf("got %q, want every line of the key masked", got)
	}
}

func TestTooShort(t *testing.T) {
	for _, secret := range []string{"", "abc"} {
		if _, err := New("long enough", secret); err == nil {
			t.Errorf("New(%q) succeeded, want an error", secret)
		} else if strings.Contains(err.Error(), secret) && secret != "" {
			t.Errorf("error %q shows the secret", err)
		}
	}
	if _, err := New("abcd"); err != nil {
		t.Errorf("New(4 bytes): %v", err)
	}
}

// TestTooLong checks the bound on the total length of the forms, which
// keeps the automaton's int32 state numbers from overflowing; the real
// bound is 2 GiB, so the test lowers it.
func TestTooLong(t *testing.T) {
	one, err := New("0123456789")
	if err != nil {
		t.Fatal(err)
	}
	var total int
	for _, p := range one.patterns {
		total += len(p)
	}
	for _, tt := range []struct {
		name    string
		limit   int
		secrets []string
		wantErr string
	}{
		{"at the limit", total, []string{"0123456789"}, ""},
		{"duplicates count once", total, []string{"0123456789", "0123456789"}, ""},
		{"one byte over", total - 1, []string{"0123456789"}, "secrets #1 to #1 take"},
		{"the second secret", total, []string{"0123456789", "abcdefghij"}, "secrets #1 to #2 take"},
		{"a secret longer than the limit", 8, []string{"0123456789"}, "secret #1 is 10 bytes long"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newSet(tt.limit, tt.secrets)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("newSet(%d) = %v", tt.limit, err)
				}
				if got := s.String("x0123456789x"); got != "x***x" {
					t.Errorf("String = %q, want x***x", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("newSet(%d) error = %v, want one containing %q", tt.limit, err, tt.wantErr)
			}
			for _, secret := range tt.secrets {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows the secret", err)
				}
			}
		})
	}
}

func TestEmptySet(t *testing.T) {
	s := mustNew(t)
	if got := s.String("anything"); got != "anything" {
		t.Errorf("got %q", got)
	}
}

// TestBase64Alignments checks the claim of Base64Forms: whatever surrounds
// the secret, the base64 of the stream contains the form for its alignment,
// and the masked stream contains none of the forms.
func TestBase64Alignments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := MinLen; n < 12; n++ {
		secret := randBytes(r, n)
		s := mustNew(t, string(secret))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			forms := Base64Forms(enc.WithPadding(base64.StdPadding), secret)
			for pre := range 6 {
				for post := range 4 {
					stream := append(append(randBytes(r, pre), secret...), randBytes(r, post)...)
					text := enc.EncodeToString(stream)
					if !strings.Contains(text, forms[pre%3]) {
						t.Fatalf("base64 of %x does not contain form %q for alignment %d", stream, forms[pre%3], pre%3)
					}
					got := s.String(text)
					for _, f := range forms {
						if strings.Contains(got, f) {
							t.Errorf("masked %q = %q still contains %q", text, got, f)
						}
					}
				}
			}
		}
	}
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

// maskChunked masks in with writes of the given sizes (cycled).
func maskChunked(s *Set, in []byte, sizes []int) string {
	var b bytes.Buffer
	w := s.NewWriter(&b)
	for i := 0; len(in) > 0; i++ {
		n := 1
		if len(sizes) > 0 {
			n = max(sizes[i%len(sizes)], 1)
		}
		n = min(n, len(in))
		w.Write(in[:n])
		in = in[n:]
	}
	w.Flush()
	return b.String()
}

func TestSplitWrites(t *testing.T) {
	secrets := []string{"s3cret-value", "other-secret", "aaaa"}
	s := mustNew(t, secrets...)
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := "s3cret-valueothrax\n"
	for range 300 {
		var in []byte
		for range r.IntN(200) {
			if r.IntN(20) == 0 {
				in = append(in, secrets[r.IntN(len(secrets))]...)
			} else {
				in = append(in, alphabet[r.IntN(len(alphabet))])
			}
		}
		want := s.String(string(in))
		for _, sizes := range [][]int{{1}, {2, 3}, {r.IntN(7) + 1, r.IntN(30) + 1}} {
			if got := maskChunked(s, in, sizes); got != want {
				t.Fatalf("writes of %v: got %q, want %q (one write) for %q", sizes, got, want, in)
			}
		}
		for _, sec := range secrets {
			if strings.Contains(want, sec) {
				t.Fatalf("masked %q = %q contains %q", in, want, sec)
			}
		}
	}
}

// TestHoldBack checks that a Writer passes through everything that cannot
// start a secret and holds back at most MaxHold bytes.
func TestHoldBack(t *testing.T) {
	s := mustNew(t, "0123456789")
	var b bytes.Buffer
	w := s.NewWriter(&b)
	w.Write([]byte("hello 01234"))
	if got, want := b.String(), "hello "; got != want {
		t.Errorf("after a prefix of the secret: wrote %q, want %q", got, want)
	}
	w.Write([]byte("xyz "))
	if got, want := b.String(), "hello 01234xyz "; got != want {
		t.Errorf("after the prefix was broken: wrote %q, want %q", got, want)
	}
	w.Write([]byte("0123"))
	w.Write([]byte("456789!"))
	w.Flush()
	if got, want := b.String(), "hello 01234xyz ***!"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if held := s.MaxHold(); held < 9 {
		t.Errorf("MaxHold = %d, want at least 9", held)
	}
}

func BenchmarkWriter(b *testing.B) {
	s := mustNew(b, "first-secret-value", "ghp_0123456789abcdefghijklmnopqrstuvwxyz", "third")
	line := []byte(strings.Repeat("go: downloading example.com/module v1.2.3 ", 4) + "\n")
	var in []byte
	for len(in) < 1<<20 {
		in = append(in, line...)
	}
	w := s.NewWriter(discard{})
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		w.Write(in)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
