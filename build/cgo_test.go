package build

import (
	"errors"
	"os/exec"
	"testing"

	"github.com/shipline-ci/shipline"
)

// installed returns a lookPath that finds only the named commands.
func installed(names ...string) func(string) (string, error) {
	return func(name string) (string, error) {
		for _, n := range names {
			if n == name {
				return "/usr/bin/" + name, nil
			}
		}
		return "", exec.ErrNotFound
	}
}

func TestCheckCompilers(t *testing.T) {
	arm64 := shipline.Target{OS: "linux", Arch: "arm64"}
	amd64 := shipline.Target{OS: "linux", Arch: "amd64"}
	win := shipline.Target{OS: "windows", Arch: "amd64"}
	win32 := shipline.Target{OS: "windows", Arch: "386"}
	mips := shipline.Target{OS: "linux", Arch: "mips64le", Variant: "softfloat"}
	builds := []Build{
		{ID: "pure", Targets: []shipline.Target{arm64, win}}, // no cgo: no compilers needed
		{ID: "cli", CGO: true, Targets: []shipline.Target{amd64, arm64, win, mips}, CC: map[shipline.Target]string{
			amd64: "gcc", arm64: "aarch64-linux-gnu-gcc", win: "x86_64-w64-mingw32-gcc", mips: "mips64el-linux-gnuabi64-gcc",
		}},
		{ID: "daemon", CGO: true, Targets: []shipline.Target{win, win32}, CC: map[shipline.Target]string{
			win: "x86_64-w64-mingw32-gcc", win32: "zig cc -target x86-windows-gnu",
		}},
	}

	if err := CheckCompilers(builds, installed("gcc", "aarch64-linux-gnu-gcc", "x86_64-w64-mingw32-gcc", "mips64el-linux-gnuabi64-gcc", "zig")); err != nil {
		t.Errorf("with every compiler installed: %v", err)
	}

	err := CheckCompilers(builds, installed("gcc", "aarch64-linux-gnu-gcc"))
	want := `cgo builds need C compilers that are not installed:
  mips64el-linux-gnuabi64-gcc, for linux/mips64le/softfloat (build cli): Debian package gcc-mips64el-linux-gnuabi64
  x86_64-w64-mingw32-gcc, for windows/amd64 (build cli), windows/amd64 (build daemon): Debian package gcc-mingw-w64-x86-64
  zig, for windows/386 (build daemon)
install them with: apt-get install gcc-mips64el-linux-gnuabi64 gcc-mingw-w64-x86-64
or set builds[].compilers to compilers that are installed`
	if err == nil || err.Error() != want {
		t.Errorf("CheckCompilers =\n%v\nwant\n%s", err, want)
	}
	if shipline.ErrorCode(err) != shipline.ENOTFOUND {
		t.Errorf("code = %s, want not_found", shipline.ErrorCode(err))
	}

	looked := map[string]int{}
	_ = CheckCompilers(builds, func(name string) (string, error) {
		looked[name]++
		return "", errors.New("no")
	})
	for name, n := range looked {
		if n != 1 {
			t.Errorf("looked up %s %d times, want once", name, n)
		}
	}
}

func TestDefaultCC(t *testing.T) {
	host := shipline.Target{OS: "linux", Arch: "amd64"}
	for _, tt := range []struct {
		target, want string
	}{
		{"linux/amd64", "gcc"},
		{"linux/amd64/v3", "gcc"},
		{"linux/arm64", "aarch64-linux-gnu-gcc"},
		{"linux/arm/v7", "arm-linux-gnueabihf-gcc"},
		{"linux/arm/v6", "arm-linux-gnueabi-gcc"},
		{"linux/mips64le/softfloat", "mips64el-linux-gnuabi64-gcc"},
		{"windows/amd64", "x86_64-w64-mingw32-gcc"},
		{"windows/386", "i686-w64-mingw32-gcc"},
		{"darwin/arm64", ""},
	} {
		if got := DefaultCC(mustTargets(tt.target)[0], host, "gcc"); got != tt.want {
			t.Errorf("DefaultCC(%s) = %q, want %q", tt.target, got, tt.want)
		}
	}
	// Every default cross compiler has its Debian package.
	for target, cc := range crossCompilers {
		if DebianPackage(cc) == "" {
			t.Errorf("%s: no Debian package for %s", target, cc)
		}
	}
	if got := DebianPackage("aarch64-linux-gnu-gcc -march=armv8-a"); got != "gcc-aarch64-linux-gnu" {
		t.Errorf("DebianPackage with arguments = %q", got)
	}
	if got := DebianPackage("/opt/cross/bin/cc-x"); got != "" {
		t.Errorf("DebianPackage(unknown) = %q, want none", got)
	}
}
