package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// misnamed are names people give the config file that shipline does not
// read; Load reports them rather than silently using the defaults.
var misnamed = []string{".shipline.yml"}

// Load reads FileName from dir, the repository root.
//
// A missing file is not an error: Load returns Default() and path "".
// Otherwise it returns the file parsed by Parse, with defaults filled in
// for everything the file leaves out, and the file's path (also when the
// file is invalid). A file that is there under a near name such as
// .shipline.yml is an EINVALID error, so that it is not silently ignored.
// Failing to read the file is an error wrapping the cause.
func Load(dir string) (cfg *Config, path string, err error) {
	path = filepath.Join(dir, FileName)
	data, err := os.ReadFile(path) // #nosec G304 -- .shipline.yaml at the root of the repository being released, a fixed name in the caller's directory
	if errors.Is(err, fs.ErrNotExist) {
		for _, name := range misnamed {
			alt := filepath.Join(dir, name)
			if _, err := os.Stat(alt); err == nil {
				return nil, "", problemsError([]Problem{{File: alt, Line: 1, Col: 1,
					Msg: fmt.Sprintf("shipline reads %s, not %s; rename the file", FileName, name)}})
			}
		}
		return Default(), "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	cfg, err = Parse(path, data)
	return cfg, path, err
}

// Parse parses the bytes of a config file named filename (used in error
// positions) and returns Default() with the file's settings laid over it:
// a scalar the file sets replaces the default, versioning.rules is merged
// into the default rules, and a list (such as changelog.sections) replaces
// the default list.
//
// Parsing is strict and reports every problem found, not just the first: a
// YAML syntax error, an unknown or duplicate key, a value of the wrong type
// (including an empty value: leave the key out to get its default), a value
// not among a field's choices, more than one YAML document, and the
// semantic checks of a version 1 file. The file must say "version: 1"; an
// empty file, or one of only comments, is an error saying so. The error is
// a *shipline.Error with code EINVALID whose message has one
// "FILE:LINE:COL: problem" per line, sorted by position; Problems returns
// the same list.
func Parse(filename string, data []byte) (*Config, error) {
	d := newDecoder(filename)
	d.lines = lastLine(data)
	cfg := Default()
	if root := d.document(data); root != nil {
		d.value(root, reflect.ValueOf(cfg).Elem(), "", nil)
		if root.Kind == yaml.MappingNode {
			d.check(cfg, root)
		}
	}
	if len(d.problems) > 0 {
		return nil, problemsError(d.problems)
	}
	return cfg, nil
}

// document parses data as one YAML document and returns its root node, or
// nil after reporting why there is none.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case err == io.EOF:
		d.add(1, 1, "", "the file is empty; add %q", "version: 1")
		return nil
	case err != nil:
		d.syntaxError(err, data)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.add(extra.Line, extra.Column, "", "a second YAML document starts here; the file must hold only one")
	case err != io.EOF:
		d.syntaxError(err, data)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		d.add(1, 1, "", "the file has no settings; add %q", "version: 1")
		return nil
	}
	return root
}

// yamlLine matches the position yaml.v3 puts in front of a syntax error.
var yamlLine = lazyRegexp(`^line (\d+): `)

// syntaxError reports an error from yaml.v3's parser. Its messages carry a
// line at most ("yaml: line 3: ..."), so the column is 1, except where the
// position can be found from the message.
func (d *decoder) syntaxError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, col := 1, 1
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		msg = msg[len(m[0]):]
		line, _ = strconv.Atoi(m[1])
		// yaml.v3 counts lines from 0 in parser errors (unlike scanner
		// errors) and leaves the line out when it is the first one.
		if parserError(msg) {
			line++
		}
	}
	if off := locate(msg, data); off >= 0 {
		line, col = position(data, off)
	}
	d.add(line, col, "", "invalid YAML: %s", strings.ReplaceAll(msg, "\n", " "))
}

// parserError reports whether msg comes from yaml.v3's parser rather than
// its scanner (see yaml_parser_set_parser_error in parserc.go).
func parserError(msg string) bool {
	for _, p := range []string{"did not find expected ", "found undefined tag handle", "found duplicate %", "found incompatible YAML document"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// unknownAnchor matches yaml.v3's message for an alias with no anchor.
var unknownAnchor = lazyRegexp(`^unknown anchor '(.*)' referenced$`)

// locate returns the byte offset in data that the yaml.v3 error message
// msg is about when the message does not say and it can be found, else -1.
func locate(msg string, data []byte) int {
	switch {
	case strings.Contains(msg, "UTF-8"):
		for off := 0; off < len(data); {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size == 1 {
				return off
			}
			off += size
		}
	case strings.HasPrefix(msg, "control characters are not allowed"):
		return bytes.IndexFunc(data, func(r rune) bool {
			return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f ||
				0x80 <= r && r <= 0x9f && r != 0x85 || r == 0xfffe || r == 0xffff
		})
	default:
		if m := unknownAnchor().FindStringSubmatch(msg); m != nil {
			re := regexp.MustCompile(`\*` + regexp.QuoteMeta(m[1]) + `($|[\s,\]\}])`)
			if loc := re.FindIndex(data); loc != nil {
				return loc[0]
			}
		}
	}
	return -1
}

// position returns the 1-based line and column (in characters) of byte
// offset off in data, breaking lines where YAML does: at LF, CR, CRLF, NEL,
// LS and PS.
func position(data []byte, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off; {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == '\r' && i+1 < len(data) && data[i+1] == '\n':
			// a CRLF breaks the line at its LF
		case r == '\n', r == '\r', r == 0x85, r == 0x2028, r == 0x2029:
			line, col = line+1, 1
		default:
			col++
		}
		i += size
	}
	return line, col
}

// lastLine returns the number of the last line of data, not counting an
// empty one after a final line break.
func lastLine(data []byte) int {
	line, col := position(data, len(data))
	if col == 1 && line > 1 {
		line--
	}
	return line
}
