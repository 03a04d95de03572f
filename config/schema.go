package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Schema returns a JSON Schema (draft 2020-12) for the config file, for
// editors and other tools. It is generated from the Go types with the same
// `yaml`, `doc` and `enum` struct tags that Parse reads: every object has
// additionalProperties false, every key has its description and, outside
// lists, its default from Default(). The schema also states the semantic
// checks that a schema can express (see constraints); a file the schema
// accepts can still fail Parse on one it cannot, such as a commit type
// listed in two sections.
func Schema() []byte {
	root := schemaOf(reflect.TypeFor[Config](), "", reflect.ValueOf(*Default()), rule{})
	root.Schema = "https://json-schema.org/draft/2020-12/schema"
	root.Title = FileName
	root.Description = "Shipline configuration, format version 1. Every key but version is optional; a key left out gets its default."

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		panic(fmt.Sprintf("config: encode schema: %v", err)) // the types above always encode
	}
	return buf.Bytes()
}

// Patterns shared by the schema and the checks in validate.go.
const (
	// commitTypePattern is commitType as a JSON Schema pattern.
	commitTypePattern = `^[A-Za-z0-9_-]+$`
	// semverPattern matches what semver.IsValid accepts and
	// semver.Canonical leaves unchanged: vMAJOR.MINOR.PATCH[-PRERELEASE].
	semverPattern = `^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
		`(-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$`
)

// constraints add to the schema of a key path ("[]" stands for a list
// element) what the struct tags cannot say. They mirror the checks in
// validate.go; a test checks that every path exists.
var constraints = map[string]func(*jsonSchema){
	"":                             func(s *jsonSchema) { s.Required = []string{"version"} },
	"version":                      func(s *jsonSchema) { s.Const = 1 },
	"versioning.initial":           func(s *jsonSchema) { s.Pattern = semverPattern },
	"changelog.sections[]":         func(s *jsonSchema) { s.Required = []string{"title", "types"} },
	"changelog.sections[].title":   func(s *jsonSchema) { s.Pattern = `\S` },
	"changelog.sections[].types":   func(s *jsonSchema) { s.MinItems = ptr(1); s.UniqueItems = true },
	"changelog.sections[].types[]": func(s *jsonSchema) { s.Pattern = commitTypePattern },
	"changelog.remote.url":         func(s *jsonSchema) { s.Pattern = `^(https?://[^/\s]+\S*)?$` },
	"changelog.remote.name":        func(s *jsonSchema) { s.MinLength = ptr(1) },
	"commits.types[]":              func(s *jsonSchema) { s.Pattern = commitTypePattern },
	"commits.max-header-length":    func(s *jsonSchema) { s.Minimum = ptr(0) },
	"archive.compression-level":    func(s *jsonSchema) { s.Minimum = ptr(1); s.Maximum = ptr(9) },

	// Pipelines; see pipeline_check.go.
	"pipelines.*":                                       func(s *jsonSchema) { s.Required = []string{"stages"} },
	"pipelines.*.go":                                    func(s *jsonSchema) { s.Pattern = goVersionPattern },
	"pipelines.*.when.branch[]":                         func(s *jsonSchema) { s.Pattern = globPattern },
	"pipelines.*.when.paths.include[]":                  func(s *jsonSchema) { s.Pattern = globPattern },
	"pipelines.*.when.paths.exclude[]":                  func(s *jsonSchema) { s.Pattern = globPattern },
	"pipelines.*.matrix.*":                              func(s *jsonSchema) { s.MinItems = ptr(1); s.UniqueItems = true },
	"pipelines.*.matrix.exclude[]":                      func(s *jsonSchema) { s.MinProperties = ptr(1) },
	"pipelines.*.matrix.max-jobs":                       func(s *jsonSchema) { s.Minimum = ptr(1); s.Maximum = ptr(MaxCombinations) },
	"pipelines.*.stages":                                func(s *jsonSchema) { s.MinItems = ptr(1) },
	"pipelines.*.stages[]":                              func(s *jsonSchema) { s.Required = []string{"name", "steps"} },
	"pipelines.*.stages[].name":                         func(s *jsonSchema) { s.Pattern = namePattern },
	"pipelines.*.stages[].steps":                        func(s *jsonSchema) { s.MinItems = ptr(1) },
	"pipelines.*.stages[].steps[].name":                 func(s *jsonSchema) { s.Pattern = namePattern },
	"pipelines.*.stages[].steps[].run":                  func(s *jsonSchema) { s.AnyOf[1].MinItems = ptr(1) },
	"pipelines.*.stages[].steps[].run[]":                func(s *jsonSchema) { s.Pattern = `\S` },
	"pipelines.*.stages[].steps[].depends-on[]":         func(s *jsonSchema) { s.Pattern = namePattern },
	"pipelines.*.stages[].steps[].when.branch[]":        func(s *jsonSchema) { s.Pattern = globPattern },
	"pipelines.*.stages[].steps[].when.paths.include[]": func(s *jsonSchema) { s.Pattern = globPattern },
	"pipelines.*.stages[].steps[].when.paths.exclude[]": func(s *jsonSchema) { s.Pattern = globPattern },
	"pipelines.*.stages[].steps[].secrets[]":            func(s *jsonSchema) { s.Pattern = envPattern },
	"pipelines.*.stages[].steps[].retry":                func(s *jsonSchema) { s.Minimum = ptr(0); s.Maximum = ptr(MaxRetry) },
	"pipelines.*.stages[].steps[].artifacts[]":          func(s *jsonSchema) { s.Pattern = globPattern },
	"pipelines.*.stages[].steps[].test.coverage":        func(s *jsonSchema) { s.Minimum = ptr(0); s.Maximum = ptr(100) },
	"pipelines.*.stages[].steps[].gate.checks[]":        func(s *jsonSchema) { s.Pattern = namePattern },

	// Gates; see gates.go.
	"gates.vuln.ignore[]":        func(s *jsonSchema) { s.Required = []string{"id", "reason", "expires"} },
	"gates.vuln.ignore[].id":     func(s *jsonSchema) { s.Pattern = `\S` },
	"gates.vuln.ignore[].reason": func(s *jsonSchema) { s.Pattern = `\S` },
	"gates.license.allow[]":      func(s *jsonSchema) { s.Pattern = spdxPattern },
	"gates.license.deny[]":       func(s *jsonSchema) { s.Pattern = spdxPattern },
	"gates.gosec.include[]":      func(s *jsonSchema) { s.Pattern = gosecRulePattern },
	"gates.gosec.exclude[]":      func(s *jsonSchema) { s.Pattern = gosecRulePattern },

	// Release; see release.go.
	"release.coverage":     func(s *jsonSchema) { s.Minimum = ptr(0); s.Maximum = ptr(100) },
	"release.test-flags[]": func(s *jsonSchema) { s.Pattern = `^-` },
}

// jsonSchema is the part of JSON Schema that Schema uses.
type jsonSchema struct {
	Schema               string          `json:"$schema,omitempty"`
	Title                string          `json:"title,omitempty"`
	Description          string          `json:"description,omitempty"`
	Type                 any             `json:"type,omitempty"` // a name, or a list of names
	AnyOf                []*jsonSchema   `json:"anyOf,omitempty"`
	OneOf                []*jsonSchema   `json:"oneOf,omitempty"`
	Properties           properties      `json:"properties,omitempty"`
	Required             []string        `json:"required,omitempty"`
	AdditionalProperties any             `json:"additionalProperties,omitempty"`
	PropertyNames        *jsonSchema     `json:"propertyNames,omitempty"`
	Items                *jsonSchema     `json:"items,omitempty"`
	MinItems             *int            `json:"minItems,omitempty"`
	MinProperties        *int            `json:"minProperties,omitempty"`
	UniqueItems          bool            `json:"uniqueItems,omitempty"`
	Enum                 []string        `json:"enum,omitempty"`
	Const                any             `json:"const,omitempty"`
	Pattern              string          `json:"pattern,omitempty"`
	MinLength            *int            `json:"minLength,omitempty"`
	Minimum              *int            `json:"minimum,omitempty"`
	Maximum              *int            `json:"maximum,omitempty"`
	Default              json.RawMessage `json:"default,omitempty"`
}

// properties keeps the keys of an object in declaration order.
type properties []property

type property struct {
	name   string
	schema *jsonSchema
}

// MarshalJSON writes the properties as one JSON object, in order.
func (ps properties) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := encodeTo(&buf, p.name); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := encodeTo(&buf, p.schema); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func encodeTo(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode ends with a newline
	return nil
}

// schemaOf returns the schema of type t at key path. def is the default
// value there, or invalid where there is none (inside a list); r holds the
// tags of the field.
func schemaOf(t reflect.Type, path string, def reflect.Value, r rule) *jsonSchema {
	s := &jsonSchema{}
	switch {
	case t == durationType:
		s.Type = "string"
		s.Pattern = durationPattern
	case t == dateType:
		s.Type = "string"
		s.Pattern = datePattern
	case t == stringsType:
		// One string, or a list of them; constraints on "PATH[]" apply
		// to both.
		elem := schemaOf(t.Elem(), path+"[]", reflect.Value{}, r)
		s.AnyOf = []*jsonSchema{elem, {Type: "array", Items: elem}}
	case t.Kind() == reflect.Pointer:
		s = schemaOf(t.Elem(), path, reflect.Value{}, r)
		if t.Elem().Kind() == reflect.Struct {
			s.Type = []string{"object", "null"} // an empty value sets nothing
		}
	case t.Kind() == reflect.Struct:
		s.Type = "object"
		s.AdditionalProperties = false
		fs := fieldsOf(t)
		for _, f := range fs {
			var fdef reflect.Value
			if def.IsValid() {
				fdef = def.Field(f.index)
			}
			fs := schemaOf(t.Field(f.index).Type, join(path, f.name), fdef, f.rule())
			fs.Description = f.doc
			s.Properties = append(s.Properties, property{f.name, fs})
		}
		if in, ok := inlineOf(t); ok {
			// Other keys go to the inline map: they must have its key
			// form (or be a field's name) and its values.
			ap := schemaOf(t.Field(in.index).Type.Elem(), path+".*", reflect.Value{}, rule{enum: in.enum})
			ap.Description = in.doc
			s.AdditionalProperties = ap
			s.PropertyNames = &jsonSchema{Pattern: `^(` + strings.Join(names(fs), "|") + `)$|` + keyForms[in.key].re().String()}
		}
		groups, members := oneofGroups(fs)
		for _, g := range groups {
			// Only one group per struct can be stated as a oneOf of
			// required keys without an allOf; Shipline has one.
			if len(groups) > 1 {
				panic(fmt.Sprintf("config: %s has more than one oneof group", t))
			}
			for _, name := range members[g] {
				s.OneOf = append(s.OneOf, &jsonSchema{Required: []string{name}})
			}
		}
	case t.Kind() == reflect.Map:
		s.Type = "object"
		s.PropertyNames = &jsonSchema{Pattern: keyForms[r.key].re().String()}
		s.AdditionalProperties = schemaOf(t.Elem(), path+".*", reflect.Value{}, rule{enum: r.enum})
	case t.Kind() == reflect.Slice:
		s.Type = "array"
		s.Items = schemaOf(t.Elem(), path+"[]", reflect.Value{}, r)
	case t.Kind() == reflect.String:
		s.Type = "string"
		s.Enum = r.enum
	case t.Kind() == reflect.Bool:
		s.Type = "boolean"
	case t.Kind() == reflect.Int:
		s.Type = "integer"
	default:
		panic(fmt.Sprintf("config: no schema for %s at %s", t, path))
	}
	if def.IsValid() && t.Kind() != reflect.Struct && t.Kind() != reflect.Pointer {
		s.Default = mustJSON(plainValue(def))
	}
	if c := constraints[path]; c != nil {
		c(s)
	}
	return s
}

// plainValue returns v as JSON should show it: structs keyed by their yaml
// names, and empty lists and maps rather than null.
func plainValue(v reflect.Value) any {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return plainValue(v.Elem())
	case reflect.Struct:
		m := map[string]any{}
		for _, f := range fieldsOf(v.Type()) {
			m[f.name] = plainValue(v.Field(f.index))
		}
		return m
	case reflect.Slice:
		l := make([]any, v.Len())
		for i := range l {
			l[i] = plainValue(v.Index(i))
		}
		return l
	case reflect.Map:
		m := map[string]any{}
		for it := v.MapRange(); it.Next(); {
			m[it.Key().String()] = plainValue(it.Value())
		}
		return m
	}
	return v.Interface()
}

func mustJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	if err := encodeTo(&buf, v); err != nil {
		panic(fmt.Sprintf("config: encode default: %v", err))
	}
	return buf.Bytes()
}

func ptr[T any](v T) *T { return &v }
