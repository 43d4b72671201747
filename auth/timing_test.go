package auth_test

import (
	"errors"
	"testing"

	"studentapi/auth"
)

// A failed login costs exactly one password hash whether or not the username
// exists, whatever algorithm the user's stored hash is (one computation of
// that algorithm), so its duration cannot tell an attacker which usernames
// are real. A user whose hash computes nothing (unusable, unknown algorithm)
// costs the stand-in's. Counted, not timed.
func TestLoginCostsOneHashEitherWay(t *testing.T) {
	db := newDB(t)
	newUser(t, db, "alice", true)
	newUser(t, db, "bob", false)
	newUserWithHash(t, db, "carol", djangoPBKDF2Carol)
	newUserWithHash(t, db, "dave", djangoArgon2Dave)
	newUserWithHash(t, db, "unusable", "!aTMbNaRpNb3g3xqhE1b0Ui0X9aZSHEBUGIQ5jCdT")
	newUserWithHash(t, db, "unknown", "md5$salt$5f4dcc3b5aa765d61d8327deb882cf99")
	a := auth.New(db, "Token", testCost, auth.Options{})
	for _, tt := range []struct{ name, username, password string }{
		{"wrong password", "alice", "wrong"},
		{"unknown user", "mallory", "wrong"},
		{"unknown user, case differs", "ALICE", "pw-alice"},
		{"inactive user", "bob", "pw-bob"},
		{"right password", "alice", "pw-alice"},
		{"pbkdf2 user, wrong password", "carol", "wrong"},
		{"argon2 user, wrong password", "dave", "wrong"},
		{"unusable password", "unusable", "wrong"},
		{"unknown algorithm", "unknown", "password"},
		{"pbkdf2 user, right password", "carol", "pw-carol"},
		{"pbkdf2 user upgraded, wrong password", "carol", "wrong"},
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
