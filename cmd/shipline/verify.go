package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/binverify"
	"github.com/shipline-ci/shipline/build/attest"
	"github.com/shipline-ci/shipline/provenance"
	"github.com/shipline-ci/shipline/sign"
)

// verifyFlags are the flags of 'shipline verify'.
type verifyFlags struct {
	target    string
	module    string
	main      string
	version   string
	cgo       string // "", or a strconv.ParseBool value
	trimpath  string // likewise
	key       string // public key to check FILE's signatures with; "" checks none
	signature string // the detached signature; "" for FILE.sig
}

// verifyReport is what 'shipline verify --json' writes.
type verifyReport struct {
	File   string            `json:"file"`
	Target *shipline.Target  `json:"target,omitempty"` // nil when only signatures were checked
	Format string            `json:"format,omitempty"`
	Checks []binverify.Check `json:"checks"`
	OK     bool              `json:"ok"`
}

func (m *Main) verifyCommand() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify FILE [--target GOOS/GOARCH[/VARIANT]] [--key cosign.pub]",
		Short: "Check that a built binary is what it claims to be, and release signatures",
		Long: `Check that a built binary is for the target it claims, by its header and its
Go build information, without running it: the executable format, word size,
byte order, machine and operating system markers of its header, and the GOOS,
GOARCH, variant (GOARM, GOAMD64, GOMIPS64, ...), module, main package,
version, cgo and -trimpath settings it was built with.

The version is the value of main.version, which releases set with
-ldflags "-X main.version=VERSION"; a stripped binary is searched for a Go
string variable that holds it. When the build information also records a
module version from version control, it must match too.

With --key (a public key such as cosign.pub), verify also checks FILE's
signatures: the detached one in FILE.sig (or --signature), as 'cosign
verify-blob' does; the one embedded in an ELF binary that 'shipline build'
signed; and, for provenance (a DSSE envelope such as provenance.intoto.jsonl),
the envelope's signature and the SHA-256 of every file it names, found
beside it. FILE.sig may be missing only when FILE carries its own signature.
With --key, --target is optional: without it only signatures are checked,
so archives, checksums.txt and SBOMs can be verified too.

Prints what was checked, and exits 1 when anything does not match.`,
		Example: `  shipline verify dist/app_linux_arm_v7/app --target linux/arm/v7 --version v1.2.3
  shipline verify app.exe --target windows/amd64 --module example.com/app --cgo false --json
  shipline verify dist/app_linux_amd64/app --target linux/amd64 --key cosign.pub
  shipline verify dist/checksums.txt --key cosign.pub
  shipline verify dist/provenance.intoto.jsonl --key cosign.pub`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return shipline.Errorf(shipline.EUSAGE, "%s takes one FILE, got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if m.Dir != "" && !filepath.IsAbs(path) {
				path = filepath.Join(m.Dir, path)
			}
			var rep *binverify.Report
			if f.target != "" || f.key == "" {
				e, err := f.expect()
				if err != nil {
					return err
				}
				if rep, err = binverify.Verify(path, e); err != nil {
					return err
				}
			} else {
				rep = &binverify.Report{File: path}
			}
			if err := m.verifySignature(rep, f); err != nil {
				return err
			}
			out := verifyReport{File: rep.File, Format: rep.Format, Checks: rep.Checks, OK: rep.OK()}
			if f.target != "" {
				out.Target = &rep.Target
			}
			if m.json {
				if err := writeJSON(m.Stdout, out); err != nil {
					return err
				}
			} else {
				writeChecks(m.Stdout, out)
			}
			if err := reportErr(rep, out.Target != nil); err != nil {
				return m.reported(err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "the target FILE must be built for: `GOOS/GOARCH[/VARIANT]`, such as linux/arm/v7 (required)")
	fl.StringVar(&f.module, "module", "", "the main module `PATH` its build information must record")
	fl.StringVar(&f.main, "main", "", "the main package import `PATH` its build information must record")
	fl.StringVar(&f.version, "version", "", "the `VERSION` it must carry in main.version (and as module version, if it records one)")
	fl.StringVar(&f.cgo, "cgo", "", "`true` if it must be built with cgo (CGO_ENABLED=1), false if without")
	fl.StringVar(&f.trimpath, "trimpath", "", "`true` if it must be built with -trimpath, false if without")
	fl.StringVar(&f.key, "key", "", "check FILE's signatures with the public key `FILE` (such as cosign.pub)")
	fl.StringVar(&f.signature, "signature", "", "the detached signature `FILE` (default: FILE.sig)")
	m.jsonFlag(cmd)
	return cmd
}

// expect turns the flags into what binverify checks.
func (f verifyFlags) expect() (binverify.Expect, error) {
	if f.target == "" {
		return binverify.Expect{}, shipline.Errorf(shipline.EUSAGE, "verify needs --target GOOS/GOARCH[/VARIANT], such as --target linux/amd64, or --key to check only signatures")
	}
	t, err := shipline.ParseTarget(f.target)
	if err != nil {
		return binverify.Expect{}, &shipline.Error{Code: shipline.EUSAGE, Message: "--target: " + err.Error(), Err: err}
	}
	e := binverify.Expect{Target: t, ModulePath: f.module, MainPath: f.main, Version: f.version}
	if e.CGO, err = boolFlag("cgo", f.cgo); err != nil {
		return e, err
	}
	if e.Trimpath, err = boolFlag("trimpath", f.trimpath); err != nil {
		return e, err
	}
	return e, nil
}

// boolFlag parses the value of a true|false flag; "" is nil (not checked).
func boolFlag(name, v string) (*bool, error) {
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, shipline.Errorf(shipline.EUSAGE, "--%s %q: want true or false", name, v)
	}
	return &b, nil
}

// writeChecks writes a report as a table for a person.
func writeChecks(w io.Writer, rep verifyReport) {
	switch {
	case rep.Target != nil:
		fmt.Fprintf(w, "%s (%s) against %s\n", rep.File, rep.Format, rep.Target)
	case rep.Format != "":
		fmt.Fprintf(w, "%s (%s)\n", rep.File, rep.Format)
	default:
		fmt.Fprintf(w, "%s\n", rep.File)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tEXPECTED\tFOUND\tOK")
	for _, c := range rep.Checks {
		ok := "ok"
		if !c.OK {
			ok = "MISMATCH"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Field, c.Expected, c.Found, ok)
	}
	tw.Flush()
	failed := 0
	for _, c := range rep.Checks {
		if !c.OK {
			failed++
		}
	}
	if failed == 0 {
		fmt.Fprintf(w, "ok: %d checks passed\n", len(rep.Checks))
	} else {
		fmt.Fprintf(w, "%d of %d checks failed\n", failed, len(rep.Checks))
	}
}

// verifySignature checks FILE's signatures with --key, appending a
// binverify.Check per signature to rep.Checks so that the table, the JSON
// report and the exit status include them:
//
//   - "embedded signature": the trailer of an ELF binary that 'shipline
//     build' signed (sign.VerifyELF);
//   - "envelope signature": a DSSE envelope's own signature, and
//     "subjects": for an in-toto statement (provenance), that every file
//     it names, beside FILE, has the recorded SHA-256;
//   - "signature": the detached signature, --signature or FILE.sig, as
//     'cosign verify-blob' checks it. It may be missing only when FILE
//     carries its own signature; otherwise a missing one fails the check.
//
// Without --key it does nothing. A key, or a --signature file, that
// cannot be read is an error, not a failed check.
func (m *Main) verifySignature(rep *binverify.Report, f verifyFlags) error {
	if f.key == "" {
		if f.signature != "" {
			return shipline.Errorf(shipline.EUSAGE, "--signature needs --key, the public key to check it with")
		}
		return nil
	}
	pem, err := os.ReadFile(m.path(f.key))
	if errors.Is(err, fs.ErrNotExist) {
		return shipline.Errorf(shipline.ENOTFOUND, "public key %s does not exist", f.key)
	} else if err != nil {
		return err
	}
	v, err := sign.LoadPublicKey(pem)
	if err != nil {
		return fmt.Errorf("%s: %w", f.key, err)
	}
	data, err := os.ReadFile(rep.File)
	if errors.Is(err, fs.ErrNotExist) {
		return shipline.Errorf(shipline.ENOTFOUND, "verify %s: no such file", rep.File)
	} else if err != nil {
		return shipline.Errorf(shipline.EINVALID, "verify: %w", err)
	}
	signedBy := "signed by " + filepath.Base(f.key)
	check := func(field, source string, err error) bool {
		c := binverify.Check{Field: field, Expected: signedBy, Found: signedBy, OK: err == nil, Source: source}
		if err != nil {
			c.Found = signatureProblem(err)
		}
		rep.Checks = append(rep.Checks, c)
		return c.OK
	}

	selfSigned := false
	if bytes.HasPrefix(data, []byte("\x7fELF")) {
		if _, _, err := sign.SplitELF(data); !errors.Is(err, sign.ErrNotSigned) {
			selfSigned = true
			check("embedded signature", "ELF trailer", sign.VerifyELF(v, data))
		}
		if rep.Format == "" {
			rep.Format = "elf"
		}
	}
	if isEnvelope(data) {
		selfSigned = true
		if rep.Format == "" {
			rep.Format = "dsse"
		}
		typ, payload, err := sign.VerifyDSSE(v, data)
		if check("envelope signature", "DSSE envelope", err) && typ == provenance.PayloadType {
			rep.Checks = append(rep.Checks, checkSubjects(filepath.Dir(rep.File), payload))
		}
	}

	sigFile := f.signature
	if sigFile == "" {
		sigFile = rep.File + attest.SignatureSuffix
	} else {
		sigFile = m.path(sigFile)
	}
	sig, err := os.ReadFile(sigFile) // #nosec G304 -- the signature the user named (--signature), or the .sig next to the file they asked to verify
	switch {
	case errors.Is(err, fs.ErrNotExist) && f.signature != "":
		return shipline.Errorf(shipline.ENOTFOUND, "--signature %s does not exist", f.signature)
	case errors.Is(err, fs.ErrNotExist) && selfSigned:
		// FILE carries its own signature, checked above.
	case errors.Is(err, fs.ErrNotExist):
		rep.Checks = append(rep.Checks, binverify.Check{Field: "signature", Expected: signedBy, Found: "no " + sigFile, Source: sigFile})
	case err != nil:
		return err
	default:
		check("signature", sigFile, sign.VerifyBlob(v, bytes.NewReader(data), sig))
	}
	return nil
}

// signatureProblem says in a few words why a signature did not verify.
func signatureProblem(err error) string {
	switch {
	case errors.Is(err, sign.ErrSignature):
		return "does not verify (the file changed, or another key signed it)"
	case errors.Is(err, sign.ErrNotSigned):
		return "not signed"
	}
	var e *shipline.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// isEnvelope reports whether data looks like a DSSE envelope: a JSON
// object with payloadType, payload and signatures.
func isEnvelope(data []byte) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var e struct {
		PayloadType *string           `json:"payloadType"`
		Payload     *string           `json:"payload"`
		Signatures  []json.RawMessage `json:"signatures"`
	}
	return json.Unmarshal(data, &e) == nil && e.PayloadType != nil && e.Payload != nil && e.Signatures != nil
}

// checkSubjects checks the subjects of a verified in-toto statement: each
// names a file by its slash path relative to dir, which must have the
// recorded SHA-256.
func checkSubjects(dir string, statement []byte) binverify.Check {
	var st struct {
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	c := binverify.Check{Field: "subjects", Source: "in-toto statement"}
	if err := json.Unmarshal(statement, &st); err != nil || len(st.Subject) == 0 {
		c.Expected, c.Found = "an in-toto statement with subjects", "none"
		return c
	}
	c.Expected = fmt.Sprintf("%d files with the recorded SHA-256", len(st.Subject))
	var bad []string
	for _, s := range st.Subject {
		name := filepath.FromSlash(s.Name)
		if !filepath.IsLocal(name) {
			bad = append(bad, fmt.Sprintf("%q is not a path inside %s", s.Name, dir))
			continue
		}
		got, err := fileSHA256(dir, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			bad = append(bad, s.Name+" missing")
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s: %v", s.Name, err))
		case got != s.Digest["sha256"]:
			bad = append(bad, s.Name+" differs")
		}
	}
	if len(bad) == 0 {
		c.Found, c.OK = fmt.Sprintf("%d files match", len(st.Subject)), true
	} else {
		c.Found = strings.Join(bad, ", ")
	}
	return c
}

// fileSHA256 returns the SHA-256 in hex of the file name inside dir. The
// name comes from a statement, so it is opened through an os.Root: neither
// ".." nor a symbolic link takes it out of dir.
func fileSHA256(dir, name string) (string, error) {
	f, err := os.OpenInRoot(dir, name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// reportErr returns nil when every check of rep passed, else the error
// that names each failure: binverify's when a target was checked, one of
// the same form for signatures alone.
func reportErr(rep *binverify.Report, targeted bool) error {
	if targeted {
		return rep.Err()
	}
	var parts []string
	for _, c := range rep.Failed() {
		parts = append(parts, fmt.Sprintf("%s: expected %s, found %s", c.Field, c.Expected, c.Found))
	}
	if len(parts) == 0 {
		return nil
	}
	return shipline.Errorf(shipline.EINVALID, "%s does not verify: %s", rep.File, strings.Join(parts, "; "))
}
