package auth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"studentapi/models"
)

// A failed login costs exactly one password hash whether or not the username
// exists, so its duration cannot tell an attacker which usernames are real.
// Counted, not timed.
func TestLoginCostsOneHashEitherWay(t *testing.T) {
	ctx := context.Background()
	keys, err := NewKeyring([]byte("a test secret of at least thirty-two bytes"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := models.OpenSQLite(filepath.Join(t.TempDir(), "db.sqlite"), models.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u := &models.User{Username: "alice", IsActive: true}
	if err := u.SetPassword("right", 4); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	inactive := &models.User{Username: "bob", IsActive: false}
	if err := inactive.SetPassword("right", 4); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, inactive); err != nil {
		t.Fatal(err)
	}
	a := New(db, "Token", 4)
	hashes := 0
	a.checkPassword = func(u *models.User, pw string) (bool, error) {
		hashes++
		return u.CheckPassword(pw)
	}
	for _, tt := range []struct{ name, username, password string }{
		{"wrong password", "alice", "wrong"},
		{"unknown user", "mallory", "wrong"},
		{"unknown user, case differs", "ALICE", "right"},
		{"inactive user", "bob", "right"},
		{"right password", "alice", "right"},
	} {
		hashes = 0
		_, err := a.Login(ctx, tt.username, tt.password)
		if err != nil && !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if hashes != 1 {
			t.Errorf("%s: %d password hashes, want exactly 1", tt.name, hashes)
		}
	}
}
