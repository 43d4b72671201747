package models_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"studentapi/models"
)

func key(c string) string { return strings.Repeat(c, 40) }

func TestCreateTokenAndLookups(t *testing.T) {
	db, _ := newDB(t)
	alice := newUser(t, db, "alice")
	bob := newUser(t, db, "bob")

	before := time.Now().Add(-time.Second)
	created, err := db.CreateToken(t.Context(), alice.ID, key("a"))
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if created.Key != key("a") || created.UserID != alice.ID || created.Created.Before(before) || !created.Refreshed.Equal(created.Created) {
		t.Errorf("CreateToken = %+v", created)
	}
	if want := (testKeys{secret: testSecret}).Digest(key("a")); created.Digest != want {
		t.Errorf("CreateToken.Digest = %q, want %q", created.Digest, want)
	}

	byKey, err := db.TokenByKey(t.Context(), key("a"))
	if err != nil {
		t.Fatalf("TokenByKey: %v", err)
	}
	if byKey.UserID != alice.ID {
		t.Errorf("TokenByKey.UserID = %d, want %d", byKey.UserID, alice.ID)
	}
	if byKey.User == nil {
		t.Fatal("TokenByKey did not load the user")
	}
	if byKey.User.ID != alice.ID || byKey.User.Username != "alice" || !byKey.User.IsActive {
		t.Errorf("TokenByKey.User = %+v, want alice", byKey.User)
	}

	of, err := db.TokenOf(t.Context(), alice.ID)
	if err != nil {
		t.Fatalf("TokenOf: %v", err)
	}
	if of.Key != key("a") {
		t.Errorf("TokenOf.Key = %q, want %q", of.Key, key("a"))
	}

	notFound := []struct {
		name string
		call func() error
	}{
		{"TokenByKey unknown", func() error { _, err := db.TokenByKey(t.Context(), key("c")); return err }},
		{"TokenByKey upper case", func() error { _, err := db.TokenByKey(t.Context(), key("A")); return err }},
		{"TokenByKey empty", func() error { _, err := db.TokenByKey(t.Context(), ""); return err }},
		{"TokenOf user without token", func() error { _, err := db.TokenOf(t.Context(), bob.ID); return err }},
		{"TokenOf missing user", func() error { _, err := db.TokenOf(t.Context(), bob.ID+100); return err }},
		// A zero id must match nobody, not the first token.
		{"TokenOf zero", func() error { _, err := db.TokenOf(t.Context(), 0); return err }},
	}
	for _, tt := range notFound {
		if err := tt.call(); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s = %v, want %v", tt.name, err, models.ErrNotFound)
		}
	}

	duplicates := []struct {
		name   string
		userID int64
		key    string
	}{
		{"second token for a user", alice.ID, key("d")},
		{"key taken by another user", bob.ID, key("a")},
	}
	for _, tt := range duplicates {
		if _, err := db.CreateToken(t.Context(), tt.userID, tt.key); !errors.Is(err, models.ErrDuplicate) {
			t.Errorf("CreateToken(%s) = %v, want %v", tt.name, err, models.ErrDuplicate)
		}
	}
	if _, err := db.CreateToken(t.Context(), bob.ID+100, key("e")); err == nil {
		t.Error("CreateToken for a missing user succeeded")
	}
}

func TestTokenByKeyWithoutUser(t *testing.T) {
	db, path := newDB(t)
	// A token row whose user is gone cannot be made through the package (foreign
	// keys are on); write one behind its back.
	raw := rawDB(t, path)
	sqlDB, err := raw.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	off := "PRAGMA foreign_keys = OFF"
	if path.Driver == "postgres" {
		off = "SET session_replication_role = replica" // foreign keys are triggers there
	}
	if _, err := conn.ExecContext(t.Context(), off); err != nil {
		t.Fatal(err)
	}
	keys := testKeys{secret: testSecret}
	digest := keys.Digest(key("f"))
	sealed, err := keys.Seal(key("f"), digest, 999)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := conn.ExecContext(t.Context(), "INSERT INTO tokens (digest, sealed, user_id, created, refreshed) VALUES ($1, $2, $3, $4, $5)",
		digest, sealed, 999, now, now); err != nil {
		t.Fatal(err)
	}

	if _, err := db.TokenByKey(t.Context(), key("f")); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("TokenByKey(orphan) = %v, want %v", err, models.ErrNotFound)
	}
}

// keySource hands out distinct keys and counts how many were asked for.
type keySource struct {
	mu sync.Mutex
	n  int
}

func (s *keySource) next() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("%040x", s.n), nil
}

func (s *keySource) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func TestGetOrCreateToken(t *testing.T) {
	db, path := newDB(t)
	alice := newUser(t, db, "alice")
	var keys keySource

	first, created, err := db.GetOrCreateToken(t.Context(), alice.ID, keys.next, nil)
	if err != nil {
		t.Fatalf("first GetOrCreateToken: %v", err)
	}
	if !created {
		t.Error("first call: created = false, want true")
	}
	second, created, err := db.GetOrCreateToken(t.Context(), alice.ID, keys.next, nil)
	if err != nil {
		t.Fatalf("second GetOrCreateToken: %v", err)
	}
	if created {
		t.Error("second call: created = true, want false")
	}
	if second.Key != first.Key {
		t.Errorf("second key = %q, want %q", second.Key, first.Key)
	}
	if got := keys.calls(); got != 1 {
		t.Errorf("newKey called %d times, want 1", got)
	}
	if got := countRows(t, path, "tokens"); got != 1 {
		t.Errorf("%d token rows, want 1", got)
	}
}

func TestGetOrCreateTokenKeyError(t *testing.T) {
	db, path := newDB(t)
	alice := newUser(t, db, "alice")
	boom := errors.New("no entropy")
	_, _, err := db.GetOrCreateToken(t.Context(), alice.ID, func() (string, error) { return "", boom }, nil)
	if !errors.Is(err, boom) {
		t.Errorf("GetOrCreateToken = %v, want an error wrapping %v", err, boom)
	}
	if got := countRows(t, path, "tokens"); got != 0 {
		t.Errorf("%d token rows, want 0", got)
	}
}

func TestGetOrCreateTokenConcurrent(t *testing.T) {
	db, path := newDB(t)
	alice := newUser(t, db, "alice")
	var keys keySource

	const callers = 32
	type result struct {
		key     string
		created bool
		err     error
	}
	results := make([]result, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			tok, created, err := db.GetOrCreateToken(t.Context(), alice.ID, keys.next, nil)
			if err == nil {
				results[i] = result{key: tok.Key, created: created}
			} else {
				results[i] = result{err: err}
			}
		})
	}
	close(start)
	wg.Wait()

	stored, err := db.TokenOf(t.Context(), alice.ID)
	if err != nil {
		t.Fatalf("TokenOf: %v", err)
	}
	creators := 0
	for i, r := range results {
		if r.err != nil {
			t.Errorf("caller %d: %v", i, r.err)
			continue
		}
		if r.key != stored.Key {
			t.Errorf("caller %d got key %q, want the stored %q", i, r.key, stored.Key)
		}
		if r.created {
			creators++
		}
	}
	if creators != 1 {
		t.Errorf("%d callers report creating the token, want 1", creators)
	}
	if got := countRows(t, path, "tokens"); got != 1 {
		t.Errorf("%d token rows, want 1", got)
	}
}

func TestReplaceToken(t *testing.T) {
	db, path := newDB(t)
	alice := newUser(t, db, "alice")
	bob := newUser(t, db, "bob")
	if _, err := db.CreateToken(t.Context(), alice.ID, key("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateToken(t.Context(), bob.ID, key("b")); err != nil {
		t.Fatal(err)
	}

	replaced, err := db.ReplaceToken(t.Context(), alice.ID, key("c"))
	if err != nil {
		t.Fatalf("ReplaceToken: %v", err)
	}
	if replaced.Key != key("c") || replaced.UserID != alice.ID {
		t.Errorf("ReplaceToken = %+v", replaced)
	}
	if _, err := db.TokenByKey(t.Context(), key("a")); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("old key: %v, want %v", err, models.ErrNotFound)
	}
	got, err := db.TokenByKey(t.Context(), key("c"))
	if err != nil {
		t.Fatalf("new key: %v", err)
	}
	if got.User == nil || got.User.ID != alice.ID {
		t.Errorf("new key belongs to %+v, want alice", got.User)
	}
	if _, err := db.TokenByKey(t.Context(), key("b")); err != nil {
		t.Errorf("bob's key after replacing alice's: %v", err)
	}
	if got := countRows(t, path, "tokens"); got != 2 {
		t.Errorf("%d token rows, want 2", got)
	}

	// A user without a token simply gets one.
	carol := newUser(t, db, "carol")
	if _, err := db.ReplaceToken(t.Context(), carol.ID, key("d")); err != nil {
		t.Errorf("ReplaceToken without a previous token: %v", err)
	}

	// A failed insert keeps the old token: the delete is rolled back with it.
	if _, err := db.ReplaceToken(t.Context(), alice.ID, key("b")); !errors.Is(err, models.ErrDuplicate) {
		t.Errorf("ReplaceToken with bob's key = %v, want %v", err, models.ErrDuplicate)
	}
	if got, err := db.TokenOf(t.Context(), alice.ID); err != nil || got.Key != key("c") {
		t.Errorf("alice's token after a failed replace = %v, %v; want key %q", got, err, key("c"))
	}
}
