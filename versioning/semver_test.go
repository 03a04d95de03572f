package versioning

import (
	"testing"

	"github.com/shipline-ci/shipline"
)

func TestIsReleaseTag(t *testing.T) {
	tests := []struct {
		tag  string
		want bool
	}{
		{"v1.2.3", true},
		{"v0.0.0", true},
		{"v1.2.3-rc.1", true},
		{"v1.2.3-alpha", true},
		{"v1.2.3-0.3.7", true},
		{"v1.2.3-x.7.z.92", true},
		{"v10.20.30", true},
		{"v1.2", false},
		{"v1", false},
		{"1.2.3", false},
		{"V1.2.3", false},
		{"v1.2.3+meta", false},
		{"v1.2.3-rc.1+meta", false},
		{"v01.2.3", false},
		{"v1.02.3", false},
		{"v1.2.03", false},
		{"v1.2.3-01", false},
		{"v1.2.3-", false},
		{"v1.2.3.4", false},
		{"release-1", false},
		{"api/v1.2.3", false},
		{"", false},
		{"v", false},
	}
	for _, tt := range tests {
		if got := IsReleaseTag(tt.tag); got != tt.want {
			t.Errorf("IsReleaseTag(%q) = %v; want %v", tt.tag, got, tt.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    version
		wantErr bool
	}{
		{in: "v1.2.3", want: version{1, 2, 3, ""}},
		{in: "v0.0.0", want: version{0, 0, 0, ""}},
		{in: "v1.2.3-rc.1", want: version{1, 2, 3, "rc.1"}},
		{in: "v1.2.3-beta-2.x", want: version{1, 2, 3, "beta-2.x"}},
		{in: "v12.0.100-0", want: version{12, 0, 100, "0"}},
		{in: "v1.2", wantErr: true},
		{in: "1.2.3", wantErr: true},
		{in: "v1.2.3+build", wantErr: true},
		{in: "v01.2.3", wantErr: true},
		{in: "v99999999999999999999.0.0", wantErr: true}, // valid semver, too large for int
	}
	for _, tt := range tests {
		got, err := parseVersion(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseVersion(%q) = %+v; want an error", tt.in, got)
			} else if code := shipline.ErrorCode(err); code != shipline.EINVALID {
				t.Errorf("parseVersion(%q) error code = %q; want %q", tt.in, code, shipline.EINVALID)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseVersion(%q) error: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseVersion(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.in {
			t.Errorf("parseVersion(%q).String() = %q; want the input back", tt.in, s)
		}
	}
}

func TestVersionBump(t *testing.T) {
	tests := []struct {
		v    string
		bump shipline.Bump
		want string
	}{
		{"v1.2.3", shipline.BumpNone, "v1.2.3"},
		{"v1.2.3", shipline.BumpPatch, "v1.2.4"},
		{"v1.2.3", shipline.BumpMinor, "v1.3.0"},
		{"v1.2.3", shipline.BumpMajor, "v2.0.0"},
		{"v0.9.9", shipline.BumpMinor, "v0.10.0"},
		{"v1.9.0", shipline.BumpMinor, "v1.10.0"},
		// Bumping a pre-release drops the pre-release.
		{"v1.2.3-rc.1", shipline.BumpPatch, "v1.2.4"},
		{"v1.2.3-rc.1", shipline.BumpMajor, "v2.0.0"},
		{"v1.2.3-rc.1", shipline.BumpNone, "v1.2.3-rc.1"},
	}
	for _, tt := range tests {
		v, err := parseVersion(tt.v)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.bump(tt.bump).String(); got != tt.want {
			t.Errorf("%s bump %v = %s; want %s", tt.v, tt.bump, got, tt.want)
		}
	}
}

func TestPreNumber(t *testing.T) {
	tests := []struct {
		v      string
		id     string
		want   int
		wantOK bool
	}{
		{"v1.0.0-rc.1", "rc", 1, true},
		{"v1.0.0-rc.12", "rc", 12, true},
		{"v1.0.0-rc.0", "rc", 0, true},
		{"v1.0.0-alpha.x.3", "alpha.x", 3, true},
		{"v1.0.0-rc.1", "beta", 0, false},
		{"v1.0.0-rc", "rc", 0, false},
		{"v1.0.0-rc.1.2", "rc", 0, false},
		{"v1.0.0-rc.x", "rc", 0, false},
		{"v1.0.0-rcx.1", "rc", 0, false},
		{"v1.0.0", "rc", 0, false},
		{"v1.0.0-rc.-1", "rc", 0, false},
	}
	for _, tt := range tests {
		v, err := parseVersion(tt.v)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := v.preNumber(tt.id)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s.preNumber(%q) = %d, %v; want %d, %v", tt.v, tt.id, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestValidPreID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"rc", true},
		{"beta", true},
		{"alpha.x", true},
		{"pre-release", true},
		{"RC", true},
		{"", false},
		{"rc_1", false},
		{"rc..x", false},
		{".rc", false},
		{"rc.", false},
		{"rc+1", false},
		{"01", false},
		{"é", false},
	}
	for _, tt := range tests {
		err := ValidPreID(tt.id)
		if tt.ok {
			if err != nil {
				t.Errorf("ValidPreID(%q) = %v; want nil", tt.id, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidPreID(%q) = nil; want an error", tt.id)
		} else if code := shipline.ErrorCode(err); code != shipline.EUSAGE {
			t.Errorf("ValidPreID(%q) error code = %q; want %q", tt.id, code, shipline.EUSAGE)
		}
	}
}

func TestMajor(t *testing.T) {
	tests := []struct {
		tag  string
		want int
	}{
		{"v1.2.3", 1},
		{"v0.4.0", 0},
		{"v2.0.0-rc.1", 2},
		{"api/v2.1.0", 2},
		{"a/b/v3.0.0", 3},
		{"v2", 0},
		{"api/", 0},
		{"", 0},
		{"release-7", 0},
	}
	for _, tt := range tests {
		if got := Major(tt.tag); got != tt.want {
			t.Errorf("Major(%q) = %d; want %d", tt.tag, got, tt.want)
		}
	}
}
