package config

import (
	"bytes"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"gopkg.in/yaml.v3"
)

// FuzzParse checks that Parse never panics, and that what it returns keeps
// its promises: a config or an EINVALID error listing sorted problems, one
// per line, at positions inside the file; and a config that survives being
// written out and parsed again.
func FuzzParse(f *testing.F) {
	for _, tt := range errorTests {
		f.Add([]byte(tt.yaml))
	}
	full, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	f.Add([]byte("version: 1\n"))
	f.Add([]byte("---")) // an empty value past the last line
	f.Add([]byte("version: 1\ncommits: &c {types: [a]}\nchangelog: {sections: [{title: x, types: *c}]}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err == nil {
			if cfg == nil {
				t.Fatal("Parse returned neither a config nor an error")
			}
			out, err := yaml.Marshal(cfg)
			if err != nil {
				t.Fatalf("yaml.Marshal(%+v): %v", cfg, err)
			}
			again, err := Parse("again.yaml", out)
			if err != nil {
				t.Fatalf("Parse(yaml.Marshal(cfg)): %v\n%s", err, out)
			}
			if !reflect.DeepEqual(again, cfg) {
				t.Fatalf("config changed when written out and parsed again:\n%+v\n%+v", cfg, again)
			}
			return
		}
		if cfg != nil {
			t.Fatal("Parse returned a config with its error")
		}
		if code := shipline.ErrorCode(err); code != shipline.EINVALID {
			t.Fatalf("ErrorCode = %q, want %q: %v", code, shipline.EINVALID, err)
		}
		ps := Problems(err)
		if len(ps) == 0 {
			t.Fatalf("no problems in %v", err)
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(ps) {
			t.Fatalf("%d message lines for %d problems:\n%v", len(lines), len(ps), err)
		}
		// YAML also breaks lines at a lone CR, NEL, LS and PS.
		nlines := 1
		for _, b := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			nlines += bytes.Count(data, []byte(b))
		}
		for i, p := range ps {
			if lines[i] != p.String() {
				t.Fatalf("line %d = %q, problem = %q", i, lines[i], p)
			}
			if p.File != "fuzz.yaml" || p.Line < 1 || p.Line > nlines || p.Col < 1 {
				t.Fatalf("problem outside the file (%d lines): %q", nlines, p)
			}
		}
		if !slices.IsSortedFunc(ps, func(a, b Problem) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Col - b.Col
		}) {
			t.Fatalf("problems are not sorted:\n%v", err)
		}
	})
}
