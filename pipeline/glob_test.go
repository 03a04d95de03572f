package pipeline

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"go.mod", "go.mod", true},
		{"go.mod", "api/go.mod", false},
		{"*.go", "main.go", true},
		{"*.go", "cmd/main.go", false}, // * stays in its segment
		{"**/*.go", "main.go", true},   // ** matches no directory too
		{"**/*.go", "cmd/app/main.go", true},
		{"**/*.go", "cmd/app/main.go.orig", false},
		{"docs/**", "docs/index.md", true},
		{"docs/**", "docs/a/b/c.md", true},
		{"docs/**", "docs", true},
		{"docs/**", "docsx/a.md", false},
		{"cmd/**/main.go", "cmd/main.go", true},
		{"cmd/**/main.go", "cmd/a/b/main.go", true},
		{"cmd/**/main.go", "cmd/a/b/main_test.go", false},
		{"**", "anything/at/all", true},
		{"**/testdata/**", "a/testdata/x.txt", true},
		{"**/testdata/**", "testdata/x.txt", true},
		{"**/testdata/**", "a/testdata", true},
		{"**/testdata/**", "a/testdatax/y", false},
		{"a/**/**/b", "a/b", true},
		{"a/**/**/b", "a/x/y/z/b", true},
		{"release/*", "release/1.2", true},
		{"release/*", "release/1.2/hotfix", false},
		{"release/**", "release/1.2/hotfix", true},
		{"v?.*", "v1.2", true},
		{"[mM]ain", "Main", true},
		{"[", "[", false}, // malformed: matches nothing
		{"a", "", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	for b.Loop() {
		Match("**/cmd/**/*_test.go", "a/b/c/d/cmd/e/f/g/h/main_test.go")
	}
}
