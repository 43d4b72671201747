package auth_test

import (
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"studentapi/auth"
	"studentapi/internal/testdb"
	"studentapi/models"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newClockedDB is newDB on the clock's time; it also returns the test database.
func newClockedDB(t *testing.T, clock *fakeClock) (*models.DB, testdb.DB) {
	t.Helper()
	path := testdb.New(t)
	return openDB(t, path, models.Options{Keys: newKeyring(t, testSecret), Now: clock.Now}), path
}

func TestTokenTTL(t *testing.T) {
	clock := newFakeClock()
	db, _ := newClockedDB(t, clock)
	a := auth.New(db, "Token", testCost, auth.Options{TTL: time.Hour})
	alice := newUser(t, db, "alice", true)
	oldKey := tokenFor(t, a, alice)

	check := func(step, key string, want error) {
		t.Helper()
		tok, err := a.Authenticate(t.Context(), header(key))
		if !errors.Is(err, want) {
			t.Errorf("%s: Authenticate = %v, want %v", step, err, want)
		}
		if err == nil && tok.UserID != alice.ID {
			t.Errorf("%s: authenticated user %d, want %d", step, tok.UserID, alice.ID)
		}
	}
	check("new", oldKey, nil)
	clock.Advance(time.Hour)
	check("at the TTL", oldKey, nil)
	if again := tokenFor(t, a, alice); again != oldKey {
		t.Errorf("login within the TTL gave %s, want the same %s", again, oldKey)
	}
	clock.Advance(time.Second)
	check("past the TTL", oldKey, auth.ErrInvalidToken)

	// A login replaces the expired token with a fresh one.
	newKey := tokenFor(t, a, alice)
	if newKey == oldKey {
		t.Fatalf("login after expiry gave the expired key %s", oldKey)
	}
	check("the fresh key", newKey, nil)
	check("the expired key after the login", oldKey, auth.ErrInvalidToken)
	clock.Advance(59 * time.Minute)
	check("the fresh key, 59 minutes on", newKey, nil)

	// Without a TTL, as in DRF, a key never expires; nor does it for an
	// Authenticator that only refreshes.
	clock.Advance(100 * 365 * 24 * time.Hour)
	for name, other := range map[string]*auth.Authenticator{
		"no TTL":       auth.New(db, "Token", testCost, auth.Options{}),
		"Refresh only": auth.New(db, "Token", testCost, auth.Options{Refresh: true}),
	} {
		if _, err := other.Authenticate(t.Context(), header(newKey)); err != nil {
			t.Errorf("%s: Authenticate a century on: %v", name, err)
		}
	}
}

// writeCounter counts the commits others make to the tokens, by asking one
// connection of its own for SQLite's PRAGMA data_version, which changes
// whenever another connection has committed a change, or on PostgreSQL for the
// transaction ids the token rows carry.
type writeCounter struct {
	t        *testing.T
	conn     *sql.Conn
	postgres bool
	version  string
	writes   int
}

func newWriteCounter(t *testing.T, path testdb.DB) *writeCounter {
	t.Helper()
	sqlDB, err := rawHandle(t, path).DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &writeCounter{t: t, conn: conn, postgres: path.Driver == "postgres"}
	w.version = w.read()
	return w
}

func (w *writeCounter) read() string {
	w.t.Helper()
	// SQLite counts commits by others; on PostgreSQL every row written carries
	// the id of the transaction that wrote it.
	query := "PRAGMA data_version"
	if w.postgres {
		query = "SELECT COALESCE(string_agg(user_id::text || ':' || xmin::text, ',' ORDER BY user_id), '') FROM tokens"
	}
	var v string
	if err := w.conn.QueryRowContext(w.t.Context(), query).Scan(&v); err != nil {
		w.t.Fatal(err)
	}
	return v
}

// wrote reports whether anyone committed since the last call, and counts it.
func (w *writeCounter) wrote() bool {
	w.t.Helper()
	v := w.read()
	changed := v != w.version
	w.version = v
	if changed {
		w.writes++
	}
	return changed
}

func TestTokenRefresh(t *testing.T) {
	clock := newFakeClock()
	db, path := newClockedDB(t, clock)
	a := auth.New(db, "Token", testCost, auth.Options{TTL: time.Hour, Refresh: true})
	alice := newUser(t, db, "alice", true)
	key := tokenFor(t, a, alice)
	writes := newWriteCounter(t, path)

	// Each step moves the clock, authenticates, and says whether that wrote.
	steps := []struct {
		advance   time.Duration
		wantErr   error
		wantWrite bool
	}{
		{10 * time.Second, nil, false},
		{20 * time.Second, nil, false},
		{29 * time.Second, nil, false},
		{time.Second, nil, false}, // a minute exactly: not older than a minute
		{time.Second, nil, true},  // 61 s: refreshed
		{30 * time.Second, nil, false},
		{29 * time.Second, nil, false},
		{2 * time.Second, nil, true}, // 61 s after the last refresh
		{59 * time.Minute, nil, true},
		{time.Hour, nil, true},                                 // at the TTL since the last refresh: still good
		{time.Hour + time.Second, auth.ErrInvalidToken, false}, // past it: expired, and nothing written
	}
	var elapsed time.Duration
	for _, s := range steps {
		clock.Advance(s.advance)
		elapsed += s.advance
		tok, err := a.Authenticate(t.Context(), header(key))
		if !errors.Is(err, s.wantErr) {
			t.Errorf("at +%v: Authenticate = %v, want %v", elapsed, err, s.wantErr)
		}
		if got := writes.wrote(); got != s.wantWrite {
			t.Errorf("at +%v: wrote = %v, want %v", elapsed, got, s.wantWrite)
		}
		if err == nil && s.wantWrite && !tok.Refreshed.Equal(clock.Now()) {
			t.Errorf("at +%v: Refreshed = %v, want %v", elapsed, tok.Refreshed, clock.Now())
		}
	}
	if writes.writes != 4 {
		t.Errorf("%d writes, want 4", writes.writes)
	}

	// Many requests at once on a stale token all pass and refresh it (that they
	// write once between them is TouchToken's to guarantee, tested in models).
	fresh := tokenFor(t, a, alice)
	writes.wrote()
	clock.Advance(2 * time.Minute)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := a.Authenticate(t.Context(), header(fresh)); err != nil {
				t.Errorf("Authenticate: %v", err)
			}
		})
	}
	wg.Wait()
	tok, err := db.TokenOf(t.Context(), alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Refreshed.Equal(clock.Now()) {
		t.Errorf("Refreshed after the burst = %v, want %v", tok.Refreshed, clock.Now())
	}
}

// With a TTL under two minutes, a refresh every minute would come too late
// (under one minute: never): a token refreshes once it is half its TTL old.
func TestTokenRefreshShortTTL(t *testing.T) {
	clock := newFakeClock()
	db, path := newClockedDB(t, clock)
	a := auth.New(db, "Token", testCost, auth.Options{TTL: 20 * time.Second, Refresh: true})
	alice := newUser(t, db, "alice", true)
	key := tokenFor(t, a, alice)
	writes := newWriteCounter(t, path)

	steps := []struct {
		advance   time.Duration
		wantErr   error
		wantWrite bool
	}{
		{5 * time.Second, nil, false},
		{5 * time.Second, nil, false}, // half the TTL exactly: not older than that
		{time.Second, nil, true},      // 11 s: refreshed
		{15 * time.Second, nil, true}, // 26 s: past the TTL from creation, within it from the refresh
		{9 * time.Second, nil, false},
		{11 * time.Second, nil, true},                   // at the TTL since the last refresh: still good
		{21 * time.Second, auth.ErrInvalidToken, false}, // past it: expired, and nothing written
		{time.Hour, auth.ErrInvalidToken, false},        // and stays so
	}
	var elapsed time.Duration
	for _, s := range steps {
		clock.Advance(s.advance)
		elapsed += s.advance
		_, err := a.Authenticate(t.Context(), header(key))
		if !errors.Is(err, s.wantErr) {
			t.Errorf("at +%v: Authenticate = %v, want %v", elapsed, err, s.wantErr)
		}
		if got := writes.wrote(); got != s.wantWrite {
			t.Errorf("at +%v: wrote = %v, want %v", elapsed, got, s.wantWrite)
		}
	}
}
