package groupcommit_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"studentapi/internal/groupcommit"
)

// open starts a writer on a fresh SQLite file holding the table notes, and
// returns it with a second connection to read what it committed.
func open(t *testing.T) (*groupcommit.Writer, *sql.DB) {
	t.Helper()
	return openObserved(t, nil)
}

// openObserved is open with observe told of every commit.
func openObserved(t *testing.T, observe groupcommit.Observer) (*groupcommit.Writer, *sql.DB) {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "db.sqlite") + "?_busy_timeout=5000&_journal_mode=WAL"
	reader, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() })
	if _, err := reader.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetMaxOpenConns(1)
	w := groupcommit.New(conn, nil, observe)
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return w, reader
}

// Concurrent inserts of any table share transactions; each answer is the
// row's id, committed; an insert that fails (a duplicate) fails its caller
// alone.
func TestInsert(t *testing.T) {
	w, reader := open(t)
	const clients, each = 16, 20
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				text := fmt.Sprintf("n%d-%d", c, i)
				id, err := w.Insert(t.Context(), "INSERT INTO notes (text) VALUES ($1)", text)
				if err != nil {
					t.Errorf("insert %s: %v", text, err)
					return
				}
				var got string
				if err := reader.QueryRow("SELECT text FROM notes WHERE id = $1", id).Scan(&got); err != nil || got != text {
					t.Errorf("row %d right after its insert: %q, %v; want %q", id, got, err, text)
				}
				// The same text again: refused by UNIQUE, and only this caller.
				if _, err := w.Insert(t.Context(), "INSERT INTO notes (text) VALUES ($1)", text); err == nil {
					t.Errorf("duplicate %s inserted", text)
				}
			}
		})
	}
	wg.Wait()
	var n int64
	if err := reader.QueryRow("SELECT count(*) FROM notes").Scan(&n); err != nil || n != clients*each {
		t.Errorf("%d rows, %v; want %d", n, err, clients*each)
	}
	if s := w.Stats(); s.Rows != clients*each || s.Transactions >= 2*clients*each || s.Waiting != 0 {
		t.Errorf("stats %+v: want %d rows in fewer transactions than inserts, none waiting", s, clients*each)
	}
}

// After Close an insert fails at once with an error wrapping sql.ErrConnDone.
func TestInsertAfterClose(t *testing.T) {
	w, _ := open(t)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Insert(t.Context(), "INSERT INTO notes (text) VALUES ($1)", "late"); !errors.Is(err, sql.ErrConnDone) {
		t.Errorf("insert after Close = %v, want %v", err, sql.ErrConnDone)
	}
}

// A text the database cannot prepare fails every request of it, and the
// inserts batched with them still commit.
func TestInsertUnpreparable(t *testing.T) {
	w, reader := open(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				if _, err := w.Insert(t.Context(), "INSERT INTO missing (text) VALUES ($1)", "x"); err == nil || !strings.Contains(err.Error(), "prepare") {
					t.Errorf("insert into a missing table = %v, want a prepare error", err)
				}
				return
			}
			if _, err := w.Insert(t.Context(), "INSERT INTO notes (text) VALUES ($1)", fmt.Sprint("good", i)); err != nil {
				t.Errorf("good insert %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	var n int
	if err := reader.QueryRow("SELECT count(*) FROM notes").Scan(&n); err != nil || n != 10 {
		t.Errorf("%d rows, %v; want the 10 good ones", n, err)
	}
}

// The observer is told of every committed transaction, with its rows: the
// sizes it saw add up to the rows committed, one call per transaction, and a
// failed insert is in no batch it is told of.
func TestObserver(t *testing.T) {
	var (
		mu          sync.Mutex
		calls, rows int
		negative    bool
	)
	w, _ := openObserved(t, func(n int, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		rows += n
		negative = negative || took < 0
	})
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for i := range 10 {
				if _, err := w.Insert(t.Context(), "INSERT INTO notes (text) VALUES ($1)", fmt.Sprintf("n%d-%d", c, i)); err != nil {
					t.Errorf("insert: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if _, err := w.Insert(t.Context(), "INSERT INTO notes (text) VALUES ($1)", "n0-0"); err == nil {
		t.Errorf("duplicate insert: got no error")
	}
	s := w.Stats()
	mu.Lock()
	defer mu.Unlock()
	if rows != 80 || int64(rows) != s.Rows {
		t.Errorf("observed rows = %d, want 80 (Stats.Rows %d)", rows, s.Rows)
	}
	if int64(calls) != s.Transactions {
		t.Errorf("observed commits = %d, want Stats.Transactions %d", calls, s.Transactions)
	}
	if negative {
		t.Errorf("observed a negative commit time")
	}
}
