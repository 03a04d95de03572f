package config

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles pattern on first use: a package-level
// regexp.MustCompile runs at every start of the program, and most runs
// never parse a configuration with it.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
