package models_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"studentapi/internal/testdb"
	"studentapi/models"
)

func TestTokenRowHoldsNoKey(t *testing.T) {
	db, path := newDB(t)
	alice := newUser(t, db, "alice")
	if _, err := db.CreateToken(t.Context(), alice.ID, key("a")); err != nil {
		t.Fatal(err)
	}

	raw := rawDB(t, path)
	cols, err := raw.Migrator().ColumnTypes("tokens")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if c.Name() == "key" {
			t.Error(`tokens has a "key" column`)
		}
	}
	var row struct {
		Digest string
		Sealed []byte
	}
	if err := raw.Table("tokens").Where("user_id = ?", alice.ID).Take(&row).Error; err != nil {
		t.Fatalf("read the row: %v", err)
	}
	if want := (testKeys{secret: testSecret}).Digest(key("a")); row.Digest != want {
		t.Errorf("digest column = %q, want %q", row.Digest, want)
	}
	if row.Digest == key("a") || len(row.Sealed) == 0 {
		t.Errorf("row = %+v, want a digest and a sealed copy", row)
	}
}

func TestTokenSurvivesReopen(t *testing.T) {
	path := testdb.New(t)
	first := openDB(t, path)
	alice := newUser(t, first, "alice")
	if _, err := first.CreateToken(t.Context(), alice.ID, key("a")); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	db := openDB(t, path) // the same secret
	of, err := db.TokenOf(t.Context(), alice.ID)
	if err != nil || of.Key != key("a") {
		t.Errorf("TokenOf after reopening = %+v, %v; want key %q", of, err, key("a"))
	}
	byKey, err := db.TokenByKey(t.Context(), key("a"))
	if err != nil || byKey.UserID != alice.ID || byKey.Key != key("a") {
		t.Errorf("TokenByKey after reopening = %+v, %v; want alice's token", byKey, err)
	}
}

// reopenWithSecret closes db and opens its file under another secret.
func reopenWithSecret(t *testing.T, db *models.DB, path testdb.DB, secret string) *models.DB {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return openDBWith(t, path, models.Options{Keys: testKeys{secret: secret}})
}

func TestChangedSecret(t *testing.T) {
	db, path := newDB(t)
	alice := newUser(t, db, "alice")
	bob := newUser(t, db, "bob")
	for _, u := range []*models.User{alice, bob} {
		if _, err := db.CreateToken(t.Context(), u.ID, key(u.Username[:1])); err != nil {
			t.Fatal(err)
		}
	}
	db = reopenWithSecret(t, db, path, "another secret")

	if _, err := db.TokenOf(t.Context(), alice.ID); !errors.Is(err, models.ErrSealBroken) {
		t.Errorf("TokenOf = %v, want %v", err, models.ErrSealBroken)
	}
	if _, err := db.TokenByKey(t.Context(), key("a")); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("TokenByKey(old key) = %v, want %v", err, models.ErrNotFound)
	}

	var keys keySource
	got, created, err := db.GetOrCreateToken(t.Context(), alice.ID, keys.next, nil)
	if err != nil {
		t.Fatalf("GetOrCreateToken over a broken seal: %v", err)
	}
	if !created || got.Key == key("a") {
		t.Errorf("GetOrCreateToken = %q, created %v; want a new key", got.Key, created)
	}
	again, created, err := db.GetOrCreateToken(t.Context(), alice.ID, keys.next, nil)
	if err != nil || created || again.Key != got.Key {
		t.Errorf("second GetOrCreateToken = %+v, %v, %v; want %q, not created", again, created, err, got.Key)
	}
	if _, err := db.TokenByKey(t.Context(), got.Key); err != nil {
		t.Errorf("TokenByKey(new key): %v", err)
	}

	replaced, err := db.ReplaceToken(t.Context(), bob.ID, key("c"))
	if err != nil {
		t.Fatalf("ReplaceToken over a broken seal: %v", err)
	}
	if of, err := db.TokenOf(t.Context(), bob.ID); err != nil || of.Key != replaced.Key {
		t.Errorf("TokenOf(bob) after replace = %+v, %v; want %q", of, err, key("c"))
	}
	if got := countRows(t, path, "tokens"); got != 2 {
		t.Errorf("%d token rows, want 2", got)
	}
}

func TestSealedCopyBelongsToItsRow(t *testing.T) {
	db, path := newDB(t)
	alice := newUser(t, db, "alice")
	bob := newUser(t, db, "bob")
	for _, u := range []*models.User{alice, bob} {
		if _, err := db.CreateToken(t.Context(), u.ID, key(u.Username[:1])); err != nil {
			t.Fatal(err)
		}
	}
	// Someone who can write the database puts bob's sealed copy in alice's row.
	raw := rawDB(t, path)
	var bobSealed []byte
	if err := raw.Table("tokens").Where("user_id = ?", bob.ID).Select("sealed").Row().Scan(&bobSealed); err != nil {
		t.Fatal(err)
	}
	if err := raw.Table("tokens").Where("user_id = ?", alice.ID).Update("sealed", bobSealed).Error; err != nil {
		t.Fatal(err)
	}
	if got, err := db.TokenOf(t.Context(), alice.ID); !errors.Is(err, models.ErrSealBroken) {
		t.Errorf("TokenOf(alice) with bob's sealed copy = %+v, %v; want %v", got, err, models.ErrSealBroken)
	}
}

// Someone who can write the database but lacks the secret moves the row of
// a key they hold to another user (UPDATE tokens SET user_id = ...): the key
// must not authenticate as that user. Every way a token row is written binds
// it to its user.
func TestTokenRowBoundToItsUser(t *testing.T) {
	var keys keySource
	writers := []struct {
		name  string
		write func(t *testing.T, db *models.DB, userID int64, k string)
	}{
		{"CreateToken", func(t *testing.T, db *models.DB, userID int64, k string) {
			if _, err := db.CreateToken(t.Context(), userID, k); err != nil {
				t.Fatal(err)
			}
		}},
		{"GetOrCreateToken", func(t *testing.T, db *models.DB, userID int64, k string) {
			if _, _, err := db.GetOrCreateToken(t.Context(), userID, func() (string, error) { return k, nil }, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{"ReplaceToken of a row", func(t *testing.T, db *models.DB, userID int64, k string) {
			old, err := keys.next()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.CreateToken(t.Context(), userID, old); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ReplaceToken(t.Context(), userID, k); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			db, path := newDB(t)
			alice, bob, carol := newUser(t, db, "alice"), newUser(t, db, "bob"), newUser(t, db, "carol")
			for _, u := range []*models.User{alice, bob, carol} {
				w.write(t, db, u.ID, key(u.Username[:1]))
			}
			raw := rawDB(t, path)
			exec := func(sql string, args ...any) {
				t.Helper()
				if err := raw.Exec(sql, args...).Error; err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
			}
			exec("DELETE FROM tokens WHERE user_id = ?", bob.ID)
			exec("UPDATE tokens SET user_id = ? WHERE user_id = ?", bob.ID, alice.ID)
			if got, err := db.TokenByKey(t.Context(), key("a")); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("TokenByKey(alice's key) in a row moved to bob = %+v, %v; want %v", got, err, models.ErrNotFound)
			}
			if got, err := db.TokenByKey(t.Context(), key("c")); err != nil || got.UserID != carol.ID {
				t.Errorf("TokenByKey(carol's untouched key) = %+v, %v; want carol's token", got, err)
			}
			// Moved back where it was made, the row works again.
			exec("UPDATE tokens SET user_id = ? WHERE user_id = ?", alice.ID, bob.ID)
			if got, err := db.TokenByKey(t.Context(), key("a")); err != nil || got.UserID != alice.ID {
				t.Errorf("TokenByKey(alice's key) back in alice's row = %+v, %v; want alice's token", got, err)
			}
		})
	}
}

// Rows from before tags are tagged on Migrate, each only if its sealed copy
// opens for the user it has now: a row moved to another user before the
// upgrade stays refused, and that user's next login replaces it.
func TestMigrateTagsExistingTokens(t *testing.T) {
	db, path := newDB(t)
	users := map[string]*models.User{}
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		users[name] = newUser(t, db, name)
		if _, err := db.CreateToken(t.Context(), users[name].ID, key(name[:1])); err != nil {
			t.Fatal(err)
		}
	}
	raw := rawDB(t, path)
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{"UPDATE tokens SET user_tag = NULL", nil},
		// Before the upgrade, carol's row was moved to dave.
		{"DELETE FROM tokens WHERE user_id = ?", []any{users["dave"].ID}},
		{"UPDATE tokens SET user_id = ? WHERE user_id = ?", []any{users["dave"].ID, users["carol"].ID}},
	} {
		if err := raw.Exec(stmt.sql, stmt.args...).Error; err != nil {
			t.Fatalf("%s: %v", stmt.sql, err)
		}
	}
	if got, err := db.TokenByKey(t.Context(), key("a")); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("TokenByKey(untagged row) = %+v, %v; want %v", got, err, models.ErrNotFound)
	}

	for i := range 2 {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	for _, name := range []string{"alice", "bob"} {
		if got, err := db.TokenByKey(t.Context(), key(name[:1])); err != nil || got.UserID != users[name].ID {
			t.Errorf("TokenByKey(%s's key) after migrating = %+v, %v; want %s's token", name, got, err, name)
		}
	}
	if got, err := db.TokenByKey(t.Context(), key("c")); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("TokenByKey(carol's key, moved to dave before the upgrade) = %+v, %v; want %v", got, err, models.ErrNotFound)
	}
	var keys keySource
	got, created, err := db.GetOrCreateToken(t.Context(), users["dave"].ID, keys.next, nil)
	if err != nil || !created || got.Key == key("c") {
		t.Errorf("dave's next login = %+v, created %v, %v; want a new key in place of the moved row", got, created, err)
	}
	if _, err := db.TokenByKey(t.Context(), got.Key); err != nil {
		t.Errorf("TokenByKey(dave's new key): %v", err)
	}
}

func TestGetOrCreateTokenReplacesExpired(t *testing.T) {
	clock := &testClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	path := testdb.New(t)
	db := openDBWith(t, path, models.Options{Keys: testKeys{secret: testSecret}, Now: clock.Now})
	alice := newUser(t, db, "alice")
	var keys keySource
	// Tokens last an hour.
	expired := func(tok *models.Token) bool { return tok.Created.Add(time.Hour).Before(clock.Now()) }

	first, _, err := db.GetOrCreateToken(t.Context(), alice.ID, keys.next, expired)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created.Equal(clock.Now()) || !first.Refreshed.Equal(clock.Now()) {
		t.Errorf("Created, Refreshed = %v, %v; want the clock's %v", first.Created, first.Refreshed, clock.Now())
	}
	clock.Advance(59 * time.Minute)
	if got, created, err := db.GetOrCreateToken(t.Context(), alice.ID, keys.next, expired); err != nil || created || got.Key != first.Key {
		t.Errorf("before expiry: %+v, created %v, %v; want %q", got, created, err, first.Key)
	}
	clock.Advance(2 * time.Minute)
	second, created, err := db.GetOrCreateToken(t.Context(), alice.ID, keys.next, expired)
	if err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if !created || second.Key == first.Key || !second.Created.Equal(clock.Now()) {
		t.Errorf("after expiry: %+v, created %v; want a new token created now", second, created)
	}
	if _, err := db.TokenByKey(t.Context(), first.Key); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("expired key after replacement: %v, want %v", err, models.ErrNotFound)
	}
	if got := countRows(t, path, "tokens"); got != 1 {
		t.Errorf("%d token rows, want 1", got)
	}
}

func TestGetOrCreateTokenReplacesExpiredConcurrently(t *testing.T) {
	db, path := newDB(t)
	alice := newUser(t, db, "alice")
	old, err := db.CreateToken(t.Context(), alice.ID, key("a"))
	if err != nil {
		t.Fatal(err)
	}
	// The old token is expired; any newer one is not.
	expired := func(tok *models.Token) bool { return tok.Digest == old.Digest }
	var keys keySource

	const callers = 32
	results := make([]string, callers)
	creators := make([]bool, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			tok, created, err := db.GetOrCreateToken(t.Context(), alice.ID, keys.next, expired)
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
				return
			}
			results[i], creators[i] = tok.Key, created
		})
	}
	close(start)
	wg.Wait()

	stored, err := db.TokenOf(t.Context(), alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Key == key("a") {
		t.Fatal("the expired token was not replaced")
	}
	n := 0
	for i, k := range results {
		if k != stored.Key {
			t.Errorf("caller %d got %q, want the stored %q", i, k, stored.Key)
		}
		if creators[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d callers report creating the token, want 1", n)
	}
	if got := countRows(t, path, "tokens"); got != 1 {
		t.Errorf("%d token rows, want 1", got)
	}
}

func TestDeleteToken(t *testing.T) {
	db, _ := newDB(t)
	alice := newUser(t, db, "alice")
	bob := newUser(t, db, "bob")
	for _, u := range []*models.User{alice, bob} {
		if _, err := db.CreateToken(t.Context(), u.ID, key(u.Username[:1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteToken(t.Context(), alice.ID); err != nil {
		t.Fatalf("DeleteToken: %v", err)
	}
	if _, err := db.TokenByKey(t.Context(), key("a")); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("TokenByKey after delete = %v, want %v", err, models.ErrNotFound)
	}
	if err := db.DeleteToken(t.Context(), alice.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("second DeleteToken = %v, want %v", err, models.ErrNotFound)
	}
	if _, err := db.TokenByKey(t.Context(), key("b")); err != nil {
		t.Errorf("bob's token after deleting alice's: %v", err)
	}
	if _, err := db.UserByUsername(t.Context(), "alice"); err != nil {
		t.Errorf("alice after deleting her token: %v", err)
	}
}

func TestTouchToken(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := &testClock{now: t0}
	db := openDBWith(t, testdb.New(t), models.Options{Keys: testKeys{secret: testSecret}, Now: clock.Now})
	alice := newUser(t, db, "alice")
	if _, err := db.CreateToken(t.Context(), alice.ID, key("a")); err != nil {
		t.Fatal(err)
	}
	refreshed := func() time.Time {
		t.Helper()
		tok, err := db.TokenOf(t.Context(), alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !tok.Created.Equal(t0) {
			t.Errorf("Created = %v, want %v", tok.Created, t0)
		}
		return tok.Refreshed
	}

	steps := []struct {
		name            string
		at, staleBefore time.Time
		want            bool
		wantRefreshed   time.Time
	}{
		{"refreshed since", t0.Add(30 * time.Second), t0.Add(-30 * time.Second), false, t0},
		{"at the bound", t0.Add(time.Minute), t0, false, t0},
		{"stale", t0.Add(61 * time.Second), t0.Add(time.Second), true, t0.Add(61 * time.Second)},
		{"stale, sub-second", t0.Add(122*time.Second + 500*time.Millisecond), t0.Add(62*time.Second + 500*time.Millisecond), true, t0.Add(122*time.Second + 500*time.Millisecond)},
		{"not backwards", t0.Add(90 * time.Second), t0.Add(30 * time.Second), false, t0.Add(122*time.Second + 500*time.Millisecond)},
		{"local times", t0.Add(5 * time.Minute).In(time.FixedZone("X", 5*3600)), t0.Add(4 * time.Minute).In(time.FixedZone("Y", -7*3600)), true, t0.Add(5 * time.Minute)},
	}
	for _, s := range steps {
		got, err := db.TouchToken(t.Context(), alice.ID, s.at, s.staleBefore)
		if err != nil || got != s.want {
			t.Errorf("%s: TouchToken = %v, %v; want %v", s.name, got, err, s.want)
		}
		if r := refreshed(); !r.Equal(s.wantRefreshed) {
			t.Errorf("%s: Refreshed = %v, want %v", s.name, r, s.wantRefreshed)
		}
	}

	// Racing callers on a stale token write once between them.
	at := t0.Add(10 * time.Minute)
	var (
		mu     sync.Mutex
		writes int
		wg     sync.WaitGroup
	)
	for range 16 {
		wg.Go(func() {
			touched, err := db.TouchToken(t.Context(), alice.ID, at, at.Add(-time.Minute))
			if err != nil {
				t.Errorf("TouchToken: %v", err)
			}
			if touched {
				mu.Lock()
				writes++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if writes != 1 {
		t.Errorf("%d concurrent TouchToken calls wrote, want 1", writes)
	}

	if got, err := db.TouchToken(t.Context(), alice.ID+100, at.Add(time.Hour), at.Add(time.Hour)); err != nil || got {
		t.Errorf("TouchToken(no token) = %v, %v; want false, nil", got, err)
	}
}

func TestOpenRequiresKeys(t *testing.T) {
	if _, err := models.Connect(models.Source{Path: filepath.Join(t.TempDir(), "db.sqlite")}, models.Options{}); err == nil {
		t.Error("Connect without Keys succeeded; want an error, so no handle ever stores keys unprotected")
	}
}
