package build

import (
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"

	"github.com/shipline-ci/shipline"
)

// crossCompilers are the Debian cross compilers that a cgo build uses for
// a target other than the host when its config names none, by GOOS/GOARCH
// (or GOOS/GOARCH/VARIANT where the variant needs another compiler).
var crossCompilers = map[string]string{
	"linux/amd64":    "x86_64-linux-gnu-gcc",
	"linux/386":      "i686-linux-gnu-gcc",
	"linux/arm64":    "aarch64-linux-gnu-gcc",
	"linux/arm":      "arm-linux-gnueabihf-gcc",
	"linux/arm/v5":   "arm-linux-gnueabi-gcc",
	"linux/arm/v6":   "arm-linux-gnueabi-gcc",
	"linux/mips":     "mips-linux-gnu-gcc",
	"linux/mipsle":   "mipsel-linux-gnu-gcc",
	"linux/mips64":   "mips64-linux-gnuabi64-gcc",
	"linux/mips64le": "mips64el-linux-gnuabi64-gcc",
	"linux/ppc64le":  "powerpc64le-linux-gnu-gcc",
	"linux/riscv64":  "riscv64-linux-gnu-gcc",
	"linux/s390x":    "s390x-linux-gnu-gcc",
	"windows/amd64":  "x86_64-w64-mingw32-gcc",
	"windows/386":    "i686-w64-mingw32-gcc",
}

// debianPackages names the Debian package that provides each C compiler.
var debianPackages = map[string]string{
	"gcc":                         "gcc",
	"cc":                          "gcc",
	"clang":                       "clang",
	"x86_64-linux-gnu-gcc":        "gcc-x86-64-linux-gnu",
	"i686-linux-gnu-gcc":          "gcc-i686-linux-gnu",
	"aarch64-linux-gnu-gcc":       "gcc-aarch64-linux-gnu",
	"arm-linux-gnueabihf-gcc":     "gcc-arm-linux-gnueabihf",
	"arm-linux-gnueabi-gcc":       "gcc-arm-linux-gnueabi",
	"mips-linux-gnu-gcc":          "gcc-mips-linux-gnu",
	"mipsel-linux-gnu-gcc":        "gcc-mipsel-linux-gnu",
	"mips64-linux-gnuabi64-gcc":   "gcc-mips64-linux-gnuabi64",
	"mips64el-linux-gnuabi64-gcc": "gcc-mips64el-linux-gnuabi64",
	"powerpc64le-linux-gnu-gcc":   "gcc-powerpc64le-linux-gnu",
	"riscv64-linux-gnu-gcc":       "gcc-riscv64-linux-gnu",
	"s390x-linux-gnu-gcc":         "gcc-s390x-linux-gnu",
	"x86_64-w64-mingw32-gcc":      "gcc-mingw-w64-x86-64",
	"i686-w64-mingw32-gcc":        "gcc-mingw-w64-i686",
}

// DebianPackage returns the Debian package that provides the C compiler
// command cc (its first word), or "" when it is not one Shipline knows.
func DebianPackage(cc string) string {
	return debianPackages[ccCommand(cc)]
}

// DefaultCC returns the C compiler a cgo build uses for t when its config
// names none: hostCC for the host's GOOS/GOARCH, else the Debian cross
// compiler for t, or "" when there is none.
func DefaultCC(t, host shipline.Target, hostCC string) string {
	if t.OS == host.OS && t.Arch == host.Arch && hostCC != "" {
		return hostCC
	}
	if cc, ok := crossCompilers[t.String()]; ok {
		return cc
	}
	return crossCompilers[t.OS+"/"+t.Arch]
}

// ccCommand returns the command of a CC value, which may carry arguments
// ("zig cc -target x").
func ccCommand(cc string) string {
	if f := strings.Fields(cc); len(f) > 0 {
		return f[0]
	}
	return ""
}

// CheckCompilers checks, before anything is built, that the C compiler of
// every target of every cgo build is installed, looking each one up with
// lookPath (nil for exec.LookPath). It returns an ENOTFOUND error listing
// the missing compilers, the targets that need them, and the Debian
// packages that provide them with the apt-get command to install them.
func CheckCompilers(builds []Build, lookPath func(string) (string, error)) error {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	found := map[string]bool{}     // compiler -> installed
	needs := map[string][]string{} // missing compiler -> what needs it
	for _, b := range builds {
		if !b.CGO {
			continue
		}
		for _, t := range b.Targets {
			cc := ccCommand(b.CC[t])
			ok, checked := found[cc]
			if !checked {
				_, err := lookPath(cc)
				ok = err == nil
				found[cc] = ok
			}
			if !ok {
				needs[cc] = append(needs[cc], fmt.Sprintf("%s (build %s)", t, b.ID))
			}
		}
	}
	if len(needs) == 0 {
		return nil
	}
	missing := slices.Collect(maps.Keys(needs))
	slices.Sort(missing)
	var lines, pkgs []string
	for _, cc := range missing {
		line := fmt.Sprintf("  %s, for %s", cc, strings.Join(needs[cc], ", "))
		if p := debianPackages[cc]; p != "" {
			line += fmt.Sprintf(": Debian package %s", p)
			if !slices.Contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
		lines = append(lines, line)
	}
	msg := fmt.Sprintf("cgo builds need C compilers that are not installed:\n%s", strings.Join(lines, "\n"))
	if len(pkgs) > 0 {
		msg += "\ninstall them with: apt-get install " + strings.Join(pkgs, " ")
	}
	if len(pkgs) < len(missing) {
		msg += "\nor set builds[].compilers to compilers that are installed"
	}
	return shipline.Errorf(shipline.ENOTFOUND, "%s", msg)
}
