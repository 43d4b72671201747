//go:build race

package main

// raceEnabled says the tests run under the race detector, so that a binary
// they build is built the same way (and reuses the compiled packages).
const raceEnabled = true
