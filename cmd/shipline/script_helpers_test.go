package main

import (
	"os"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdWaitFile waits for a file a background command writes:
// "waitfile FILE VAR" polls until FILE exists and holds a line, then sets
// the environment variable VAR to that line (shipline serve-proxy
// --addr-file writes its address so). It fails after 60 seconds.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfile FILE VAR")
	}
	name := ts.MkAbs(args[0])
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, err := os.ReadFile(name)
		if line, ok := strings.CutSuffix(string(data), "\n"); err == nil && ok && !strings.Contains(line, "\n") {
			ts.Setenv(args[1], line)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile: %s holds no line after 60s (%v)", args[0], err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
