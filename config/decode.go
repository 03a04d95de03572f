package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The decoder walks a yaml.Node tree against the Go types by reflection,
// reading field names from the `yaml` tag and the allowed values of a string
// from the `enum` tag. It writes into a Config that already holds the
// defaults, so what the file leaves out keeps its default: a scalar replaces
// the default, a map is merged into the default map, a list replaces the
// default list. It never stops at the first problem.
//
// Beyond strings, bools, ints, structs, maps and lists it knows:
//   - Strings, which the file may give as one string for a list of one;
//   - time.Duration, written as a Go duration string such as 90s or 1h30m;
//   - Date, written YYYY-MM-DD, quoted or not;
//   - pointers, nil when the file leaves the key out; an empty value for a
//     pointer to a struct means the struct with nothing set (such as
//     "test:" for a test step with default options);
//   - the `oneof:"GROUP"` field tag: a mapping must give exactly one of the
//     keys of the fields tagged with the same GROUP;
//   - one map field per struct tagged `yaml:",inline"`, which takes the
//     keys that the struct's fields do not name (as yaml.v3 does);
//   - the `key:"FORM"` field tag, naming the form of the keys of a map (see
//     keyForms); a map without it is keyed by commit type.

// commitType is the form of a commit type: letters, digits, '-' and '_'.
var commitType = lazyRegexp(`^[A-Za-z0-9_-]+$`)

// Strings is a list of strings that the file may also give as one string,
// meaning a list of one: "run: make" is "run: [make]".
type Strings []string

var (
	stringsType  = reflect.TypeFor[Strings]()
	durationType = reflect.TypeFor[time.Duration]()
	dateType     = reflect.TypeFor[Date]()
)

// keyForm is a form the keys of a map must have.
type keyForm struct {
	re   func() *regexp.Regexp
	what string // "a commit type"
	how  string // how to write one
}

// keyForms are the forms a `key` tag may name; "" is the default.
var keyForms = map[string]keyForm{
	"":      {commitType, "a commit type", "use only letters, digits, '-' and '_'"},
	"name":  {lazyRegexp(namePattern), "a name", "use letters, digits, '.', '-' and '_', starting with a letter or digit"},
	"env":   {lazyRegexp(envPattern), "an environment variable name", "use letters, digits and '_', not starting with a digit"},
	"axis":  {lazyRegexp(axisPattern), "a matrix axis name", "use lowercase letters, digits and '_', starting with a letter"},
	"label": {lazyRegexp(labelPattern), "a label name", "use letters, digits, '.', '/', '-' and '_', starting with a letter or digit"},
}

// aliasBudget bounds how many values aliases may expand to, so that a small
// file of nested aliases cannot make Parse do unbounded work.
const aliasBudget = 10_000

// field is one struct field as the config file sees it.
type field struct {
	name  string // the key, from the yaml tag
	index int
	doc   string
	enum  []string
	key   string // the form of map keys, from the key tag
	oneof string // the group of the oneof tag
}

// rule is what a field's tags say about its values, passed down to the
// elements of lists and maps.
type rule struct {
	enum []string // the only valid strings, if not nil
	key  string   // the form of map keys (a key of keyForms)
}

func (f field) rule() rule { return rule{enum: f.enum, key: f.key} }

// fieldsOf returns the fields of struct type t that have a yaml key, in
// declaration order. An inline field has no key; see inlineOf.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		fs = append(fs, newField(sf, name, i))
	}
	return fs
}

func newField(sf reflect.StructField, name string, i int) field {
	f := field{name: name, index: i, doc: sf.Tag.Get("doc"), key: sf.Tag.Get("key"), oneof: sf.Tag.Get("oneof")}
	if e := sf.Tag.Get("enum"); e != "" {
		f.enum = strings.Split(e, ",")
	}
	if _, ok := keyForms[f.key]; !ok {
		panic(fmt.Sprintf("config: field %s has unknown key form %q", sf.Name, f.key))
	}
	return f
}

// inlineOf returns the map field of struct type t tagged `yaml:",inline"`,
// which takes the keys no other field names.
func inlineOf(t reflect.Type) (field, bool) {
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" && opts == "inline" && sf.IsExported() {
			if sf.Type.Kind() != reflect.Map {
				panic(fmt.Sprintf("config: inline field %s of %s is not a map", sf.Name, t))
			}
			return newField(sf, "", i), true
		}
	}
	return field{}, false
}

// oneofGroups returns the fields of fs that are in a oneof group, by group,
// in the order the groups first appear.
func oneofGroups(fs []field) (groups []string, members map[string][]string) {
	members = map[string][]string{}
	for _, f := range fs {
		if f.oneof == "" {
			continue
		}
		if members[f.oneof] == nil {
			groups = append(groups, f.oneof)
		}
		members[f.oneof] = append(members[f.oneof], f.name)
	}
	return groups, members
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

// problemsUnder reports whether a problem was recorded about path or a key
// under it.
func (d *decoder) problemsUnder(path string) bool {
	return slices.ContainsFunc(d.problems, func(p Problem) bool {
		rest, ok := strings.CutPrefix(p.Msg, path)
		return ok && rest != "" && strings.ContainsRune(":.[", rune(rest[0]))
	})
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
	return d.decode(n, v, path, rule{enum: enum})
}

// decode decodes n into v following the tags r of its field. It reports
// whether n decoded without problems.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, r rule) bool {
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
	d.into(at, n, v, path, r)
	return len(d.problems) == before
}

// into decodes n, found at at (an alias, or n itself), into v.
func (d *decoder) into(at, n *yaml.Node, v reflect.Value, path string, r rule) {
	switch {
	case v.Type() == durationType:
		d.duration(at, n, v, path)
		return
	case v.Type() == dateType:
		d.date(at, n, v, path)
		return
	case v.Type() == stringsType && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		if d.enumOK(at, n.Value, path, r.enum) {
			v.Set(reflect.ValueOf(Strings{n.Value}))
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(at, n, v, path)
	case reflect.Map:
		d.mapping(at, n, v, path, r)
	case reflect.Slice:
		d.list(at, n, v, path, r)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		v.Set(p)
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && p.Elem().Kind() == reflect.Struct {
			return // "test:" is a test step with nothing set
		}
		d.into(at, n, p.Elem(), path, r)
	case reflect.String, reflect.Bool, reflect.Int:
		d.scalar(at, n, v, path, r.enum)
	default:
		panic(fmt.Sprintf("config: cannot decode into %s at %s", v.Type(), path))
	}
}

// duration decodes a Go duration string such as 90s or 1h30m.
func (d *decoder) duration(at, n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.wrongType(at, n, path, v.Type(), nil)
		return
	}
	t, err := time.ParseDuration(n.Value)
	if err != nil {
		d.addAt(at, path, "invalid duration %s: want a number and a unit, such as 90s, 10m or 1h30m", quote(n.Value))
		d.bad[path] = true
		return
	}
	v.SetInt(int64(t))
}

// structure decodes a mapping into struct v.
func (d *decoder) structure(at, n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(at, n, path, v.Type(), nil)
		return
	}
	fs := fieldsOf(v.Type())
	inline, hasInline := inlineOf(v.Type())
	given := map[string]*yaml.Node{}
	for _, kv := range d.pairs(n, path) {
		i := slices.IndexFunc(fs, func(f field) bool { return f.name == kv.key })
		if i < 0 {
			if hasInline && suggest(kv.key, names(fs)) == "" {
				d.entry(kv, v.Field(inline.index), path, inline.rule())
				continue
			}
			other := ""
			if hasInline {
				other = keyForms[inline.key].what
			}
			d.unknownKey(kv, path, fs, other)
			continue
		}
		f := fs[i]
		given[f.name] = kv.keyNode
		d.decode(kv.val, v.Field(f.index), join(path, f.name), f.rule())
	}
	groups, members := oneofGroups(fs)
	for _, g := range groups {
		var first string
		for _, name := range members[g] {
			k := given[name]
			switch {
			case k == nil:
			case first == "":
				first = name
			default:
				d.addAt(k, join(path, name), "%s and %s are both given; give exactly one of %s",
					first, name, strings.Join(members[g], ", "))
			}
		}
		if first == "" {
			d.addAt(at, path, "needs exactly one of %s; found none", strings.Join(members[g], ", "))
		}
	}
}

// mapping decodes a mapping into map v, merging its entries into what v
// already holds. A nil map stays nil when the mapping is empty.
func (d *decoder) mapping(at, n *yaml.Node, v reflect.Value, path string, r rule) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(at, n, path, v.Type(), r.enum)
		return
	}
	for _, kv := range d.pairs(n, path) {
		d.entry(kv, v, path, r)
	}
}

// entry decodes the key and value kv of a mapping at path into map v,
// checking the key's form. A value with problems is kept as far as it
// decoded, for the semantic checks of its other parts (Parse fails anyway).
func (d *decoder) entry(kv pair, v reflect.Value, path string, r rule) {
	if form := keyForms[r.key]; !form.re().MatchString(kv.key) {
		d.addAt(kv.keyNode, path, "key %s is not %s: %s", quote(kv.key), form.what, form.how)
		return
	}
	elem := reflect.New(v.Type().Elem()).Elem()
	d.decode(kv.val, elem, join(path, kv.key), rule{enum: r.enum})
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	v.SetMapIndex(reflect.ValueOf(kv.key).Convert(v.Type().Key()), elem)
}

// list decodes a sequence into slice v, replacing what v held. An empty
// sequence gives a nil slice.
func (d *decoder) list(at, n *yaml.Node, v reflect.Value, path string, r rule) {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(at, n, path, v.Type(), r.enum)
		return
	}
	out := reflect.Zero(v.Type())
	for i, item := range n.Content {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(item, elem, fmt.Sprintf("%s[%d]", path, i), r)
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
		if d.enumOK(at, n.Value, path, enum) {
			v.SetString(n.Value)
		}
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

// enumOK reports whether s is one of enum (any string when enum is nil),
// reporting it if not.
func (d *decoder) enumOK(at *yaml.Node, s, path string, enum []string) bool {
	if enum == nil || slices.Contains(enum, s) {
		return true
	}
	msg := fmt.Sprintf("invalid value %s; valid values: %s", quote(s), strings.Join(enum, ", "))
	if c := suggest(s, enum); c != "" {
		msg += fmt.Sprintf("; did you mean %q?", c)
	}
	d.addAt(at, path, "%s", msg)
	d.bad[path] = true
	return false
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
// valid keys and the likeliest one meant. other, if not "", says what other
// keys the struct takes (into an inline map): kv was taken to be a
// misspelling of a field.
func (d *decoder) unknownKey(kv pair, path string, fs []field, other string) {
	where := "at the top level"
	if path != "" {
		where = "in " + path
	}
	valid := names(fs)
	msg := fmt.Sprintf("unknown key %s; valid keys %s: %s", quote(kv.key), where, strings.Join(valid, ", "))
	if other != "" {
		msg = fmt.Sprintf("unknown key %s; keys %s are %s, or %s", quote(kv.key), where, strings.Join(valid, ", "), other)
	}
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
	case t == durationType && n.ShortTag() == "!!int":
		msg += fmt.Sprintf("; give a unit, such as %ss", n.Value)
	case t.Kind() == reflect.String, t == stringsType:
		msg += fmt.Sprintf("; quote it if you mean the string: %s", quote(n.Value))
	case t.Kind() == reflect.Slice && n.ShortTag() == "!!str" && commitType().MatchString(n.Value):
		msg += fmt.Sprintf("; write [%s] for a list of one", n.Value)
	}
	d.addAt(at, path, "%s", msg)
}

// expected describes what a value of type t looks like in YAML.
func expected(t reflect.Type, enum []string) string {
	switch t {
	case durationType:
		return "a duration such as 90s or 1h30m"
	case dateType:
		return "a date such as 2026-12-31"
	case stringsType:
		if enum != nil {
			return "one or a list of " + strings.Join(enum, ", ")
		}
		return "a string or a list of strings"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return expected(t.Elem(), enum)
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
	if commitType().MatchString(key) {
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
			if norm(f.name) == norm(key) && !slices.Contains(out, p) {
				out = append(out, p)
			}
			ft := t.Field(f.index).Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Struct:
				walk(ft, p)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(ft.Elem(), p+"[]")
			case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct:
				walk(ft.Elem(), p+".*")
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return out
}
