// Command proxybench holds the Go helpers of bench/proxy.sh and
// bench/sync.sh, the speed benchmarks of 'shipline serve-proxy' and
// 'shipline store sync':
//
//	proxybench proxy  fills a store with small module versions (through the
//	                  store API, once, cached), starts 'shipline serve-proxy'
//	                  on it, and times 'go mod download' of every version
//	                  through it and through GOPROXY=file:// of the same
//	                  store, each run with a fresh module cache
//	proxybench sync   makes a store of many versions and a mirror missing a
//	                  share of them (cached), and times 'shipline store sync'
//	                  against cp of exactly the missing objects, the mirror
//	                  restored before each run
//
// Both interleave the commands in rounds (so noise hits all alike), then
// replace their own section of BENCHMARKS.md with the medians, minimums
// and the ratio to the goal. Unlike the other bench helpers it imports
// Shipline's store package: generating 10,000 versions through
// 'shipline publish' (a git tag each) would take an hour.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  proxybench proxy [flags]   (see proxybench proxy -h)
  proxybench sync [flags]    (see proxybench sync -h)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "proxy":
		err = runProxy(os.Args[2:])
	case "sync":
		err = runSync(os.Args[2:])
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "proxybench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
