package binverify

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/shipline-ci/shipline"
)

// XCOFF values; the standard library's XCOFF reader is internal, so
// readXCOFF reads the few fields it needs itself.
const (
	xcoffMagic32   = 0x01df // U802TOCMAGIC
	xcoffMagic64   = 0x01f7 // U64_TOCMAGIC
	xcoffFExec     = 0x0002 // F_EXEC
	xcoffStypText  = 0x0020
	xcoffStypData  = 0x0040
	xcoffMaxScns   = 1024 // Go writes a handful
	xcoffHdr32     = 20
	xcoffHdr64     = 24
	xcoffScnHdr32  = 40
	xcoffScnHdr64  = 72
	xcoffOpthdrOff = 16 // f_opthdr, in both headers
	xcoffFlagsOff  = 18 // f_flags, in both headers
)

// readXCOFF reads an XCOFF (AIX) executable: its magic number, which gives
// the word size and, AIX running only on POWER, the machine; the F_EXEC
// flag; and its section table, to find truncation and map the text and
// data for reading Go strings. The format implies aix, so there is no OS
// check.
func readXCOFF(r io.ReaderAt, size int64, t shipline.Target) (*exe, error) {
	hdr := make([]byte, xcoffHdr64)
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return nil, corrupt(err)
	}
	be := binary.BigEndian
	var bits, hdrSize, scnSize int
	var found string
	switch m := be.Uint16(hdr); m {
	case xcoffMagic32:
		bits, hdrSize, scnSize, found = 32, xcoffHdr32, xcoffScnHdr32, "ppc (U802TOCMAGIC)"
	case xcoffMagic64:
		bits, hdrSize, scnSize, found = 64, xcoffHdr64, xcoffScnHdr64, "ppc64 (U64_TOCMAGIC)"
	default:
		return nil, corrupt(fmt.Errorf("XCOFF magic %#04x", m))
	}
	nscns := int(be.Uint16(hdr[2:]))
	opthdr := int(be.Uint16(hdr[xcoffOpthdrOff:]))
	flags := be.Uint16(hdr[xcoffFlagsOff:])
	if flags&xcoffFExec == 0 {
		return nil, notExecutable("the XCOFF file has no F_EXEC flag (an object file?)")
	}
	if nscns > xcoffMaxScns {
		return nil, corrupt(fmt.Errorf("%d sections", nscns))
	}
	scns := make([]byte, nscns*scnSize)
	start := int64(hdrSize + opthdr)
	if _, err := r.ReadAt(scns, start); err != nil {
		return nil, corrupt(err)
	}
	m := &image{r: r, ptrSize: 4, order: be}
	if bits == 64 {
		m.ptrSize = 8
	}
	for i := range nscns {
		s := scns[i*scnSize:]
		name := string(trimNUL(s[:8]))
		var vaddr, size64, ptr uint64
		var sflags uint32
		if bits == 64 {
			vaddr, size64, ptr, sflags = be.Uint64(s[16:]), be.Uint64(s[24:]), be.Uint64(s[32:]), be.Uint32(s[64:])
		} else {
			vaddr, size64, ptr, sflags = uint64(be.Uint32(s[12:])), uint64(be.Uint32(s[16:])), uint64(be.Uint32(s[20:])), be.Uint32(s[36:])
		}
		if ptr == 0 {
			continue // .bss and the like have no data in the file
		}
		if end, ok := within(ptr, size64, size); !ok {
			return nil, truncated("section "+name, end, size)
		}
		if sflags&(xcoffStypText|xcoffStypData) != 0 && size64 > 0 {
			m.segs = append(m.segs, segment{addr: vaddr, off: ptr, size: size64, writable: sflags&xcoffStypData != 0})
		}
	}

	a := arches[t.Arch]
	want := t.Arch + " (Go has no XCOFF port)"
	if t.Arch == "ppc64" {
		want = "ppc64 (U64_TOCMAGIC)"
	}
	return &exe{
		checks: []Check{
			check("class", bitsName(a.bits), bitsName(bits), "XCOFF magic"),
			check("machine", want, found, "XCOFF magic"),
		},
		img: m,
	}, nil
}

// trimNUL returns b up to its first NUL byte.
func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}
