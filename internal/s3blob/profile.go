package s3blob

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// profile is a profile of the shared config and credentials files: its
// settings by lower-case name, the credentials file's winning over the
// config file's.
type profile struct {
	name     string
	settings map[string]string
	// where says which files define the profile, for messages.
	where []string
}

func (p *profile) get(k string) string { return p.settings[k] }

// sharedFiles are the paths of the shared config and credentials files.
type sharedFiles struct {
	config, credentials string
}

// sharedFilePaths returns the files AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE name, or ~/.aws/config and
// ~/.aws/credentials.
func sharedFilePaths(getenv func(string) string) sharedFiles {
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	path := func(env, def string) string {
		p := getenv(env)
		if p == "" {
			if home == "" {
				return ""
			}
			return filepath.Join(home, ".aws", def)
		}
		if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
			return filepath.Join(home, rest)
		}
		return p
	}
	return sharedFiles{config: path("AWS_CONFIG_FILE", "config"), credentials: path("AWS_SHARED_CREDENTIALS_FILE", "credentials")}
}

// loadProfile reads profile name from the shared files. It returns nil,
// and no error, when neither file defines it (or neither file exists).
func loadProfile(files sharedFiles, name string) (*profile, error) {
	p := &profile{name: name, settings: map[string]string{}}
	// The config file first: the credentials file's settings win.
	for _, f := range []struct {
		path   string
		config bool
	}{{files.config, true}, {files.credentials, false}} {
		if f.path == "" {
			continue
		}
		data, err := os.ReadFile(f.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read AWS shared file: %w", err)
		}
		sections := parseINI(strings.NewReader(string(data)))
		sec, ok := sections[sectionName(name, f.config)]
		if !ok && f.config && name == "default" {
			// "[profile default]" also names the default profile.
			sec, ok = sections["profile default"]
		}
		if !ok {
			continue
		}
		p.where = append(p.where, f.path)
		for k, v := range sec {
			p.settings[k] = v
		}
	}
	if len(p.where) == 0 {
		return nil, nil
	}
	return p, nil
}

// sectionName is the section of profile name in the config file ("profile
// NAME", except "default") or in the credentials file (NAME).
func sectionName(name string, config bool) string {
	if config && name != "default" {
		return "profile " + name
	}
	return name
}

// parseINI parses the AWS shared file format: "[section]" lines, then
// "name = value" lines; "#" and ";" start comments (after white space when
// inside a value); indented lines under a setting with no value are its
// sub-settings (such as "s3 =" then "  addressing_style = path"), which
// this driver does not use and skips. Section names are kept with their
// inner space collapsed; setting names are lower-cased.
func parseINI(r io.Reader) map[string]map[string]string {
	sections := map[string]map[string]string{}
	var cur map[string]string
	nested := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			nested = false
			end := strings.IndexByte(line, ']')
			if end < 0 {
				cur = nil
				continue
			}
			name := strings.Join(strings.Fields(line[1:end]), " ")
			if sections[name] == nil {
				sections[name] = map[string]string{}
			}
			cur = sections[name]
			continue
		}
		if cur == nil {
			continue
		}
		if nested && (raw[0] == ' ' || raw[0] == '\t') {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		for _, c := range []string{" #", "\t#", " ;", "\t;"} {
			if i := strings.Index(v, c); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		nested = v == ""
		if !nested {
			cur[k] = v
		}
	}
	return sections
}
