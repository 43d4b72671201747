// Package throttle limits how often a client may do something, with the
// semantics of DRF's SimpleRateThrottle: at most N requests in any sliding window
// of one period, and a wait that says when the next one will be let through.
// No rate-limit library reproduces DRF's answers (its sliding log, and the
// "Expected available in N seconds" it derives from that log), which clients of
// a DRF service see on the wire; hence this small package.
//
// Stores keep keyed digests of the keys, never the keys (a client's address,
// a username), so that their size is fixed and their contents name no one;
// the memory store is capped. Guard builds on Limiter to limit failed logins
// per account without handing attackers a lockout.
package throttle

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
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

// MarshalText writes the rate as ParseRate reads it ("5/minute"; "" when off),
// so that a configuration holds parsed rates and still prints as written.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a rate with ParseRate.
func (r *Rate) UnmarshalText(text []byte) error {
	parsed, err := ParseRate(string(text))
	if err != nil {
		return err
	}
	*r = parsed
	return nil
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
// shared by several instances (the database) makes their limits one. Keys
// are the digests Limiter and Marks make (DigestLen bytes), never what a
// client sent: a store holds nothing it could give back, and nothing whose
// size a client chooses.
type Store interface {
	// Take forgets key's requests at or before now-window and, if fewer than
	// limit remain, records one at now, atomically.
	Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (Window, error)
	// Refund forgets one request of key recorded at at, if the store still
	// has it: a reservation given back.
	Refund(ctx context.Context, key string, at time.Time) error
	// Mark replaces key's requests with one at now, kept for window.
	Mark(ctx context.Context, key string, window time.Duration, now time.Time) error
	// Marked reports whether key has a request after now-window.
	Marked(ctx context.Context, key string, window time.Duration, now time.Time) (bool, error)
}

// DigestLen is the length of every key a Store is given: hex HMAC-SHA256.
const DigestLen = 2 * sha256.Size

// MinSecretLen is the shortest secret a Limiter or Marks accepts, in bytes.
const MinSecretLen = 16

// digester makes store keys: HMAC-SHA256 under a secret, so that neither the
// keys' size nor their content is the client's, and a store's contents name
// no client to whoever lacks the secret. It is safe for concurrent use.
type digester struct{ macs sync.Pool }

func newDigester(secret []byte) (*digester, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("throttle: secret of %d bytes, want at least %d", len(secret), MinSecretLen)
	}
	return macDigester(bytes.Clone(secret)), nil
}

// randomDigester is for a store of this process alone: no other process needs
// to find its keys, so a secret of its own (128 random bits) will do.
func randomDigester() *digester { return macDigester([]byte(rand.Text())) }

func macDigester(secret []byte) *digester {
	d := &digester{}
	// A keyed HMAC allocates two hash states; a limiter on every request
	// reuses them.
	d.macs.New = func() any { return hmac.New(sha256.New, secret) }
	return d
}

// digest is the store key of key in the space label names (a rate, say), so
// that different uses of one key never share a log.
func (d *digester) digest(label, key string) string {
	m := d.macs.Get().(hash.Hash)
	m.Reset()
	// Length-prefixed, so no label and key run into another pair.
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(label)))
	m.Write(n[:])
	io.WriteString(m, label)
	io.WriteString(m, key)
	var sum [sha256.Size]byte
	out := hex.EncodeToString(m.Sum(sum[:0]))
	d.macs.Put(m)
	return out
}

// Limiter limits requests per key at one rate. It is safe for concurrent use.
type Limiter struct {
	rate  Rate
	label string // the rate, which keeps its logs apart from other rates' on one store
	store Store
	keys  *digester
	now   func() time.Time
}

// New returns a Limiter for rate that counts in a memory store of its own,
// like DRF's default LocMemCache; now is the clock (time.Now when nil).
func New(rate Rate, now func() time.Time) *Limiter {
	return newLimiter(rate, NewMemory(0), randomDigester(), now)
}

// NewWithStore returns a Limiter for rate that counts in store, under keys
// made with secret (at least MinSecretLen bytes). Every limiter that shares a
// store across processes must be given the same secret.
func NewWithStore(rate Rate, store Store, secret []byte, now func() time.Time) (*Limiter, error) {
	d, err := newDigester(secret)
	if err != nil {
		return nil, err
	}
	return newLimiter(rate, store, d, now), nil
}

func newLimiter(rate Rate, store Store, keys *digester, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, label: "rate " + rate.String(), store: store, keys: keys, now: now}
}

// Rate is the limiter's rate.
func (l *Limiter) Rate() Rate { return l.rate }

// Allow records a request for key if the rate allows it. When it does not, wait
// is how long until one more request would be allowed, computed as DRF's wait().
// An error is the store's: the request can be neither allowed nor refused.
func (l *Limiter) Allow(ctx context.Context, key string) (ok bool, wait time.Duration, err error) {
	_, ok, wait, err = l.Reserve(ctx, key)
	return ok, wait, err
}

// Reserve is Allow that can be taken back: when ok, Cancel on the
// reservation forgets the request, as if it had never been made (a login
// that succeeded, say, when only failures should count).
func (l *Limiter) Reserve(ctx context.Context, key string) (r Reservation, ok bool, wait time.Duration, err error) {
	if l.rate.Off() {
		return Reservation{}, true, 0, nil
	}
	now := l.now()
	digest := l.keys.digest(l.label, key)
	w, err := l.store.Take(ctx, digest, l.rate.N, l.rate.Per, now)
	if err != nil {
		return Reservation{}, false, 0, fmt.Errorf("throttle %s: %w", l.rate, err)
	}
	if w.Taken {
		return Reservation{store: l.store, key: digest, at: now}, true, 0, nil
	}
	remaining := l.rate.Per - now.Sub(w.Oldest)
	available := max(l.rate.N-w.Count+1, 1)
	return Reservation{}, false, remaining / time.Duration(available), nil
}

// Reservation is one request a Limiter recorded. The zero Reservation holds
// nothing.
type Reservation struct {
	store Store
	key   string
	at    time.Time
}

// Cancel forgets the reserved request. Call it at most once: a second call
// could forget another request made at the same instant.
func (r Reservation) Cancel(ctx context.Context) error {
	if r.store == nil {
		return nil
	}
	if err := r.store.Refund(ctx, r.key, r.at); err != nil {
		return fmt.Errorf("throttle: refund: %w", err)
	}
	return nil
}

// Seconds rounds a wait up to whole seconds, as DRF's Retry-After and message do.
func Seconds(wait time.Duration) int {
	s := int((wait + time.Second - 1) / time.Second)
	return max(s, 0)
}
