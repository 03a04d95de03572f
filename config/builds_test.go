package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseBuilds(t *testing.T) {
	cfg, err := Parse("test.yaml", []byte(`version: 1
builds:
  - main: ./cmd/app
    targets: [linux/amd64, linux/arm/v7]
    ldflags: ["-s -w", "-X main.version={{.Version}}"]
    cgo: true
    compilers:
      - {target: linux/arm/v7, cc: arm-linux-gnueabihf-gcc}
  - id: gen
    main: ./tools/gen
    exclude: ["windows/*"]
archive:
  files: [LICENSE, docs/*.md]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Build{
		{
			Main:      "./cmd/app",
			Targets:   []string{"linux/amd64", "linux/arm/v7"},
			Ldflags:   []string{"-s -w", "-X main.version={{.Version}}"},
			CGO:       true,
			Compilers: []Compiler{{Target: "linux/arm/v7", CC: "arm-linux-gnueabihf-gcc"}},
		},
		{ID: "gen", Main: "./tools/gen", Exclude: []string{"windows/*"}},
	}
	if !reflect.DeepEqual(cfg.Builds, want) {
		t.Errorf("Builds =\n%+v\nwant\n%+v", cfg.Builds, want)
	}
	if want := []string{"LICENSE", "docs/*.md"}; !slices.Equal(cfg.Archive.Files, want) {
		t.Errorf("Archive.Files = %q, want %q", cfg.Archive.Files, want)
	}
}

func TestParseBuildsDefaults(t *testing.T) {
	cfg, err := Parse("test.yaml", []byte("version: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Builds != nil {
		t.Errorf("Builds = %+v, want none: package build finds the main packages", cfg.Builds)
	}
	if want := DefaultArchiveFiles(); !slices.Equal(cfg.Archive.Files, want) {
		t.Errorf("Archive.Files = %q, want %q", cfg.Archive.Files, want)
	}
	if cfg.Archive.CompressionLevel != DefaultCompressionLevel {
		t.Errorf("Archive.CompressionLevel = %d, want %d", cfg.Archive.CompressionLevel, DefaultCompressionLevel)
	}
	// An empty list of files is no files, not the default.
	cfg, err = Parse("test.yaml", []byte("version: 1\narchive:\n  files: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Archive.Files) != 0 {
		t.Errorf("files: [] gave %q", cfg.Archive.Files)
	}
}

func TestParseBuildsErrors(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{
			name: "ldflags as one string",
			yaml: "version: 1\nbuilds:\n  - ldflags: -s -w\n",
			want: `test.yaml:3:14: builds[0].ldflags: expected a list of strings, found string "-s -w"`,
		},
		{
			name: "unknown key in a build",
			yaml: "version: 1\nbuilds:\n  - main: .\n    goos: [linux]\n",
			want: `test.yaml:4:5: builds[0].goos: unknown key "goos"; valid keys in builds[0]: id, main, binary, targets, exclude, env, flags, tags, ldflags, cgo, compilers`,
		},
		{
			name: "compilers as a mapping",
			yaml: "version: 1\nbuilds:\n  - cgo: true\n    compilers: {linux/arm64: aarch64-linux-gnu-gcc}\n",
			want: `test.yaml:4:16: builds[0].compilers: expected a list of mappings, found a mapping`,
		},
		{
			name: "cgo as a string",
			yaml: "version: 1\nbuilds:\n  - cgo: \"yes\"\n",
			want: `test.yaml:3:10: builds[0].cgo: expected true or false, found string "yes"`,
		},
		{
			name: "builds as a mapping",
			yaml: "version: 1\nbuilds:\n  main: ./cmd/app\n",
			want: `test.yaml:3:3: builds: expected a list of mappings, found a mapping`,
		},
		{
			name: "compression level 0",
			yaml: "version: 1\narchive:\n  compression-level: 0\n",
			want: `test.yaml:3:22: archive.compression-level: must be from 1 (fastest) to 9 (smallest), found 0`,
		},
		{
			name: "compression level 10",
			yaml: "version: 1\narchive:\n  compression-level: 10\n",
			want: `test.yaml:3:22: archive.compression-level: must be from 1 (fastest) to 9 (smallest), found 10`,
		},
		{
			name: "compression level as a word",
			yaml: "version: 1\narchive:\n  compression-level: best\n",
			want: `test.yaml:3:22: archive.compression-level: expected`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to start with\n%s", err, tt.want)
			}
		})
	}
}
