package models

import (
	"context"
	"path/filepath"
	"testing"
)

// Every handle derived from one Connect shares its core, so that what one
// handle knows (keys, clock, signals, statement cache, writer, throttle
// sweep time) every other does too, with nothing copied that could be
// forgotten: the handle of a transaction, the one a GORM hook runs under,
// and the one a migration runs on.
func TestDerivedHandlesShareTheCore(t *testing.T) {
	db, err := Connect(Source{Path: filepath.Join(t.TempDir(), "db.sqlite")}, Options{Keys: nopKeys{}})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer db.Close()
	ctx := t.Context()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	handles := map[string]*DB{}
	db.Signals.UserCreated.Connect("capture", func(_ context.Context, ev UserCreated) error {
		handles["a UserCreated receiver's"] = ev.DB
		return nil
	})
	err = db.Transaction(ctx, func(tx *DB) error {
		handles["a transaction's"] = tx
		return tx.CreateUser(ctx, &User{Username: "alice", IsActive: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.serializeMigration(ctx, func(m *DB) error {
		handles["a migration's"] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(handles) != 3 {
		t.Fatalf("got %d derived handles, want 3", len(handles))
	}
	for name, h := range handles {
		if h.core != db.core {
			t.Errorf("%s handle has a core of its own, want the one of the DB it came from", name)
		}
	}
}
