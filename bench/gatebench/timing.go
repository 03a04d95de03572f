package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// timing is one timed run of one command, as time writes it (time.json in
// the run's directory).
type timing struct {
	ID    string   `json:"id"`    // the tool: shipline, govulncheck, gosec, go-licenses
	Round int      `json:"round"` // 1-based; 0 is the untimed warm-up
	Dir   string   `json:"dir"`   // where it ran: the module's root
	Argv  []string `json:"argv"`
	Start string   `json:"start"` // RFC 3339
	// Wall, User and System are seconds; User and System include every
	// process the command waited for (go list, the compiler, ...).
	Wall   float64 `json:"wall_s"`
	User   float64 `json:"user_s"`
	System float64 `json:"system_s"`
	// MaxRSS is the peak resident memory of the largest single process
	// of the command's tree, in KiB (Linux's ru_maxrss).
	MaxRSS   int64 `json:"max_rss_kib"`
	ExitCode int   `json:"exit_code"`
}

// CPU returns user + system seconds.
func (t *timing) CPU() float64 { return t.User + t.System }

// runTime runs one command without a shell, stdin from /dev/null, and
// writes its timing. A non-zero exit is recorded, not an error: the tools
// exit 1 or 3 when they find something. Failing to start the command, or
// the command dying of a signal, is an error.
func runTime(args []string) error {
	fs := flag.NewFlagSet("time", flag.ContinueOnError)
	id := fs.String("id", "", "the tool's id")
	round := fs.Int("round", 0, "the round (0: warm-up)")
	dir := fs.String("dir", "", "run in this directory")
	jsonPath := fs.String("json", "", "write the timing here")
	stdoutPath := fs.String("stdout", os.DevNull, "write the command's stdout here")
	stderrPath := fs.String("stderr", os.DevNull, "write the command's stderr here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	argv := fs.Args()
	if *id == "" || *jsonPath == "" || len(argv) == 0 {
		return errors.New("need -id, -json and a command after --")
	}
	stdout, err := os.Create(*stdoutPath)
	if err != nil {
		return err
	}
	defer stdout.Close()
	stderr, err := os.Create(*stderrPath)
	if err != nil {
		return err
	}
	defer stderr.Close()

	// #nosec G204 -- timing the command line that gates.sh passes after "--" is this subcommand's job; it runs as argv, never through a shell
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = *dir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("%s: %w", *id, err)
	}
	ps := cmd.ProcessState
	if ps.ExitCode() < 0 {
		return fmt.Errorf("%s: %v", *id, ps)
	}
	t := timing{
		ID:       *id,
		Round:    *round,
		Dir:      *dir,
		Argv:     argv,
		Start:    start.UTC().Format(time.RFC3339),
		Wall:     wall.Seconds(),
		User:     ps.UserTime().Seconds(),
		System:   ps.SystemTime().Seconds(),
		ExitCode: ps.ExitCode(),
	}
	t.MaxRSS = maxRSS(ps)
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*jsonPath, append(b, '\n'), 0o600)
}

// readTiming reads a time.json.
func readTiming(path string) (*timing, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- a time.json that 'gatebench time' wrote into this benchmark's run directory
	if err != nil {
		return nil, err
	}
	var t timing
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}
