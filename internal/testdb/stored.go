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
	var tables []string
	rows, err := conn.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	var all []byte
	for _, table := range tables {
		// The name comes from the catalog of the test's own schema.
		rows, err := conn.QueryContext(ctx, `SELECT r::text FROM "`+db.Schema+`"."`+table+`" r`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			all = append(all, row...)
			all = append(all, '\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return all
}
