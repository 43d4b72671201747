package testdb_test

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"studentapi/internal/testdb"
)

// Tests that keep a secret out of the database search Stored for it; were
// Stored to return too little, their "not stored" checks would pass on
// nothing. This is their positive control, on both backends: what a test
// writes is found, and what it never wrote is not.
func TestStoredHoldsWhatWasWritten(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		src := testdb.DB{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "db.sqlite")}
		checkStored(t, src, "sqlite3", "file:"+src.Path+"?_journal_mode=WAL")
	})
	t.Run("postgres", func(t *testing.T) {
		src := testdb.Postgres(t)
		checkStored(t, src, "pgx", src.DSN)
	})
}

func checkStored(t *testing.T, src testdb.DB, driver, dsn string) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE probe (id integer PRIMARY KEY, v text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	written, unwritten := rand.Text(), rand.Text()
	if _, err := db.ExecContext(t.Context(), "INSERT INTO probe (id, v) VALUES (1, $1)", written); err != nil {
		t.Fatal(err)
	}
	stored := src.Stored(t)
	if !bytes.Contains(stored, []byte(written)) {
		t.Errorf("Stored (%d bytes) lacks the value just written", len(stored))
	}
	if bytes.Contains(stored, []byte(unwritten)) {
		t.Errorf("Stored holds a value never written")
	}
}
