package throttle

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr bool
	}{
		{"5/minute", Rate{5, time.Minute}, false},
		{"100/hour", Rate{100, time.Hour}, false},
		{"1000/day", Rate{1000, 24 * time.Hour}, false},
		{"3/s", Rate{3, time.Second}, false},
		{"10/min", Rate{10, time.Minute}, false},
		{"", Rate{}, false},
		{"5", Rate{}, true},
		{"x/minute", Rate{}, true},
		{"0/minute", Rate{}, true},
		{"5/fortnight", Rate{}, true},
		{"5/", Rate{}, true},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if got := (Rate{5, time.Minute}).String(); got != "5/minute" {
		t.Errorf("String = %q, want 5/minute", got)
	}
}

var testSecret = []byte("a throttle test secret")

func mustLimiter(t *testing.T, r Rate, s Store, now func() time.Time) *Limiter {
	t.Helper()
	l, err := NewWithStore(r, s, testSecret, now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestOffAllowsEverything(t *testing.T) {
	l := mustLimiter(t, Rate{}, failingStore{}, nil)
	for range 100 {
		if ok, _, err := l.Allow(t.Context(), "a"); !ok || err != nil {
			t.Fatalf("zero rate: %v, %v; want allowed without asking the store", ok, err)
		}
	}
}

type failingStore struct{}

var errDown = errors.New("store down")

func (failingStore) Take(context.Context, string, int, time.Duration, time.Time) (Window, error) {
	return Window{}, errDown
}
func (failingStore) Refund(context.Context, string, time.Time) error { return errDown }
func (failingStore) Mark(context.Context, string, time.Duration, time.Time) error {
	return errDown
}
func (failingStore) Marked(context.Context, string, time.Duration, time.Time) (bool, error) {
	return false, errDown
}

func TestStoreErrorIsNoAnswer(t *testing.T) {
	l := mustLimiter(t, Rate{N: 1, Per: time.Minute}, failingStore{}, nil)
	if ok, _, err := l.Allow(t.Context(), "a"); ok || err == nil {
		t.Errorf("Allow with a failing store = %v, %v; want refused with the error", ok, err)
	}
}

func TestExpiredKeysAreForgotten(t *testing.T) {
	c := newClock()
	m := NewMemory(0)
	l := mustLimiter(t, Rate{1, time.Minute}, m, c.now)
	long := mustLimiter(t, Rate{1, time.Hour}, m, c.now)
	long.Allow(t.Context(), "h")
	for _, k := range []string{"a", "b", "c"} {
		l.Allow(t.Context(), k)
	}
	c.advance(2 * time.Minute)
	l.Allow(t.Context(), "d")
	// d, and h whose hour is not over.
	if n := len(m.logs); n != 2 || m.Len() != 2 {
		t.Errorf("%d keys and %d entries kept, want 2 and 2", n, m.Len())
	}
	if ok, _, _ := long.Allow(t.Context(), "h"); ok {
		t.Error("forgetting the minute's keys forgot the hour's")
	}
}

func TestSecretIsRequired(t *testing.T) {
	for _, secret := range [][]byte{nil, []byte("short")} {
		if _, err := NewWithStore(Rate{1, time.Minute}, NewMemory(0), secret, nil); err == nil {
			t.Errorf("NewWithStore with a %d-byte secret: no error", len(secret))
		}
		if _, err := NewMarks(NewMemory(0), secret, time.Hour, nil); err == nil {
			t.Errorf("NewMarks with a %d-byte secret: no error", len(secret))
		}
	}
}

// recorder is a Store that keeps the keys it is given.
type recorder struct {
	Store
	keys []string
}

func (r *recorder) Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (Window, error) {
	r.keys = append(r.keys, key)
	return r.Store.Take(ctx, key, limit, window, now)
}

// Stores are given fixed-size keyed digests, never what the client sent:
// another secret, another rate or another key makes another digest.
func TestStoreKeysAreKeyedDigests(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	rec := &recorder{Store: NewMemory(0)}
	minute, hour := Rate{5, time.Minute}, Rate{5, time.Hour}
	other, err := NewWithStore(minute, rec, []byte("another secret, as long"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		l   *Limiter
		key string
	}{
		{mustLimiter(t, minute, rec, nil), "username:admin"},
		{mustLimiter(t, minute, rec, nil), "username:" + long},
		{mustLimiter(t, hour, rec, nil), "username:admin"},
		{other, "username:admin"},
	} {
		if _, _, err := tt.l.Allow(t.Context(), tt.key); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, k := range rec.keys {
		if len(k) != DigestLen || strings.Contains(k, "admin") || strings.Contains(k, "username") {
			t.Errorf("store key %.80q: want %d hex digits naming nothing", k, DigestLen)
		}
		if seen[k] {
			t.Errorf("store key %s made twice: another secret, rate or key must give another", k)
		}
		seen[k] = true
	}
}

// The memory store's cap holds whatever keys arrive, and forgets first the
// logs used least recently.
func TestMemoryCap(t *testing.T) {
	c := newClock()
	m := NewMemory(100)
	minute := mustLimiter(t, Rate{3, time.Minute}, m, c.now)
	for i := range 5000 {
		if ok, _, err := minute.Allow(t.Context(), "flood"+strconv.Itoa(i)); !ok || err != nil {
			t.Fatalf("flood %d: %v, %v", i, ok, err)
		}
		if n := m.Len(); n > 100 {
			t.Fatalf("after %d keys the store holds %d entries, cap 100", i+1, n)
		}
		c.advance(time.Millisecond)
	}
	// The newest of the flood is still counted; the oldest is forgotten.
	for range 2 {
		minute.Allow(t.Context(), "flood4999")
	}
	if ok, _, _ := minute.Allow(t.Context(), "flood4999"); ok {
		t.Error("the newest key was forgotten")
	}
	if ok, _, _ := minute.Allow(t.Context(), "flood0"); !ok {
		t.Error("the oldest key is still counted past the cap")
	}
}

// A full store forgets the logs used least recently, never the one in use:
// an attacker who fills it with long-lived logs (failed logins at 100/hour,
// each under a new username) once made every new short-lived log (5/minute
// per address) the first to go, so the short limits counted nothing.
func TestMemoryFullKeepsWhatIsInUse(t *testing.T) {
	c := newClock()
	m := NewMemory(100)
	hour := mustLimiter(t, Rate{100, time.Hour}, m, c.now)
	minute := mustLimiter(t, Rate{5, time.Minute}, m, c.now)
	filler := 0
	fill := func(n int) {
		for range n {
			if ok, _, err := hour.Allow(t.Context(), "filler"+strconv.Itoa(filler)); !ok || err != nil {
				t.Fatalf("filler %d: %v, %v", filler, ok, err)
			}
			filler++
			c.advance(time.Millisecond)
		}
	}
	fill(200)
	// The attacker's address guesses, and keeps filling between guesses.
	for i := range 5 {
		if ok, _, _ := minute.Allow(t.Context(), "attacker"); !ok {
			t.Fatalf("guess %d refused within the limit", i+1)
		}
		fill(20)
	}
	if ok, _, _ := minute.Allow(t.Context(), "attacker"); ok {
		t.Error("the sixth guess in a minute was let through: the full store forgot the address's log")
	}
	if n := m.Len(); n > 100 {
		t.Errorf("the store holds %d entries, cap 100", n)
	}
}

func TestSeconds(t *testing.T) {
	for _, tt := range []struct {
		in   time.Duration
		want int
	}{{0, 0}, {time.Millisecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {59 * time.Second, 59}} {
		if got := Seconds(tt.in); got != tt.want {
			t.Errorf("Seconds(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
