package vuln

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/gate"
	"github.com/shipline-ci/shipline/gate/vuln/vulntest"
)

// realOSV returns the data/osv directory of golang.org/x/vulndb in the
// module cache, skipping the test when it is not there (get it with 'go
// mod download golang.org/x/vulndb@latest').
func realOSV(t *testing.T) string {
	t.Helper()
	slow(t)
	dir, err := findVulnDBModule(context.Background(), nil)
	if shipline.ErrorCode(err) == shipline.ENOTFOUND {
		t.Skip("golang.org/x/vulndb is not in the module cache; run 'go mod download golang.org/x/vulndb@latest' to test against the real database")
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRealDatabase indexes the OSV files of the real Go vulnerability
// database and checks a module that calls a function it lists as
// vulnerable.
func TestRealDatabase(t *testing.T) {
	osv := realOSV(t)
	ctx := context.Background()
	des, err := os.ReadDir(osv)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".json") {
			files++
		}
	}

	out := filepath.Join(t.TempDir(), "db")
	info, err := BuildDB(ctx, osv, out, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Entries != files || info.Modules < 1000 || info.Modified.IsZero() {
		t.Errorf("BuildDB = %+v, want %d entries, over 1000 modules and a modified time", info, files)
	}
	var mods []moduleMeta
	readJSON(t, filepath.Join(out, "index", "modules.json"), &mods)
	found := map[string]bool{}
	for _, m := range mods {
		for _, v := range m.Vulns {
			if m.Path == "golang.org/x/text" && v.ID == "GO-2021-0113" && v.Fixed == "0.3.7" {
				found["x/text"] = true
			}
		}
		if m.Path == "stdlib" {
			found["stdlib"] = true
		}
	}
	if !found["x/text"] || !found["stdlib"] {
		t.Errorf("modules.json lacks GO-2021-0113 for golang.org/x/text fixed in 0.3.7, or the standard library: %v", found)
	}

	fx, dir := vulntest.MustFixture(t, "testdata/realdb.txtar")
	g := &Gate{DB: out, Env: fx.Env, Now: fixedNow}
	rep, err := g.Run(ctx, &gate.Module{Dir: filepath.Join(dir, "app"), Path: "example.com/realapp"})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := byID(rep)["GO-2021-0113"]
	if !ok || !f.Blocking || f.Location.String() != "main.go:6:26" || !strings.Contains(f.Message, "Fixed in v0.3.7") {
		t.Errorf("GO-2021-0113 = %+v, want it reachable from main.go:6:26 and blocking", f)
	}
	if rep.Passed {
		t.Error("the gate passed a module that calls a vulnerable function")
	}
	t.Logf("%d findings; notes: %q", len(rep.Findings), rep.Notes)
}
