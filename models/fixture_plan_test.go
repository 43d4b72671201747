package models

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"studentapi/internal/testdb"
)

// TestImportLookupsUseIndexesOnPostgres loads users and tokens into tables
// vacuumed while empty, the case where PostgreSQL's generic plans are
// sequential scans even for a unique-index equality, and then asks for the
// plans of the import's own prepared look-ups, in the import's transaction,
// with the tables grown: each must read an index. A prepared statement
// planned once on the empty table (PostgreSQL's default from its sixth
// execution) would scan every row loaded before it, and a large load would
// be quadratic (see customPlans). The plans are what the server reports, so
// the check needs no timing.
func TestImportLookupsUseIndexesOnPostgres(t *testing.T) {
	src := testdb.Postgres(t)
	db, err := Connect(Source{Driver: DriverPostgres, DSN: src.DSN}, Options{Keys: nopKeys{}})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer db.Close()
	ctx := t.Context()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Statistics that say "empty" (reltuples 0), as after autovacuum or a
	// manual VACUUM of a table whose rows were deleted.
	for _, table := range []string{"users", "tokens"} {
		if err := db.with(ctx).Exec("VACUUM ANALYZE " + table).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Some 40 pages of users: reading them all costs the planner several
	// times an index look-up. (A table of a few pages is rightly scanned.)
	const n = 2000
	const hash = "pbkdf2_sha256$870000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g="
	lookups := []struct {
		text string
		args string // EXECUTE's arguments, a row loaded early
	}{
		{importUserFind, "(3, 'user3')"},
		{importUserID, "('user3')"},
		{importUserExists, "(3)"},
		{importTokenMoved, fmt.Sprintf("('%040x', 4)", 3)},
	}
	err = db.Import(ctx, func(im *Importer) error {
		when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		for i := 1; i <= n; i++ {
			u := &User{ID: int64(i), Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("user%d@example.com", i),
				Password: hash, IsActive: true, DateJoined: when}
			if _, err := im.User(ctx, u); err != nil {
				return err
			}
			if err := im.Token(ctx, u.ID, fmt.Sprintf("%040x", i), when); err != nil {
				return err
			}
			if _, err := im.UserID(ctx, u.Username); err != nil {
				return err
			}
		}
		for _, l := range lookups {
			var name string
			row := im.pool.QueryRowContext(ctx, "SELECT name FROM pg_prepared_statements WHERE statement = $1", l.text)
			if err := row.Scan(&name); err != nil {
				return fmt.Errorf("the import's prepared statement %q: %w", l.text, err)
			}
			rows, err := im.pool.QueryContext(ctx, "EXPLAIN (COSTS OFF) EXECUTE "+name+l.args)
			if err != nil {
				return fmt.Errorf("explain %q: %w", l.text, err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					rows.Close()
					return err
				}
				plan = append(plan, line)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan") || !strings.Contains(text, "Index") {
				t.Errorf("after %d users the import plans\n  %s\nas\n%s\nwant index scans, no Seq Scan", n, l.text, text)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
