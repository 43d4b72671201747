//go:build race

package passwords_test

// raceEnabled says the tests run under the race detector, which makes a key
// derivation at Django's default cost take seconds: see TestDjangoVectors.
const raceEnabled = true
