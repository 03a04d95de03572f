package sbom_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xeipuuv/gojsonschema"
)

// schema is the CycloneDX 1.6 JSON Schema that cyclonedx-go ships, with
// the SPDX and JSF schemas it refers to.
var schema = sync.OnceValues(func() (*gojsonschema.Schema, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	load := func(name string) (gojsonschema.JSONLoader, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		return gojsonschema.NewBytesLoader(b), nil
	}
	sl := gojsonschema.NewSchemaLoader()
	// The JSF file's name differs from its $id (jsf-0.82.schema.json).
	for _, name := range []string{"spdx.schema.json", "jsf-0.82.schemax.json"} {
		l, err := load(name)
		if err != nil {
			return nil, err
		}
		if err := sl.AddSchemas(l); err != nil {
			return nil, err
		}
	}
	l, err := load("bom-1.6.schema.json")
	if err != nil {
		return nil, err
	}
	return sl.Compile(l)
})

// validate checks a document against the CycloneDX 1.6 JSON Schema.
func validate(t *testing.T, doc []byte) {
	t.Helper()
	s, err := schema()
	if err != nil {
		t.Fatalf("load the CycloneDX schema: %v", err)
	}
	res, err := s.Validate(gojsonschema.NewBytesLoader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors() {
		t.Errorf("CycloneDX 1.6 schema: %s", e)
	}
}
