package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/binverify"
)

// verifyFlags are the flags of 'shipline verify'.
type verifyFlags struct {
	target   string
	module   string
	main     string
	version  string
	cgo      string // "", or a strconv.ParseBool value
	trimpath string // likewise
	// Signatures: a --key flag (the public key to check FILE's signature
	// with) belongs here; see verifySignature.
}

// verifyReport is what 'shipline verify --json' writes.
type verifyReport struct {
	*binverify.Report
	OK bool `json:"ok"`
}

func (m *Main) verifyCommand() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify FILE --target GOOS/GOARCH[/VARIANT]",
		Short: "Check that a built binary is what it claims to be",
		Long: `Check that a built binary is for the target it claims, by its header and its
Go build information, without running it: the executable format, word size,
byte order, machine and operating system markers of its header, and the GOOS,
GOARCH, variant (GOARM, GOAMD64, GOMIPS64, ...), module, main package,
version, cgo and -trimpath settings it was built with.

The version is the value of main.version, which releases set with
-ldflags "-X main.version=VERSION"; a stripped binary is searched for a Go
string variable that holds it. When the build information also records a
module version from version control, it must match too.

Prints what was checked, and exits 1 when anything does not match.`,
		Example: `  shipline verify dist/app_linux_arm_v7/app --target linux/arm/v7 --version v1.2.3
  shipline verify app.exe --target windows/amd64 --module example.com/app --cgo false --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return shipline.Errorf(shipline.EUSAGE, "%s takes one FILE, got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := f.expect()
			if err != nil {
				return err
			}
			path := args[0]
			if m.Dir != "" && !filepath.IsAbs(path) {
				path = filepath.Join(m.Dir, path)
			}
			rep, err := binverify.Verify(path, e)
			if err != nil {
				return err
			}
			if err := m.verifySignature(rep, f); err != nil {
				return err
			}
			if m.json {
				if err := writeJSON(m.Stdout, verifyReport{Report: rep, OK: rep.OK()}); err != nil {
					return err
				}
			} else {
				writeChecks(m.Stdout, rep)
			}
			if err := rep.Err(); err != nil {
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
	m.jsonFlag(cmd)
	return cmd
}

// expect turns the flags into what binverify checks.
func (f verifyFlags) expect() (binverify.Expect, error) {
	if f.target == "" {
		return binverify.Expect{}, shipline.Errorf(shipline.EUSAGE, "verify needs --target GOOS/GOARCH[/VARIANT], such as --target linux/amd64")
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

// verifySignature is where --key will check FILE's signature: it will
// append a binverify.Check{Field: "signature", ...} to rep.Checks, so that
// the table, the JSON report and the exit status include it. It does
// nothing yet.
func (m *Main) verifySignature(rep *binverify.Report, f verifyFlags) error {
	return nil
}

// writeChecks writes a report as a table for a person.
func writeChecks(w io.Writer, rep *binverify.Report) {
	fmt.Fprintf(w, "%s (%s) against %s\n", rep.File, rep.Format, rep.Target)
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
	if rep.OK() {
		fmt.Fprintf(w, "ok: %d checks passed\n", len(rep.Checks))
	} else {
		fmt.Fprintf(w, "%d of %d checks failed\n", len(rep.Failed()), len(rep.Checks))
	}
}
