package runner

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/shipline-ci/shipline"
)

// SecretProvider gives the value of a named secret. Errors must not contain
// the value; a secret that does not exist is an ENOTFOUND *shipline.Error.
type SecretProvider interface {
	Secret(ctx context.Context, name string) (string, error)
}

// DefaultSecretPrefix is where EnvSecrets looks by default: the secret
// NAME is the variable SHIPLINE_SECRET_NAME.
const DefaultSecretPrefix = "SHIPLINE_SECRET_"

// EnvSecrets reads secrets from this program's environment: the secret NAME
// from the variable Map[NAME] if Map has it, else from Prefix+NAME. A
// variable that is set but empty is a secret with an empty value (which Run
// refuses).
type EnvSecrets struct {
	Prefix string            // "" for DefaultSecretPrefix
	Map    map[string]string // secret name to variable name
	// Lookup reads a variable; nil for os.LookupEnv.
	Lookup func(name string) (string, bool)
}

// Secret implements SecretProvider. It returns an ENOTFOUND error naming
// the variable when it is not set.
func (e EnvSecrets) Secret(_ context.Context, name string) (string, error) {
	v, ok := e.Map[name]
	if !ok {
		prefix := e.Prefix
		if prefix == "" {
			prefix = DefaultSecretPrefix
		}
		v = prefix + name
	}
	lookup := e.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if val, ok := lookup(v); ok {
		return val, nil
	}
	return "", shipline.Errorf(shipline.ENOTFOUND, "secret %s: set the environment variable %s", name, v)
}

// DirSecrets reads secrets from files in a directory, one file per secret
// named as the secret (as Docker and Kubernetes mount them). One trailing
// newline ("\n" or "\r\n") is removed, so that a file written by
// `echo value > NAME` holds "value".
type DirSecrets struct {
	Dir string
}

// Secret implements SecretProvider. It returns an ENOTFOUND error when the
// file does not exist, and an EINVALID one when name is not a plain file
// name.
func (d DirSecrets) Secret(_ context.Context, name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return "", shipline.Errorf(shipline.EINVALID, "secret name %q is not a file name", name)
	}
	b, err := os.ReadFile(filepath.Join(d.Dir, name)) // #nosec G304 -- name is checked above to be a plain file name, so this is a file of the configured secrets directory
	if errors.Is(err, fs.ErrNotExist) {
		return "", shipline.Errorf(shipline.ENOTFOUND, "secret %s: no file %s", name, filepath.Join(d.Dir, name))
	}
	if err != nil {
		return "", shipline.Errorf(shipline.EINTERNAL, "secret %s: %w", name, err)
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	return s, nil
}
