package release

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline/build"
	"github.com/shipline-ci/shipline/config"
)

func TestInitConfig(t *testing.T) {
	for _, tt := range []struct {
		name     string
		files    map[string]string
		dir      string
		builds   []config.Build
		skip     []string
		choices  []string // substrings of the choices, in order
		comments []string // substrings of the file
	}{
		{
			name: "main package at the root",
			files: map[string]string{
				"go.mod": "module example.com/hello\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() {}\n",
				"LICENSE": "MIT License\n", "README.md": "# hello\n", ".gitignore": "/dist/\n",
			},
			builds:   []config.Build{{ID: "hello", Main: ".", Binary: "hello", Targets: build.DefaultTargets}},
			choices:  []string{"first release is v0.1.0", "builds: hello (.)", "license: LICENSE goes into every archive", "gates:", "already in .gitignore", "no git remote \"origin\""},
			comments: []string{"# The module root is package main: binary hello.", "found: LICENSE, README.md", "push: false"},
		},
		{
			name: "commands, a /v2 path and a nested module",
			files: map[string]string{
				"go.mod":            "module example.com/tool/v2\n\ngo 1.22\n",
				"tool.go":           "package tool\n",
				"cmd/a/main.go":     "package main\n\nfunc main() {}\n",
				"cmd/b-cli/main.go": "package main\n\nfunc main() {}\n",
				"cmd/lib/lib.go":    "package lib\n",
				"api/go.mod":        "module example.com/tool/api\n\ngo 1.22\n",
				"api/api.go":        "package api\n",
			},
			builds: []config.Build{
				{ID: "a", Main: "./cmd/a", Binary: "a", Targets: build.DefaultTargets},
				{ID: "b-cli", Main: "./cmd/b-cli", Binary: "b-cli", Targets: build.DefaultTargets},
			},
			choices:  []string{"nested modules api are left out", "builds: a (./cmd/a), b-cli (./cmd/b-cli)", "license: none found", "not in .gitignore: add /dist/"},
			comments: []string{"Nested modules, left out of this module's zip", "# ./cmd/b-cli is a main package: binary b-cli."},
		},
		{
			name: "a library in a subdirectory",
			dir:  "lib",
			files: map[string]string{
				"LICENSE": "Apache License\n", "lib/go.mod": "module example.com/lib\n\ngo 1.22\n", "lib/lib.go": "package lib\n",
			},
			skip:     []string{"build"},
			choices:  []string{"module example.com/lib in lib/: tags are lib/vX.Y.Z", "builds: none, no main package found", "the repository's LICENSE goes into the module zip"},
			comments: []string{"release it with 'shipline release --module lib'", "a release publishes the module and builds nothing"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			repo := mustGit(t, tt.files, "feat: first")
			ic, err := NewInitConfig(context.Background(), repo, tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Parse(ic.Path, ic.File)
			if err != nil {
				t.Fatalf("the file does not parse: %v\n%s", err, ic.File)
			}
			if !reflect.DeepEqual(cfg.Builds, tt.builds) {
				t.Errorf("builds = %+v\nwant %+v", cfg.Builds, tt.builds)
			}
			if !slices.Equal(cfg.Release.Skip, tt.skip) {
				t.Errorf("release.skip = %q, want %q", cfg.Release.Skip, tt.skip)
			}
			all := strings.Join(ic.Choices, "\n")
			at := 0
			for _, want := range tt.choices {
				i := strings.Index(all[at:], want)
				if i < 0 {
					t.Errorf("choices lack %q (in order):\n%s", want, all)
					continue
				}
				at += i
			}
			for _, want := range tt.comments {
				if !strings.Contains(string(ic.File), want) {
					t.Errorf("file lacks %q:\n%s", want, ic.File)
				}
			}
		})
	}
}

func TestInitConfigNoModule(t *testing.T) {
	repo := mustGit(t, map[string]string{"README": "not Go\n"}, "docs: readme")
	if _, err := NewInitConfig(context.Background(), repo, ""); err == nil || !strings.Contains(err.Error(), "has no go.mod") {
		t.Errorf("NewInitConfig without go.mod = %v", err)
	}
}

func TestQuoteYAML(t *testing.T) {
	for in, want := range map[string]string{
		"hello": "hello", "./cmd/a": "./cmd/a", "LICENSE*": "LICENSE*", "123": `"123"`, "yes": `"yes"`,
		"a b": `"a b"`, "*x": `"*x"`, "1e3": `"1e3"`,
	} {
		if got := quoteYAML(in); got != want {
			t.Errorf("quoteYAML(%q) = %s, want %s", in, got, want)
		}
	}
}
