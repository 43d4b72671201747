package throttle_test

import (
	"sync"
	"testing"
	"time"

	"studentapi/internal/throttle"
)

var guardSecret = []byte("the guard tests' secret")

// newGuard limits failures at 3/minute with a day of trust, in memory.
func newGuard(t *testing.T) *throttle.Guard {
	t.Helper()
	l, err := throttle.NewWithStore(throttle.Rate{N: 3, Per: time.Minute}, throttle.NewMemory(0), guardSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := throttle.NewMarks(throttle.NewMemory(0), guardSecret, 24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	return throttle.NewGuard([]*throttle.Limiter{l}, m)
}

// try makes one attempt and ends it as succeed says; it reports whether the
// guard let it be judged.
func try(t *testing.T, g *throttle.Guard, subject, client, device string, succeed bool) bool {
	t.Helper()
	a, ok, wait, err := g.Begin(t.Context(), subject, client, device)
	if err != nil {
		t.Fatalf("Begin(%q, %q, %q): %v", subject, client, device, err)
	}
	if !ok {
		if wait <= 0 {
			t.Errorf("refused with wait %v", wait)
		}
		return false
	}
	if succeed {
		if err := a.Succeeded(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return true
}

func TestGuardCountsOnlyFailures(t *testing.T) {
	g := newGuard(t)
	for i := range 10 {
		if !try(t, g, "admin", "192.0.2.1", "", true) {
			t.Fatalf("success %d refused: successes must cost nothing", i+1)
		}
	}
	for i := range 3 {
		if !try(t, g, "admin", "192.0.2.9", "", false) {
			t.Fatalf("failure %d refused under the budget", i+1)
		}
	}
	if try(t, g, "admin", "192.0.2.9", "", false) {
		t.Error("a fourth failure within the minute was let through")
	}
}

// The lockout of issue 13: an attacker's failures on a username stop every
// new client, but not one the owner has used.
func TestGuardLockout(t *testing.T) {
	g := newGuard(t)
	const attacker, owner, stranger = "203.0.113.66", "192.0.2.10", "198.51.100.5"
	if !try(t, g, "admin", owner, "", true) {
		t.Fatal("the owner's first login refused")
	}
	for range 3 {
		try(t, g, "admin", attacker, "", false)
	}
	for _, tt := range []struct {
		name, client, device string
		want                 bool
	}{
		{"the attacker", attacker, "", false},
		{"a new client: credential stuffing still stopped", stranger, "", false},
		{"the owner's address", owner, "", true},
		{"the owner's device cookie from anywhere", stranger, "device-1", true},
	} {
		if got := try(t, g, "admin", tt.client, tt.device, true); got != tt.want {
			t.Errorf("%s: let through %v, want %v", tt.name, got, tt.want)
		}
	}
	// Trust is not a free pass: a trusted client's failures have their own
	// budget, and so has a device's.
	for _, who := range []struct{ client, device string }{{owner, ""}, {stranger, "device-1"}} {
		for range 3 {
			try(t, g, "admin", who.client, who.device, false)
		}
		if try(t, g, "admin", who.client, who.device, true) {
			t.Errorf("client %s device %q: a fourth attempt after three failures let through", who.client, who.device)
		}
	}
	// Trust is per subject: the owner's address is a stranger for another user.
	for range 3 {
		try(t, g, "other", attacker, "", false)
	}
	if try(t, g, "other", owner, "", true) {
		t.Error("trust in one subject's client carried over to another subject")
	}
}

// Parallel failures cannot overrun the budget: each reserves before it is
// judged.
func TestGuardParallelFailures(t *testing.T) {
	g := newGuard(t)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		judged int
	)
	for range 32 {
		wg.Go(func() {
			// Each fails: its reservation stays.
			_, ok, _, err := g.Begin(t.Context(), "admin", "203.0.113.66", "")
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				judged++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if judged != 3 {
		t.Errorf("%d of 32 parallel failures judged, want 3", judged)
	}
}

// A refused attempt costs nothing on any rate: the longer rate still has
// its budget when the shorter one frees up.
func TestGuardRefusedAttemptsCostNothing(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := throttle.NewMemory(0)
	minute, err := throttle.NewWithStore(throttle.Rate{N: 2, Per: time.Minute}, store, guardSecret, clock)
	if err != nil {
		t.Fatal(err)
	}
	hour, err := throttle.NewWithStore(throttle.Rate{N: 4, Per: time.Hour}, store, guardSecret, clock)
	if err != nil {
		t.Fatal(err)
	}
	g := throttle.NewGuard([]*throttle.Limiter{minute, nil, hour}, nil)
	for range 10 {
		try(t, g, "admin", "203.0.113.66", "", false)
	}
	now = now.Add(time.Minute)
	for i := range 2 {
		if !try(t, g, "admin", "203.0.113.66", "", false) {
			t.Fatalf("attempt %d of the second minute refused: refused attempts used the hour's budget", i+1)
		}
	}
	if try(t, g, "admin", "203.0.113.66", "", false) {
		t.Error("over the minute's rate")
	}
}

func TestNilGuardLetsThrough(t *testing.T) {
	var g *throttle.Guard
	for range 10 {
		if !try(t, g, "admin", "203.0.113.66", "", false) {
			t.Fatal("nil Guard refused")
		}
	}
}
