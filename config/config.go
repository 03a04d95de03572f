// Package config reads .shipline.yaml: strictly (an unknown key or a wrong
// type is an error with file:line:col and the valid choices), with defaults
// applied in code, so that every command works with no file at all.
package config

// FileName is the name of the config file at the repository root.
const FileName = ".shipline.yaml"

// Config is the whole of .shipline.yaml, version 1.
//
// Struct tags: `yaml` names the key; `doc` is the description used in the
// JSON Schema and error messages; `enum` lists the only valid values of a
// string field, comma-separated.
type Config struct {
	Version    int        `yaml:"version" doc:"Config format version; must be 1."`
	Versioning Versioning `yaml:"versioning" doc:"How the next semantic version is computed."`
	Changelog  Changelog  `yaml:"changelog" doc:"How the changelog is written."`
	Commits    Commits    `yaml:"commits" doc:"Commit message policy used by 'shipline commit lint'."`
	Tag        Tag        `yaml:"tag" doc:"How release tags are created."`
	Builds     []Build    `yaml:"builds" doc:"What 'shipline build' compiles. Empty: one build per main package found (the module root if it is package main, else every main package in cmd/NAME, named NAME)."`
	Archive    Archive    `yaml:"archive" doc:"What goes into the archive made for each built binary."`
	Sign       Sign       `yaml:"sign" doc:"How 'shipline build' signs and attests a release: detached signatures, signatures embedded in binaries, SBOMs and provenance."`

	Pipelines map[string]Pipeline `yaml:"pipelines" key:"name" doc:"Pipelines by name: stages of steps (shell commands or Shipline's own commands) that 'shipline run' runs when an event matches their when conditions, once per matrix job. See 'shipline pipeline lint'."`
	Gates     Gates               `yaml:"gates" doc:"The security and compliance gates that 'shipline gate' and a release run: vulnerabilities, licenses, static analysis, commit policy."`
	Release   Release             `yaml:"release" doc:"What 'shipline release' does: its dist directory and store, the coverage floor of its tests, steps to skip, and whether it pushes the tag."`
}

// Versioning configures the version engine.
type Versioning struct {
	Initial     string            `yaml:"initial" doc:"First version when no tag exists yet (a canonical semver tag without prefix, such as v0.1.0)."`
	MajorOnZero bool              `yaml:"major-on-zero" doc:"Bump the major version on a breaking change even while it is 0 (by default a breaking change bumps the minor version of a v0 module)."`
	Rules       map[string]string `yaml:"rules" doc:"Bump per commit type (feat, fix, ...): one of major, minor, patch, none. Replaces the defaults for the types it names." enum:"major,minor,patch,none"`
	APICheck    string            `yaml:"api-check" doc:"What 'shipline version check' does when the exported API needs a larger or smaller bump than the commits claim." enum:"off,warn,fail"`
	Shallow     string            `yaml:"shallow" doc:"What to do in a shallow clone: deepen it from the remote, or fail." enum:"deepen,fail"`
}

// Changelog configures 'shipline changelog' and tag messages.
type Changelog struct {
	Template string    `yaml:"template" doc:"Path, relative to the repository root, of a Go text/template that replaces the built-in changelog template."`
	Sections []Section `yaml:"sections" doc:"Sections in order, after breaking changes. Replaces the default (Features, Bug Fixes, Performance, Reverts)."`
	Other    bool      `yaml:"other" doc:"List commits of types no section names under 'Other Changes'."`
	Remote   Remote    `yaml:"remote" doc:"Where commit and compare links point."`
}

// Section is one group of a changelog.
type Section struct {
	Title string   `yaml:"title" doc:"Heading of the section."`
	Types []string `yaml:"types" doc:"Commit types listed in this section."`
}

// Remote says which forge hosts the repository.
type Remote struct {
	Kind string `yaml:"kind" doc:"Forge kind; auto detects GitHub and GitLab (and Gitea/Forgejo by host name) from the git remote." enum:"auto,github,gitlab,gitea,none"`
	URL  string `yaml:"url" doc:"Web URL of the repository, such as https://github.com/org/repo; default: derived from the git remote."`
	Name string `yaml:"name" doc:"Git remote to read the URL from and to push tags to."`
}

// Commits is the commit message policy.
type Commits struct {
	Types        []string `yaml:"types" doc:"Allowed commit types; empty allows any type the specification allows."`
	Scopes       []string `yaml:"scopes" doc:"Allowed scopes; empty allows any scope."`
	RequireScope bool     `yaml:"require-scope" doc:"Every commit must have a scope."`
	MaxHeader    int      `yaml:"max-header-length" doc:"Longest allowed header line in characters; 0 means no limit."`
}

// Tag configures 'shipline tag'.
type Tag struct {
	Sign bool `yaml:"sign" doc:"Sign tags with the user's git signing key (git tag -s)."`
}

// Build is one binary that 'shipline build' compiles for a list of targets.
// Fields left out get the defaults of package build: they depend on the
// module (its main packages and name) and so are not in Default.
type Build struct {
	ID        string     `yaml:"id" doc:"Name of the build, unique among builds; names its dist directories (ID_GOOS_GOARCH). Default: the binary name."`
	Main      string     `yaml:"main" doc:"Directory of the main package, relative to the module root, such as ./cmd/app. Default: the module root if it is package main, else the only main package in cmd/NAME."`
	Binary    string     `yaml:"binary" doc:"File name of the binary, without .exe (added for windows). Default: the main package's directory name (the module's last path element for the root)."`
	Targets   []string   `yaml:"targets" doc:"Targets to build, GOOS/GOARCH[/VARIANT] such as linux/arm/v7 or linux/amd64/v3; a pattern such as linux/* matches every GOOS/GOARCH pair of 'go tool dist list'. Default: linux, darwin and windows on amd64 and arm64."`
	Exclude   []string   `yaml:"exclude" doc:"Targets or patterns (windows/*) to leave out of targets; GOOS/GOARCH also leaves out every variant of it."`
	Env       []string   `yaml:"env" doc:"Extra environment for go build, as KEY=VALUE. GOOS, GOARCH, their variants, CGO_ENABLED and CC come from targets, cgo and compilers."`
	Flags     []string   `yaml:"flags" doc:"Extra go build flags, such as -v or -mod=readonly. -trimpath and -buildvcs=false are always given; use ldflags and tags for those flags."`
	Tags      []string   `yaml:"tags" doc:"Build tags (go build -tags)."`
	Ldflags   []string   `yaml:"ldflags" doc:"Linker flags, each a Go text/template over .Version, .Commit, .ShortCommit, .Date (commit time, RFC 3339 UTC), .Target (.Target.OS, .Target.Arch, .Target.Variant), .ID and .Binary; joined with spaces. -buildid= is always added. Default: -s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}}."`
	CGO       bool       `yaml:"cgo" doc:"Build with cgo (CGO_ENABLED=1) and a C compiler per target; by default CGO_ENABLED=0."`
	Compilers []Compiler `yaml:"compilers" doc:"C compiler per target for a cgo build. A target not listed uses the Debian cross compiler for it (such as aarch64-linux-gnu-gcc for linux/arm64), or go env CC for the host."`
}

// Compiler names the C compiler of a cgo build for one target.
type Compiler struct {
	Target string `yaml:"target" doc:"Target, GOOS/GOARCH[/VARIANT]."`
	CC     string `yaml:"cc" doc:"C compiler command (CC), such as aarch64-linux-gnu-gcc or x86_64-w64-mingw32-gcc."`
}

// Archive configures the archives of built binaries: tar.gz, and zip for
// windows.
type Archive struct {
	Files            []string `yaml:"files" doc:"Files added to every archive beside the binary: glob patterns (as filepath.Glob reads them, such as docs/*.md) relative to the module root; a pattern that matches nothing adds nothing."`
	CompressionLevel int      `yaml:"compression-level" doc:"Deflate compression level of the archives (gzip in tar.gz, deflate in zip), from 1 (fastest, largest) to 9 (slowest, smallest). The default, 2, compresses Go binaries at about 200 MB/s per core; 5 takes about twice as long for archives some 8% smaller, 9 about twenty times as long for some 12% smaller. Archives are reproducible at every level."`
}

// DefaultArchiveFiles are the files added to archives when the config names
// none.
func DefaultArchiveFiles() []string { return []string{"LICENSE*", "README*"} }

// DefaultCompressionLevel is the compression level of archives when the
// config gives none: package build/archive's DefaultLevel.
const DefaultCompressionLevel = 2

// checkArchive checks the archive section's compression level.
func (d *decoder) checkArchive(cfg *Config) {
	if n := d.given("archive.compression-level"); n != nil {
		if l := cfg.Archive.CompressionLevel; l < 1 || l > 9 {
			d.addAt(n, "archive.compression-level", "must be from 1 (fastest) to 9 (smallest), found %d", l)
		}
	}
}

// DefaultRules are the bump rules for commit types when the config names none.
func DefaultRules() map[string]string {
	return map[string]string{"feat": "minor", "fix": "patch", "perf": "patch", "revert": "patch"}
}

// Default returns the configuration used when there is no config file; Load
// fills every field a file leaves out from it.
func Default() *Config {
	return &Config{
		Version: 1,
		Versioning: Versioning{
			Initial:  "v0.1.0",
			Rules:    DefaultRules(),
			APICheck: "warn",
			Shallow:  "deepen",
		},
		Changelog: Changelog{
			Sections: []Section{
				{Title: "Features", Types: []string{"feat"}},
				{Title: "Bug Fixes", Types: []string{"fix"}},
				{Title: "Performance", Types: []string{"perf"}},
				{Title: "Reverts", Types: []string{"revert"}},
			},
			Remote: Remote{Kind: "auto", Name: "origin"},
		},
		Archive: Archive{Files: DefaultArchiveFiles(), CompressionLevel: DefaultCompressionLevel},
		Gates:   DefaultGates(),
		Release: DefaultRelease(),
	}
}
