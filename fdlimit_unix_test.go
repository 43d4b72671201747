//go:build unix

package main

import (
	"syscall"
	"testing"
)

// serve raises its soft limit on open files to the hard limit (issue 13,
// item 7): a process started with a low soft limit, as a shell's ulimit -n
// may give it, gets every descriptor it is allowed.
func TestRaiseFileLimit(t *testing.T) {
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
			t.Errorf("restore RLIMIT_NOFILE: %v", err)
		}
	})
	// Low, yet well above what the test process holds open.
	low := syscall.Rlimit{Cur: min(orig.Max/2, 1024), Max: orig.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	got, err := raiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	var now syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now); err != nil {
		t.Fatal(err)
	}
	if now.Cur != orig.Max || got.soft != uint64(orig.Max) || got.hard != uint64(orig.Max) {
		t.Errorf("after raiseFileLimit: soft %d (reported %d), hard reported %d; want both %d", now.Cur, got.soft, got.hard, orig.Max)
	}
}
