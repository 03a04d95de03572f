package apicheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/shipline-ci/shipline"
)

// TestMain keeps the go command that Compare runs off the network and on the
// installed toolchain: the modules the tests write have no dependencies, so
// nothing needs fetching.
func TestMain(m *testing.M) {
	os.Setenv("GOPROXY", "off")
	os.Setenv("GOTOOLCHAIN", "local")
	os.Exit(m.Run())
}

// skipIfShort skips a test that runs the go command: each Compare takes
// 0.1 to 0.4 s, and all of them together about 2.5 s.
func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command; skipped with -short")
	}
}

// MustWriteTree writes the files of a txtar archive to a new temporary
// directory and returns its path.
func MustWriteTree(tb testing.TB, archive string) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, f := range txtar.Parse([]byte(archive)).Files {
		name := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(name, f.Data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// base is the module every Compare case starts from: a root package, a
// sub-package, internal packages, a command, testdata and a nested module.
const base = `
-- go.mod --
module example.com/m

go 1.26
-- m.go --
package m

// Foo is exported.
func Foo() {}

// T is an exported type.
type T struct{ A int }

func unexported() {}
-- sub/sub.go --
package sub

import "example.com/m"

// Bar uses a type from the root package.
func Bar(t m.T) string { return "" }
-- internal/in/in.go --
package in

// Gone is removed in some cases.
func Gone() {}
-- sub/internal/deep/deep.go --
package deep

// Gone is removed in some cases.
func Gone() {}
-- cmd/tool/main.go --
package main

// Gone is removed in some cases.
func Gone() {}

func main() {}
-- testdata/td/td.go --
package td

// Gone is removed in some cases.
func Gone() {}
-- nested/go.mod --
module example.com/m/nested

go 1.26
-- nested/nested.go --
package nested

// Gone is removed in some cases.
func Gone() {}
`

// edit returns base with the files of archive replacing or adding to its
// files; a file whose content is "DELETE\n" is removed.
func edit(archive string) string {
	a := txtar.Parse([]byte(base))
	for _, f := range txtar.Parse([]byte(archive)).Files {
		i := 0
		for i < len(a.Files) && a.Files[i].Name != f.Name {
			i++
		}
		switch {
		case string(f.Data) == "DELETE\n":
			if i < len(a.Files) {
				a.Files = append(a.Files[:i], a.Files[i+1:]...)
			}
		case i < len(a.Files):
			a.Files[i] = f
		default:
			a.Files = append(a.Files, f)
		}
	}
	return string(txtar.Format(a))
}

func TestCompare(t *testing.T) {
	skipIfShort(t)
	tests := []struct {
		name string
		old  string // txtar archive; base if empty
		new  string // txtar archive
		want Report
	}{
		{
			name: "no change",
			new:  base,
			want: Report{Required: shipline.BumpNone},
		},
		{
			name: "unexported change",
			new: edit(`
-- m.go --
package m

// Foo is exported.
func Foo() {}

// T is an exported type.
type T struct{ A int }

func unexported(x int) int { return x }
`),
			want: Report{Required: shipline.BumpNone},
		},
		{
			name: "added func",
			new: edit(`
-- sub/more.go --
package sub

// Baz is new.
func Baz() {}
`),
			want: Report{
				Packages: []PackageDiff{{Path: "example.com/m/sub", Compatible: []string{"Baz: added"}}},
				Required: shipline.BumpMinor,
			},
		},
		{
			name: "added field",
			new: edit(`
-- m.go --
package m

// Foo is exported.
func Foo() {}

// T is an exported type.
type T struct{ A, B int }
`),
			want: Report{
				Packages: []PackageDiff{{Path: "example.com/m", Compatible: []string{"T.B: added"}}},
				Required: shipline.BumpMinor,
			},
		},
		{
			name: "removed func",
			new: edit(`
-- m.go --
package m

// T is an exported type.
type T struct{ A int }
`),
			want: Report{
				Packages: []PackageDiff{{Path: "example.com/m", Incompatible: []string{"Foo: removed"}}},
				Required: shipline.BumpMajor,
			},
		},
		{
			name: "changed signature",
			new: edit(`
-- sub/sub.go --
package sub

import "example.com/m"

// Bar uses a type from the root package.
func Bar(t m.T, n int) string { return "" }
`),
			want: Report{
				Packages: []PackageDiff{{
					Path:         "example.com/m/sub",
					Incompatible: []string{"Bar: changed from func(example.com/m.T) string to func(example.com/m.T, int) string"},
				}},
				Required: shipline.BumpMajor,
			},
		},
		{
			name: "changed type used by another package",
			new: edit(`
-- m.go --
package m

// Foo is exported.
func Foo() {}

// T is an exported type.
type T struct{ A string }
`),
			want: Report{
				Packages: []PackageDiff{{
					Path:         "example.com/m",
					Incompatible: []string{"T.A: changed from int to string"},
				}},
				Required: shipline.BumpMajor,
			},
		},
		{
			name: "incompatible and compatible in two packages",
			new: edit(`
-- m.go --
package m

// T is an exported type.
type T struct{ A int }

// Foo2 replaces Foo.
func Foo2() {}
-- sub/more.go --
package sub

// Baz is new.
func Baz() {}
`),
			want: Report{
				Packages: []PackageDiff{
					{Path: "example.com/m", Incompatible: []string{"Foo: removed"}, Compatible: []string{"Foo2: added"}},
					{Path: "example.com/m/sub", Compatible: []string{"Baz: added"}},
				},
				Required: shipline.BumpMajor,
			},
		},
		{
			name: "removed package",
			new: edit(`
-- sub/sub.go --
DELETE
`),
			want: Report{
				Packages: []PackageDiff{{Path: "example.com/m/sub", Incompatible: []string{"package removed"}}},
				Required: shipline.BumpMajor,
			},
		},
		{
			name: "new package",
			new: edit(`
-- extra/extra.go --
package extra
`),
			want: Report{
				Packages: []PackageDiff{{Path: "example.com/m/extra", Compatible: []string{"package added"}}},
				Required: shipline.BumpMinor,
			},
		},
		{
			name: "internal, main, testdata and nested module changes ignored",
			new: edit(`
-- internal/in/in.go --
package in
-- sub/internal/deep/deep.go --
DELETE
-- internal/added/added.go --
package added

// New is new.
func New() {}
-- cmd/tool/main.go --
package main

func main() {}
-- testdata/td/td.go --
package td
-- nested/nested.go --
package nested
-- nested/more/more.go --
package more
`),
			want: Report{Required: shipline.BumpNone},
		},
		{
			name: "module moved to a new major version path",
			new: strings.NewReplacer("module example.com/m\n", "module example.com/m/v2\n", `"example.com/m"`, `"example.com/m/v2"`).Replace(edit(`
-- sub/more.go --
package sub

// Baz is new.
func Baz() {}
`)),
			want: Report{
				// Packages are matched by relative path; a type from
				// another package of the module is a different type now.
				Packages: []PackageDiff{{
					Path:         "example.com/m/v2/sub",
					Incompatible: []string{"Bar: changed from func(example.com/m.T) string to func(example.com/m/v2.T) string"},
					Compatible:   []string{"Baz: added"},
				}},
				Required: shipline.BumpMajor,
			},
		},
		{
			name: "old tree without packages",
			old: `
-- go.mod --
module example.com/m

go 1.26
`,
			new: `
-- go.mod --
module example.com/m

go 1.26
-- m.go --
package m
`,
			want: Report{
				Packages: []PackageDiff{{Path: "example.com/m", Compatible: []string{"package added"}}},
				Required: shipline.BumpMinor,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			old := tt.old
			if old == "" {
				old = base
			}
			got, err := Compare(t.Context(), MustWriteTree(t, old), MustWriteTree(t, tt.new))
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Compare:\ngot  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestCompareErrors(t *testing.T) {
	skipIfShort(t)
	const broken = `
-- go.mod --
module example.com/m

go 1.26
-- m.go --
package m

// Foo is exported.
func Foo() int { return "not an int" }
-- user/user.go --
package user

import "example.com/m"

// Use uses a broken package.
var Use = m.Foo
`
	const good = `
-- go.mod --
module example.com/m

go 1.26
-- m.go --
package m
`
	const brokenMain = good + `
-- cmd/tool/main.go --
package main

func main() { undefined() }
`
	tests := []struct {
		name     string
		old, new string // txtar archives; "" for a directory without go.mod
		wantCode string
		wantIn   []string // substrings of the error message
	}{
		{
			name:     "old tree does not type-check",
			old:      broken,
			new:      good,
			wantCode: shipline.EINVALID,
			wantIn:   []string{"old tree ", "does not type-check", "m.go:4:", `"not an int"`},
		},
		{
			name:     "new tree does not type-check",
			old:      good,
			new:      broken,
			wantCode: shipline.EINVALID,
			wantIn:   []string{"new tree ", "does not type-check"},
		},
		{
			name:     "no go.mod",
			old:      "-- m.go --\npackage m\n",
			new:      good,
			wantCode: shipline.EINVALID,
			wantIn:   []string{"old tree ", "no Go module at its root"},
		},
		{
			name:     "broken main package",
			old:      brokenMain,
			new:      good,
			wantCode: "", // main packages are skipped, errors included
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compare(t.Context(), MustWriteTree(t, tt.old), MustWriteTree(t, tt.new))
			if got := shipline.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("Compare: error code %q (%v), want %q", got, err, tt.wantCode)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Compare: error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestCompareCanceled(t *testing.T) {
	dir := MustWriteTree(t, base)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Compare(ctx, dir, dir)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Compare with a canceled context: error %v, want context.Canceled", err)
	}
}

// TestCompareGOFLAGS checks that Compare loads packages with the GOFLAGS of
// the environment, here a build tag that adds a function.
func TestCompareGOFLAGS(t *testing.T) {
	skipIfShort(t)
	tagged := edit(`
-- m_tagged.go --
//go:build apichecktag

package m

// Tagged exists only with the apichecktag build tag.
func Tagged() {}
`)
	t.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -tags=apichecktag"))
	got, err := Compare(t.Context(), MustWriteTree(t, base), MustWriteTree(t, tagged))
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	want := []PackageDiff{{Path: "example.com/m", Compatible: []string{"Tagged: added"}}}
	if !reflect.DeepEqual(got.Packages, want) {
		t.Errorf("Compare: got %+v, want %+v", got.Packages, want)
	}
}

func ExampleJudge() {
	v := Judge(shipline.BumpMajor, shipline.BumpMinor, 1, false)
	fmt.Println(v.Status, v.Needed)
	fmt.Println(v.Message)
	// Output:
	// under major
	// the exported API has incompatible changes, which need a major bump, but the commits claim a minor bump: mark the commit that breaks it with "!" (feat!: ...) or a BREAKING CHANGE footer
}

func TestReportJSON(t *testing.T) {
	r := Report{
		Packages: []PackageDiff{{Path: "example.com/m", Incompatible: []string{"Foo: removed"}}},
		Required: shipline.BumpMajor,
	}
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"packages":[{"path":"example.com/m","incompatible":["Foo: removed"]}],"required":"major"}`
	if string(got) != want {
		t.Errorf("json.Marshal(%+v) = %s, want %s", r, got, want)
	}
}
