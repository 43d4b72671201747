package throttle

import (
	"context"
	"errors"
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

func TestOffAllowsEverything(t *testing.T) {
	l := NewWithStore(Rate{}, failingStore{}, nil)
	for range 100 {
		if ok, _, err := l.Allow(t.Context(), "a"); !ok || err != nil {
			t.Fatalf("zero rate: %v, %v; want allowed without asking the store", ok, err)
		}
	}
}

type failingStore struct{}

func (failingStore) Take(context.Context, string, int, time.Duration, time.Time) (Window, error) {
	return Window{}, errors.New("store down")
}

func TestStoreErrorIsNoAnswer(t *testing.T) {
	l := NewWithStore(Rate{N: 1, Per: time.Minute}, failingStore{}, nil)
	if ok, _, err := l.Allow(t.Context(), "a"); ok || err == nil {
		t.Errorf("Allow with a failing store = %v, %v; want refused with the error", ok, err)
	}
}

func TestSweepForgetsIdleKeys(t *testing.T) {
	c := newClock()
	m := NewMemory().(*memory)
	l := NewWithStore(Rate{1, time.Minute}, m, c.now)
	long := NewWithStore(Rate{1, time.Hour}, m, c.now)
	long.Allow(t.Context(), "h")
	for _, k := range []string{"a", "b", "c"} {
		l.Allow(t.Context(), k)
	}
	c.advance(2 * time.Minute)
	l.Allow(t.Context(), "d")
	// d, and h whose hour is not over.
	if n := len(m.logs); n != 2 {
		t.Errorf("%d keys kept, want 2", n)
	}
	if ok, _, _ := long.Allow(t.Context(), "h"); ok {
		t.Error("the sweep of the minute's keys forgot the hour's")
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
