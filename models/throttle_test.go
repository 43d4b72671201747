package models_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"studentapi/internal/throttle"
)

// TestThrottleRowsRevealNoClient is issue 13's item 12: whoever reads the
// throttle table, without the server's secret, learns neither the usernames
// tried nor the clients' addresses; not even by hashing guesses, as an
// unkeyed SHA-256 of the rate and key once allowed.
func TestThrottleRowsRevealNoClient(t *testing.T) {
	db, src := newDB(t)
	rate := throttle.Rate{N: 5, Per: time.Minute}
	secret := []byte("a secret the reader of the table lacks")
	l, err := throttle.NewWithStore(rate, db.Throttles(), secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := throttle.NewMarks(db.Throttles(), secret, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	const username, ip = "admin", "203.0.113.7"
	keys := []string{"username:" + username, "gettoken:" + ip, ip + "\x00" + username}
	for _, key := range keys {
		if ok, _, err := l.Allow(t.Context(), key); !ok || err != nil {
			t.Fatalf("Allow(%q) = %v, %v", key, ok, err)
		}
		if err := m.Mark(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	}
	var digests []string
	if err := rawDB(t, src).Table("throttle_hits").Pluck("digest", &digests).Error; err != nil {
		t.Fatal(err)
	}
	if len(digests) != 2*len(keys) {
		t.Fatalf("%d rows, want %d", len(digests), 2*len(keys))
	}
	// What a reader would try: every spelling of the clear text the code
	// might store or hash, and its unkeyed SHA-256.
	var guesses []string
	for _, key := range keys {
		for _, s := range []string{key, rate.String() + " " + key, "rate " + rate.String() + " " + key} {
			sum := sha256.Sum256([]byte(s))
			guesses = append(guesses, hex.EncodeToString(sum[:]))
		}
	}
	for _, d := range digests {
		if len(d) != throttle.DigestLen {
			t.Errorf("row %q: want a %d-digit digest", d, throttle.DigestLen)
		}
		for _, clear := range []string{username, ip, hex.EncodeToString([]byte(username)), hex.EncodeToString([]byte(ip))} {
			if strings.Contains(d, clear) {
				t.Errorf("row %q holds %q", d, clear)
			}
		}
		for _, g := range guesses {
			if d == g {
				t.Errorf("row %q is an unkeyed SHA-256 a guess recomputes", d)
			}
		}
	}
}

// TestThrottleTableIsSwept: the hits of keys never seen again do not stay,
// so no stream of new keys grows the table without bound.
func TestThrottleTableIsSwept(t *testing.T) {
	db, src := newDB(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l, err := throttle.NewWithStore(throttle.Rate{N: 5, Per: time.Minute}, db.Throttles(), []byte("the sweep test's secret"), clock)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, _, err := l.Allow(t.Context(), strings.Repeat("k", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if n := countRows(t, src, "throttle_hits"); n != 50 {
		t.Fatalf("%d rows, want 50", n)
	}
	now = now.Add(2 * time.Minute)
	if _, _, err := l.Allow(t.Context(), "a new key"); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, src, "throttle_hits"); n != 1 {
		t.Errorf("%d rows after every other window ended, want 1", n)
	}
}

// Keys other than digests are refused: the store never keeps what a client
// sent, whatever its caller.
func TestThrottleStoreTakesOnlyDigests(t *testing.T) {
	db, _ := newDB(t)
	if _, err := db.Throttles().Take(t.Context(), "username:admin", 5, time.Minute, time.Now()); err == nil {
		t.Error("Take with a clear key: no error")
	}
	if _, err := db.Throttles().Marked(t.Context(), strings.Repeat("a", 1<<10), time.Minute, time.Now()); err == nil {
		t.Error("Marked with a long key: no error")
	}
}
