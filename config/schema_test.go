package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"golang.org/x/mod/semver"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestSchemaGolden(t *testing.T) {
	const golden = "testdata/schema.golden.json"
	got := Schema()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Schema() differs from %s; if the change is intended, run go test ./config -update and review the diff\ngot:\n%s", golden, got)
	}
}

// mustSchema returns Schema() decoded.
func mustSchema(tb testing.TB) map[string]any {
	tb.Helper()
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		tb.Fatalf("Schema() is not valid JSON: %v", err)
	}
	return s
}

func TestSchemaIsJSON(t *testing.T) {
	s := mustSchema(t)
	if got := s["$schema"]; got != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", got)
	}
	if !bytes.Equal(Schema(), Schema()) {
		t.Error("Schema() is not deterministic")
	}
	// Every object is closed, and every key described.
	var walk func(s map[string]any, path string)
	walk = func(s map[string]any, path string) {
		// An object with properties is closed, or says what other keys
		// it takes (an inline map) with propertyNames.
		if s["type"] == "object" && s["properties"] != nil && s["additionalProperties"] != false && s["propertyNames"] == nil {
			t.Errorf("%s: additionalProperties = %v, want false", path, s["additionalProperties"])
		}
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			p := p.(map[string]any)
			if d, _ := p["description"].(string); d == "" {
				t.Errorf("%s: no description", join(path, name))
			}
			walk(p, join(path, name))
		}
		for _, k := range []string{"items", "additionalProperties"} {
			if sub, ok := s[k].(map[string]any); ok {
				walk(sub, path+"/"+k)
			}
		}
		for _, sub := range asSlice(s["anyOf"]) {
			walk(sub.(map[string]any), path+"/anyOf")
		}
	}
	walk(s, "")
}

func TestSchemaAcceptsFullExample(t *testing.T) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if errs := validate(mustSchema(t), doc, ""); len(errs) > 0 {
		t.Errorf("the schema rejects testdata/full.yaml:\n%v", errs)
	}
	if errs := validate(mustSchema(t), map[string]any{"version": 1}, ""); len(errs) > 0 {
		t.Errorf("the schema rejects version: 1 alone:\n%v", errs)
	}
}

// TestSchemaAgreesWithParse checks that the schema rejects the files of
// errorTests that a schema can tell are wrong.
func TestSchemaAgreesWithParse(t *testing.T) {
	s := mustSchema(t)
	for _, tt := range errorTests {
		if !tt.schemaRejects {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			if err := yaml.Unmarshal([]byte(tt.yaml), &doc); err != nil {
				t.Fatal(err)
			}
			if errs := validate(s, doc, ""); len(errs) == 0 {
				t.Errorf("the schema accepts a file that Parse rejects:\n%s", tt.yaml)
			}
		})
	}
}

// TestSchemaDefaults checks that the defaults in the schema are Default():
// a file made of them parses to Default().
func TestSchemaDefaults(t *testing.T) {
	var build func(s map[string]any) any
	build = func(s map[string]any) any {
		if d, ok := s["default"]; ok {
			return d
		}
		m := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			m[name] = build(p.(map[string]any))
		}
		return m
	}
	data, err := yaml.Marshal(build(mustSchema(t)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("defaults.yaml", data)
	if err != nil {
		t.Fatalf("Parse(schema defaults): %v\n%s", err, data)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("schema defaults parse to\n%+v\nwant\n%+v", got, want)
	}
}

// TestSchemaConstraintPaths checks that every path in constraints is a key
// of the config, so that renaming a key cannot silently drop a constraint.
func TestSchemaConstraintPaths(t *testing.T) {
	// "[]" stands for a list element, ".*" for a map value.
	paths := map[string]bool{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		paths[path] = true
		switch t.Kind() {
		case reflect.Pointer:
			walk(t.Elem(), path)
		case reflect.Slice:
			walk(t.Elem(), path+"[]")
		case reflect.Map:
			walk(t.Elem(), path+".*")
		case reflect.Struct:
			for _, f := range fieldsOf(t) {
				walk(t.Field(f.index).Type, join(path, f.name))
			}
			if in, ok := inlineOf(t); ok {
				walk(t.Field(in.index).Type, path)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	for p := range constraints {
		if !paths[p] {
			t.Errorf("constraints has %q, which is not a config key", p)
		}
	}
}

// TestSemverPattern checks the schema's pattern for versioning.initial
// against the check Parse makes.
func TestSemverPattern(t *testing.T) {
	re := regexp.MustCompile(semverPattern)
	for _, v := range []string{
		"v0.1.0", "v1.0.0", "v10.20.30", "v1.0.0-rc.1", "v1.0.0-0", "v1.0.0-alpha-1.x", "v1.0.0-0a",
		"", "v", "v1", "v1.2", "1.2.3", "v01.2.3", "v1.02.3", "v1.2.03", "v1.2.3-", "v1.2.3-01",
		"v1.2.3+build", "v1.2.3-rc.1+build", "v1.2.3-a..b", "V1.2.3", "v1.2.3 ", "v1.2.3-ü",
	} {
		want := semver.IsValid(v) && semver.Canonical(v) == v
		if got := re.MatchString(v); got != want {
			t.Errorf("semverPattern matches %q = %v, Parse accepts it = %v", v, got, want)
		}
	}
}

// validate checks v, decoded from YAML, against schema s, knowing only the
// keywords that Schema uses; it fails on any other so that a new keyword
// cannot be silently ignored here.
func validate(s map[string]any, v any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s: ", path)+fmt.Sprintf(format, args...))
	}
	for k := range s {
		if !slices.Contains([]string{"$schema", "title", "description", "default", "type", "properties",
			"required", "additionalProperties", "propertyNames", "items", "minItems", "uniqueItems",
			"enum", "const", "pattern", "minLength", "minimum", "maximum", "anyOf", "oneOf", "minProperties"}, k) {
			fail("validate does not know keyword %q", k)
		}
	}
	// yaml.v3 decodes an unquoted date into a time.Time; to JSON (and so
	// to a schema) it is the string written.
	if t, ok := v.(time.Time); ok {
		v = t.Format(time.DateOnly)
		if !t.Equal(t.Truncate(24 * time.Hour)) {
			v = t.Format(time.RFC3339Nano)
		}
	}
	num, isNum := number(v)
	for _, kw := range []string{"anyOf", "oneOf"} {
		subs, ok := s[kw].([]any)
		if !ok {
			continue
		}
		n := 0
		for _, sub := range subs {
			if len(validate(sub.(map[string]any), v, path)) == 0 {
				n++
			}
		}
		if n == 0 || kw == "oneOf" && n > 1 {
			fail("%v matches %d of the %d schemas of %s", v, n, len(subs), kw)
		}
	}
	typ := s["type"]
	if types, ok := typ.([]any); ok {
		// A list of types: v's own type, if listed, else the first.
		typ = types[0]
		for _, t := range types {
			if t == "null" && v == nil || t == "object" && isObject(v) {
				typ = t
			}
		}
	}
	switch typ {
	case nil:
	case "null":
		if v != nil {
			fail("want null, got %T", v)
			return errs
		}
	case "object":
		if _, ok := v.(map[string]any); !ok {
			fail("want an object, got %T", v)
			return errs
		}
	case "array":
		if _, ok := v.([]any); !ok {
			fail("want an array, got %T", v)
			return errs
		}
	case "string":
		if _, ok := v.(string); !ok {
			fail("want a string, got %T", v)
			return errs
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean, got %T", v)
			return errs
		}
	case "integer":
		if !isNum || num != float64(int64(num)) {
			fail("want an integer, got %T", v)
			return errs
		}
	default:
		fail("validate does not know type %v", typ)
	}
	if c, ok := s["const"]; ok {
		if cn, _ := number(c); !isNum || cn != num {
			fail("want %v, got %v", c, v)
		}
	}
	if enum, ok := s["enum"].([]any); ok && !containsValue(enum, v) {
		fail("%v is not one of %v", v, enum)
	}
	if str, ok := v.(string); ok {
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			fail("%q does not match %s", str, p)
		}
		if m, ok := s["minLength"].(float64); ok && float64(len([]rune(str))) < m {
			fail("%q is shorter than %v", str, m)
		}
	}
	if m, ok := s["minimum"].(float64); ok && isNum && num < m {
		fail("%v is less than %v", v, m)
	}
	if m, ok := s["maximum"].(float64); ok && isNum && num > m {
		fail("%v is more than %v", v, m)
	}
	if obj, ok := v.(map[string]any); ok {
		if m, ok := s["minProperties"].(float64); ok && float64(len(obj)) < m {
			fail("fewer than %v keys", m)
		}
		props, _ := s["properties"].(map[string]any)
		for _, r := range asSlice(s["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				fail("missing %s", r)
			}
		}
		for k, val := range obj {
			if pn, ok := s["propertyNames"].(map[string]any); ok {
				errs = append(errs, validate(pn, k, join(path, k))...)
			}
			if p, ok := props[k]; ok {
				errs = append(errs, validate(p.(map[string]any), val, join(path, k))...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("unknown key %q", k)
				}
			case map[string]any:
				errs = append(errs, validate(ap, val, join(path, k))...)
			}
		}
	}
	if list, ok := v.([]any); ok {
		if m, ok := s["minItems"].(float64); ok && float64(len(list)) < m {
			fail("fewer than %v items", m)
		}
		for i, item := range list {
			if s["uniqueItems"] == true && containsValue(list[:i], item) {
				fail("%v is listed twice", item)
			}
			if items, ok := s["items"].(map[string]any); ok {
				errs = append(errs, validate(items, item, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return errs
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func isObject(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// containsValue is slices.Contains for values that may be maps or lists.
func containsValue(list []any, v any) bool {
	return slices.ContainsFunc(list, func(x any) bool { return reflect.DeepEqual(x, v) })
}
