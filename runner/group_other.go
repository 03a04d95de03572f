//go:build !unix

package runner

import (
	"os"
	"os/exec"
	"syscall"
)

// Without process groups, only the step's own process is stopped: its
// children are not.

func groupAttr() *syscall.SysProcAttr     { return nil }
func terminateGroup(p *os.Process)        { _ = p.Kill() }
func killGroup(p *os.Process)             { _ = p.Kill() }
func exitSignal(e *exec.ExitError) string { return "" }
func groupLive(p *os.Process) bool        { return false }
