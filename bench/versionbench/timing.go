package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// hyperfineJSON is the part of hyperfine's --export-json format that
// report reads; time writes the same shape.
type hyperfineJSON struct {
	Results []hyperfineResult `json:"results"`
}

type hyperfineResult struct {
	Command   string    `json:"command"`
	Times     []float64 `json:"times"` // wall seconds, one per run
	User      float64   `json:"user"`  // mean user seconds
	System    float64   `json:"system"`
	ExitCodes []int     `json:"exit_codes"`
}

// runTime is the fallback for hyperfine -N --runs 1: it runs each command
// once, in the order given, without a shell, its output to /dev/null (or to
// the -output file), and writes the wall times as hyperfine JSON.
//
//	versionbench time -export-json FILE [-output FILE] NAME CMDLINE [NAME CMDLINE]...
//
// CMDLINE is split on blanks, as hyperfine -N splits it (no quoting).
func runTime(args []string) error {
	fs := flag.NewFlagSet("time", flag.ContinueOnError)
	exportJSON := fs.String("export-json", "", "write the times here, as hyperfine does")
	output := fs.String("output", "", "write the commands' stdout here instead of /dev/null")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pairs := fs.Args()
	if *exportJSON == "" || len(pairs) == 0 || len(pairs)%2 != 0 {
		return errors.New("usage: versionbench time -export-json FILE [-output FILE] NAME CMDLINE [NAME CMDLINE]...")
	}
	var stdout *os.File
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		defer f.Close()
		stdout = f
	}
	var doc hyperfineJSON
	for i := 0; i < len(pairs); i += 2 {
		name, argv := pairs[i], strings.Fields(pairs[i+1])
		if len(argv) == 0 {
			return fmt.Errorf("%s: empty command", name)
		}
		// #nosec G204 -- timing the command lines that versions.sh and builds.sh pass is this subcommand's job (it stands in for hyperfine); run as argv, never through a shell
		cmd := exec.Command(argv[0], argv[1:]...) // nil Stdout, Stderr: /dev/null
		if stdout != nil {
			cmd.Stdout = stdout
		}
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", name, pairs[i+1], err)
		}
		ps := cmd.ProcessState
		doc.Results = append(doc.Results, hyperfineResult{
			Command:   name,
			Times:     []float64{wall.Seconds()},
			User:      ps.UserTime().Seconds(),
			System:    ps.SystemTime().Seconds(),
			ExitCodes: []int{ps.ExitCode()},
		})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*exportJSON, append(b, '\n'), 0o600)
}
