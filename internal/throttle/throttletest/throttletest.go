// Package throttletest checks that a throttle.Store gives DRF's answers: the
// same tests for the in-memory store and the database's, so that a limit means
// the same whichever counts it.
package throttletest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"studentapi/internal/throttle"
)

// clock is a test clock that moves only when told to; Store tests may run
// their limiters from several goroutines, so it is locked.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// secret keys the digests of the tests' limiters.
var secret = []byte("throttletest's secret")

// Run runs the conformance tests on stores from newStore, one fresh store per
// test. Stores that round times must keep at least microseconds.
func Run(t *testing.T, newStore func(t *testing.T) throttle.Store) {
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	newLimiter := func(t *testing.T, store throttle.Store, r throttle.Rate, c *clock) *throttle.Limiter {
		t.Helper()
		l, err := throttle.NewWithStore(r, store, secret, c.now)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	limiter := func(t *testing.T, store throttle.Store, r throttle.Rate) (*throttle.Limiter, *clock) {
		t.Helper()
		c := &clock{t: start}
		return newLimiter(t, store, r, c), c
	}
	allow := func(t *testing.T, l *throttle.Limiter, key string) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := l.Allow(t.Context(), key)
		if err != nil {
			t.Fatalf("Allow(%q): %v", key, err)
		}
		return ok, wait
	}

	t.Run("sliding window", func(t *testing.T) {
		l, c := limiter(t, newStore(t), throttle.Rate{N: 3, Per: time.Minute})
		for i := range 3 {
			if ok, _ := allow(t, l, "a"); !ok {
				t.Fatalf("request %d refused, want allowed", i+1)
			}
			c.advance(10 * time.Second)
		}
		// Three requests at 0s, 10s, 20s; now 30s: the oldest frees up at 60s.
		if ok, wait := allow(t, l, "a"); ok || wait != 30*time.Second {
			t.Errorf("fourth request: allowed %v, wait %v; want refused, 30s", ok, wait)
		}
		if ok, _ := allow(t, l, "b"); !ok {
			t.Error("another key was throttled")
		}
		c.advance(30 * time.Second) // 60s: the first request leaves the window
		if ok, _ := allow(t, l, "a"); !ok {
			t.Error("request after the window slid was refused")
		}
		if ok, _ := allow(t, l, "a"); ok {
			t.Error("window should be full again")
		}
	})

	t.Run("refused requests do not count", func(t *testing.T) {
		l, c := limiter(t, newStore(t), throttle.Rate{N: 1, Per: time.Second})
		allow(t, l, "a")
		for range 5 {
			if ok, _ := allow(t, l, "a"); ok {
				t.Fatal("allowed over the rate")
			}
		}
		c.advance(time.Second)
		if ok, _ := allow(t, l, "a"); !ok {
			t.Error("refused requests were counted against the next window")
		}
	})

	t.Run("wait counts from the oldest request", func(t *testing.T) {
		l, c := limiter(t, newStore(t), throttle.Rate{N: 2, Per: time.Minute})
		allow(t, l, "a")
		c.advance(15 * time.Second)
		allow(t, l, "a")
		c.advance(5 * time.Second)
		if ok, wait := allow(t, l, "a"); ok || wait != 40*time.Second {
			t.Errorf("third request: allowed %v, wait %v; want refused, 40s", ok, wait)
		}
	})

	t.Run("rates on one key count apart", func(t *testing.T) {
		store := newStore(t)
		c := &clock{t: start}
		perMinute := newLimiter(t, store, throttle.Rate{N: 2, Per: time.Minute}, c)
		perHour := newLimiter(t, store, throttle.Rate{N: 3, Per: time.Hour}, c)
		for i := range 2 {
			if ok, _ := allow(t, perMinute, "u"); !ok {
				t.Fatalf("per-minute request %d refused", i+1)
			}
			if ok, _ := allow(t, perHour, "u"); !ok {
				t.Fatalf("per-hour request %d refused", i+1)
			}
		}
		if ok, _ := allow(t, perMinute, "u"); ok {
			t.Error("per-minute limit not reached after 2")
		}
		c.advance(2 * time.Minute)
		if ok, _ := allow(t, perMinute, "u"); !ok {
			t.Error("per-minute limit still reached after its window")
		}
		if ok, _ := allow(t, perHour, "u"); !ok {
			t.Error("per-hour limit reached after 2 of 3")
		}
		if ok, wait := allow(t, perHour, "u"); ok || wait != time.Hour-2*time.Minute {
			t.Errorf("fourth per-hour request: allowed %v, wait %v; want refused, 58m", ok, wait)
		}
	})

	t.Run("concurrent requests take the limit exactly", func(t *testing.T) {
		l, _ := limiter(t, newStore(t), throttle.Rate{N: 5, Per: time.Hour})
		const callers = 24
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			allowed int
			errs    []error
		)
		for i := range callers {
			wg.Go(func() {
				ok, _, err := l.Allow(t.Context(), "hot")
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, fmt.Errorf("caller %d: %w", i, err))
				}
				if ok {
					allowed++
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		if allowed != 5 {
			t.Errorf("%d of %d concurrent requests allowed, want 5", allowed, callers)
		}
	})
	t.Run("a cancelled reservation costs nothing", func(t *testing.T) {
		l, c := limiter(t, newStore(t), throttle.Rate{N: 2, Per: time.Minute})
		r, ok, _, err := l.Reserve(t.Context(), "a")
		if !ok || err != nil {
			t.Fatalf("Reserve: %v, %v", ok, err)
		}
		c.advance(time.Second)
		allow(t, l, "a")
		if err := r.Cancel(t.Context()); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if ok, _ := allow(t, l, "a"); !ok {
			t.Error("the cancelled request still counts")
		}
		if ok, wait := allow(t, l, "a"); ok || wait != time.Minute {
			// Both requests are at 1s: the cancelled one, at 0s, would make it 59s.
			t.Errorf("over the rate: allowed %v, wait %v; want refused, 1m", ok, wait)
		}
		// Cancelling what the window has already forgotten is no error.
		c.advance(2 * time.Minute)
		r2, _, _, _ := l.Reserve(t.Context(), "b")
		c.advance(2 * time.Minute)
		allow(t, l, "b")
		if err := r2.Cancel(t.Context()); err != nil {
			t.Errorf("Cancel after the window: %v", err)
		}
		if ok, _ := allow(t, l, "b"); !ok {
			t.Error("a late Cancel took another request")
		}
		if ok, _ := allow(t, l, "b"); ok {
			t.Error("a late Cancel forgot a request in the window")
		}
	})

	t.Run("concurrent reservations take the limit exactly", func(t *testing.T) {
		// Half the callers succeed and cancel: the others may still take no
		// more than the limit between them.
		l, _ := limiter(t, newStore(t), throttle.Rate{N: 5, Per: time.Hour})
		const callers = 24
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			kept int
			errs []error
		)
		for i := range callers {
			wg.Go(func() {
				r, ok, _, err := l.Reserve(t.Context(), "hot")
				if ok && err == nil && i%2 == 0 {
					err = r.Cancel(t.Context())
					ok = false
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, fmt.Errorf("caller %d: %w", i, err))
				}
				if ok {
					kept++
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		if kept > 5 {
			t.Errorf("%d reservations kept, want at most 5", kept)
		}
		taken := 0
		for range 5 {
			if ok, _ := allow(t, l, "hot"); ok {
				taken++
			}
		}
		if taken+kept != 5 {
			t.Errorf("%d kept and %d taken after, want 5 in all", kept, taken)
		}
	})

	t.Run("marks last their window", func(t *testing.T) {
		store := newStore(t)
		c := &clock{t: start}
		m, err := throttle.NewMarks(store, secret, time.Hour, c.now)
		if err != nil {
			t.Fatal(err)
		}
		marked := func(key string) bool {
			t.Helper()
			ok, err := m.Marked(t.Context(), key)
			if err != nil {
				t.Fatalf("Marked(%q): %v", key, err)
			}
			return ok
		}
		if marked("a") {
			t.Error("marked before Mark")
		}
		if err := m.Mark(t.Context(), "a"); err != nil {
			t.Fatal(err)
		}
		c.advance(59 * time.Minute)
		if !marked("a") || marked("b") {
			t.Errorf("within the hour: a %v, b %v; want a only", marked("a"), marked("b"))
		}
		if err := m.Mark(t.Context(), "a"); err != nil { // a new mark restarts the window
			t.Fatal(err)
		}
		c.advance(59 * time.Minute)
		if !marked("a") {
			t.Error("a second mark did not restart the window")
		}
		c.advance(time.Minute)
		if marked("a") {
			t.Error("still marked after its window")
		}
		// A limiter on the same store and key counts apart from the marks.
		l := newLimiter(t, store, throttle.Rate{N: 1, Per: time.Hour}, c)
		if ok, _ := allow(t, l, "a"); !ok {
			t.Error("a mark counted as a request")
		}
	})
}
