package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"gopkg.in/yaml.v3"
)

// errorTests are files that Parse must reject, with every problem it must
// report, in order, as "LINE:COL: message" (the file name is test.yaml).
// schemaRejects says that the JSON Schema rejects the file too (see
// TestSchemaAgreesWithParse); it is false where a schema cannot tell, such as
// YAML syntax, duplicate keys or a type listed in two sections.
var errorTests = []struct {
	name          string
	yaml          string
	want          []string
	schemaRejects bool
}{
	// The document as a whole.
	{
		name: "empty file",
		yaml: "",
		want: []string{`1:1: the file is empty; add "version: 1"`},
	},
	{
		name: "only comments",
		yaml: "# settings will go here\n\n# later\n",
		want: []string{`1:1: the file is empty; add "version: 1"`},
	},
	{
		name: "only a document marker",
		yaml: "---\n# nothing yet\n",
		want: []string{`1:1: the file has no settings; add "version: 1"`},
	},
	{
		name:          "not a mapping",
		yaml:          "- version: 1\n",
		want:          []string{`1:1: the file must be a mapping of keys such as "version: 1", found a list`},
		schemaRejects: true,
	},
	{
		name: "second document",
		yaml: "version: 1\n---\nversion: 1\n",
		want: []string{`2:1: a second YAML document starts here; the file must hold only one`},
	},

	// version.
	{
		name:          "missing version",
		yaml:          "# config\nversioning:\n  initial: v1.0.0\n",
		want:          []string{`2:1: the file has no version; add "version: 1"`},
		schemaRejects: true,
	},
	{
		name:          "unsupported version",
		yaml:          "version: 2\n",
		want:          []string{`1:10: version: unsupported config version 2; this shipline reads version 1`},
		schemaRejects: true,
	},
	{
		name:          "version as a string",
		yaml:          "version: \"1\"\n",
		want:          []string{`1:10: version: expected an integer, found string "1"`},
		schemaRejects: true,
	},

	// Unknown keys.
	{
		name:          "unknown top-level key, close to one",
		yaml:          "version: 1\nversionning:\n  initial: v1.0.0\n",
		want:          []string{`2:1: versionning: unknown key "versionning"; valid keys at the top level: version, versioning, changelog, commits, tag, builds, archive, sign, pipelines, gates, release; did you mean "versioning"?`},
		schemaRejects: true,
	},
	{
		name:          "unknown nested key, close to one",
		yaml:          "version: 1\nversioning:\n  rulez:\n    feat: major\n",
		want:          []string{`3:3: versioning.rulez: unknown key "rulez"; valid keys in versioning: initial, major-on-zero, rules, api-check, shallow; did you mean "rules"?`},
		schemaRejects: true,
	},
	{
		name:          "unknown key in snake case",
		yaml:          "version: 1\ncommits:\n  max_header_length: 72\n",
		want:          []string{`3:3: commits.max_header_length: unknown key "max_header_length"; valid keys in commits: types, scopes, require-scope, max-header-length; did you mean "max-header-length"?`},
		schemaRejects: true,
	},
	{
		name:          "unknown key that belongs elsewhere",
		yaml:          "version: 1\ninitial: v1.0.0\n",
		want:          []string{`2:1: initial: unknown key "initial"; valid keys at the top level: version, versioning, changelog, commits, tag, builds, archive, sign, pipelines, gates, release; did you mean versioning.initial?`},
		schemaRejects: true,
	},
	{
		name:          "unknown key with no close match",
		yaml:          "version: 1\ntag:\n  annotate: true\n",
		want:          []string{`3:3: tag.annotate: unknown key "annotate"; valid keys in tag: sign`},
		schemaRejects: true,
	},
	{
		name:          "unknown key in a list element",
		yaml:          "version: 1\nchangelog:\n  sections:\n    - title: Docs\n      types: [docs]\n      hidden: true\n",
		want:          []string{`6:7: changelog.sections[0].hidden: unknown key "hidden"; valid keys in changelog.sections[0]: title, types`},
		schemaRejects: true,
	},
	{
		name:          "unknown key that needs quoting",
		yaml:          "version: 1\n\"a b\\n\": 1\n",
		want:          []string{`2:1: "a b\n": unknown key "a b\n"; valid keys at the top level: version, versioning, changelog, commits, tag, builds, archive, sign, pipelines, gates, release`},
		schemaRejects: true,
	},
	{
		name: "key that is not a string",
		yaml: "version: 1\ntag:\n  ? [sign]\n  : true\n",
		want: []string{`3:5: tag: a key must be a string, found a list`},
	},
	{
		name: "merge key",
		yaml: "version: 1\ntag: &t\n  sign: true\ncommits:\n  <<: *t\n",
		want: []string{`5:3: commits: merge keys (<<) are not supported; write the keys out`},
	},

	// Duplicate keys.
	{
		name: "duplicate top-level key",
		yaml: "version: 1\ntag: {sign: true}\nversion: 1\n",
		want: []string{`3:1: version: duplicate key "version" (first at line 1, column 1)`},
	},
	{
		name: "duplicate key in a map",
		yaml: "version: 1\nversioning:\n  rules:\n    feat: major\n    fix: patch\n    feat: minor\n",
		want: []string{`6:5: versioning.rules.feat: duplicate key "feat" (first at line 4, column 5)`},
	},

	// Wrong types.
	{
		name:          "string where a bool is expected",
		yaml:          "version: 1\nversioning:\n  major-on-zero: yes\n",
		want:          []string{`3:18: versioning.major-on-zero: expected true or false, found string "yes"`},
		schemaRejects: true,
	},
	{
		name:          "string where an int is expected",
		yaml:          "version: 1\ncommits:\n  max-header-length: \"72\"\n",
		want:          []string{`3:22: commits.max-header-length: expected an integer, found string "72"`},
		schemaRejects: true,
	},
	{
		name:          "float where an int is expected",
		yaml:          "version: 1\ncommits:\n  max-header-length: 72.5\n",
		want:          []string{`3:22: commits.max-header-length: expected an integer, found number 72.5`},
		schemaRejects: true,
	},
	{
		name:          "number where a string is expected",
		yaml:          "version: 1\nversioning:\n  initial: 1.0\n",
		want:          []string{`3:12: versioning.initial: expected a string, found number 1.0; quote it if you mean the string: "1.0"`},
		schemaRejects: true,
	},
	{
		name:          "bool where an enum string is expected",
		yaml:          "version: 1\nversioning:\n  api-check: false\n",
		want:          []string{`3:14: versioning.api-check: expected one of off, warn, fail, found boolean false; quote it if you mean the string: "false"`},
		schemaRejects: true,
	},
	{
		name:          "mapping where a string is expected",
		yaml:          "version: 1\nchangelog:\n  template:\n    path: x.tmpl\n",
		want:          []string{`4:5: changelog.template: expected a string, found a mapping`},
		schemaRejects: true,
	},
	{
		name:          "string where a mapping is expected",
		yaml:          "version: 1\nversioning: fast\n",
		want:          []string{`2:13: versioning: expected a mapping, found string "fast"`},
		schemaRejects: true,
	},
	{
		name:          "list where a map is expected",
		yaml:          "version: 1\nversioning:\n  rules: [feat]\n",
		want:          []string{`3:10: versioning.rules: expected a mapping, found a list`},
		schemaRejects: true,
	},
	{
		name:          "string where a list is expected",
		yaml:          "version: 1\ncommits:\n  types: feat\n",
		want:          []string{`3:10: commits.types: expected a list of strings, found string "feat"; write [feat] for a list of one`},
		schemaRejects: true,
	},
	{
		name:          "mapping where a list of mappings is expected",
		yaml:          "version: 1\nchangelog:\n  sections:\n    title: Docs\n",
		want:          []string{`4:5: changelog.sections: expected a list of mappings, found a mapping`},
		schemaRejects: true,
	},
	{
		name:          "list element of the wrong type",
		yaml:          "version: 1\ncommits:\n  scopes: [api, [cli], 3]\n",
		want:          []string{`3:17: commits.scopes[1]: expected a string, found a list`, `3:24: commits.scopes[2]: expected a string, found integer 3; quote it if you mean the string: "3"`},
		schemaRejects: true,
	},
	{
		name:          "empty value",
		yaml:          "version: 1\ntag:\ncommits:\n  scopes: [api, ~]\n",
		want:          []string{`2:5: tag: expected a mapping, found an empty value (null); give it a value or remove the key to use the default`, `4:17: commits.scopes[1]: expected a string, found an empty value (null)`},
		schemaRejects: true,
	},
	{
		name: "custom tag",
		yaml: "version: 1\nversioning:\n  initial: !semver v1.0.0\n",
		want: []string{`3:12: versioning.initial: expected a string, found "v1.0.0" tagged "!semver"; quote it if you mean the string: "v1.0.0"`},
	},
	{
		name:          "alias to a value of the wrong type",
		yaml:          "version: 1\ncommits:\n  scopes: &s [api]\n  max-header-length: *s\n",
		want:          []string{`4:22: commits.max-header-length: expected an integer, found a list`},
		schemaRejects: true,
	},

	// Values not among the choices.
	{
		name:          "enum value",
		yaml:          "version: 1\nversioning:\n  api-check: warning\n",
		want:          []string{`3:14: versioning.api-check: invalid value "warning"; valid values: off, warn, fail; did you mean "warn"?`},
		schemaRejects: true,
	},
	{
		name:          "enum value with no close match",
		yaml:          "version: 1\nchangelog:\n  remote:\n    kind: bitbucket\n",
		want:          []string{`4:11: changelog.remote.kind: invalid value "bitbucket"; valid values: auto, github, gitlab, gitea, none`},
		schemaRejects: true,
	},
	{
		name:          "enum applies to map values",
		yaml:          "version: 1\nversioning:\n  rules:\n    feat: minr\n    docs: skip\n",
		want:          []string{`4:11: versioning.rules.feat: invalid value "minr"; valid values: major, minor, patch, none; did you mean "minor"?`, `5:11: versioning.rules.docs: invalid value "skip"; valid values: major, minor, patch, none`},
		schemaRejects: true,
	},
	{
		name:          "map key that is not a commit type",
		yaml:          "version: 1\nversioning:\n  rules:\n    \"feat!\": major\n    fix: patch\n",
		want:          []string{`4:5: versioning.rules: key "feat!" is not a commit type: use only letters, digits, '-' and '_'`},
		schemaRejects: true,
	},

	// Semantic checks.
	{
		name:          "initial without v",
		yaml:          "version: 1\nversioning:\n  initial: 1.2.3\n",
		want:          []string{`3:12: versioning.initial: "1.2.3" is not a canonical semantic version such as v0.1.0; did you mean "v1.2.3"?`},
		schemaRejects: true,
	},
	{
		name:          "initial not canonical",
		yaml:          "version: 1\nversioning:\n  initial: v1.2\n",
		want:          []string{`3:12: versioning.initial: "v1.2" is not a canonical semantic version such as v0.1.0; did you mean "v1.2.0"?`},
		schemaRejects: true,
	},
	{
		name:          "initial with build metadata",
		yaml:          "version: 1\nversioning:\n  initial: v1.2.3+build.5\n",
		want:          []string{`3:12: versioning.initial: "v1.2.3+build.5" is not a canonical semantic version such as v0.1.0; did you mean "v1.2.3"?`},
		schemaRejects: true,
	},
	{
		name:          "initial not a version",
		yaml:          "version: 1\nversioning:\n  initial: latest\n",
		want:          []string{`3:12: versioning.initial: "latest" is not a canonical semantic version such as v0.1.0`},
		schemaRejects: true,
	},
	{
		name:          "negative max-header-length",
		yaml:          "version: 1\ncommits:\n  max-header-length: -1\n",
		want:          []string{`3:22: commits.max-header-length: must be 0 (no limit) or more, found -1`},
		schemaRejects: true,
	},
	{
		name:          "section with an empty title and no types",
		yaml:          "version: 1\nchangelog:\n  sections:\n    - title: \"  \"\n      types: []\n",
		want:          []string{`4:14: changelog.sections[0].title: a section needs a title`, `5:14: changelog.sections[0].types: a section needs at least one commit type, such as types: [docs]`},
		schemaRejects: true,
	},
	{
		name:          "section without title or types",
		yaml:          "version: 1\nchangelog:\n  sections:\n    - title: Docs\n      types: [docs]\n    - {}\n",
		want:          []string{`6:7: changelog.sections[1].title: a section needs a title`, `6:7: changelog.sections[1].types: a section needs at least one commit type, such as types: [docs]`},
		schemaRejects: true,
	},
	{
		name: "type in two sections",
		yaml: "version: 1\nchangelog:\n  sections:\n    - title: Fixes\n      types: [fix]\n    - title: Other\n      types: [chore, fix]\n",
		want: []string{`7:22: changelog.sections[1].types[1]: type "fix" is already listed in section "Fixes" (line 5)`},
	},
	{
		name:          "type in a section that is not a commit type",
		yaml:          "version: 1\nchangelog:\n  sections:\n    - title: Fixes\n      types: [fix, \"fix!\"]\n",
		want:          []string{`5:20: changelog.sections[0].types[1]: "fix!" is not a commit type: use only letters, digits, '-' and '_'`},
		schemaRejects: true,
	},
	{
		name:          "allowed type that is not a commit type",
		yaml:          "version: 1\ncommits:\n  types:\n    - feat\n    - bug fix\n",
		want:          []string{`5:7: commits.types[1]: "bug fix" is not a commit type: use only letters, digits, '-' and '_'`},
		schemaRejects: true,
	},
	{
		name:          "remote URL and name",
		yaml:          "version: 1\nchangelog:\n  remote:\n    url: github.com/org/repo\n    name: \"\"\n",
		want:          []string{`4:10: changelog.remote.url: "github.com/org/repo" is not a web URL such as https://github.com/org/repo`, `5:11: changelog.remote.name: must name a git remote, such as origin`},
		schemaRejects: true,
	},

	// YAML syntax errors: yaml.v3 gives a line only, so the column is 1
	// unless the position can be found.
	{
		name: "unclosed flow list",
		yaml: "version: 1\ncommits:\n  types: [feat, fix\n  scopes: [api]\n",
		want: []string{`3:1: invalid YAML: did not find expected ',' or ']'`},
	},
	{
		name: "bad indentation",
		yaml: "version: 1\nversioning:\n  initial: v1.0.0\n shallow: fail\n",
		want: []string{`4:1: invalid YAML: did not find expected key`},
	},
	{
		name: "mapping value in a plain scalar",
		yaml: "version: 1\nversioning:\n  initial: v1: 0\n",
		want: []string{`3:1: invalid YAML: mapping values are not allowed in this context`},
	},
	{
		name: "error on the first line",
		yaml: "version: [1\n",
		want: []string{`1:1: invalid YAML: did not find expected ',' or ']'`},
	},
	{
		name: "unknown anchor",
		yaml: "version: 1\ncommits:\n  types: *types\n",
		want: []string{`3:10: invalid YAML: unknown anchor 'types' referenced`},
	},
	{
		name: "invalid UTF-8",
		yaml: "version: 1\nchangelog:\n  template: \"a\xffb\"\n",
		want: []string{`3:15: invalid YAML: invalid leading UTF-8 octet`},
	},
	{
		name: "control character",
		yaml: "version: 1\ntag:\n  sign: true\x01\n",
		want: []string{`3:13: invalid YAML: control characters are not allowed`},
	},

	// Everything at once, reported in file order.
	{
		name: "many problems",
		yaml: "tag:\n  sign: yes\nversion: 1\nversioning:\n  shallow: deep\nversion: 1\ncommits:\n  max-header-length: -5\n",
		want: []string{
			`2:9: tag.sign: expected true or false, found string "yes"`,
			`5:12: versioning.shallow: invalid value "deep"; valid values: deepen, fail; did you mean "deepen"?`,
			`6:1: version: duplicate key "version" (first at line 3, column 1)`,
			`8:22: commits.max-header-length: must be 0 (no limit) or more, found -5`,
		},
	},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("test.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want errors:\n%s", cfg, strings.Join(tt.want, "\n"))
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with its error")
			}
			if got := shipline.ErrorCode(err); got != shipline.EINVALID {
				t.Errorf("ErrorCode = %q, want %q", got, shipline.EINVALID)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, "test.yaml:"+w)
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("error:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
			ps := Problems(err)
			if len(ps) != len(want) {
				t.Fatalf("Problems returned %d, want %d: %v", len(ps), len(want), ps)
			}
			for i, p := range ps {
				if got := p.String(); got != want[i] {
					t.Errorf("Problems()[%d] = %q, want %q", i, got, want[i])
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(*Config) // changes to Default()
	}{
		{
			name: "version only",
			yaml: "version: 1\n",
			want: func(*Config) {},
		},
		{
			name: "rules merge into the defaults",
			yaml: "version: 1\nversioning:\n  rules:\n    feat: major\n    docs: patch\n    revert: none\n",
			want: func(c *Config) {
				c.Versioning.Rules = map[string]string{"feat": "major", "fix": "patch", "perf": "patch", "revert": "none", "docs": "patch"}
			},
		},
		{
			name: "empty rules keep the defaults",
			yaml: "version: 1\nversioning:\n  rules: {}\n",
			want: func(*Config) {},
		},
		{
			name: "sections replace the defaults",
			yaml: "version: 1\nchangelog:\n  sections:\n    - title: Changes\n      types: [feat, fix]\n",
			want: func(c *Config) {
				c.Changelog.Sections = []Section{{Title: "Changes", Types: []string{"feat", "fix"}}}
			},
		},
		{
			name: "empty sections replace the defaults",
			yaml: "version: 1\nchangelog:\n  sections: []\n  other: true\n",
			want: func(c *Config) {
				c.Changelog.Sections = nil
				c.Changelog.Other = true
			},
		},
		{
			name: "scalars replace the defaults, the rest stays",
			yaml: "version: 1\nchangelog:\n  remote:\n    kind: github\ncommits:\n  max-header-length: 0x48\n  types: []\n",
			want: func(c *Config) {
				c.Changelog.Remote.Kind = "github"
				c.Commits.MaxHeader = 72
			},
		},
		{
			name: "aliases",
			yaml: "version: 1\ncommits:\n  types: &types [feat, fix]\nchangelog:\n  sections:\n    - title: All\n      types: *types\n",
			want: func(c *Config) {
				c.Commits.Types = []string{"feat", "fix"}
				c.Changelog.Sections = []Section{{Title: "All", Types: []string{"feat", "fix"}}}
			},
		},
		{
			name: "explicit string tag and flow style",
			yaml: "{version: 1, versioning: {initial: !!str v2.0.0-beta.1}}",
			want: func(c *Config) { c.Versioning.Initial = "v2.0.0-beta.1" },
		},
		{
			name: "CRLF line endings",
			yaml: "version: 1\r\ntag:\r\n  sign: true\r\n",
			want: func(c *Config) { c.Tag.Sign = true },
		},
		{
			name: "document markers",
			yaml: "---\nversion: 1\n...\n",
			want: func(*Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("test.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestParseAliasBomb(t *testing.T) {
	// A thousand sections, each an alias of one with a thousand types: a
	// million values from a file of 12 kB.
	var b strings.Builder
	b.WriteString("version: 1\ncommits:\n  types: &t [")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "t%d", i)
	}
	b.WriteString("]\nchangelog:\n  sections:\n    - &s {title: All, types: *t}\n")
	for range 999 {
		b.WriteString("    - *s\n")
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	ps := Problems(err)
	if len(ps) == 0 || len(ps) > aliasBudget+10 {
		t.Fatalf("Parse reported %d problems, want some but no more than %d", len(ps), aliasBudget+10)
	}
	want := fmt.Sprintf("aliases expand to more than %d values; write the values out", aliasBudget)
	if !slices.ContainsFunc(ps, func(p Problem) bool { return strings.HasSuffix(p.Msg, want) }) {
		t.Errorf("Problems do not include %q", want)
	}
}

func TestFullExample(t *testing.T) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("testdata/full.yaml", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Config{
		Version: 1,
		Versioning: Versioning{
			Initial:     "v1.0.0-rc.1",
			MajorOnZero: true,
			Rules:       map[string]string{"feat": "major", "fix": "patch", "perf": "patch", "revert": "none", "docs": "patch"},
			APICheck:    "fail",
			Shallow:     "fail",
		},
		Changelog: Changelog{
			Template: ".github/changelog.tmpl",
			Sections: []Section{
				{Title: "New", Types: []string{"feat"}},
				{Title: "Fixed", Types: []string{"fix", "perf"}},
				{Title: "Documentation", Types: []string{"docs"}},
			},
			Other:  true,
			Remote: Remote{Kind: "gitea", URL: "https://git.example.com/org/repo", Name: "upstream"},
		},
		Commits: Commits{
			Types:        []string{"feat", "fix", "perf", "docs", "chore", "refactor", "test", "ci", "build", "revert"},
			Scopes:       []string{"api", "cli", "web"},
			RequireScope: true,
			MaxHeader:    72,
		},
		Tag: Tag{Sign: true},
		Builds: []Build{{
			ID:      "app",
			Main:    "./cmd/app",
			Binary:  "app",
			Targets: []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "windows/amd64"},
			Exclude: []string{"windows/*"},
			Env:     []string{"GOPRIVATE=example.com"},
			Flags:   []string{"-v"},
			Tags:    []string{"netgo", "osusergo"},
			Ldflags: []string{"-s -w", "-X main.version={{.Version}}"},
			CGO:     true,
			Compilers: []Compiler{
				{Target: "linux/arm64", CC: "aarch64-linux-gnu-gcc"},
				{Target: "windows/amd64", CC: "x86_64-w64-mingw32-gcc"},
			},
		}},
		Archive: Archive{Files: []string{"LICENSE", "README.md", "docs/*.md"}, CompressionLevel: 6},
		Sign: Sign{
			Key:  "keys/cosign.key",
			Skip: []string{"embed"},
			Authenticode: Authenticode{
				Cert:         "keys/codesign.pem",
				Key:          "keys/codesign.key",
				PasswordEnv:  "CODESIGN_PASSWORD",
				TimestampURL: "http://timestamp.example.com",
			},
		},

		// pipeline_test.go tests the pipelines in depth.
		Pipelines: map[string]Pipeline{"ci": {Stages: []Stage{{Name: "test", Steps: []Step{{Test: &TestStep{Race: true}}}}}}},

		Gates: Gates{
			Skip: []string{"gosec"},
			Vuln: VulnGate{
				DB:     "third_party/vulndb",
				FailOn: "imported",
				Ignore: []IgnoreEntry{
					{ID: "GO-2024-1234", Reason: "the vulnerable parser only reads our own config files", Expires: mustDate(t, "2026-12-31")},
					{ID: "CVE-2025-0001", Reason: "quoted dates work too", Expires: mustDate(t, "2027-01-15")},
				},
			},
			License: LicenseGate{Allow: []string{"MIT", "Apache-2.0", "BSD-3-Clause"}, Deny: []string{"AGPL-3.0-only"}, Unknown: "fail"},
			Gosec:   GosecGate{Severity: "high", Include: []string{"G101", "G401"}, Exclude: []string{"G104"}},
			Commits: CommitsGate{Fail: true},
		},

		Release: Release{
			Dist:      "out/dist",
			Store:     "s3://releases?region=eu-west-1",
			Coverage:  80,
			TestFlags: []string{"-short", "-count=1"},
			Skip:      []string{"gates"},
			Push:      false,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
	}

	// The example must keep up with the types: it sets every key.
	d := newDecoder("full.yaml")
	d.value(d.document(data), reflect.ValueOf(Default()).Elem(), "", nil)
	for _, p := range allPaths(reflect.TypeFor[Config](), "") {
		if d.nodes[p] == nil {
			t.Errorf("testdata/full.yaml does not set %s", p)
		}
	}
}

// allPaths returns the key path of every field under struct type t, with
// [0] for the first element of a list of structs.
func allPaths(t reflect.Type, path string) []string {
	var out []string
	for _, f := range fieldsOf(t) {
		p := join(path, f.name)
		out = append(out, p)
		switch ft := t.Field(f.index).Type; {
		case ft.Kind() == reflect.Struct:
			out = append(out, allPaths(ft, p)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, allPaths(ft.Elem(), p+"[0]")...)
		}
	}
	return out
}

func TestDefaultRoundTrip(t *testing.T) {
	data, err := yaml.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("default.yaml", data)
	if err != nil {
		t.Fatalf("Parse(yaml.Marshal(Default())): %v\n%s", err, data)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(yaml.Marshal(Default())) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a := Default()
	a.Versioning.Rules["feat"] = "major"
	a.Changelog.Sections[0].Types[0] = "x"
	if b := Default(); b.Versioning.Rules["feat"] != "minor" || b.Changelog.Sections[0].Types[0] != "feat" {
		t.Errorf("changing one Default() changed the next: %+v", b)
	}
}

func TestLoad(t *testing.T) {
	t.Run("no file", func(t *testing.T) {
		cfg, path, err := Load(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if path != "" {
			t.Errorf("path = %q, want \"\"", path)
		}
		if !reflect.DeepEqual(cfg, Default()) {
			t.Errorf("cfg = %+v, want Default()", cfg)
		}
	})
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, FileName), "version: 1\ntag:\n  sign: true\n")
		cfg, path, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(dir, FileName); path != want {
			t.Errorf("path = %q, want %q", path, want)
		}
		want := Default()
		want.Tag.Sign = true
		if !reflect.DeepEqual(cfg, want) {
			t.Errorf("cfg = %+v, want %+v", cfg, want)
		}
	})
	t.Run("invalid file", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, FileName)
		writeFile(t, file, "version: 1\ntag:\n  sing: true\n")
		cfg, path, err := Load(dir)
		if cfg != nil || path != file {
			t.Errorf("Load = %v, %q, want nil, %q", cfg, path, file)
		}
		want := []Problem{{File: file, Line: 3, Col: 3, Msg: `tag.sing: unknown key "sing"; valid keys in tag: sign; did you mean "sign"?`}}
		if got := Problems(err); !reflect.DeepEqual(got, want) {
			t.Errorf("Problems = %+v, want %+v", got, want)
		}
	})
	t.Run("misnamed file", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, ".shipline.yml")
		writeFile(t, file, "version: 1\n")
		_, _, err := Load(dir)
		want := file + ":1:1: shipline reads .shipline.yaml, not .shipline.yml; rename the file"
		if err == nil || err.Error() != want || shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("Load error = %v, want %s", err, want)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, FileName), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Load(dir); err == nil || !strings.HasPrefix(err.Error(), "read config: ") {
			t.Errorf("Load error = %v, want a read error", err)
		}
	})
}

func TestProblemsOfOtherErrors(t *testing.T) {
	if ps := Problems(nil); ps != nil {
		t.Errorf("Problems(nil) = %v", ps)
	}
	if ps := Problems(shipline.Errorf(shipline.EINVALID, "x")); ps != nil {
		t.Errorf("Problems(other error) = %v", ps)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"initial", "major-on-zero", "rules", "api-check", "shallow"}
	tests := []struct{ in, want string }{
		{"rulez", "rules"},
		{"Rules", "rules"},
		{"inital", "initial"},
		{"api_check", "api-check"},
		{"apicheck", "api-check"},
		{"major", "major-on-zero"},
		{"shalow", "shallow"},
		{"x", ""},
		{"", ""},
		{"version", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, keys); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := suggest("ab", []string{"aa", "bb"}); got != "" {
		t.Errorf("suggest with a tie = %q, want \"\"", got)
	}
}

func writeFile(tb testing.TB, name, data string) {
	tb.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		tb.Fatal(err)
	}
}
