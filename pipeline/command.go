package pipeline

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

// positional are the options of built-in steps given as arguments rather
// than flags, by kind.
var positional = map[string]string{"test": "packages"}

// Command returns the command line of a built-in step: "shipline", the
// command named by the step's kind, then one flag per option that is set,
// named like its key (snapshot: true is --snapshot, targets: [a, b] is
// --targets=a,b, coverage: 80 is --coverage=80), in the order of the
// options, then the positional arguments (test's packages). For example
// build: {targets: [linux/amd64], snapshot: true} gives
//
//	shipline build --targets=linux/amd64 --snapshot
//
// The engine runs it as Shipline itself (replacing argv[0] with the
// running executable, or in-process). Command expects a step after
// ${{ matrix.NAME }} substitution. It is an EINVALID error for a run step,
// a step of no kind, a list value holding a comma, and a positional
// argument starting with '-'.
func Command(s config.Step) ([]string, error) {
	kind := s.Kind()
	switch kind {
	case "":
		return nil, shipline.Errorf(shipline.EINVALID, "step %s has no kind", s.ID())
	case "run":
		return nil, shipline.Errorf(shipline.EINVALID, "step %s runs shell commands, not a shipline command", s.ID())
	}
	sv := reflect.ValueOf(s)
	var opts reflect.Value
	for i := range sv.NumField() {
		if tagName(sv.Type().Field(i)) == kind {
			opts = sv.Field(i).Elem()
		}
	}
	argv := []string{"shipline", kind}
	var args []string
	for i := range opts.NumField() {
		key := tagName(opts.Type().Field(i))
		v := opts.Field(i)
		if positional[kind] == key {
			for _, a := range stringList(v) {
				if strings.HasPrefix(a, "-") {
					return nil, shipline.Errorf(shipline.EINVALID, "step %s: %s: %q cannot start with '-'", s.ID(), key, a)
				}
				args = append(args, a)
			}
			continue
		}
		switch v.Kind() {
		case reflect.Bool:
			if v.Bool() {
				argv = append(argv, "--"+key)
			}
		case reflect.String:
			if v.String() != "" {
				argv = append(argv, "--"+key+"="+v.String())
			}
		case reflect.Int:
			if v.Int() != 0 {
				argv = append(argv, "--"+key+"="+strconv.FormatInt(v.Int(), 10))
			}
		case reflect.Slice:
			list := stringList(v)
			for _, x := range list {
				if strings.Contains(x, ",") {
					return nil, shipline.Errorf(shipline.EINVALID, "step %s: %s: %q cannot hold a comma", s.ID(), key, x)
				}
			}
			if len(list) > 0 {
				argv = append(argv, "--"+key+"="+strings.Join(list, ","))
			}
		default:
			panic(fmt.Sprintf("pipeline: option %s of %s has type %s", key, kind, v.Type()))
		}
	}
	return append(argv, args...), nil
}

// stringList returns the []string or config.Strings v holds.
func stringList(v reflect.Value) []string {
	return v.Convert(reflect.TypeFor[[]string]()).Interface().([]string)
}

// tagName returns the yaml key of a struct field.
func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}
