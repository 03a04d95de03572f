// Command versionbench holds the Go helpers of bench/versions.sh, the speed
// benchmark of Shipline's version engine:
//
//	versionbench gen     writes a `git fast-import` stream of a large history
//	                     with Conventional Commits and semver tags
//	versionbench time    runs commands once each, in order, and writes their
//	                     wall times as hyperfine-style JSON (the fallback
//	                     when hyperfine is not installed)
//	versionbench report  reads those JSON files (one per round), and writes
//	                     the medians, minimums and ratios to BENCHMARKS.md
//
// It is a benchmark tool, not part of Shipline: it imports nothing from the
// module and nothing outside the standard library.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  versionbench gen [flags] > stream          (see versionbench gen -h)
  versionbench time -export-json FILE [-output FILE] NAME CMDLINE [NAME CMDLINE]...
  versionbench report [flags] ROUND.json...  (see versionbench report -h)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = runGen(os.Args[2:])
	case "time":
		err = runTime(os.Args[2:])
	case "report":
		err = runReport(os.Args[2:])
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "versionbench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
