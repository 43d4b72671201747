package throttle

import (
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

func TestAllowSlidingWindow(t *testing.T) {
	c := newClock()
	l := New(Rate{3, time.Minute}, c.now)
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused, want allowed", i+1)
		}
		c.advance(10 * time.Second)
	}
	// Three requests at 0s, 10s, 20s; now 30s: the oldest frees up at 60s.
	ok, wait := l.Allow("a")
	if ok {
		t.Fatal("fourth request allowed, want refused")
	}
	if wait != 30*time.Second {
		t.Errorf("wait = %v, want 30s", wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("another key was throttled")
	}
	c.advance(30 * time.Second) // 60s: the first request leaves the window
	if ok, _ := l.Allow("a"); !ok {
		t.Error("request after the window slid was refused")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Error("window should be full again")
	}
}

func TestRefusedRequestsDoNotCount(t *testing.T) {
	c := newClock()
	l := New(Rate{1, time.Second}, c.now)
	l.Allow("a")
	for i := 0; i < 5; i++ {
		if ok, _ := l.Allow("a"); ok {
			t.Fatal("allowed over the rate")
		}
	}
	c.advance(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("refused requests were counted against the next window")
	}
}

func TestOffAllowsEverything(t *testing.T) {
	l := New(Rate{}, nil)
	for i := 0; i < 100; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatal("zero rate throttled")
		}
	}
}

func TestSweepForgetsIdleKeys(t *testing.T) {
	c := newClock()
	l := New(Rate{1, time.Minute}, c.now)
	for _, k := range []string{"a", "b", "c"} {
		l.Allow(k)
	}
	c.advance(2 * time.Minute)
	l.Allow("d")
	if n := len(l.history); n != 1 {
		t.Errorf("%d keys kept, want 1", n)
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
