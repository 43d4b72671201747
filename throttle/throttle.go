// Package throttle limits how often a client may do something, with the
// semantics of DRF's SimpleRateThrottle: at most N requests in any sliding window
// of one period, and a wait that says when the next one will be let through.
// No rate-limit library reproduces DRF's answers (its sliding log, and the
// "Expected available in N seconds" it derives from that log), which clients of
// a DRF service see on the wire; hence this small package.
package throttle

import (
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

// Limiter counts requests per key in memory. It is safe for concurrent use.
type Limiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	history map[string][]time.Time // newest first, as DRF keeps it
	sweepAt time.Time
}

// New returns a Limiter for rate; now is the clock (time.Now when nil).
func New(rate Rate, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, now: now, history: map[string][]time.Time{}}
}

// Rate is the limiter's rate.
func (l *Limiter) Rate() Rate { return l.rate }

// Allow records a request for key if the rate allows it. When it does not, wait
// is how long until one more request would be allowed, computed as DRF's wait().
func (l *Limiter) Allow(key string) (ok bool, wait time.Duration) {
	if l.rate.Off() {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	h := l.history[key]
	for len(h) > 0 && !h[len(h)-1].After(now.Add(-l.rate.Per)) {
		h = h[:len(h)-1]
	}
	if len(h) >= l.rate.N {
		l.history[key] = h
		remaining := l.rate.Per - now.Sub(h[len(h)-1])
		available := l.rate.N - len(h) + 1
		return false, remaining / time.Duration(available)
	}
	h = append(h, time.Time{})
	copy(h[1:], h)
	h[0] = now
	l.history[key] = h
	return true, 0
}

// sweep drops keys whose whole history has expired, once a period, so that the
// map does not grow with every client ever seen.
func (l *Limiter) sweep(now time.Time) {
	if now.Before(l.sweepAt) {
		return
	}
	l.sweepAt = now.Add(l.rate.Per)
	for k, h := range l.history {
		if len(h) == 0 || !h[0].After(now.Add(-l.rate.Per)) {
			delete(l.history, k)
		}
	}
}

// Seconds rounds a wait up to whole seconds, as DRF's Retry-After and message do.
func Seconds(wait time.Duration) int {
	s := int((wait + time.Second - 1) / time.Second)
	return max(s, 0)
}
