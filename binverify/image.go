package binverify

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// image is a binary's memory image as its file lays it out: enough to read
// Go string variables by address without running it.
type image struct {
	r       io.ReaderAt
	ptrSize uint64 // 4 or 8
	order   binary.ByteOrder
	segs    []segment

	// symbol returns the address of a symbol from the file's symbol
	// table; nil, or false, when the file has none (built with -s).
	symbol func(name string) (uint64, bool)
	// relocs returns, by address, the addends of RELATIVE relocations
	// whose pointer the file leaves as zero (ELF RELA in position
	// independent executables); nil when the format stores pointers in
	// place.
	relocs func() map[uint64]uint64

	data [][]byte // segs' contents, read on first use
}

// segment is one part of the file mapped into memory.
type segment struct {
	addr, off, size uint64 // virtual address, file offset, bytes in the file
	writable        bool
}

// maxString is the longest Go string stringAt reads: a version is short,
// and a corrupt length must not make Verify read gigabytes.
const maxString = 1 << 16

// load reads every segment once.
func (m *image) load() error {
	if m.data != nil {
		return nil
	}
	data := make([][]byte, len(m.segs))
	for i, s := range m.segs {
		b := make([]byte, s.size)
		if _, err := readAt(m.r, b, s.off); err != nil && !(err == io.EOF && len(b) == 0) {
			return err
		}
		data[i] = b
	}
	m.data = data
	return nil
}

// readAt reads len(b) bytes of r at off, an offset taken from the file's
// own headers. The readers keep only sections and segments that lie within
// the file, so off fits an int64; one that does not is an error rather
// than a negative offset.
func readAt(r io.ReaderAt, b []byte, off uint64) (int, error) {
	if off > math.MaxInt64 {
		return 0, fmt.Errorf("file offset %#x is beyond any file", off)
	}
	return r.ReadAt(b, int64(off))
}

// bytesAt returns the n bytes at addr, if one segment holds them all.
func (m *image) bytesAt(addr, n uint64) ([]byte, bool) {
	if m.load() != nil {
		return nil, false
	}
	for i, s := range m.segs {
		if addr >= s.addr && addr-s.addr <= s.size && n <= s.size-(addr-s.addr) {
			o := addr - s.addr
			return m.data[i][o : o+n], true
		}
	}
	return nil, false
}

// word decodes one pointer-sized word of b.
func (m *image) word(b []byte) uint64 {
	if m.ptrSize == 4 {
		return uint64(m.order.Uint32(b))
	}
	return m.order.Uint64(b)
}

// pointerAt returns the pointer stored at addr, applying a RELATIVE
// relocation when the file keeps the value there.
func (m *image) pointerAt(addr uint64, relocs map[uint64]uint64) (uint64, bool) {
	b, ok := m.bytesAt(addr, m.ptrSize)
	if !ok {
		return 0, false
	}
	if v, ok := relocs[addr]; ok {
		return v, true
	}
	return m.word(b), true
}

// stringAt reads the Go string whose header (pointer, length) is at addr.
func (m *image) stringAt(addr uint64) (string, bool) {
	var relocs map[uint64]uint64
	if m.relocs != nil {
		relocs = m.relocs()
	}
	p, ok := m.pointerAt(addr, relocs)
	if !ok {
		return "", false
	}
	lb, ok := m.bytesAt(addr+m.ptrSize, m.ptrSize)
	if !ok {
		return "", false
	}
	n := m.word(lb)
	if n == 0 {
		return "", true
	}
	if n > maxString {
		return "", false
	}
	b, ok := m.bytesAt(p, n)
	if !ok {
		return "", false
	}
	return string(b), true
}

// hasStringVar reports whether the writable data holds the header of a Go
// string equal to s: a pointer to s's bytes followed by len(s). That is how
// the linker stores a string variable set with -X, and what is left to
// find once the symbol table is stripped. A header in read-only data (a
// constant converted to an interface, say) does not count.
func (m *image) hasStringVar(s string) bool {
	if s == "" || len(s) > maxString || m.load() != nil {
		return false
	}
	needle := []byte(s)
	targets := make(map[uint64]bool)
	for i, seg := range m.segs {
		d := m.data[i]
		for o := uint64(0); ; {
			j := bytes.Index(d[o:], needle)
			if j < 0 {
				break
			}
			at := o + uint64(j)
			targets[seg.addr+at] = true
			o = at + 1
		}
	}
	if len(targets) == 0 {
		return false
	}
	var relocs map[uint64]uint64
	if m.relocs != nil {
		relocs = m.relocs()
	}
	ps := m.ptrSize
	want := uint64(len(s))
	for i, seg := range m.segs {
		if !seg.writable {
			continue
		}
		d := m.data[i]
		start := (ps - seg.addr%ps) % ps
		for o := start; o+2*ps <= uint64(len(d)); o += ps {
			if m.word(d[o+ps:]) != want {
				continue
			}
			p, ok := relocs[seg.addr+o]
			if !ok {
				p = m.word(d[o:])
			}
			if targets[p] {
				return true
			}
		}
	}
	return false
}
