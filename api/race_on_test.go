//go:build race

package api

// raceEnabled says the tests run under the race detector, whose
// instrumentation allocates on its own, so that allocations are not measured.
const raceEnabled = true
