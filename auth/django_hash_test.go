package auth_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"studentapi/auth"
	"studentapi/internal/testdb"
	"studentapi/models"
)

// Hashes of "pw-" + username as Django 3.2's hashers wrote them (cheap
// parameters, made with Django's own classes: see
// scripts/django_hash_vectors.py for how such vectors are made).
const (
	djangoPBKDF2Carol = "pbkdf2_sha256$1000$EulGBPVOY7LhqWqYdXWIvx$H0qdtUIVdbACiR98MpUIwqlcnQ7+lImonAvom9/ubTY="
	djangoArgon2Dave  = "argon2$argon2id$v=19$m=64,t=1,p=1$RU9ZQ2Z0dE5nNGphMDROVVF6VkhaTQ$jYOlYUjm5oOTYufZKt0hKQ"
	djangoBcryptErin  = "bcrypt$$2b$04$vo8SYhGbRnjUE5rYgEPeGO9xhJ0hdtKMs1x0i9tofhqM3cvXyL5fC" // pw-carol's
)

// newUserWithHash creates an active staff user whose password column holds
// encoded as it is, as an import from Django leaves it.
func newUserWithHash(t *testing.T, db *models.DB, username, encoded string) *models.User {
	t.Helper()
	u := &models.User{Username: username, Email: username + "@example.com", IsActive: true, IsStaff: true, Password: encoded}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

func storedHash(t *testing.T, db *models.DB, username string) string {
	t.Helper()
	u, err := db.UserByUsername(t.Context(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.Password
}

// A user moved over from Django logs in with the password it had there; the
// login stores the hash again in this service's format at its cost, without
// ending the user's sessions or changing its token, and the next login
// works against the new hash.
func TestLoginUpgradesDjangoHash(t *testing.T) {
	for _, tt := range []struct{ name, username, password, encoded string }{
		{"pbkdf2_sha256", "carol", "pw-carol", djangoPBKDF2Carol},
		{"argon2id", "dave", "pw-dave", djangoArgon2Dave},
		{"bcrypt", "erin", "pw-carol", djangoBcryptErin},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			a := auth.New(db, "Token", testCost, auth.Options{})
			u := newUserWithHash(t, db, tt.username, tt.encoded)
			key := tokenFor(t, a, u)
			const sessionID = "a session opened before the upgrade"
			if _, err := db.CreateSession(t.Context(), u, sessionID, time.Hour); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}

			if _, err := a.Login(t.Context(), tt.username, "wrong"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("Login with a wrong password: %v, want ErrBadCredentials", err)
			}
			if got := storedHash(t, db, tt.username); got != tt.encoded {
				t.Errorf("after a failed login the hash is %q, want it untouched", got)
			}

			got, err := a.Login(t.Context(), tt.username, tt.password)
			if err != nil {
				t.Fatalf("Login with the Django password: %v", err)
			}
			stored := storedHash(t, db, tt.username)
			if !strings.HasPrefix(stored, "bcrypt_sha256$$2a$04$") {
				t.Errorf("after login the stored hash is %q, want bcrypt_sha256 at cost %d", stored, testCost)
			}
			if got.Password != stored {
				t.Errorf("Login's user holds %q, the database %q", got.Password, stored)
			}
			if k := tokenFor(t, a, got); k != key {
				t.Errorf("token after the upgrade = %q, want the same key %q", k, key)
			}
			if _, err := db.SessionByID(t.Context(), sessionID); err != nil {
				t.Errorf("the session opened before the upgrade: %v; an upgrade must end none", err)
			}
			if _, err := a.Login(t.Context(), tt.username, tt.password); err != nil {
				t.Errorf("second Login: %v", err)
			}
			if again := storedHash(t, db, tt.username); again != stored {
				t.Errorf("second login rewrote the hash: %q, then %q", stored, again)
			}
			if _, err := a.Login(t.Context(), tt.username, "wrong"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("Login with a wrong password after the upgrade: %v", err)
			}
		})
	}
}

// A hash of this service's own format at another cost than the configured
// one is upgraded too, as Django's must_update does for its bcrypt rounds.
func TestLoginUpgradesOtherCost(t *testing.T) {
	db := newDB(t)
	hash, err := models.HashPassword("pw-frank", testCost+1)
	if err != nil {
		t.Fatal(err)
	}
	newUserWithHash(t, db, "frank", hash)
	a := auth.New(db, "Token", testCost, auth.Options{})
	if _, err := a.Login(t.Context(), "frank", "pw-frank"); err != nil {
		t.Fatal(err)
	}
	if got := storedHash(t, db, "frank"); got == hash || !strings.HasPrefix(got, "bcrypt_sha256$$2a$04$") {
		t.Errorf("stored hash after login = %q, want a new one at cost %d (was %q)", got, testCost, hash)
	}
}

// A write the database refuses does not refuse the login it would have
// followed: the password was right, the old hash stays, the failure is
// logged, and the login after the database takes writes again upgrades it.
func TestLoginStandsWhenTheUpgradeCannotBeWritten(t *testing.T) {
	src := testdb.New(t)
	db := openDB(t, src, models.Options{Keys: newKeyring(t, testSecret)})
	var logged strings.Builder
	a := auth.New(db, "Token", testCost, auth.Options{Log: slog.New(slog.NewTextHandler(&logged, nil))})
	newUserWithHash(t, db, "carol", djangoPBKDF2Carol)

	raw := rawHandle(t, src)
	refuse := map[string][]string{
		"sqlite": {`CREATE TRIGGER refuse_passwords BEFORE UPDATE OF password ON users BEGIN SELECT RAISE(ABORT, 'refused'); END`},
		"postgres": {
			`CREATE FUNCTION refuse_passwords() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER refuse_passwords BEFORE UPDATE OF password ON users FOR EACH ROW EXECUTE FUNCTION refuse_passwords()`,
		},
	}[src.Driver]
	for _, stmt := range refuse {
		if err := raw.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	if _, err := a.Login(t.Context(), "carol", "pw-carol"); err != nil {
		t.Fatalf("Login with the right password while upgrades fail: %v, want the user", err)
	}
	if got := storedHash(t, db, "carol"); got != djangoPBKDF2Carol {
		t.Errorf("stored hash %q, want Django's, untouched", got)
	}
	if !strings.Contains(logged.String(), "password hash not upgraded") || strings.Contains(logged.String(), "pw-carol") {
		t.Errorf("log = %q, want one warning of the upgrade, without the password", logged.String())
	}

	if err := raw.Exec("DROP TRIGGER refuse_passwords" + map[string]string{"sqlite": "", "postgres": " ON users"}[src.Driver]).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := a.Login(t.Context(), "carol", "pw-carol"); err != nil {
		t.Fatalf("Login once writes work: %v", err)
	}
	if got := storedHash(t, db, "carol"); !strings.HasPrefix(got, "bcrypt_sha256$") {
		t.Errorf("stored hash after the next login %q, want it upgraded", got)
	}
}
