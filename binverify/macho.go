package binverify

import (
	"debug/macho"
	"fmt"
	"io"

	"github.com/shipline-ci/shipline"
)

// Mach-O load commands debug/macho does not name.
const (
	lcBuildVersion      = 0x32
	lcVersionMinMacOSX  = 0x24
	lcVersionMinIPhone  = 0x25
	lcVersionMinTVOS    = 0x2f
	lcVersionMinWatchOS = 0x30
	vmProtWrite         = 2
)

// machoPlatforms names the platforms of LC_BUILD_VERSION.
var machoPlatforms = map[uint32]string{
	1: "macOS", 2: "iOS", 3: "tvOS", 4: "watchOS", 5: "bridgeOS", 6: "Mac Catalyst",
	7: "iOS simulator", 8: "tvOS simulator", 9: "watchOS simulator", 10: "DriverKit",
	11: "visionOS", 12: "visionOS simulator",
}

// readMachO reads a Mach-O executable's header checks and memory image.
func readMachO(r io.ReaderAt, size int64, t shipline.Target) (*exe, error) {
	f, err := macho.NewFile(r)
	if err != nil {
		return nil, corrupt(err)
	}
	switch f.Type {
	case macho.TypeExec, macho.TypeDylib, macho.TypeBundle:
	default:
		return nil, notExecutable("the Mach-O file type is %s", f.Type)
	}
	var segs []*macho.Segment
	for _, l := range f.Loads {
		if s, ok := l.(*macho.Segment); ok {
			if end, ok := within(s.Offset, s.Filesz, size); !ok {
				return nil, truncated("segment "+s.Name, end, size)
			}
			segs = append(segs, s)
		}
	}

	a := arches[t.Arch]
	bits := 32
	if f.Magic == macho.Magic64 {
		bits = 64
	}
	x := &exe{}
	want := a.macho.String()
	if a.macho == 0 {
		want = t.Arch + " (Go has no Mach-O port)"
	}
	x.checks = append(x.checks,
		check("class", bitsName(a.bits), bitsName(bits), "Mach-O magic"),
		check("machine", want, f.Cpu.String(), "Mach-O cputype"),
	)
	if formatOf(t.OS) == FormatMachO {
		x.checks = append(x.checks, machoOSCheck(f, t.OS))
	}

	m := &image{r: r, ptrSize: 4, order: f.ByteOrder}
	if bits == 64 {
		m.ptrSize = 8
	}
	for _, s := range segs {
		if s.Filesz > 0 && s.Name != "__LINKEDIT" && s.Name != "__DWARF" && s.Prot != 0 {
			m.segs = append(m.segs, segment{addr: s.Addr, off: s.Offset, size: s.Filesz, writable: s.Prot&vmProtWrite != 0})
		}
	}
	m.symbol = func(name string) (uint64, bool) {
		if f.Symtab == nil {
			return 0, false
		}
		for _, s := range f.Symtab.Syms {
			if (s.Name == name || s.Name == "_"+name) && s.Sect != 0 {
				return s.Value, true
			}
		}
		return 0, false
	}
	x.img = m
	return x, nil
}

// machoOSCheck compares the platform f's load commands name with goos's.
func machoOSCheck(f *macho.File, goos string) Check {
	want := "macOS"
	if goos == "ios" {
		want = "iOS"
	}
	found, source := "not recorded", "Mach-O LC_BUILD_VERSION"
	for _, l := range f.Loads {
		b := l.Raw()
		if len(b) < 12 {
			continue
		}
		switch f.ByteOrder.Uint32(b) {
		case lcBuildVersion:
			p := f.ByteOrder.Uint32(b[8:])
			found = machoPlatforms[p]
			if found == "" {
				found = fmt.Sprintf("platform %d", p)
			}
		case lcVersionMinMacOSX:
			found, source = "macOS", "Mach-O LC_VERSION_MIN_MACOSX"
		case lcVersionMinIPhone:
			found, source = "iOS", "Mach-O LC_VERSION_MIN_IPHONEOS"
		case lcVersionMinTVOS:
			found, source = "tvOS", "Mach-O LC_VERSION_MIN_TVOS"
		case lcVersionMinWatchOS:
			found, source = "watchOS", "Mach-O LC_VERSION_MIN_WATCHOS"
		default:
			continue
		}
		break // the first platform command decides
	}
	c := check("os", want, found, source)
	if goos == "ios" && found == "iOS simulator" {
		c.OK = true
	}
	return c
}
