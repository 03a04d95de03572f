// Package authenticode signs Windows PE binaries with Authenticode by
// running osslsigncode (https://github.com/mtrojnar/osslsigncode), the one
// outside program it talks to. The signature is embedded in the PE file's
// certificate table, where Windows looks for it; osslsigncode verify and
// signtool verify check it.
//
// Signatures are SHA-256, with the signing time set to the Signer's Time
// (a release's commit time), so that with an RSA key the same input gives
// the same bytes. A timestamp from a Time-Stamp Authority (TimestampURL)
// makes the file differ from one signing to the next.
package authenticode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shipline-ci/shipline"
)

// Program is the command Signer runs when its Program is empty.
const Program = "osslsigncode"

// Signer signs PE files with a certificate and its private key.
type Signer struct {
	Cert         string    // PEM (or DER) certificate file, with any intermediate certificates after it
	Key          string    // PEM (or DER) private key file
	Password     []byte    // the key's password; nil for an unencrypted key
	TimestampURL string    // RFC 3161 Time-Stamp Authority; "" for none
	Time         time.Time // the signing time recorded; the zero time records the clock's
	Program      string    // osslsigncode's path or name; "" means Program
}

// Check reports what would make Sign fail before anything is built: an
// EINVALID error for a certificate or key file that cannot be read, and
// ENOTFOUND when osslsigncode is not installed.
func (s *Signer) Check() error {
	for _, f := range []struct{ what, path string }{{"certificate", s.Cert}, {"key", s.Key}} {
		if f.path == "" {
			return shipline.Errorf(shipline.EINVALID, "authenticode: no %s file", f.what)
		}
		if _, err := os.Stat(f.path); err != nil {
			return shipline.Errorf(shipline.EINVALID, "authenticode: %s: %v", f.what, err)
		}
	}
	if _, err := exec.LookPath(s.program()); err != nil {
		return shipline.Errorf(shipline.ENOTFOUND, "authenticode: %s is not installed (apt-get install osslsigncode): %v", s.program(), err)
	}
	return nil
}

func (s *Signer) program() string {
	if s.Program == "" {
		return Program
	}
	return s.Program
}

// Sign signs the PE file at path in place: osslsigncode writes the signed
// file beside it, which then replaces it, keeping its mode. The password,
// if any, goes to osslsigncode on its standard input, never on its
// command line, and osslsigncode runs without a controlling terminal, so
// that it cannot stop to ask for one. A wrong password is an
// EUNAUTHORIZED error; any other failure is EINVALID with the end of
// osslsigncode's output.
func (s *Signer) Sign(ctx context.Context, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	out := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".authenticode")
	// osslsigncode does not overwrite: remove what an earlier run left,
	// and what this one leaves if it fails.
	if err := os.Remove(out); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	defer func() { _ = os.Remove(out) }() // best effort: after the rename nothing is there
	args := []string{"sign", "-certs", s.Cert, "-key", s.Key, "-h", "sha256"}
	if s.Password != nil {
		args = append(args, "-readpass", "-")
	}
	if s.TimestampURL != "" {
		args = append(args, "-ts", s.TimestampURL)
	}
	if !s.Time.IsZero() {
		args = append(args, "-time", strconv.FormatInt(s.Time.Unix(), 10))
	}
	args = append(args, "-in", path, "-out", out)
	cmd := exec.CommandContext(ctx, s.program(), args...) // #nosec G204 -- osslsigncode (or the Program the caller set) with the arguments above, run without a shell; the password goes on standard input
	cmd.Stdin = bytes.NewReader(s.Password)
	cmd.SysProcAttr = detached()
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if o := output.String(); strings.Contains(o, "bad password read") || strings.Contains(o, "bad decrypt") {
			return shipline.Errorf(shipline.EUNAUTHORIZED, "%s sign %s: wrong password for the key %s, or no password for an encrypted key", s.program(), filepath.Base(path), filepath.Base(s.Key))
		}
		return shipline.Errorf(shipline.EINVALID, "%s sign %s: %v: %s", s.program(), filepath.Base(path), err, lastLines(output.String(), 5))
	}
	if err := os.Chmod(out, info.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Rename(out, path); err != nil {
		return fmt.Errorf("authenticode: %w", err)
	}
	return nil
}

// lastLines returns the last n non-empty lines of s, joined by "; ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "no output"
	}
	return strings.Join(lines, "; ")
}
