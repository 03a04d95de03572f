package binverify

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
)

// Values debug/elf does not name.
const (
	ptSunwStack      = elf.ProgType(0x6ffffffb) // PT_SUNWSTACK: Solaris and illumos
	shtMipsAbiflags  = elf.SectionType(0x7000002a)
	mipsFPABISoft    = 3          // Val_GNU_MIPS_ABI_FP_SOFT
	efARMEABIMask    = 0xff000000 // EF_ARM_EABIMASK
	maxNoteBytes     = 1 << 16    // OS notes are a few dozen bytes
	maxInterpBytes   = 4096
	elf32FlagsOffset = 36
	elf64FlagsOffset = 48
)

// readELF reads an ELF executable's header checks and memory image.
func readELF(r io.ReaderAt, size int64, t shipline.Target) (*exe, error) {
	// A file shorter than its ELF header is truncated; say so here rather
	// than rely on how debug/elf words its error, which changes between Go
	// releases.
	if size < elfHeaderSize(r) {
		return nil, &fileErr{why: "is truncated: the headers end early", err: io.ErrUnexpectedEOF}
	}
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, corrupt(err)
	}
	switch f.Type {
	case elf.ET_EXEC, elf.ET_DYN:
	default:
		return nil, notExecutable("the ELF type is %s", f.Type)
	}
	for i, p := range f.Progs {
		if p.Type == elf.PT_LOAD || p.Type == elf.PT_NOTE || p.Type == elf.PT_INTERP {
			if end, ok := within(p.Off, p.Filesz, size); !ok {
				return nil, truncated(fmt.Sprintf("program header %d (%s)", i, p.Type), end, size)
			}
		}
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS || s.Type == elf.SHT_NULL {
			continue
		}
		if end, ok := within(s.Offset, s.FileSize, size); !ok {
			return nil, truncated("section "+s.Name, end, size)
		}
	}

	a := arches[t.Arch]
	x := &exe{}
	bits := 32
	if f.Class == elf.ELFCLASS64 {
		bits = 64
	}
	big := f.Data == elf.ELFDATA2MSB
	x.checks = append(x.checks,
		check("class", bitsName(a.bits), bitsName(bits), "ELF e_ident[EI_CLASS]"),
		check("byte-order", orderName(a.bigEndian), orderName(big), "ELF e_ident[EI_DATA]"),
		check("machine", elfMachineName(a, t.Arch), f.Machine.String(), "ELF e_machine"),
	)
	if formatOf(t.OS) == FormatELF {
		x.checks = append(x.checks, elfOSCheck(f, t.OS))
	}
	if f.Machine == elf.EM_ARM && t.Arch == "arm" && (t.OS == "linux" || t.OS == "android" || t.OS == "freebsd" || t.OS == "netbsd") {
		flags, ok := elfFlags(r, f)
		found := "unreadable"
		if ok {
			found = fmt.Sprintf("EABI version %d", flags>>24)
			if flags&efARMEABIMask == 0 {
				found = "no EABI version (e_flags 0)"
			}
		}
		x.checks = append(x.checks, check("eabi", "EABI version 5", found, "ELF e_flags (EF_ARM_EABIMASK)"))
	}
	if f.Machine == elf.EM_MIPS && f.Class == elf.ELFCLASS32 {
		x.mipsSeen = true
		if s := f.SectionByType(shtMipsAbiflags); s != nil && s.FileSize >= 8 {
			b := make([]byte, 8)
			if _, err := s.ReadAt(b, 0); err == nil {
				x.mipsFloat = "hardfloat"
				if b[7] == mipsFPABISoft {
					x.mipsFloat = "softfloat"
				}
			}
		}
	}
	x.img = elfImage(r, f)
	return x, nil
}

// within reports whether off+n lies within a file of size bytes, and
// returns the end (saturated on overflow).
func within(off, n uint64, size int64) (uint64, bool) {
	end := off + n
	if end < off {
		return ^uint64(0), false
	}
	if size < 0 {
		return end, false // no file is shorter than empty
	}
	return end, end <= uint64(size)
}

// elfMachineName is the e_machine that goarch's binaries carry.
func elfMachineName(a arch, goarch string) string {
	if a.elf == elf.EM_NONE {
		return goarch + " (Go has no ELF port)"
	}
	return a.elf.String()
}

// elfFlags reads e_flags, which debug/elf does not expose.
func elfFlags(r io.ReaderAt, f *elf.File) (uint32, bool) {
	off := int64(elf32FlagsOffset)
	if f.Class == elf.ELFCLASS64 {
		off = elf64FlagsOffset
	}
	b := make([]byte, 4)
	if _, err := r.ReadAt(b, off); err != nil {
		return 0, false
	}
	return f.ByteOrder.Uint32(b), true
}

// ELF OS families, as the header can tell them apart.
const (
	osLinux     = "Linux"
	osDragonFly = "DragonFly"
	osAndroid   = "Android"
	osFreeBSD   = "FreeBSD"
	osNetBSD    = "NetBSD"
	osOpenBSD   = "OpenBSD"
	osSolaris   = "Solaris/illumos"
)

// elfOSWant is, for each ELF GOOS, the marker its binaries must carry
// and whether they may carry none (a static linux or dragonfly binary has
// none: Go writes OS/ABI 0 and no OS note for them).
var elfOSWant = map[string]struct {
	family   string
	unmarked bool
}{
	"linux":     {osLinux, true},
	"dragonfly": {osDragonFly, true},
	"android":   {osAndroid, false},
	"freebsd":   {osFreeBSD, false},
	"netbsd":    {osNetBSD, false},
	"openbsd":   {osOpenBSD, false},
	"solaris":   {osSolaris, false},
	"illumos":   {osSolaris, false},
}

// elfOSCheck compares the OS markers of f with those goos's binaries have.
func elfOSCheck(f *elf.File, goos string) Check {
	want := elfOSWant[goos]
	families, evidence := elfOSMarkers(f)
	ok := false
	switch len(families) {
	case 0:
		ok = want.unmarked
	case 1:
		ok = families[0] == want.family
	}
	expected := want.family
	if want.unmarked {
		expected = want.family + " or none"
	}
	found := "none"
	if len(families) > 0 {
		found = strings.Join(families, " and ")
	}
	if len(evidence) > 0 {
		found += " (" + strings.Join(evidence, ", ") + ")"
	} else {
		found += " (OS/ABI 0, no OS note, no interpreter)"
	}
	return Check{Field: "os", Expected: expected, Found: found, OK: ok, Source: "ELF OS/ABI, OS notes, PT_INTERP, PT_SUNWSTACK"}
}

// elfOSMarkers returns the OS families f's header points at, sorted, and
// what points at them.
func elfOSMarkers(f *elf.File) (families, evidence []string) {
	add := func(family, why string) {
		if !slices.Contains(families, family) {
			families = append(families, family)
		}
		if !slices.Contains(evidence, why) {
			evidence = append(evidence, why)
		}
	}
	switch f.OSABI {
	case elf.ELFOSABI_NONE, elf.ELFOSABI_LINUX:
	case elf.ELFOSABI_FREEBSD:
		add(osFreeBSD, "OS/ABI FreeBSD")
	case elf.ELFOSABI_NETBSD:
		add(osNetBSD, "OS/ABI NetBSD")
	case elf.ELFOSABI_OPENBSD:
		add(osOpenBSD, "OS/ABI OpenBSD")
	case elf.ELFOSABI_SOLARIS:
		add(osSolaris, "OS/ABI Solaris")
	default:
		add(strings.TrimPrefix(f.OSABI.String(), "ELFOSABI_"), "OS/ABI "+f.OSABI.String())
	}
	for _, name := range elfNoteNames(f) {
		switch name {
		case "FreeBSD":
			add(osFreeBSD, "FreeBSD note")
		case "NetBSD":
			add(osNetBSD, "NetBSD note")
		case "OpenBSD":
			add(osOpenBSD, "OpenBSD note")
		case "Android":
			add(osAndroid, "Android note")
		}
	}
	if interp := elfInterp(f); interp != "" {
		why := "PT_INTERP " + interp
		switch {
		case strings.HasPrefix(interp, "/system/bin/linker"):
			add(osAndroid, why)
		case strings.HasSuffix(interp, "/ld.so.1") && !strings.Contains(interp, "ld-linux"):
			add(osSolaris, why)
		case interp == "/usr/libexec/ld.so":
			add(osOpenBSD, why)
		case interp == "/usr/libexec/ld.elf_so":
			add(osNetBSD, why)
		case strings.HasPrefix(interp, "/libexec/ld-elf"):
			add(osFreeBSD, why)
		case strings.HasPrefix(interp, "/usr/libexec/ld-elf"):
			add(osDragonFly, why)
		case strings.Contains(interp, "ld-linux") || strings.Contains(interp, "ld-musl") || strings.Contains(interp, "ld64.so"):
			add(osLinux, why)
		default:
			evidence = append(evidence, why)
		}
	}
	for _, p := range f.Progs {
		if p.Type == ptSunwStack {
			add(osSolaris, "PT_SUNWSTACK")
			break
		}
	}
	slices.Sort(families)
	return families, evidence
}

// elfNoteNames returns the owner names of f's notes, from its note
// sections or, when it has no section headers, its PT_NOTE segments.
func elfNoteNames(f *elf.File) []string {
	var blobs [][]byte
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOTE && s.FileSize <= maxNoteBytes {
			if b, err := s.Data(); err == nil {
				blobs = append(blobs, b)
			}
		}
	}
	if len(f.Sections) == 0 {
		for _, p := range f.Progs {
			if p.Type == elf.PT_NOTE && p.Filesz <= maxNoteBytes {
				b := make([]byte, p.Filesz)
				if _, err := p.ReadAt(b, 0); err == nil {
					blobs = append(blobs, b)
				}
			}
		}
	}
	var names []string
	for _, b := range blobs {
		names = append(names, noteNames(b, f.ByteOrder)...)
	}
	return names
}

// noteNames parses a run of ELF notes (namesz, descsz, type, name, desc,
// each padded to 4 bytes) and returns their names.
func noteNames(b []byte, order binary.ByteOrder) []string {
	var names []string
	for len(b) >= 12 {
		namesz, descsz := uint64(order.Uint32(b)), uint64(order.Uint32(b[4:]))
		b = b[12:]
		pn, pd := (namesz+3)&^3, (descsz+3)&^3
		if pn > uint64(len(b)) || pd > uint64(len(b))-pn {
			break
		}
		names = append(names, string(bytes.TrimRight(b[:namesz], "\x00")))
		b = b[pn+pd:]
	}
	return names
}

// elfInterp returns f's PT_INTERP path, or "".
func elfInterp(f *elf.File) string {
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP && p.Filesz <= maxInterpBytes {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				return string(bytes.TrimRight(b, "\x00"))
			}
		}
	}
	return ""
}

// elfImage returns f's loadable segments, symbol table and RELATIVE
// relocations as an image.
func elfImage(r io.ReaderAt, f *elf.File) *image {
	m := &image{r: r, ptrSize: 4, order: f.ByteOrder}
	if f.Class == elf.ELFCLASS64 {
		m.ptrSize = 8
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Filesz > 0 {
			m.segs = append(m.segs, segment{addr: p.Vaddr, off: p.Off, size: p.Filesz, writable: p.Flags&elf.PF_W != 0})
		}
	}
	var syms []elf.Symbol
	read := false
	m.symbol = func(name string) (uint64, bool) {
		if !read {
			syms, _ = f.Symbols()
			read = true
		}
		for _, s := range syms {
			if s.Name == name && elf.ST_TYPE(s.Info) == elf.STT_OBJECT {
				return s.Value, true
			}
		}
		return 0, false
	}
	if rel, ok := elfRelative(f.Machine); ok && f.Class == elf.ELFCLASS64 {
		var relocs map[uint64]uint64
		m.relocs = func() map[uint64]uint64 {
			if relocs == nil {
				relocs = elfRelocs(f, rel)
			}
			return relocs
		}
	}
	return m
}

// elfRelative returns the RELATIVE relocation type of a 64-bit machine
// whose position-independent executables use RELA relocations, where the
// pointer's value is in the relocation, not in the data.
func elfRelative(m elf.Machine) (uint32, bool) {
	switch m {
	case elf.EM_X86_64:
		return uint32(elf.R_X86_64_RELATIVE), true
	case elf.EM_AARCH64:
		return uint32(elf.R_AARCH64_RELATIVE), true
	case elf.EM_PPC64:
		return uint32(elf.R_PPC64_RELATIVE), true
	case elf.EM_RISCV:
		return uint32(elf.R_RISCV_RELATIVE), true
	case elf.EM_S390:
		return uint32(elf.R_390_RELATIVE), true
	case elf.EM_LOONGARCH:
		return uint32(elf.R_LARCH_RELATIVE), true
	}
	return 0, false
}

// elfRelocs returns the addends of f's RELATIVE RELA relocations of type
// rel, by the address they patch.
func elfRelocs(f *elf.File, rel uint32) map[uint64]uint64 {
	relocs := make(map[uint64]uint64)
	for _, s := range f.Sections {
		if s.Type != elf.SHT_RELA {
			continue
		}
		b, err := s.Data()
		if err != nil {
			continue
		}
		for ; len(b) >= 24; b = b[24:] {
			off, info, add := f.ByteOrder.Uint64(b), f.ByteOrder.Uint64(b[8:]), f.ByteOrder.Uint64(b[16:])
			if elf.R_TYPE64(info) == rel {
				relocs[off] = add
			}
		}
	}
	return relocs
}

// elfHeaderSize returns the size of the ELF file header for the class in
// the identification bytes at the start of r: 52 bytes for 32-bit files,
// 64 for 64-bit ones, and the 16 identification bytes themselves when
// they cannot be read or name no class.
func elfHeaderSize(r io.ReaderAt) int64 {
	var ident [elf.EI_NIDENT]byte
	if _, err := r.ReadAt(ident[:], 0); err != nil {
		return elf.EI_NIDENT
	}
	switch elf.Class(ident[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
		return 52
	case elf.ELFCLASS64:
		return 64
	}
	return elf.EI_NIDENT
}
