//go:build !race

package passwords_test

// raceEnabled: see race_on_test.go.
const raceEnabled = false
