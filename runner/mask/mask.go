// Package mask hides secrets in a stream of bytes, such as the output of a
// build step, before it is logged.
//
// A Set is compiled once from the secrets' values into every form a secret is
// likely to be printed in (see New for the exact list) and matched with one
// Aho–Corasick automaton, so the cost per byte does not grow with the number
// of secrets. A Writer applies a Set to a stream: it holds back only the
// bytes at the end of each write that could still be the start of a secret
// (never more than the longest form minus one byte), so a secret split
// across writes of any size is masked, and the output does not depend on
// how the input was split into writes.
//
// Every occurrence of a form is replaced: occurrences that overlap (of one
// secret or of several) are replaced together by one Mask; occurrences that
// merely touch are replaced by one Mask each. So the output contains no form
// that has no '*' in it: what is left between two Masks is unchanged input,
// which held no complete form. (A form with a '*' could be spelt again by the
// text next to a Mask: with the secret "abc*", "abcabc*" becomes "abc***".)
package mask

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"slices"
	"strings"
)

// Mask replaces every occurrence of a secret.
const Mask = "***"

// MinLen is the length in bytes of the shortest secret New accepts. A
// shorter secret cannot be masked usefully: it would hide unrelated text
// everywhere, and its few possible values give it away anyway.
const MinLen = 4

// chunk bounds how much of one Write is processed at a time, and so the
// Writer's memory.
const chunk = 32 << 10

// maxFormBytes bounds the total length of the forms of a Set's secrets:
// the automaton has at most one state per byte of them plus the root, and
// numbers its states and edges with int32s.
const maxFormBytes = math.MaxInt32 - 1

// Set is a compiled set of secrets. It is immutable and safe for concurrent
// use; each stream needs its own Writer.
type Set struct {
	patterns [][]byte // every form of every secret, deduplicated
	maxLen   int      // length of the longest pattern

	// The Aho–Corasick automaton. State 0 is the root.
	root    [256]int32 // the root's transitions (0: stay at the root)
	edges   []int32    // the children of state i are label/next[edges[i]:edges[i+1]]
	label   []byte     // sorted per state
	next    []int32
	fail    []int32 // the longest proper suffix of a state that is also a state
	depth   []int32 // length of the string a state stands for
	longest []int32 // longest pattern that is a suffix of that string; 0 for none
}

// New compiles secrets into a Set. For each secret s it masks:
//
//   - s itself, and each line of a multi-line s that is at least MinLen bytes
//     long (without its "\r");
//   - the base64 encoding of s, standard and URL alphabets, with padding;
//   - for s at each of the 3 byte alignments inside a longer base64-encoded
//     stream, in both alphabets, the characters of that stream determined by
//     s alone (see Base64Forms); the at most two characters at either end
//     that also depend on the neighbouring bytes stay visible, each carrying
//     at most 4 bits of s;
//   - the hexadecimal encoding of s, lower and upper case;
//   - the URL query and path escapings of s and its JSON string escapings
//     (with and without HTML escaping), when they differ from s.
//
// Not covered: base64 broken into lines (MIME, PEM, `base64` without -w0 on
// streams longer than 57 bytes), other encodings, and transformed secrets
// (reversed, case-changed, compressed).
//
// New returns an error, naming the secret by its position, for a secret
// shorter than MinLen bytes, and an error for secrets whose forms take more
// than 2 GiB in all; duplicates are fine. New with no secrets returns a Set
// that masks nothing.
func New(secrets ...string) (*Set, error) {
	return newSet(maxFormBytes, secrets)
}

// newSet is New with limit as the most bytes the forms may take in all.
func newSet(limit int, secrets []string) (*Set, error) {
	var patterns [][]byte
	total := 0
	seen := map[string]bool{}
	add := func(p []byte) {
		if len(p) >= MinLen && !seen[string(p)] {
			seen[string(p)] = true
			patterns = append(patterns, p)
			total += len(p)
		}
	}
	for i, s := range secrets {
		if len(s) < MinLen {
			return nil, fmt.Errorf("secret #%d is %d bytes long: secrets must be at least %d bytes", i+1, len(s), MinLen)
		}
		if len(s) > limit {
			return nil, fmt.Errorf("secret #%d is %d bytes long: secrets and their forms must take at most %d bytes in all", i+1, len(s), limit)
		}
		for _, p := range forms([]byte(s)) {
			add(p)
		}
		if total > limit {
			return nil, fmt.Errorf("secrets #1 to #%d take %d bytes in all their forms: at most %d fit", i+1, total, limit)
		}
	}
	return compile(patterns), nil
}

// forms returns the forms of secret s that New masks.
func forms(s []byte) [][]byte {
	out := [][]byte{s}
	if bytes.IndexByte(s, '\n') >= 0 {
		for line := range bytes.SplitSeq(s, []byte("\n")) {
			out = append(out, bytes.TrimSuffix(line, []byte("\r")))
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		out = append(out, []byte(enc.EncodeToString(s)))
		out = append(out, base64Forms(enc, s)...)
	}
	h := hex.EncodeToString(s)
	out = append(out, []byte(h), []byte(strings.ToUpper(h)))
	str := string(s)
	for _, esc := range []string{url.QueryEscape(str), url.PathEscape(str), jsonString(str, true), jsonString(str, false)} {
		if esc != str {
			out = append(out, []byte(esc))
		}
	}
	return out
}

// Base64Forms returns, for each alignment a of 0, 1 and 2 (s starting at a
// byte offset ≡ a mod 3 of a longer byte stream), the characters of the
// stream's base64 encoding (alphabet of enc, padding ignored) that depend on
// the bytes of s alone: characters [⌈8a/6⌉, ⌊8(a+len(s))/6⌋) of the
// encoding of a zero bytes followed by s.
func Base64Forms(enc *base64.Encoding, s []byte) []string {
	var out []string
	for _, p := range base64Forms(enc, s) {
		out = append(out, string(p))
	}
	return out
}

func base64Forms(enc *base64.Encoding, s []byte) [][]byte {
	raw := enc.WithPadding(base64.NoPadding)
	var out [][]byte
	for a := range 3 {
		in := append(make([]byte, a), s...)
		e := make([]byte, raw.EncodedLen(len(in)))
		raw.Encode(e, in)
		start, end := (8*a+5)/6, 8*(a+len(s))/6
		if start < end {
			out = append(out, e[start:end])
		}
	}
	return out
}

// jsonString returns s as the inside of a JSON string.
func jsonString(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(strings.TrimSuffix(b.String(), "\n"), `"`)[1:]
}

// compile builds the automaton for patterns: a trie with fail links, its
// root as a full table (most bytes of a log leave the automaton at the
// root) and every other state with a sorted list of its children, so that
// memory grows with the total length of the patterns only. The patterns
// take at most maxFormBytes in all (New checks), so the numbers of states
// and edges, counted in int32s, do not overflow.
func compile(patterns [][]byte) *Set {
	type node struct {
		children map[byte]int32
		depth    int32
		longest  int32
	}
	nodes := []node{{}}
	states := int32(1)
	for _, p := range patterns {
		st := int32(0)
		for _, b := range p {
			next, ok := nodes[st].children[b]
			if !ok {
				next = states
				states++
				if nodes[st].children == nil {
					nodes[st].children = map[byte]int32{}
				}
				nodes[st].children[b] = next
				nodes = append(nodes, node{depth: nodes[st].depth + 1})
			}
			st = next
		}
		nodes[st].longest = nodes[st].depth // the length of p
	}
	s := &Set{patterns: patterns}
	for _, p := range patterns {
		s.maxLen = max(s.maxLen, len(p))
	}
	n := len(nodes)
	s.fail = make([]int32, n)
	s.depth = make([]int32, n)
	s.longest = make([]int32, n)
	s.edges = make([]int32, n+1)
	// Number the children of each state in one flat, sorted array.
	edges := int32(0)
	for i, nd := range nodes {
		s.depth[i] = nd.depth
		s.longest[i] = nd.longest
		s.edges[i] = edges
		keys := slices.Sorted(maps.Keys(nd.children))
		for _, b := range keys {
			s.label = append(s.label, b)
			s.next = append(s.next, nd.children[b])
			edges++
		}
	}
	s.edges[n] = edges
	for b, v := range nodes[0].children {
		s.root[b] = v
	}
	// Breadth first, so that a state's fail link is complete before the
	// state is used to compute its children's.
	queue := slices.Clone(s.next[s.edges[0]:s.edges[1]])
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for e := s.edges[u]; e < s.edges[u+1]; e++ {
			v := s.next[e]
			s.fail[v] = s.step(s.fail[u], s.label[e])
			s.longest[v] = max(s.longest[v], s.longest[s.fail[v]])
			queue = append(queue, v)
		}
	}
	return s
}

// step returns the state after reading b in state st.
func (s *Set) step(st int32, b byte) int32 {
	for st != 0 {
		lo, hi := s.edges[st], s.edges[st+1]
		if hi-lo == 1 { // most states of a long pattern have one child
			if s.label[lo] == b {
				return s.next[lo]
			}
		} else if i, ok := slices.BinarySearch(s.label[lo:hi], b); ok {
			return s.next[lo:hi][i]
		}
		st = s.fail[st]
	}
	return s.root[b]
}

// Len reports the number of forms the Set masks.
func (s *Set) Len() int { return len(s.patterns) }

// MaxHold reports the most bytes a Writer holds back between writes: the
// length of the longest form minus one, or 0 for an empty Set.
func (s *Set) MaxHold() int { return max(s.maxLen-1, 0) }

// String returns text with every form of every secret masked.
func (s *Set) String(text string) string {
	var b strings.Builder
	w := s.NewWriter(&b)
	_, _ = w.Write([]byte(text)) // a strings.Builder never fails
	_ = w.Flush()
	return b.String()
}

// span is one occurrence of a pattern: bytes [start, end) of the stream.
type span struct{ start, end int64 }

// Writer masks a stream and writes the result to an underlying writer. It
// is not safe for concurrent use.
type Writer struct {
	set     *Set
	w       io.Writer
	state   int32
	n       int64  // bytes read so far
	pos     int64  // bytes before pos have been written or masked
	maskEnd int64  // bytes before maskEnd lie inside a written Mask
	pend    []byte // the bytes [base, n), of which [pos, n) are held back
	base    int64
	matches []span // occurrences starting at or after pos
	out     []byte
	err     error
}

// NewWriter returns a Writer that masks what is written to it and writes
// the result to w.
func (s *Set) NewWriter(w io.Writer) *Writer { return &Writer{set: s, w: w} }

// Write masks p and writes what can be decided to the underlying writer,
// holding back at most MaxHold bytes that could start a secret. It returns
// len(p) and the underlying writer's first error, after which it writes
// nothing more.
func (w *Writer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && w.err == nil {
		c := p[:min(len(p), chunk)]
		p = p[len(c):]
		w.feed(c)
		w.emit(w.n - int64(w.set.depth[w.state]))
	}
	if w.err != nil {
		return 0, w.err
	}
	return n, nil
}

// Flush ends the stream: it writes the bytes held back (masked where they
// complete a secret) and forgets the state, so a secret split across a
// Flush is not recognised. It returns the underlying writer's first error.
func (w *Writer) Flush() error {
	if w.err == nil {
		w.emit(w.n)
		w.state = 0
	}
	return w.err
}

// feed runs the automaton over c, recording occurrences.
func (w *Writer) feed(c []byte) {
	s := w.set
	w.pend = append(w.pend, c...)
	st := w.state
	n := w.n
	if len(s.patterns) == 0 {
		w.n += int64(len(c))
		return
	}
	for _, b := range c {
		st = s.step(st, b)
		n++
		if l := s.longest[st]; l > 0 {
			w.matches = append(w.matches, span{n - int64(l), n})
		}
	}
	w.state, w.n = st, n
}

// emit writes the stream up to f, before which no occurrence can start that
// has not been seen.
func (w *Writer) emit(f int64) {
	base := w.base
	slices.SortFunc(w.matches, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	out := w.out[:0]
	i := 0
	for ; i < len(w.matches) && w.matches[i].start < f; i++ {
		m := w.matches[i]
		if m.start < w.maskEnd {
			w.maskEnd = max(w.maskEnd, m.end)
			continue
		}
		from := max(w.pos, w.maskEnd)
		out = append(out, w.pend[from-base:m.start-base]...)
		out = append(out, Mask...)
		w.maskEnd = m.end
	}
	if from := max(w.pos, w.maskEnd); from < f {
		out = append(out, w.pend[from-base:f-base]...)
	}
	w.matches = w.matches[:copy(w.matches, w.matches[i:])]
	w.pos = f
	// Drop what has been written once it is most of the buffer, so that
	// many small writes cost time in proportion to their size only.
	if done := int(f - base); done > 0 && done >= len(w.pend)/2 {
		w.pend = w.pend[:copy(w.pend, w.pend[done:])]
		w.base = f
	}
	w.out = out
	if len(out) > 0 {
		if _, err := w.w.Write(out); err != nil {
			w.err = err
		}
	}
}
