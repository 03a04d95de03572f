//go:build unix

package authenticode

import "syscall"

// detached runs osslsigncode in a session of its own, without a
// controlling terminal: with a wrong password, OpenSSL would otherwise ask
// for one on /dev/tty in the middle of a build.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
