//go:build !unix

package authenticode

import "syscall"

// detached returns no attributes: only Unix has controlling terminals to
// detach from.
func detached() *syscall.SysProcAttr { return nil }
