// Command gatebench holds the Go helper of bench/gates.sh, the speed
// benchmark of `shipline gate` next to govulncheck, gosec and go-licenses
// run one after another:
//
//	gatebench time     runs one command (no shell), its stdout and stderr
//	                   to files, and writes its wall and CPU times, exit
//	                   code and peak memory as JSON
//	gatebench summary  reads what one run of a tool wrote, says in one line
//	                   what it found, and fails when the tool did not
//	                   finish its work (a gate that could not decide, an
//	                   exit code that means an error, output that does not
//	                   parse)
//	gatebench report   gathers the runs, compares what the tools found and
//	                   writes the "Gates" section of BENCHMARKS.md
//
// The commands take from seconds to minutes and exit non-zero when they
// find something, so gatebench times them itself rather than through
// hyperfine: a process's start-up does not matter at this scale, and the
// exit codes, outputs and peak memory do.
//
// It is a benchmark tool, not part of Shipline: it imports nothing from the
// module and nothing outside the standard library, and reads Shipline's
// reports as any other JSON.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  gatebench time -id ID -round N -dir DIR -json FILE -stdout FILE -stderr FILE -- COMMAND [ARG]...
  gatebench summary RUNDIR
  gatebench report [-out FILE] [-title TITLE] -info FILE RUNSDIR
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "time":
		err = runTime(os.Args[2:])
	case "summary":
		err = runSummary(os.Args[2:])
	case "report":
		err = runReport(os.Args[2:])
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gatebench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
