package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestReleaseDefault(t *testing.T) {
	cfg, err := Parse("test.yaml", []byte("version: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Release{Dist: "dist", Push: true}); !reflect.DeepEqual(cfg.Release, want) {
		t.Errorf("Release = %+v, want %+v", cfg.Release, want)
	}
}

func TestReleaseParse(t *testing.T) {
	cfg, err := Parse("test.yaml", []byte("version: 1\nrelease:\n  skip: test\n  push: false\n  test-flags: -short\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Release
	if !slices.Equal(r.Skip, Strings{"test"}) || !slices.Equal(r.TestFlags, Strings{"-short"}) || r.Push || r.Dist != "dist" {
		t.Errorf("Release = %+v, want skip [test], test-flags [-short], push false, the default dist", r)
	}
}

func TestReleaseErrors(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"coverage over 100", "release:\n  coverage: 120\n", "3:13: release.coverage: must be a percentage from 0 to 100, found 120"},
		{"negative coverage", "release:\n  coverage: -1\n", "release.coverage: must be a percentage from 0 to 100, found -1"},
		{"dist outside the module", "release:\n  dist: ../out\n", `3:9: release.dist: "../out" is not a directory inside the module`},
		{"absolute dist", "release:\n  dist: /tmp/dist\n", `release.dist: "/tmp/dist" is not a directory inside the module`},
		{"not a flag", "release:\n  test-flags: [short]\n", `3:16: release.test-flags[0]: "short" is not a go test flag`},
		{"coverprofile", "release:\n  test-flags: [-coverprofile=c.out]\n", `release.test-flags[0]: the test step writes the coverage profile itself`},
		{"unknown step", "release:\n  skip: [deploy]\n", `3:10: release.skip[0]: invalid value "deploy"; valid values: test, gates, version, build, changelog, tag, publish`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte("version: 1\n"+tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded; want an error with %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v\nwant one containing %q", err, tt.want)
			}
		})
	}
}

// TestReleaseStepsEnum checks that release.skip accepts exactly
// ReleaseSteps.
func TestReleaseStepsEnum(t *testing.T) {
	f, _ := reflect.TypeFor[Release]().FieldByName("Skip")
	if got := strings.Split(f.Tag.Get("enum"), ","); !slices.Equal(got, ReleaseSteps) {
		t.Errorf("release.skip enum = %q, want ReleaseSteps %q", got, ReleaseSteps)
	}
}
