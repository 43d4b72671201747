//go:build !unix

package main

// raiseFileLimit has nothing to raise where the system has no RLIMIT_NOFILE.
func raiseFileLimit() (fileLimit, error) { return fileLimit{}, nil }
