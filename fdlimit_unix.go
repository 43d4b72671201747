//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// raiseFileLimit raises the soft limit on open files to the hard limit, which
// any process may do, and returns the limits in force. Go's os package does
// the same when it starts on most systems (since Go 1.19); this makes it the
// server's stated intent, and reports what it got.
func raiseFileLimit() (fileLimit, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fileLimit{}, fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return fileLimit{soft: uint64(lim.Cur), hard: uint64(lim.Max)}, fmt.Errorf("raise RLIMIT_NOFILE to %d: %w", lim.Max, err)
		}
		lim = raised
	}
	return fileLimit{soft: uint64(lim.Cur), hard: uint64(lim.Max)}, nil
}
