package main

import (
	"runtime/metrics"
	"testing"
)

// gcPercent reads the collector's current target percentage.
func gcPercent(t *testing.T) int64 {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		t.Fatalf("/gc/gogc:percent is not available: %v", s[0].Value.Kind())
	}
	return int64(s[0].Value.Uint64())
}

// TestServeSetsGOGC: serve runs with runtime.gogc, unless GOGC is set in the
// environment, and puts the previous value back when it returns.
func TestServeSetsGOGC(t *testing.T) {
	before := gcPercent(t)
	for _, tt := range []struct {
		name string
		env  map[string]string
		want int64
	}{
		{"default", nil, 150},
		{"config", map[string]string{"STUDENTAPI_RUNTIME_GOGC": "240"}, 240},
		{"GOGC wins", map[string]string{"STUDENTAPI_RUNTIME_GOGC": "240", "GOGC": "100"}, before},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			for k, v := range tt.env {
				c.env[k] = v
			}
			s := startServer(t, c)
			if got := gcPercent(t); got != tt.want {
				t.Errorf("while serving, GOGC = %d, want %d", got, tt.want)
			}
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
			if got := gcPercent(t); got != before {
				t.Errorf("after serving, GOGC = %d, want %d back", got, before)
			}
		})
	}
}
