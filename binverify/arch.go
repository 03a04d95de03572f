package binverify

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"debug/plan9obj"
	"fmt"
	"strings"

	"github.com/shipline-ci/shipline"
)

// The executable formats Verify recognises, as Report.Format names them.
const (
	FormatELF   = "elf"
	FormatMachO = "macho"
	FormatPE    = "pe"
	FormatPlan9 = "plan9" // Plan 9 a.out
	FormatWasm  = "wasm"
	FormatXCOFF = "xcoff" // AIX; only its magic number is read
)

// formatOf returns the executable format the Go linker writes for goos,
// or "" for an operating system it does not know.
func formatOf(goos string) string {
	switch goos {
	case "linux", "android", "freebsd", "netbsd", "openbsd", "dragonfly", "solaris", "illumos":
		return FormatELF
	case "darwin", "ios":
		return FormatMachO
	case "windows":
		return FormatPE
	case "plan9":
		return FormatPlan9
	case "js", "wasip1":
		return FormatWasm
	case "aix":
		return FormatXCOFF
	}
	return ""
}

// arch is what an executable's header says about a GOARCH.
type arch struct {
	bits      int         // 32 or 64: ELF class, Mach-O magic, PE optional header
	bigEndian bool        // ELF data encoding
	elf       elf.Machine //
	macho     macho.Cpu   // 0 when Go has no Mach-O port
	pe        uint16      // 0 when Go has no Windows port
	plan9     uint32      // 0 when Go has no Plan 9 port
}

// arches maps every GOARCH that `go tool dist list` knows to its header
// values. mips64 and mips64le differ only in byte order, as do ppc64 and
// ppc64le and mips and mipsle.
var arches = map[string]arch{
	"386":      {bits: 32, elf: elf.EM_386, pe: pe.IMAGE_FILE_MACHINE_I386, plan9: plan9obj.Magic386},
	"amd64":    {bits: 64, elf: elf.EM_X86_64, macho: macho.CpuAmd64, pe: pe.IMAGE_FILE_MACHINE_AMD64, plan9: plan9obj.MagicAMD64},
	"arm":      {bits: 32, elf: elf.EM_ARM, pe: pe.IMAGE_FILE_MACHINE_ARMNT, plan9: plan9obj.MagicARM},
	"arm64":    {bits: 64, elf: elf.EM_AARCH64, macho: macho.CpuArm64, pe: pe.IMAGE_FILE_MACHINE_ARM64},
	"loong64":  {bits: 64, elf: elf.EM_LOONGARCH},
	"mips":     {bits: 32, bigEndian: true, elf: elf.EM_MIPS},
	"mipsle":   {bits: 32, elf: elf.EM_MIPS},
	"mips64":   {bits: 64, bigEndian: true, elf: elf.EM_MIPS},
	"mips64le": {bits: 64, elf: elf.EM_MIPS},
	"ppc64":    {bits: 64, bigEndian: true, elf: elf.EM_PPC64},
	"ppc64le":  {bits: 64, elf: elf.EM_PPC64},
	"riscv64":  {bits: 64, elf: elf.EM_RISCV},
	"s390x":    {bits: 64, bigEndian: true, elf: elf.EM_S390},
	"wasm":     {bits: 64},
}

// bitsName is how a report shows a word size.
func bitsName(bits int) string { return fmt.Sprintf("%d-bit", bits) }

// orderName is how a report shows a byte order.
func orderName(big bool) string {
	if big {
		return "big-endian"
	}
	return "little-endian"
}

// peMachineName names a PE machine type as debug/pe's constants do.
func peMachineName(m uint16) string {
	switch m {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "IMAGE_FILE_MACHINE_AMD64"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "IMAGE_FILE_MACHINE_ARM64"
	case pe.IMAGE_FILE_MACHINE_I386:
		return "IMAGE_FILE_MACHINE_I386"
	case pe.IMAGE_FILE_MACHINE_ARMNT:
		return "IMAGE_FILE_MACHINE_ARMNT"
	case pe.IMAGE_FILE_MACHINE_ARM:
		return "IMAGE_FILE_MACHINE_ARM"
	case pe.IMAGE_FILE_MACHINE_IA64:
		return "IMAGE_FILE_MACHINE_IA64"
	case pe.IMAGE_FILE_MACHINE_RISCV64:
		return "IMAGE_FILE_MACHINE_RISCV64"
	case pe.IMAGE_FILE_MACHINE_LOONGARCH64:
		return "IMAGE_FILE_MACHINE_LOONGARCH64"
	}
	return fmt.Sprintf("PE machine %#x", m)
}

// plan9MagicName names a Plan 9 a.out magic number.
func plan9MagicName(m uint32) string {
	switch m {
	case plan9obj.Magic386:
		return "Magic386"
	case plan9obj.MagicAMD64:
		return "MagicAMD64"
	case plan9obj.MagicARM:
		return "MagicARM"
	}
	return fmt.Sprintf("a.out magic %#x", m)
}

// variantKey returns the build setting that holds arch's variant
// ("GOARM" for arm), or "" when the architecture has none. It asks
// shipline.Target.VariantEnv, so that the two never disagree.
func variantKey(goarch string) string {
	env := shipline.Target{Arch: goarch, Variant: "-"}.VariantEnv()
	key, _, _ := strings.Cut(env, "=")
	return key
}

// sameVariant reports whether two values of the build setting key select
// the same code. Only GOARM has equivalent spellings: its float mode
// defaults to softfloat for 5 and hardfloat for 6 and 7, so "7" and
// "7,hardfloat" are the same build.
func sameVariant(key, want, got string) bool {
	if key != "GOARM" {
		return want == got
	}
	norm := func(v string) string {
		v, float, ok := strings.Cut(v, ",")
		if !ok {
			float = "hardfloat"
			if v == "5" {
				float = "softfloat"
			}
		}
		return v + "," + float
	}
	return norm(want) == norm(got)
}
