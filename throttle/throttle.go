// Package throttle limits how often a client may do something, with the
// semantics of DRF's SimpleRateThrottle: at most N requests in any sliding window
// of one period, and a wait that says when the next one will be let through.
// No rate-limit library reproduces DRF's answers (its sliding log, and the
// "Expected available in N seconds" it derives from that log), which clients of
// a DRF service see on the wire; hence this small package.
package throttle

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is N requests per period. The zero Rate throttles nothing.
type Rate struct {
	N   int
	Per time.Duration
}

// Off reports whether the rate lets everything through.
func (r Rate) Off() bool { return r.N <= 0 || r.Per <= 0 }

func (r Rate) String() string {
	if r.Off() {
		return ""
	}
	for _, p := range periods {
		if p.d == r.Per {
			return fmt.Sprintf("%d/%s", r.N, p.name)
		}
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

var periods = []struct {
	name string
	d    time.Duration
}{{"second", time.Second}, {"minute", time.Minute}, {"hour", time.Hour}, {"day", 24 * time.Hour}}

// ParseRate reads a DRF rate such as "5/minute", "100/hour" or "1000/day"; as in
// DRF only the period's first letter counts ("10/min", "10/m"). An empty string
// is the zero Rate.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Rate{}, nil
	}
	num, period, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n <= 0 || period == "" {
		return Rate{}, fmt.Errorf("rate %q: want <number>/<second|minute|hour|day>", s)
	}
	for _, p := range periods {
		if period[0] == p.name[0] {
			return Rate{N: n, Per: p.d}, nil
		}
	}
	return Rate{}, fmt.Errorf("rate %q: unknown period %q (second, minute, hour or day)", s, period)
}

// Window is what a Store knew of one key's requests when asked to take one
// more: how many were still in the window, the oldest of them, and whether it
// recorded the new one.
type Window struct {
	Count  int
	Oldest time.Time
	Taken  bool
}

// Store keeps the request log of every key. Memory is the default; a store
// shared by several instances (the database) makes their limits one.
type Store interface {
	// Take forgets key's requests at or before now-window and, if fewer than
	// limit remain, records one at now, atomically.
	Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (Window, error)
}

// Limiter limits requests per key at one rate. It is safe for concurrent use.
type Limiter struct {
	rate  Rate
	store Store
	now   func() time.Time
}

// New returns a Limiter for rate that counts in this process's memory, like
// DRF's default LocMemCache; now is the clock (time.Now when nil).
func New(rate Rate, now func() time.Time) *Limiter {
	return NewWithStore(rate, NewMemory(), now)
}

// NewWithStore returns a Limiter for rate that counts in store.
func NewWithStore(rate Rate, store Store, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, store: store, now: now}
}

// Rate is the limiter's rate.
func (l *Limiter) Rate() Rate { return l.rate }

// Allow records a request for key if the rate allows it. When it does not, wait
// is how long until one more request would be allowed, computed as DRF's wait().
// An error is the store's: the request can be neither allowed nor refused.
func (l *Limiter) Allow(ctx context.Context, key string) (ok bool, wait time.Duration, err error) {
	if l.rate.Off() {
		return true, 0, nil
	}
	now := l.now()
	// The rate is part of the key: limiters at different rates on one key
	// (5/minute and 100/hour per username) keep separate logs in a shared store.
	w, err := l.store.Take(ctx, l.rate.String()+" "+key, l.rate.N, l.rate.Per, now)
	if err != nil {
		return false, 0, fmt.Errorf("throttle %s: %w", l.rate, err)
	}
	if w.Taken {
		return true, 0, nil
	}
	remaining := l.rate.Per - now.Sub(w.Oldest)
	available := max(l.rate.N-w.Count+1, 1)
	return false, remaining / time.Duration(available), nil
}

// memory is the Store of one process.
type memory struct {
	mu      sync.Mutex
	logs    map[string]*log
	sweepAt time.Time
}

// log is one key's requests, newest first as DRF keeps them, and the window
// they were taken in.
type log struct {
	times  []time.Time
	window time.Duration
}

// NewMemory returns a Store in this process's memory.
func NewMemory() Store { return &memory{logs: map[string]*log{}} }

func (m *memory) Take(_ context.Context, key string, limit int, window time.Duration, now time.Time) (Window, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now, window)
	l := m.logs[key]
	if l == nil {
		l = &log{}
		m.logs[key] = l
	}
	l.window = window
	h := l.times
	for len(h) > 0 && !h[len(h)-1].After(now.Add(-window)) {
		h = h[:len(h)-1]
	}
	if len(h) >= limit {
		l.times = h
		return Window{Count: len(h), Oldest: h[len(h)-1]}, nil
	}
	h = append(h, time.Time{})
	copy(h[1:], h)
	h[0] = now
	l.times = h
	return Window{Count: len(h) - 1, Oldest: h[len(h)-1], Taken: true}, nil
}

// sweep drops the keys whose whole log has left its window, at most once per
// shortest window the store serves, so that the map does not grow with every
// client ever seen.
func (m *memory) sweep(now time.Time, window time.Duration) {
	if next := now.Add(window); next.Before(m.sweepAt) {
		m.sweepAt = next
	}
	if now.Before(m.sweepAt) {
		return
	}
	m.sweepAt = now.Add(window)
	for k, l := range m.logs {
		if len(l.times) == 0 || !l.times[0].After(now.Add(-l.window)) {
			delete(m.logs, k)
		}
	}
}

// Seconds rounds a wait up to whole seconds, as DRF's Retry-After and message do.
func Seconds(wait time.Duration) int {
	s := int((wait + time.Second - 1) / time.Second)
	return max(s, 0)
}
