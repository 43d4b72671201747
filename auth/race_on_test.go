//go:build race

package auth_test

// raceEnabled says the tests run under the race detector, whose sync.Pool
// drops what it is given at random: allocations cannot be counted then.
const raceEnabled = true
