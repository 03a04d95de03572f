// Command buildbench holds the Go helper of bench/builds.sh, the speed
// benchmark of `shipline build`:
//
//	buildbench report  reads hyperfine's JSON files (one per command and
//	                   round) and the script's facts, and writes the
//	                   medians, minimums and ratios to the "Builds" section
//	                   of BENCHMARKS.md
//	buildbench hasvar  tells whether a package declares a package-level
//	                   variable (main.version, for the default ldflags)
//
// It is a benchmark tool, not part of Shipline: it imports nothing from the
// module and nothing outside the standard library.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  buildbench report [-out FILE] [-title TITLE] [-info FILE] ROUND.json...
  buildbench hasvar DIR NAME    (exit status 0: declared, 1: not)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "report":
		if err := runReport(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "buildbench report: %v\n", err)
			os.Exit(2)
		}
	case "hasvar":
		ok, err := runHasVar(os.Args[2:])
		if err != nil {
			fmt.Fprintf(os.Stderr, "buildbench hasvar: %v\n", err)
			os.Exit(2)
		}
		if !ok {
			os.Exit(1)
		}
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
}
