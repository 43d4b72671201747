package throttle_test

import (
	"testing"

	"studentapi/internal/throttle"
	"studentapi/internal/throttle/throttletest"
)

func TestMemoryStore(t *testing.T) {
	throttletest.Run(t, func(*testing.T) throttle.Store { return throttle.NewMemory(0) })
}
