package build

import (
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
)

// known is a small `go tool dist list`.
var known = mustTargets(
	"aix/ppc64", "darwin/amd64", "darwin/arm64", "freebsd/amd64", "ios/arm64",
	"linux/386", "linux/amd64", "linux/arm", "linux/arm64", "linux/mips64le", "linux/riscv64",
	"windows/386", "windows/amd64", "windows/arm64",
)

func mustTargets(ss ...string) []shipline.Target {
	var ts []shipline.Target
	for _, s := range ss {
		t, err := shipline.ParseTarget(s)
		if err != nil {
			panic(err)
		}
		ts = append(ts, t)
	}
	return ts
}

func targetNames(ts []shipline.Target) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.String())
	}
	return strings.Join(names, " ")
}

func TestMatrix(t *testing.T) {
	for _, tt := range []struct {
		name             string
		include, exclude []string
		want             string
	}{
		{
			name: "default",
			want: "darwin/amd64 darwin/arm64 linux/amd64 linux/arm64 windows/amd64 windows/arm64",
		},
		{
			name:    "default minus excluded",
			exclude: []string{"windows/arm64", "darwin/amd64"},
			want:    "darwin/arm64 linux/amd64 linux/arm64 windows/amd64",
		},
		{
			name:    "exclude a pattern",
			exclude: []string{"windows/*"},
			want:    "darwin/amd64 darwin/arm64 linux/amd64 linux/arm64",
		},
		{
			name:    "include replaces the default, sorted without duplicates",
			include: []string{"windows/amd64", "linux/arm/v7", "linux/amd64", "linux/arm/v7", " linux/mips64le/softfloat "},
			want:    "linux/amd64 linux/arm/v7 linux/mips64le/softfloat windows/amd64",
		},
		{
			name:    "a variant and the default of the same pair are two targets",
			include: []string{"linux/amd64", "linux/amd64/v3"},
			want:    "linux/amd64 linux/amd64/v3",
		},
		{
			name:    "include patterns",
			include: []string{"linux/arm*", "*/386"},
			want:    "linux/386 linux/arm linux/arm64 windows/386",
		},
		{
			name:    "exclude a pair drops its variants",
			include: []string{"linux/arm/v6", "linux/arm/v7", "linux/arm64"},
			exclude: []string{"linux/arm"},
			want:    "linux/arm64",
		},
		{
			name:    "exclude one variant",
			include: []string{"linux/arm/v6", "linux/arm/v7"},
			exclude: []string{"linux/arm/v6"},
			want:    "linux/arm/v7",
		},
		{
			name:    "exclude a target not included",
			include: []string{"linux/amd64"},
			exclude: []string{"freebsd/amd64"},
			want:    "linux/amd64",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Matrix(tt.include, tt.exclude, known)
			if err != nil {
				t.Fatalf("Matrix: %v", err)
			}
			if targetNames(got) != tt.want {
				t.Errorf("Matrix(%q, %q) =\n%s\nwant\n%s", tt.include, tt.exclude, targetNames(got), tt.want)
			}
		})
	}
}

func TestMatrixErrors(t *testing.T) {
	for _, tt := range []struct {
		name             string
		include, exclude []string
		want             []string // lines of the message
	}{
		{
			name:    "unknown pair, with the nearest",
			include: []string{"linux/amd46"},
			want:    []string{`unknown target "linux/amd46": 'go tool dist list' has no linux/amd46; nearest valid targets: linux/amd64, linux/arm64, linux/386`},
		},
		{
			name:    "misspelt os",
			include: []string{"darwn/arm64"},
			want:    []string{`unknown target "darwn/arm64": 'go tool dist list' has no darwn/arm64; nearest valid targets: darwin/arm64, darwin/amd64, ios/arm64`},
		},
		{
			name:    "malformed",
			include: []string{"linux"},
			want:    []string{`target "linux": want GOOS/GOARCH or GOOS/GOARCH/VARIANT, such as linux/amd64 or linux/arm/v7`},
		},
		{
			name:    "unknown variant",
			include: []string{"linux/arm64/v7"},
			want:    []string{`target "linux/arm64/v7": unknown arm64 variant "v7"; valid: v8.0, v8.1, v8.2, v8.3, v8.4, v8.5, v8.6, v8.7, v8.8, v8.9, v9.0, v9.1, v9.2, v9.3, v9.4, v9.5`},
		},
		{
			name:    "pattern that matches nothing",
			include: []string{"plan9/*"},
			want:    []string{`pattern "plan9/*" matches no target of 'go tool dist list'`},
		},
		{
			name:    "pattern with a variant",
			include: []string{"linux/arm/*"},
			want:    []string{`pattern "linux/arm/*": want GOOS/GOARCH with * or ?, such as linux/*; a variant cannot be a pattern`},
		},
		{
			name:    "malformed pattern",
			include: []string{"linux/[arm"},
			want:    []string{`pattern "linux/[arm": syntax error in pattern`},
		},
		{
			name:    "every problem at once, excludes too",
			include: []string{"linux/amd64", "linux/amd46", "windos/amd64"},
			exclude: []string{"linux/arm64/v99"},
			want: []string{
				`unknown target "linux/amd46": 'go tool dist list' has no linux/amd46; nearest valid targets: linux/amd64, linux/arm64, linux/386`,
				`unknown target "windos/amd64": 'go tool dist list' has no windos/amd64; nearest valid targets: windows/amd64, windows/arm64, linux/amd64`,
				`exclude: target "linux/arm64/v99": unknown arm64 variant "v99"; valid: v8.0, v8.1, v8.2, v8.3, v8.4, v8.5, v8.6, v8.7, v8.8, v8.9, v9.0, v9.1, v9.2, v9.3, v9.4, v9.5`,
			},
		},
		{
			name:    "nothing left",
			include: []string{"windows/amd64"},
			exclude: []string{"windows/*"},
			want:    []string{`exclude windows/* leaves no target of windows/amd64 to build`},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Matrix(tt.include, tt.exclude, known)
			if err == nil {
				t.Fatalf("Matrix = %s, want an error", targetNames(got))
			}
			if shipline.ErrorCode(err) != shipline.EINVALID {
				t.Errorf("code = %s, want invalid", shipline.ErrorCode(err))
			}
			if lines := strings.Split(err.Error(), "\n"); !slices.Equal(lines, tt.want) {
				t.Errorf("error:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestNearest(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"linux/amd46", 1, "linux/amd64"},
		{"linx/arm64", 2, "linux/arm64 ios/arm64"},
		{"Linux/ARM64", 1, "linux/arm64"},
		{"windows/amd64", 1, "windows/amd64"},
		{"macos/arm64", 3, "ios/arm64 darwin/arm64 linux/arm64"},
		{"x", 0, ""},
	} {
		if got := strings.Join(Nearest(tt.s, known, tt.n), " "); got != tt.want {
			t.Errorf("Nearest(%q, %d) = %s, want %s", tt.s, tt.n, got, tt.want)
		}
	}
	twice := append(slices.Clone(known), known...)
	if got := Nearest("linux/amd64", twice, 100); len(got) != len(known) {
		t.Errorf("Nearest of every target = %d names, want each of the %d once: %s", len(got), len(known), got)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"amd64", "amd64", 0},
		{"amd46", "amd64", 1}, {"darwn", "darwin", 1}, {"linux", "linus", 1}, {"arm", "arm64", 2},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestDirSuffix(t *testing.T) {
	for s, want := range map[string]string{
		"linux/amd64":              "linux_amd64",
		"linux/arm/v7":             "linux_arm_v7",
		"linux/arm/v6,softfloat":   "linux_arm_v6_softfloat",
		"linux/mips64le/softfloat": "linux_mips64le_softfloat",
	} {
		if got := dirSuffix(mustTargets(s)[0]); got != want {
			t.Errorf("dirSuffix(%s) = %s, want %s", s, got, want)
		}
	}
}
