package license

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gate"
)

func TestIsLicenseFile(t *testing.T) {
	for name, want := range map[string]bool{
		"LICENSE": true, "LICENSE.md": true, "license.txt": true, "LICENCE": true, "LICENSE-APACHE": true,
		"COPYING": true, "COPYING.LESSER": true, "UNLICENSE": true, "MIT-LICENSE": true, "APACHE_LICENSE.txt": true,
		"license.go": false, "licenses.json": false, "README.md": false, "NOTICE": false, "go.mod": false,
	} {
		if got := IsLicenseFile(name); got != want {
			t.Errorf("IsLicenseFile(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		mod     string
		ids     []string
		file    string
		unknown []string
	}{
		{mod: "mit", ids: []string{"MIT"}, file: "LICENSE"},
		{mod: "gpl", ids: []string{"GPL-3.0"}, file: "COPYING"},
		{mod: "nolicense"},
		{mod: "testonly", unknown: []string{"LICENSE"}},
	}
	for _, tt := range tests {
		t.Run(tt.mod, func(t *testing.T) {
			d, err := Detect(filepath.Join("testdata", "mods", tt.mod), 0)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, l := range d.Licenses {
				ids = append(ids, l.ID)
				if l.File != tt.file || l.Coverage < DefaultMinCoverage {
					t.Errorf("got %s in %s at %.1f%%, want it in %s at %d%% or more", l.ID, l.File, l.Coverage, tt.file, DefaultMinCoverage)
				}
			}
			if strings.Join(ids, " ") != strings.Join(tt.ids, " ") {
				t.Errorf("got licenses %v, want %v", ids, tt.ids)
			}
			var unknown []string
			for _, u := range d.Unidentified {
				unknown = append(unknown, u.File)
			}
			if strings.Join(unknown, " ") != strings.Join(tt.unknown, " ") {
				t.Errorf("got unidentified files %v, want %v", unknown, tt.unknown)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	for _, o := range []Options{
		{LicenseGate: config.LicenseGate{Deny: []string{"GPL-3"}}},
		{MinCoverage: 120},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): got no error", o)
		}
	}
}

// findingsByModule returns the findings of rep as "MODULE ID blocking".
func findingsByModule(rep *gate.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		s := f.Module + " " + f.ID
		if f.Blocking {
			s += " blocking"
		}
		out = append(out, s)
	}
	return out
}

func mustRun(t testing.TB, o Options, dir string) *gate.Report {
	t.Helper()
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := g.Run(context.Background(), &gate.Module{Dir: dir, Path: "example.com/app"})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

var denyGPL = []string{"GPL-3.0-only", "GPL-3.0-or-later"}

func TestRunLinkedModules(t *testing.T) {
	dir := mustFixture(t, true)
	tests := []struct {
		name    string
		policy  config.LicenseGate
		want    []string
		passed  bool
		message map[string][]string // finding ID -> what its message says
	}{
		{
			name:   "deny GPL, unknown fails",
			policy: config.LicenseGate{Deny: denyGPL},
			want:   []string{"example.com/gpl@v1.0.0 GPL-3.0 blocking", "example.com/nolicense@v1.0.0 unknown blocking"},
			message: map[string][]string{
				"GPL-3.0": {"COPYING", "100%", "GPL-3.0-only, GPL-3.0-or-later", "replaced by"},
				Unknown:   {"no license file"},
			},
		},
		{
			name:   "deny GPL, unknown warns",
			policy: config.LicenseGate{Deny: denyGPL, Unknown: "warn"},
			want:   []string{"example.com/gpl@v1.0.0 GPL-3.0 blocking", "example.com/nolicense@v1.0.0 unknown"},
		},
		{
			name:   "allow MIT and GPL, unknown warns",
			policy: config.LicenseGate{Allow: []string{"MIT", "GPL-3.0"}, Unknown: "warn"},
			want:   []string{"example.com/nolicense@v1.0.0 unknown"},
			passed: true,
		},
		{
			name:   "allow MIT only",
			policy: config.LicenseGate{Allow: []string{"MIT"}, Unknown: "warn"},
			want:   []string{"example.com/gpl@v1.0.0 GPL-3.0 blocking", "example.com/nolicense@v1.0.0 unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := mustRun(t, Options{LicenseGate: tt.policy, Env: offlineEnv(t, "")}, dir)
			got := findingsByModule(rep)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if rep.Passed != tt.passed {
				t.Errorf("got passed %v, want %v", rep.Passed, tt.passed)
			}
			for _, f := range rep.Findings {
				for _, w := range tt.message[f.ID] {
					if !strings.Contains(f.Message, w) {
						t.Errorf("%s: message %q does not contain %q", f.ID, f.Message, w)
					}
				}
			}
			notes := strings.Join(rep.Notes, "\n")
			for _, w := range []string{"checked 3 modules linked", "GPL-3.0 1, MIT 1, unknown 1"} {
				if !strings.Contains(notes, w) {
					t.Errorf("notes %q do not contain %q", notes, w)
				}
			}
		})
	}
}

func TestRunModuleCache(t *testing.T) {
	if testing.Short() {
		t.Skip("fills module caches from a file:// proxy and vendors a module")
	}
	proxy := mustProxy(t)
	policy := config.LicenseGate{Deny: denyGPL, Unknown: "warn"}

	t.Run("linked", func(t *testing.T) {
		rep := mustRun(t, Options{LicenseGate: policy, Env: offlineEnv(t, proxy)}, mustFixture(t, false))
		want := []string{"example.com/gpl@v1.0.0 GPL-3.0 blocking", "example.com/nolicense@v1.0.0 unknown"}
		if got := findingsByModule(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("all modules", func(t *testing.T) {
		rep := mustRun(t, Options{LicenseGate: policy, AllModules: true, Env: offlineEnv(t, proxy)}, mustFixture(t, false))
		want := []string{"example.com/gpl@v1.0.0 GPL-3.0 blocking", "example.com/nolicense@v1.0.0 unknown", "example.com/testonly@v1.0.0 unknown"}
		if got := findingsByModule(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if msg := rep.Findings[2].Message; !strings.Contains(msg, "LICENSE: ") || !strings.Contains(msg, "below the 75%") {
			t.Errorf("got message %q, want it to name LICENSE and its coverage", msg)
		}
		if !strings.Contains(strings.Join(rep.Notes, "\n"), "checked 4 modules in the build list") {
			t.Errorf("got notes %q", rep.Notes)
		}
	})
	t.Run("vendor", func(t *testing.T) {
		dir := mustFixture(t, false)
		env := append(os.Environ(), offlineEnv(t, proxy)...)
		for _, args := range [][]string{{"mod", "download", "all"}, {"mod", "vendor"}} {
			cmd := exec.Command("go", args...)
			cmd.Dir = dir
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		// No proxy, an empty module cache: only vendor/ has the modules.
		rep := mustRun(t, Options{LicenseGate: policy, Env: append(offlineEnv(t, ""), "GOFLAGS=-mod=vendor")}, dir)
		want := []string{"example.com/gpl@v1.0.0 GPL-3.0 blocking", "example.com/nolicense@v1.0.0 unknown"}
		if got := findingsByModule(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("offline without the modules", func(t *testing.T) {
		for _, all := range []bool{false, true} {
			g, err := New(Options{LicenseGate: policy, AllModules: all, Env: offlineEnv(t, "")})
			if err != nil {
				t.Fatal(err)
			}
			_, err = g.Run(context.Background(), &gate.Module{Dir: mustFixture(t, false), Path: "example.com/app"})
			if err == nil || !strings.Contains(err.Error(), "example.com/") {
				t.Errorf("all=%v: got error %v, want one naming the missing module", all, err)
			}
		}
	})
}

func TestRunCanceled(t *testing.T) {
	g, err := New(Options{Env: offlineEnv(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Run(ctx, &gate.Module{Dir: mustFixture(t, true)}); !errors.Is(err, context.Canceled) {
		t.Errorf("got error %v, want context.Canceled", err)
	}
}

func BenchmarkRun(b *testing.B) {
	dir := mustFixture(b, true)
	g, err := New(Options{LicenseGate: config.LicenseGate{Deny: denyGPL}, Env: offlineEnv(b, "")})
	if err != nil {
		b.Fatal(err)
	}
	m := &gate.Module{Dir: dir, Path: "example.com/app"}
	// The first run compiles licensecheck's patterns (about a second,
	// once per process); measure the runs after it.
	if _, err := g.Run(context.Background(), m); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := g.Run(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
}
