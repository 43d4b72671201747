package models_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"studentapi/internal/testdb"
	"studentapi/internal/throttle"
	"studentapi/internal/throttle/throttletest"
	"studentapi/models"
)

func TestIsUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"not found", fmt.Errorf("student 3: %w", models.ErrNotFound), false},
		{"duplicate", fmt.Errorf("create user: %w", models.ErrDuplicate), false},
		{"plain error", errors.New("boom"), false},
		{"context canceled", context.Canceled, false},
		{"bad connection", fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{"connection refused", fmt.Errorf("query: %w", refused), true},
		{"postgres shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"postgres starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"postgres connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"postgres too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"postgres unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"postgres syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"sqlite busy", fmt.Errorf("insert: %w", sqlite3.Error{Code: sqlite3.ErrBusy}), true},
		{"sqlite constraint", sqlite3.Error{Code: sqlite3.ErrConstraint}, false},
		{"query timed out", fmt.Errorf("find students: %w", models.ErrQueryTimeout), true},
		{"postgres statement timeout", &pgconn.PgError{Code: "57014"}, true},
	} {
		if got := models.IsUnavailable(tt.err); got != tt.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestLookupsOfUnstorableText asks for text no row can hold (NUL, invalid
// UTF-8): every backend finds nothing, where PostgreSQL would otherwise refuse
// the query and the API answer 500.
func TestLookupsOfUnstorableText(t *testing.T) {
	db, _ := newDB(t)
	newUser(t, db, "alice")
	if err := db.CreateStudent(t.Context(), &models.Student{Name: "Ravi", Roll: 1, City: "Pune"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"Pu\x00ne", "Pu\xffne", "\x00"} {
		if _, err := db.UserByUsername(t.Context(), bad); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("UserByUsername(%q) = %v, want %v", bad, err, models.ErrNotFound)
		}
		for _, q := range []models.StudentQuery{{Search: []string{bad}}, {City: &bad}, {Search: []string{"Ravi", bad}}} {
			got, err := db.FindStudents(t.Context(), q)
			if err != nil || len(got) != 0 {
				t.Errorf("FindStudents(%+v) = %v, %v; want none", q, got, err)
			}
			n, err := db.CountStudents(t.Context(), q)
			if err != nil || n != 0 {
				t.Errorf("CountStudents(%+v) = %d, %v; want 0", q, n, err)
			}
		}
		if got, err := db.FindUsers(t.Context(), models.UserQuery{Search: []string{bad}}); err != nil || len(got) != 0 {
			t.Errorf("FindUsers(%q) = %v, %v; want none", bad, got, err)
		}
		if got, err := db.FindTokens(t.Context(), models.TokenQuery{Search: []string{bad}}); err != nil || len(got) != 0 {
			t.Errorf("FindTokens(%q) = %v, %v; want none", bad, got, err)
		}
	}
	// The guard is no filter of its own: good text still finds its row.
	if got, err := db.FindStudents(t.Context(), models.StudentQuery{Search: []string{"pun"}}); err != nil || len(got) != 1 {
		t.Errorf("FindStudents(pun) = %v, %v; want Ravi", got, err)
	}
}

// handles opens n separate handles (n pools, as n instances have) on one
// fresh PostgreSQL database, unmigrated.
func handles(t *testing.T, n int) ([]*models.DB, testdb.DB) {
	t.Helper()
	src := testdb.Postgres(t)
	var dbs []*models.DB
	for range n {
		db, err := models.Connect(source(src), models.Options{Keys: testKeys{secret: testSecret}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	return dbs, src
}

// TestConcurrentMigrations starts instances together on an empty database:
// the advisory lock lets one create the tables while the others wait.
func TestConcurrentMigrations(t *testing.T) {
	dbs, _ := handles(t, 4)
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { errs[i] = db.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate on instance %d: %v", i, err)
		}
	}
	newUser(t, dbs[0], "alice")
}

// TestConcurrentTokensAcrossInstances races first tokens and replacements for
// one user over several pools: every caller succeeds, the first ones all get
// the same key, and one row is left.
func TestConcurrentTokensAcrossInstances(t *testing.T) {
	dbs, src := handles(t, 4)
	if err := dbs[0].Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	const callers = 16
	for round := range 3 {
		alice := newUser(t, dbs[0], fmt.Sprintf("alice%d", round))
		var keys keySource
		got := make([]string, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				tok, _, err := dbs[i%len(dbs)].GetOrCreateToken(t.Context(), alice.ID, keys.next, nil)
				if err == nil {
					got[i] = tok.Key
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i := range callers {
			if errs[i] != nil || got[i] != got[0] {
				t.Errorf("round %d, caller %d: %q, %v; want %q like caller 0", round, i, got[i], errs[i], got[0])
			}
		}

		replaced := make([]string, callers)
		for i := range callers {
			wg.Go(func() {
				tok, err := dbs[i%len(dbs)].ReplaceToken(t.Context(), alice.ID, key(fmt.Sprintf("r%d-%d", round, i)))
				if err == nil {
					replaced[i] = tok.Key
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, ReplaceToken %d: %v", round, i, err)
			}
		}
		final, err := dbs[0].TokenOf(t.Context(), alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, k := range replaced {
			found = found || k == final.Key
		}
		if !found || final.Key == got[0] {
			t.Errorf("round %d: the token left is %q, want one of the replacements", round, final.Key)
		}
	}
	if n := countRows(t, src, "tokens"); n != 3 {
		t.Errorf("%d token rows, want one per user (3)", n)
	}
}

// TestThrottleStore runs the throttle package's conformance tests on the
// database's store: a limit counted in the database means what one counted in
// memory does.
func TestThrottleStore(t *testing.T) {
	throttletest.Run(t, func(t *testing.T) throttle.Store {
		db, _ := newDB(t)
		return db.Throttles()
	})
}

// TestThrottleAcrossInstances takes one limit from several pools at once, as
// instances behind a load balancer do: together they let exactly the limit through.
func TestThrottleAcrossInstances(t *testing.T) {
	dbs, src := handles(t, 4)
	if err := dbs[0].Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const limit, callers, rounds = 5, 32, 5
	for round := range rounds { // a race lost once in a while is still lost
		key := fmt.Sprintf("%064x", round) // a digest, as a Limiter makes
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			allowed int
		)
		for i := range callers {
			wg.Go(func() {
				w, err := dbs[i%len(dbs)].Throttles().Take(t.Context(), key, limit, time.Minute, now)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("caller %d: %v", i, err)
				}
				if w.Taken {
					allowed++
				}
			})
		}
		wg.Wait()
		if allowed != limit {
			t.Errorf("round %d: %d of %d allowed across instances, want %d", round, allowed, callers, limit)
		}
	}
	if n := countRows(t, src, "throttle_hits"); n != limit*rounds {
		t.Errorf("%d hits stored, want %d", n, limit*rounds)
	}
}
