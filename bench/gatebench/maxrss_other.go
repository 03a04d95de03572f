//go:build !unix

package main

import "os"

// maxRSS returns 0: only Unix systems report a finished command's peak
// memory.
func maxRSS(*os.ProcessState) int64 { return 0 }
