package models

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// SQLite (3.54) re-prepares a join on every run when its WHERE compares a
// column with a bare parameter: the planner marks the parameter as a value the
// plan may depend on, every binding, even of the same value, expires the
// statement, and the driver then reads its column names and types again.
// tokenByDigest, run on every authenticated request, casts its parameter so
// that its prepared statement is reused.
//
// A re-prepare shows in what a run allocates. The same text with the digest
// written in as a literal has nothing to re-prepare for and is the reference;
// the bare parameter is the control, showing that the measure sees a
// re-prepare. If the control fails, SQLite no longer re-prepares such joins
// and the cast is no longer needed.
func TestTokenQueryIsPreparedOnce(t *testing.T) {
	db, err := Connect(Source{Path: filepath.Join(t.TempDir(), "db.sqlite")}, Options{Keys: nopKeys{}})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer db.Close()
	ctx := t.Context()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u := &User{Username: "plan", IsActive: true}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const key = "plan-key" // nopKeys: the digest is the key
	if _, err := db.CreateToken(ctx, u.ID, key); err != nil {
		t.Fatal(err)
	}
	const param = "CAST($1 AS TEXT)"
	if !strings.Contains(tokenByDigest, param) {
		t.Fatalf("tokenByDigest no longer compares the digest with %s:\n%s", param, tokenByDigest)
	}
	allocs := func(q query) float64 {
		found := 0
		n := testing.AllocsPerRun(50, func() {
			found = 0
			err := db.readRows(ctx, q, func(*sql.Rows) error { found++; return nil })
			if err != nil {
				t.Fatalf("%s: %v", q.text, err)
			}
		})
		if found != 1 {
			t.Fatalf("%s found %d rows, want 1", q.text, found)
		}
		return n
	}
	cast := allocs(query{text: tokenByDigest, args: []any{key}})
	literal := allocs(query{text: strings.Replace(tokenByDigest, param, "'"+key+"'", 1)})
	bare := allocs(query{text: strings.Replace(tokenByDigest, param, "$1", 1), args: []any{key}})
	t.Logf("allocations a run: cast %.0f, literal %.0f, bare parameter %.0f", cast, literal, bare)
	// The argument itself costs an allocation or two.
	if cast > literal+2 {
		t.Errorf("the token query allocates %.0f a run against %.0f with a literal: it is re-prepared on every run", cast, literal)
	}
	if bare <= literal+2 {
		t.Errorf("control: a bare parameter allocates %.0f against %.0f with a literal; the measure does not see a re-prepare (or SQLite stopped re-preparing)", bare, literal)
	}
}
