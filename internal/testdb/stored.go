package testdb

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"
	"time"
)

// Stored is everything db holds at rest, as bytes to search: on SQLite the
// database file and its write-ahead log, where deleted rows may linger; on
// PostgreSQL every row of every table of the test's schema, as text. Tests
// use it to show a secret is not kept in the clear.
func (db DB) Stored(t testing.TB) []byte {
	t.Helper()
	if db.Driver == "postgres" {
		return db.storedRows(t)
	}
	var all []byte
	for _, p := range []string{db.Path, db.Path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func (db DB) storedRows(t testing.TB) []byte {
	t.Helper()
	conn, err := sql.Open("pgx", db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tables := queryStrings(ctx, t, conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", db.Schema)
	var all []byte
	for _, table := range tables {
		// The name comes from the catalog of the test's own schema.
		for _, row := range queryStrings(ctx, t, conn, `SELECT r::text FROM "`+db.Schema+`"."`+table+`" r`) {
			all = append(all, row...)
			all = append(all, '\n')
		}
	}
	return all
}

// queryStrings runs a query of one text column and returns its values.
func queryStrings(ctx context.Context, t testing.TB, conn *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
