package binverify

import (
	"debug/pe"
	"encoding/binary"
	"io"

	"github.com/shipline-ci/shipline"
)

// readPE reads a PE executable's header checks and memory image. The
// format implies windows, so there is no OS check.
func readPE(r io.ReaderAt, size int64, t shipline.Target) (*exe, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return nil, corrupt(err)
	}
	if f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 {
		return nil, notExecutable("the PE file is not an image (an object file?)")
	}
	for _, s := range f.Sections {
		if s.Offset == 0 {
			continue // uninitialized data
		}
		if end, ok := within(uint64(s.Offset), uint64(s.Size), size); !ok {
			return nil, truncated("section "+s.Name, end, size)
		}
	}

	a := arches[t.Arch]
	x := &exe{}
	var base uint64
	bits, found := 0, "no optional header"
	switch h := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		bits, found, base = 32, "32-bit (PE32)", uint64(h.ImageBase)
	case *pe.OptionalHeader64:
		bits, found, base = 64, "64-bit (PE32+)", h.ImageBase
	}
	want := bitsName(a.bits) + " (PE32)"
	if a.bits == 64 {
		want = bitsName(a.bits) + " (PE32+)"
	}
	machine := peMachineName(a.pe)
	if a.pe == 0 {
		machine = t.Arch + " (Go has no Windows port)"
	}
	x.checks = append(x.checks,
		check("class", want, found, "PE optional header magic"),
		check("machine", machine, peMachineName(f.Machine), "PE COFF header Machine"),
	)
	if bits == 0 {
		return x, nil
	}

	m := &image{r: r, ptrSize: 4, order: binary.LittleEndian}
	if bits == 64 {
		m.ptrSize = 8
	}
	for _, s := range f.Sections {
		n := min(s.Size, s.VirtualSize)
		if s.VirtualSize == 0 {
			n = s.Size
		}
		if s.Offset == 0 || n == 0 {
			continue
		}
		m.segs = append(m.segs, segment{
			addr:     base + uint64(s.VirtualAddress),
			off:      uint64(s.Offset),
			size:     uint64(n),
			writable: s.Characteristics&pe.IMAGE_SCN_MEM_WRITE != 0,
		})
	}
	m.symbol = func(name string) (uint64, bool) {
		for _, s := range f.Symbols {
			if s.Name == name && s.SectionNumber > 0 && int(s.SectionNumber) <= len(f.Sections) {
				return base + uint64(f.Sections[s.SectionNumber-1].VirtualAddress) + uint64(s.Value), true
			}
		}
		return 0, false
	}
	x.img = m
	return x, nil
}
