package binverify

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestWithin checks the bounds check every format reader applies to the
// offsets and sizes in a file's headers, at the edges of uint64 and int64.
func TestWithin(t *testing.T) {
	for _, tt := range []struct {
		name    string
		off, n  uint64
		size    int64
		wantEnd uint64
		wantOK  bool
	}{
		{"inside", 8, 8, 16, 16, true},
		{"past the end", 8, 9, 16, 17, false},
		{"empty at the end", 16, 0, 16, 16, true},
		{"empty file", 0, 0, 0, 0, true},
		{"offset wraps", math.MaxUint64, 2, 16, math.MaxUint64, false},
		{"size wraps", 1, math.MaxUint64, 16, math.MaxUint64, false},
		{"beyond int64", math.MaxInt64, 1, math.MaxInt64, math.MaxInt64 + 1, false},
		{"largest file", 0, math.MaxInt64, math.MaxInt64, math.MaxInt64, true},
		{"negative size", 0, 0, -1, 0, false},
		{"most negative size", 0, 1, math.MinInt64, 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			end, ok := within(tt.off, tt.n, tt.size)
			if end != tt.wantEnd || ok != tt.wantOK {
				t.Errorf("within(%#x, %#x, %d) = %#x, %v; want %#x, %v", tt.off, tt.n, tt.size, end, ok, tt.wantEnd, tt.wantOK)
			}
		})
	}
}

// TestReadAtOffset checks that an offset from a header that does not fit
// an int64 is an error, not a read at a negative offset.
func TestReadAtOffset(t *testing.T) {
	r := bytes.NewReader([]byte("0123456789"))
	b := make([]byte, 2)
	if _, err := readAt(r, b, 4); err != nil || string(b) != "45" {
		t.Fatalf("readAt(4) = %q, %v; want \"45\", nil", b, err)
	}
	for _, off := range []uint64{math.MaxInt64 + 1, math.MaxUint64} {
		_, err := readAt(r, b, off)
		if err == nil || !strings.Contains(err.Error(), "beyond any file") {
			t.Errorf("readAt(%#x) error = %v; want one that says the offset is beyond any file", off, err)
		}
	}
	// A segment so placed makes the image fail to load rather than read.
	m := &image{r: r, ptrSize: 8, segs: []segment{{addr: 0x1000, off: math.MaxUint64 - 1, size: 1}}}
	if err := m.load(); err == nil {
		t.Error("load of a segment at offset 2^64-2 succeeded")
	}
	if _, ok := m.stringAt(0x1000); ok {
		t.Error("stringAt read from a segment that failed to load")
	}
}

// TestI32Address checks the addresses of WebAssembly data segments at the
// edges of the 32-bit address space.
func TestI32Address(t *testing.T) {
	for _, tt := range []struct {
		v      int64
		want   uint64
		wantOK bool
	}{
		{0, 0, true},
		{0x1000, 0x1000, true},
		{math.MaxInt32, math.MaxInt32, true},
		{math.MaxInt32 + 1, 1 << 31, true}, // written unsigned
		{math.MaxUint32, math.MaxUint32, true},
		{-1, math.MaxUint32, true}, // written signed: the same address
		{math.MinInt32, 1 << 31, true},
		{math.MaxUint32 + 1, 0, false},
		{math.MinInt32 - 1, 0, false},
		{math.MaxInt64, 0, false},
		{math.MinInt64, 0, false},
	} {
		got, ok := i32Address(tt.v)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("i32Address(%d) = %#x, %v; want %#x, %v", tt.v, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestULEB checks LEB128 decoding at its limits: ten bytes at most, and a
// number that does not end is not one.
func TestULEB(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want, n uint64
	}{
		{"\x00", 0, 1},
		{"\x7f", 127, 1},
		{"\x80\x01", 128, 2},
		{"\xe5\x8e\x26rest", 624485, 3},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", math.MaxUint64, 10},
		{"", 0, 0},
		{"\x80", 0, 0}, // does not end
		{"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 0, 0}, // eleven bytes
	} {
		v, n := uleb([]byte(tt.in))
		if v != tt.want || n != tt.n {
			t.Errorf("uleb(%q) = %d, %d; want %d, %d", tt.in, v, n, tt.want, tt.n)
		}
	}
}

// TestWasmDataBounds feeds data sections with out-of-range values to
// wasmData: each is malformed, never a panic or a segment outside b.
func TestWasmDataBounds(t *testing.T) {
	for _, tt := range []struct {
		name    string
		section string
		wantErr bool
		want    []segment
	}{
		{"one segment", "\x01\x00\x41\x80\x20\x0b\x03abc", false, []segment{{addr: 0x1000, off: 100 + 7, size: 3, writable: true}}},
		{"negative address", "\x01\x00\x41\x7f\x0b\x01x", false, []segment{{addr: math.MaxUint32, off: 100 + 6, size: 1, writable: true}}},
		{"address wider than 32 bits", "\x01\x00\x41\x80\x80\x80\x80\x20\x0b\x01x", true, nil},
		{"size past the section", "\x01\x00\x41\x00\x0b\x05abc", true, nil},
		{"huge size", "\x01\x00\x41\x00\x0b\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01abc", true, nil},
		{"huge count", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", true, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			segs, contents, err := wasmData([]byte(tt.section), 100)
			if (err != nil) != tt.wantErr {
				t.Fatalf("wasmData error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if len(segs) != len(tt.want) || len(contents) != len(segs) {
				t.Fatalf("wasmData = %+v (%d contents), want %+v", segs, len(contents), tt.want)
			}
			for i := range segs {
				if segs[i] != tt.want[i] || uint64(len(contents[i])) != segs[i].size {
					t.Errorf("segment %d = %+v with %d bytes, want %+v", i, segs[i], len(contents[i]), tt.want[i])
				}
			}
		})
	}
}

// FuzzWasmData checks that no data section makes wasmData panic or return
// a segment whose contents are not where its offset says.
func FuzzWasmData(f *testing.F) {
	f.Add([]byte("\x01\x00\x41\x80\x20\x0b\x03abc"))
	f.Add([]byte("\x02\x01\x03abc\x00\x41\x7f\x0b\x01x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		const base = 1000
		segs, contents, err := wasmData(b, base)
		if err != nil {
			return
		}
		for i, s := range segs {
			if s.off < base || s.off-base+s.size > uint64(len(b)) || s.addr > math.MaxUint32 {
				t.Fatalf("segment %+v outside a section of %d bytes at %d", s, len(b), base)
			}
			if !bytes.Equal(contents[i], b[s.off-base:s.off-base+s.size]) {
				t.Fatalf("segment %d contents do not match its offset", i)
			}
		}
	})
}
