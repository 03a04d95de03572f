package main

import (
	"encoding/json"
	"errors"
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
// once, in the order given, without a shell, its output to /dev/null, and
// writes the wall times as hyperfine JSON.
//
//	versionbench time -export-json FILE NAME CMDLINE [NAME CMDLINE]...
//
// CMDLINE is split on blanks, as hyperfine -N splits it (no quoting).
func runTime(args []string) error {
	if len(args) < 4 || args[0] != "-export-json" || len(args[2:])%2 != 0 {
		return errors.New("usage: versionbench time -export-json FILE NAME CMDLINE [NAME CMDLINE]...")
	}
	out := args[1]
	var doc hyperfineJSON
	for i := 2; i < len(args); i += 2 {
		name, argv := args[i], strings.Fields(args[i+1])
		if len(argv) == 0 {
			return fmt.Errorf("%s: empty command", name)
		}
		cmd := exec.Command(argv[0], argv[1:]...) // nil Stdout, Stderr: /dev/null
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", name, args[i+1], err)
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
	return os.WriteFile(out, append(b, '\n'), 0o644)
}
