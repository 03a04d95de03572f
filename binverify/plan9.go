package binverify

import (
	"debug/plan9obj"
	"encoding/binary"
	"io"

	"github.com/shipline-ci/shipline"
)

// isPlan9Magic reports whether head starts with the magic number of a
// Plan 9 a.out file for an architecture Go supports.
func isPlan9Magic(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	switch binary.BigEndian.Uint32(head) {
	case plan9obj.Magic386, plan9obj.MagicAMD64, plan9obj.MagicARM:
		return true
	}
	return false
}

// readPlan9 reads a Plan 9 a.out executable's header checks. The format
// implies plan9. Its memory image is not read, so Expect.Version is
// checked only through the -ldflags build setting.
func readPlan9(r io.ReaderAt, size int64, t shipline.Target) (*exe, error) {
	f, err := plan9obj.NewFile(r)
	if err != nil {
		return nil, corrupt(err)
	}
	for _, s := range f.Sections {
		if end, ok := within(uint64(s.Offset), uint64(s.Size), size); !ok {
			return nil, truncated("section "+s.Name, end, size)
		}
	}
	a := arches[t.Arch]
	want := plan9MagicName(a.plan9)
	if a.plan9 == 0 {
		want = t.Arch + " (Go has no Plan 9 port)"
	}
	return &exe{checks: []Check{
		check("class", bitsName(a.bits), bitsName(f.PtrSize*8), "a.out magic (Magic64 flag)"),
		check("machine", want, plan9MagicName(f.Magic), "a.out magic"),
	}}, nil
}
