package auth_test

import (
	"errors"
	"testing"

	"studentapi/auth"
)

// A failed login costs exactly one password hash whether or not the username
// exists, so its duration cannot tell an attacker which usernames are real.
// Counted, not timed.
func TestLoginCostsOneHashEitherWay(t *testing.T) {
	db := newDB(t)
	newUser(t, db, "alice", true)
	newUser(t, db, "bob", false)
	a := auth.New(db, "Token", testCost, auth.Options{})
	for _, tt := range []struct{ name, username, password string }{
		{"wrong password", "alice", "wrong"},
		{"unknown user", "mallory", "wrong"},
		{"unknown user, case differs", "ALICE", "pw-alice"},
		{"inactive user", "bob", "pw-bob"},
		{"right password", "alice", "pw-alice"},
	} {
		before := a.PasswordChecks()
		_, err := a.Login(t.Context(), tt.username, tt.password)
		if err != nil && !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := a.PasswordChecks() - before; got != 1 {
			t.Errorf("%s: %d password hashes, want exactly 1", tt.name, got)
		}
	}
}
