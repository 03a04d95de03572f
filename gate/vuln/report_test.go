package vuln

import (
	"strings"
	"testing"

	"github.com/shipline-ci/shipline/gate"
)

// TestReportGroupsByPlace checks, on a made-up stream, that the
// vulnerable functions one call in the module reaches make one finding.
func TestReportGroupsByPlace(t *testing.T) {
	at := func(file string, line int) *position { return &position{Filename: file, Line: line, Column: 2} }
	call := func(fn string, from *position) *finding {
		return &finding{OSV: "GO-2026-0001", FixedVersion: "v1.26.9", Trace: []*frame{
			{Module: "stdlib", Version: "v1.26.8", Package: "net/http", Function: fn, Position: at("src/net/http/x.go", 1)},
			{Module: "example.com/app", Package: "example.com/app", Function: "serve", Position: from},
		}}
	}
	res := &result{osvs: map[string]*osvEntry{"GO-2026-0001": {ID: "GO-2026-0001", Summary: "A bug in net/http"}}, findings: []*finding{
		call("Serve", at("main.go", 10)),
		call("ReadRequest", at("main.go", 10)),
		call("Get", at("client.go", 3)),
		{OSV: "GO-2026-0001", Trace: []*frame{{Module: "stdlib", Version: "v1.26.8"}}}, // module level: subsumed
	}}
	m := &gate.Module{Dir: t.TempDir(), Path: "example.com/app"}
	rep := (&Gate{Now: fixedNow}).report(res, m, &DB{Source: "test"})
	if len(rep.Findings) != 2 {
		t.Fatalf("findings = %+v, want one per place in the module", rep.Findings)
	}
	f := rep.Findings[0]
	if f.Location.String() != "main.go:10:2" || !strings.HasSuffix(f.Message, "Fixed in Go 1.26.9: build with it. From the same place it also reaches net/http.ReadRequest.") {
		t.Errorf("first finding at %s: %s", f.Location, f.Message)
	}
	if f := rep.Findings[1]; f.Location.String() != "client.go:3:2" || strings.Contains(f.Message, "also reaches") {
		t.Errorf("second finding at %s: %s", f.Location, f.Message)
	}

	// In a binary, one finding per vulnerability names what it holds.
	rep = (&Gate{Now: fixedNow}).report(res, nil, &DB{Source: "test"})
	if len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Message, "It also holds net/http.Get, net/http.ReadRequest.") {
		t.Errorf("binary findings = %+v", rep.Findings)
	}
}

func TestListSome(t *testing.T) {
	if got := listSome([]string{"a", "b", "c"}, 2); got != "a, b and 1 more" {
		t.Errorf("listSome = %q", got)
	}
}
