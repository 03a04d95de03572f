package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
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
	root := schemaOf(reflect.TypeFor[Config](), "", reflect.ValueOf(*Default()), nil)
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
}

// jsonSchema is the part of JSON Schema that Schema uses.
type jsonSchema struct {
	Schema               string          `json:"$schema,omitempty"`
	Title                string          `json:"title,omitempty"`
	Description          string          `json:"description,omitempty"`
	Type                 string          `json:"type,omitempty"`
	Properties           properties      `json:"properties,omitempty"`
	Required             []string        `json:"required,omitempty"`
	AdditionalProperties any             `json:"additionalProperties,omitempty"`
	PropertyNames        *jsonSchema     `json:"propertyNames,omitempty"`
	Items                *jsonSchema     `json:"items,omitempty"`
	MinItems             *int            `json:"minItems,omitempty"`
	UniqueItems          bool            `json:"uniqueItems,omitempty"`
	Enum                 []string        `json:"enum,omitempty"`
	Const                any             `json:"const,omitempty"`
	Pattern              string          `json:"pattern,omitempty"`
	MinLength            *int            `json:"minLength,omitempty"`
	Minimum              *int            `json:"minimum,omitempty"`
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
// value there, or invalid where there is none (inside a list); enum is the
// enum tag of the field.
func schemaOf(t reflect.Type, path string, def reflect.Value, enum []string) *jsonSchema {
	s := &jsonSchema{}
	switch t.Kind() {
	case reflect.Struct:
		s.Type = "object"
		s.AdditionalProperties = false
		for _, f := range fieldsOf(t) {
			var fdef reflect.Value
			if def.IsValid() {
				fdef = def.Field(f.index)
			}
			fs := schemaOf(t.Field(f.index).Type, join(path, f.name), fdef, f.enum)
			fs.Description = f.doc
			s.Properties = append(s.Properties, property{f.name, fs})
		}
	case reflect.Map:
		// The only maps are keyed by commit type (see decoder.mapping).
		s.Type = "object"
		s.PropertyNames = &jsonSchema{Pattern: commitTypePattern}
		s.AdditionalProperties = schemaOf(t.Elem(), path+".*", reflect.Value{}, enum)
	case reflect.Slice:
		s.Type = "array"
		s.Items = schemaOf(t.Elem(), path+"[]", reflect.Value{}, enum)
	case reflect.String:
		s.Type = "string"
		s.Enum = enum
	case reflect.Bool:
		s.Type = "boolean"
	case reflect.Int:
		s.Type = "integer"
	default:
		panic(fmt.Sprintf("config: no schema for %s at %s", t, path))
	}
	if def.IsValid() && t.Kind() != reflect.Struct {
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
	switch v.Kind() {
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
