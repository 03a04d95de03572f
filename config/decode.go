package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The decoder walks a yaml.Node tree against the Go types by reflection,
// reading field names from the `yaml` tag and the allowed values of a string
// from the `enum` tag. It writes into a Config that already holds the
// defaults, so what the file leaves out keeps its default: a scalar replaces
// the default, a map is merged into the default map, a list replaces the
// default list. It never stops at the first problem.
//
// The only maps in the config are keyed by commit type, so every map key is
// checked against commitType.

// commitType is the form of a commit type: letters, digits, '-' and '_'.
var commitType = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// aliasBudget bounds how many values aliases may expand to, so that a small
// file of nested aliases cannot make Parse do unbounded work.
const aliasBudget = 10_000

// field is one struct field as the config file sees it.
type field struct {
	name  string // the key, from the yaml tag
	index int
	doc   string
	enum  []string
}

// fieldsOf returns the fields of struct type t that have a yaml key, in
// declaration order.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		f := field{name: name, index: i, doc: sf.Tag.Get("doc")}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		fs = append(fs, f)
	}
	return fs
}

func names(fs []field) []string {
	ns := make([]string, len(fs))
	for i, f := range fs {
		ns[i] = f.name
	}
	return ns
}

// decoder collects the problems of one file and where each value was.
type decoder struct {
	file     string
	lines    int // the number of the file's last line
	problems []Problem
	nodes    map[string]*yaml.Node // key path -> the value the file gives it
	bad      map[string]bool       // key paths whose value was rejected
	aliased  int                   // > 0 while walking the target of an alias
	budget   int                   // values left that aliases may expand to
}

func newDecoder(file string) *decoder {
	return &decoder{
		file:   file,
		nodes:  map[string]*yaml.Node{},
		bad:    map[string]bool{},
		budget: aliasBudget,
	}
}

// add records a problem at line:col; a non-empty path prefixes the message.
func (d *decoder) add(line, col int, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	if line > d.lines {
		// yaml.v3 puts an error or an empty value at the end of the file
		// on the line after the last one.
		line, col = d.lines, 1
	}
	d.problems = append(d.problems, Problem{File: d.file, Line: max(line, 1), Col: max(col, 1), Msg: msg})
}

// addAt records a problem at the position of n.
func (d *decoder) addAt(n *yaml.Node, path, format string, args ...any) {
	d.add(n.Line, n.Column, path, format, args...)
}

// given returns the value the file gives path, or nil if the file leaves it
// out or its value was rejected (and so already reported).
func (d *decoder) given(path string) *yaml.Node {
	if d.bad[path] {
		return nil
	}
	return d.nodes[path]
}

// value decodes n into v. enum, if not nil, lists the allowed values of
// the strings in v. It reports whether n decoded without problems.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, enum []string) bool {
	before := len(d.problems)
	at := n // where to report a problem with the value as a whole
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil { // not made by yaml.v3's parser, but be safe
			d.addAt(n, path, "unknown alias *%s", n.Value)
			d.bad[path] = true
			return false
		}
		n = n.Alias
		d.aliased++
		defer func() { d.aliased-- }()
	}
	if d.aliased > 0 {
		d.budget--
		switch {
		case d.budget == -1:
			d.addAt(at, path, "aliases expand to more than %d values; write the values out", aliasBudget)
			fallthrough
		case d.budget < 0:
			d.bad[path] = true
			return false
		}
	}
	d.nodes[path] = at

	switch v.Kind() {
	case reflect.Struct:
		d.structure(at, n, v, path)
	case reflect.Map:
		d.mapping(at, n, v, path, enum)
	case reflect.Slice:
		d.list(at, n, v, path, enum)
	case reflect.String, reflect.Bool, reflect.Int:
		d.scalar(at, n, v, path, enum)
	default:
		panic(fmt.Sprintf("config: cannot decode into %s at %s", v.Type(), path))
	}
	return len(d.problems) == before
}

// structure decodes a mapping into struct v.
func (d *decoder) structure(at, n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(at, n, path, v.Type(), nil)
		return
	}
	fs := fieldsOf(v.Type())
	for _, kv := range d.pairs(n, path) {
		i := slices.IndexFunc(fs, func(f field) bool { return f.name == kv.key })
		if i < 0 {
			d.unknownKey(kv, path, fs)
			continue
		}
		f := fs[i]
		d.value(kv.val, v.Field(f.index), join(path, f.name), f.enum)
	}
}

// mapping decodes a mapping into map v, merging its entries into what v
// already holds.
func (d *decoder) mapping(at, n *yaml.Node, v reflect.Value, path string, enum []string) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(at, n, path, v.Type(), enum)
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, kv := range d.pairs(n, path) {
		if !commitType.MatchString(kv.key) {
			d.addAt(kv.keyNode, path, "key %s is not a commit type: use only letters, digits, '-' and '_'", quote(kv.key))
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		if d.value(kv.val, elem, join(path, kv.key), enum) {
			v.SetMapIndex(reflect.ValueOf(kv.key).Convert(v.Type().Key()), elem)
		}
	}
}

// list decodes a sequence into slice v, replacing what v held. An empty
// sequence gives a nil slice.
func (d *decoder) list(at, n *yaml.Node, v reflect.Value, path string, enum []string) {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(at, n, path, v.Type(), enum)
		return
	}
	out := reflect.Zero(v.Type())
	for i, item := range n.Content {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(item, elem, fmt.Sprintf("%s[%d]", path, i), enum)
		out = reflect.Append(out, elem)
	}
	v.Set(out)
}

// scalar decodes a string, a bool or an int. Only the matching YAML type is
// accepted: 1 is not a string and "true" is not a bool.
func (d *decoder) scalar(at, n *yaml.Node, v reflect.Value, path string, enum []string) {
	want := map[reflect.Kind]string{reflect.String: "!!str", reflect.Bool: "!!bool", reflect.Int: "!!int"}[v.Kind()]
	if n.Kind != yaml.ScalarNode || n.ShortTag() != want {
		d.wrongType(at, n, path, v.Type(), enum)
		return
	}
	switch v.Kind() {
	case reflect.String:
		if enum != nil && !slices.Contains(enum, n.Value) {
			msg := fmt.Sprintf("invalid value %s; valid values: %s", quote(n.Value), strings.Join(enum, ", "))
			if s := suggest(n.Value, enum); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			d.addAt(at, path, "%s", msg)
			d.bad[path] = true
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if err := n.Decode(&b); err != nil {
			d.wrongType(at, n, path, v.Type(), enum)
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int64
		if err := n.Decode(&i); err != nil || v.OverflowInt(i) {
			d.addAt(at, path, "integer %s is out of range", plain(n.Value))
			d.bad[path] = true
			return
		}
		v.SetInt(i)
	}
}

// pair is one key and value of a mapping.
type pair struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
}

// pairs returns the entries of mapping n whose keys are plain strings,
// reporting other keys, merge keys and duplicate keys.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	var out []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kn := k
		if kn.Kind == yaml.AliasNode && kn.Alias != nil {
			kn = kn.Alias
		}
		switch {
		case kn.Kind != yaml.ScalarNode:
			d.addAt(k, path, "a key must be a string, found %s", found(kn))
			continue
		case kn.ShortTag() == "!!merge":
			d.addAt(k, path, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		if first := seen[kn.Value]; first != nil {
			d.addAt(k, join(path, keyName(kn.Value)), "duplicate key %s (first at line %d, column %d)", quote(kn.Value), first.Line, first.Column)
			continue
		}
		seen[kn.Value] = k
		out = append(out, pair{key: kn.Value, keyNode: k, val: val})
	}
	return out
}

// unknownKey reports a key that struct fields fs do not have, with the
// valid keys and the likeliest one meant.
func (d *decoder) unknownKey(kv pair, path string, fs []field) {
	where := "at the top level"
	if path != "" {
		where = "in " + path
	}
	valid := names(fs)
	msg := fmt.Sprintf("unknown key %s; valid keys %s: %s", quote(kv.key), where, strings.Join(valid, ", "))
	if s := suggest(kv.key, valid); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else if elsewhere := keyPaths(kv.key); len(elsewhere) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(elsewhere, " or "))
	}
	d.addAt(kv.keyNode, join(path, keyName(kv.key)), "%s", msg)
}

// wrongType reports that n is not a value of type t.
func (d *decoder) wrongType(at, n *yaml.Node, path string, t reflect.Type, enum []string) {
	d.bad[path] = true
	if path == "" {
		d.addAt(at, "", "the file must be a mapping of keys such as %q, found %s", "version: 1", found(n))
		return
	}
	msg := fmt.Sprintf("expected %s, found %s", expected(t, enum), found(n))
	switch {
	case n.Kind != yaml.ScalarNode:
	case n.ShortTag() == "!!null":
		if !strings.HasSuffix(path, "]") {
			msg += "; give it a value or remove the key to use the default"
		}
	case t.Kind() == reflect.String:
		msg += fmt.Sprintf("; quote it if you mean the string: %s", quote(n.Value))
	case t.Kind() == reflect.Slice && n.ShortTag() == "!!str" && commitType.MatchString(n.Value):
		msg += fmt.Sprintf("; write [%s] for a list of one", n.Value)
	}
	d.addAt(at, path, "%s", msg)
}

// expected describes what a value of type t looks like in YAML.
func expected(t reflect.Type, enum []string) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.String:
			return "a list of strings"
		case reflect.Struct:
			return "a list of mappings"
		}
		return "a list"
	case reflect.String:
		if enum != nil {
			return "one of " + strings.Join(enum, ", ")
		}
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "an integer"
	}
	return t.String()
}

// found describes the YAML value n.
func found(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
	default:
		return "an alias"
	}
	switch tag := n.ShortTag(); tag {
	case "!!str":
		return "string " + quote(n.Value)
	case "!!int":
		return "integer " + plain(n.Value)
	case "!!float":
		return "number " + plain(n.Value)
	case "!!bool":
		return "boolean " + plain(n.Value)
	case "!!null":
		return "an empty value (null)"
	case "!!timestamp":
		return "timestamp " + plain(n.Value)
	case "!!binary":
		return "binary data"
	default:
		return fmt.Sprintf("%s tagged %s", quote(n.Value), quote(tag))
	}
}

// plain returns s as it is when it is short and made of safe characters,
// and quoted otherwise.
func plain(s string) string {
	if len(s) > 40 || strings.IndexFunc(s, func(r rune) bool {
		return !strings.ContainsRune("+-._:", r) && !('0' <= r && r <= '9') && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z')
	}) >= 0 {
		return quote(s)
	}
	return s
}

// keyName returns key as it is when it is a plain word and quoted otherwise,
// for use in a key path.
func keyName(key string) string {
	if commitType.MatchString(key) {
		return key
	}
	return quote(key)
}

// join appends key to a dotted key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// keyPaths returns the paths of every config key named like key (ignoring
// case, '-' and '_'), with "[]" for a list element.
func keyPaths(key string) []string {
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s))
	}
	var out []string
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for _, f := range fieldsOf(t) {
			p := join(path, f.name)
			if norm(f.name) == norm(key) {
				out = append(out, p)
			}
			ft := t.Field(f.index).Type
			switch {
			case ft.Kind() == reflect.Struct:
				walk(ft, p)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(ft.Elem(), p+"[]")
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return out
}
