// Command shipline is the release system for Go projects. This package only
// parses flags and config and wires Shipline's packages together.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
)

// Set at build time by 'shipline build' (-X main.version=...), as
// GoReleaser does.
var (
	version = "dev"
	commit  = ""
	date    = ""
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	code := m.Run(ctx, os.Args[1:])
	stop()
	m.Close()
	os.Exit(code)
}

// Main is the program, with its standard streams and working directory
// injectable so tests can run it in-process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Dir    string // working directory; "" for the process's

	json bool // --json was given on the command that ran
}

// reportedError is a failure the command has already reported in full
// (a JSON report, a list of problems): Run only turns it into an exit
// status.
type reportedError struct{ err error }

func (e reportedError) Error() string { return e.err.Error() }
func (e reportedError) Unwrap() error { return e.err }

// reported marks err as already reported when the output is JSON.
func (m *Main) reported(err error) error {
	if m.json {
		return reportedError{err}
	}
	return err
}

// NewMain returns a Main wired to the process's standard streams.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Close releases what Run opened. It is safe to call more than once.
func (m *Main) Close() error { return nil }

// Run executes the command line args and returns the exit status: 0 on
// success, 1 on failure, 2 on a usage error. Errors are written to Stderr,
// or as a JSON object to Stdout when --json was given.
func (m *Main) Run(ctx context.Context, args []string) int {
	root := m.rootCommand()
	root.SetArgs(args)
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	err = classify(err)
	var done reportedError
	if errors.As(err, &done) {
		return shipline.ExitCode(err)
	}
	if m.json {
		writeJSON(m.Stdout, map[string]any{"error": map[string]string{
			"code":    shipline.ErrorCode(err),
			"message": err.Error(),
		}})
	} else {
		fmt.Fprintf(m.Stderr, "shipline: %v\n", err)
	}
	if shipline.ErrorCode(err) == shipline.EUSAGE && !m.json {
		fmt.Fprintf(m.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return shipline.ExitCode(err)
}

// classify turns cobra's own errors about the command line into usage
// errors.
func classify(err error) error {
	var e *shipline.Error
	if errors.As(err, &e) {
		return err
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "requires at most", "if any flags in the group"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, p) {
			return &shipline.Error{Code: shipline.EUSAGE, Message: msg, Err: err}
		}
	}
	return err
}

func (m *Main) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "shipline",
		Short: "Shipline releases Go projects: versions, changelogs, tags",
		Long: `Shipline computes the next semantic version of a Go module from its
Conventional Commits, writes its changelog and tags the release.

It works in any git repository; where there is a go.mod it follows Go's rules
(nested module tags, /vN module paths, v0 semantics). Configuration is
optional: .shipline.yaml at the repository root (see 'shipline config schema').`,
		Version:           versionString(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.PersistentFlags().StringVarP(&m.Dir, "chdir", "C", m.Dir, "run as if shipline was started in `DIR`")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &shipline.Error{Code: shipline.EUSAGE, Message: err.Error(), Err: err}
	})
	root.AddCommand(
		m.versionCommand(),
		m.changelogCommand(),
		m.tagCommand(),
		m.commitCommand(),
		m.configCommand(),
		m.buildCommand(),
		m.verifyCommand(),
		m.keyCommand(),
		m.pipelineCommand(),
		m.runCommand(),
		m.gateCommand(),
		m.releaseCommand(),
		m.initCommand(),
		m.publishCommand(),
		m.storeCommand(),
		m.serveProxyCommand(),
	)
	return root
}

// jsonFlag adds --json to cmd.
func (m *Main) jsonFlag(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&m.json, "json", false, "write the result as JSON to standard output")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// noArgs is cobra.NoArgs as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return shipline.Errorf(shipline.EUSAGE, "%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// maxArgs is cobra.MaximumNArgs as a usage error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return shipline.Errorf(shipline.EUSAGE, "%s takes at most %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// versionString is what 'shipline --version' prints.
func versionString() string {
	v := version
	if commit != "" {
		v += " (" + commit
		if date != "" {
			v += ", " + date
		}
		v += ")"
	}
	return v
}
