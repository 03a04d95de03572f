package binverify

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
)

// WebAssembly section ids.
const (
	wasmImportSection = 2
	wasmDataSection   = 11
)

// wasmHosts maps the module a Go WebAssembly binary imports its host
// functions from to its GOOS.
var wasmHosts = map[string]string{
	"gojs":                   "js",
	"wasi_snapshot_preview1": "wasip1",
}

// readWasm reads a WebAssembly module's header checks and memory image
// (its active data segments). debug/buildinfo does not read WebAssembly;
// readBuildInfo finds the build information in the data segments itself.
func readWasm(r io.ReaderAt, size int64, t shipline.Target) (*exe, error) {
	mod, err := parseWasm(r, size)
	if err != nil {
		return nil, err
	}
	x := &exe{}
	want := "wasm"
	if t.Arch != "wasm" {
		want = t.Arch + " (not WebAssembly)"
	}
	x.checks = append(x.checks, check("machine", want, "wasm", "WebAssembly magic"))
	if formatOf(t.OS) == FormatWasm {
		var hosts []string
		for _, m := range mod.imports {
			if goos, ok := wasmHosts[m]; ok && !slices.Contains(hosts, goos) {
				hosts = append(hosts, goos)
			}
		}
		found := "no Go host imports"
		if len(hosts) > 0 {
			slices.Sort(hosts)
			found = strings.Join(hosts, " and ")
		}
		x.checks = append(x.checks, check("os", t.OS, found, "WebAssembly import module names"))
	}
	// The data section was read whole: the image holds slices of it
	// rather than reading thousands of small segments one by one.
	x.img = &image{r: r, ptrSize: 8, order: binary.LittleEndian, segs: mod.data, data: mod.contents}
	if x.img.data == nil {
		x.img.data = [][]byte{}
	}
	return x, nil
}

// wasmModule is what readWasm needs from a module.
type wasmModule struct {
	imports  []string // module names of the imports, in order
	data     []segment
	contents [][]byte // of data
}

// errWasm is the error for a malformed module.
var errWasm = errors.New("malformed WebAssembly module")

// parseWasm reads the import and data sections of a WebAssembly module.
func parseWasm(r io.ReaderAt, size int64) (*wasmModule, error) {
	head := make([]byte, 8)
	if _, err := r.ReadAt(head, 0); err != nil {
		return nil, corrupt(err)
	}
	if string(head[:4]) != "\x00asm" {
		return nil, corrupt(errWasm)
	}
	if v := binary.LittleEndian.Uint32(head[4:]); v != 1 {
		return nil, notExecutable("WebAssembly binary format version %d; Go writes version 1", v)
	}
	if size < 0 {
		return nil, corrupt(fmt.Errorf("negative file size %d", size))
	}
	mod := &wasmModule{}
	end := uint64(size)
	off := uint64(8)
	for off < end {
		// A section: id byte, size (LEB128), contents.
		hdr := make([]byte, min(end-off, 11))
		if _, err := readAt(r, hdr, off); err != nil && err != io.EOF {
			return nil, corrupt(err)
		}
		id := hdr[0]
		n, k := uleb(hdr[1:])
		if k == 0 {
			return nil, corrupt(errWasm)
		}
		start := off + 1 + k
		if e, ok := within(start, n, size); !ok {
			return nil, truncated("WebAssembly section", e, size)
		}
		if id == wasmImportSection || id == wasmDataSection {
			b := make([]byte, n)
			if _, err := readAt(r, b, start); err != nil {
				return nil, corrupt(err)
			}
			var err error
			if id == wasmImportSection {
				mod.imports, err = wasmImports(b)
			} else {
				mod.data, mod.contents, err = wasmData(b, start)
			}
			if err != nil {
				return nil, corrupt(err)
			}
		}
		off = start + n
	}
	return mod, nil
}

// wasmImports returns the module names of an import section's entries.
func wasmImports(b []byte) ([]string, error) {
	d := decoder{b: b}
	n := d.uleb()
	var mods []string
	for i := uint64(0); i < n && d.err == nil; i++ {
		mods = append(mods, string(d.bytes()))
		d.bytes() // field name
		switch d.byte() {
		case 0: // function: type index
			d.uleb()
		case 1: // table: reference type, limits
			d.byte()
			d.limits()
		case 2: // memory: limits
			d.limits()
		case 3: // global: value type, mutability
			d.byte()
			d.byte()
		case 4: // tag: attribute, type index
			d.byte()
			d.uleb()
		default:
			d.err = errWasm
		}
	}
	return mods, d.err
}

// wasmData returns the active data segments of a data section b that
// starts at file offset base: each one's memory address, file offset and
// size, and its contents, a slice of b.
func wasmData(b []byte, base uint64) ([]segment, [][]byte, error) {
	d := decoder{b: b}
	n := d.uleb()
	// A segment takes at least 5 bytes; Go writes tens of thousands.
	segs := make([]segment, 0, min(n, uint64(len(b)/5)))
	contents := make([][]byte, 0, cap(segs))
	for i := uint64(0); i < n && d.err == nil; i++ {
		flags := d.uleb()
		active := flags == 0 || flags == 2
		if flags == 2 {
			d.uleb() // memory index
		}
		var addr uint64
		if active {
			// The offset: a constant expression, i32.const N end for Go.
			if d.byte() != 0x41 {
				return nil, nil, errWasm
			}
			a, ok := i32Address(d.sleb())
			if !ok || d.byte() != 0x0b {
				return nil, nil, errWasm
			}
			addr = a
		} else if flags != 1 {
			return nil, nil, errWasm
		}
		size := d.uleb()
		off := d.off
		d.skip(size)
		if active && d.err == nil && size > 0 {
			segs = append(segs, segment{addr: addr, off: base + off, size: size, writable: true})
			contents = append(contents, b[off:d.off])
		}
	}
	return segs, contents, d.err
}

// i32Address returns the memory address that an i32.const offset
// expression v gives a data segment: v as an unsigned 32-bit number. A
// valid i32.const is a signed 32-bit number; one written as unsigned (as
// large as 1<<32-1) is taken as the same address. Anything wider is
// malformed, and ok is false.
func i32Address(v int64) (addr uint64, ok bool) {
	switch {
	case v >= 0 && v <= math.MaxUint32:
		return uint64(v), true
	case v < 0 && v >= math.MinInt32:
		return uint64(v + 1<<32), true
	}
	return 0, false
}

// uleb decodes an unsigned LEB128 number and returns it and its length,
// which is 0 when b does not hold a valid one of at most 10 bytes.
func uleb(b []byte) (uint64, uint64) {
	var v uint64
	for i := uint64(0); i < 10 && i < uint64(len(b)); i++ {
		c := b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// decoder reads WebAssembly values from b; the first error sticks.
type decoder struct {
	b   []byte
	off uint64 // always at most len(b)
	err error
}

func (d *decoder) byte() byte {
	if d.err != nil || d.off >= uint64(len(d.b)) {
		d.err = errWasm
		return 0
	}
	c := d.b[d.off]
	d.off++
	return c
}

func (d *decoder) uleb() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := uleb(d.b[d.off:])
	if n == 0 {
		d.err = errWasm
	}
	d.off += n
	return v
}

func (d *decoder) sleb() int64 {
	var v int64
	var shift uint
	for i := 0; i < 10; i++ {
		c := d.byte()
		if d.err != nil {
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
	d.err = errWasm
	return 0
}

func (d *decoder) skip(n uint64) {
	if d.err != nil || n > uint64(len(d.b))-d.off {
		d.err = errWasm
		return
	}
	d.off += n
}

func (d *decoder) bytes() []byte {
	n := d.uleb()
	start := d.off
	d.skip(n)
	if d.err != nil {
		return nil
	}
	return d.b[start:d.off]
}

func (d *decoder) limits() {
	if d.byte()&1 != 0 {
		d.uleb()
		d.uleb()
		return
	}
	d.uleb()
}
