package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"studentapi/auth"
	"studentapi/internal/testdb"
	"studentapi/models"
)

// testCost keeps bcrypt fast in tests; production uses the configured cost.
const testCost = 4

// testSecret is the secret key of the tests' Keyrings.
const testSecret = "auth test secret, 32 bytes or more"

// newKeyring makes a Keyring from secret or fails the test.
func newKeyring(t *testing.T, secret string) *auth.Keyring {
	t.Helper()
	k, err := auth.NewKeyring([]byte(secret))
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

// newDB opens and migrates a fresh database of the test run's backend (see
// testdb.New), under the Keyring of testSecret.
func newDB(t *testing.T) *models.DB {
	t.Helper()
	return openDB(t, testdb.New(t), models.Options{Keys: newKeyring(t, testSecret)})
}

// openDB opens and migrates the test database src with opts, closing the
// handle when the test ends (closing it twice is harmless). Opening src again
// is how a test plays a second instance, or a restart under another secret.
func openDB(t *testing.T, src testdb.DB, opts models.Options) *models.DB {
	t.Helper()
	db, err := models.Connect(models.Source{Driver: src.Driver, Path: src.Path, DSN: src.DSN}, opts)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// newUser creates a user whose password is "pw-" + username.
func newUser(t *testing.T, db *models.DB, username string, active bool) *models.User {
	t.Helper()
	u := &models.User{Username: username, Email: username + "@example.com", IsActive: active}
	if err := u.SetPassword("pw-"+username, testCost); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

// tokenFor gives u a token through the Authenticator and returns its key.
func tokenFor(t *testing.T, a *auth.Authenticator, u *models.User) string {
	t.Helper()
	tok, err := a.TokenFor(t.Context(), u)
	if err != nil {
		t.Fatalf("TokenFor(%q): %v", u.Username, err)
	}
	return tok.Key
}

func header(key string) []string { return []string{"Token " + key} }

func TestAuthenticate(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{})
	alice := newUser(t, db, "alice", true)
	aliceKey := tokenFor(t, a, alice)
	bobKey := tokenFor(t, a, newUser(t, db, "bob", false))
	unknown, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		header   []string
		wantUser string
		wantAnon bool
		wantErr  error
	}{
		{name: "good key", header: header(aliceKey), wantUser: "alice"},
		{name: "lower case keyword", header: []string{"token " + aliceKey}, wantUser: "alice"},
		{name: "unknown key", header: header(unknown), wantErr: auth.ErrInvalidToken},
		{name: "short key", header: header(aliceKey[:39]), wantErr: auth.ErrInvalidToken},
		{name: "long key", header: header(aliceKey + "0"), wantErr: auth.ErrInvalidToken},
		{name: "upper case key", header: header(strings.ToUpper(aliceKey)), wantErr: auth.ErrInvalidToken},
		{name: "garbage key", header: header(strings.Repeat("z", 40)), wantErr: auth.ErrInvalidToken},
		{name: "sql in key", header: header("'or'1'='1"), wantErr: auth.ErrInvalidToken},
		{name: "nbsp after key", header: header(aliceKey + "\u00a0"), wantErr: auth.ErrInvalidToken},
		{name: "inactive user", header: header(bobKey), wantErr: auth.ErrInactive},
		{name: "no header", header: nil, wantAnon: true},
		{name: "other scheme", header: []string{"Basic " + aliceKey}, wantAnon: true},
		{name: "keyword alone", header: []string{"Token"}, wantErr: auth.ErrNoCredentials},
		{name: "spaces", header: []string{"Token " + aliceKey + " x"}, wantErr: auth.ErrSpaces},
		{name: "invalid UTF-8", header: []string{"Token \xff"}, wantErr: auth.ErrInvalidChars},
		{name: "two headers", header: []string{"Token " + aliceKey, "Token " + aliceKey}, wantErr: auth.ErrSpaces},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := a.Authenticate(t.Context(), tt.header)
			switch {
			case tt.wantAnon:
				if !auth.IsAnonymous(err) {
					t.Errorf("Authenticate = %v, %v; want anonymous", tok, err)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("Authenticate = %v, %v; want %v", tok, err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("Authenticate: %v", err)
			case tok.User == nil || tok.User.Username != tt.wantUser:
				t.Errorf("Authenticate user = %+v, want %q", tok.User, tt.wantUser)
			case tok.Key != aliceKey || tok.UserID != alice.ID:
				t.Errorf("Authenticate token = %q of user %d, want %q of %d", tok.Key, tok.UserID, aliceKey, alice.ID)
			}
		})
	}
}

func TestAuthenticateFollowsTheDatabase(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{})
	alice := newUser(t, db, "alice", true)
	oldKey := tokenFor(t, a, alice)

	check := func(step, key string, want error) {
		t.Helper()
		_, err := a.Authenticate(t.Context(), header(key))
		if !errors.Is(err, want) {
			t.Errorf("%s: Authenticate = %v, want %v", step, err, want)
		}
	}

	newKey, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReplaceToken(t.Context(), alice.ID, newKey); err != nil {
		t.Fatalf("ReplaceToken: %v", err)
	}
	check("old key after replace", oldKey, auth.ErrInvalidToken)
	check("new key after replace", newKey, nil)

	active := false
	if err := db.ChangeUser(t.Context(), alice.ID, models.UserChange{IsActive: &active}); err != nil {
		t.Fatal(err)
	}
	check("after deactivation", newKey, auth.ErrInactive)
	active = true
	if err := db.ChangeUser(t.Context(), alice.ID, models.UserChange{IsActive: &active}); err != nil {
		t.Fatal(err)
	}
	check("after reactivation", newKey, nil)

	if err := db.DeleteUser(t.Context(), "alice"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	check("after delete", newKey, auth.ErrInvalidToken)
}

func TestAuthenticateDatabaseFailure(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{})
	key := tokenFor(t, a, newUser(t, db, "alice", true))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := a.Authenticate(ctx, header(key))
	// A failed lookup is not a bad token: the caller must answer 500, not 401.
	var f *auth.Failure
	if err == nil || errors.As(err, &f) || auth.IsAnonymous(err) {
		t.Errorf("Authenticate with a dead context = %v, want a database error", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Authenticate error %v does not wrap %v", err, context.Canceled)
	}
}

func TestLogin(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{})
	alice := newUser(t, db, "alice", true)
	newUser(t, db, "bob", false)
	if err := db.CreateUser(t.Context(), &models.User{Username: "nopass", IsActive: true}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, username, password string
		wantErr                  error
	}{
		{"good", "alice", "pw-alice", nil},
		{"wrong password", "alice", "pw-bob", auth.ErrBadCredentials},
		{"empty password", "alice", "", auth.ErrBadCredentials},
		{"password case", "alice", "PW-ALICE", auth.ErrBadCredentials},
		{"unknown user", "nobody", "pw-nobody", auth.ErrBadCredentials},
		{"username case", "Alice", "pw-alice", auth.ErrBadCredentials},
		{"empty username", "", "pw-alice", auth.ErrBadCredentials},
		{"inactive user, right password", "bob", "pw-bob", auth.ErrBadCredentials},
		{"no usable password", "nopass", "", auth.ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := a.Login(t.Context(), tt.username, tt.password)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Login(%q, %q) = %v, %v; want %v", tt.username, tt.password, u, err, tt.wantErr)
			}
			if err == nil && u.ID != alice.ID {
				t.Errorf("Login returned user %d, want %d", u.ID, alice.ID)
			}
			if err != nil && u != nil {
				t.Errorf("Login returned user %+v with error %v", u, err)
			}
		})
	}
}

func TestLoginDatabaseFailure(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{})
	newUser(t, db, "alice", true)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := a.Login(ctx, "alice", "pw-alice"); err == nil || errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("Login with a dead context = %v, want a database error", err)
	}
}

func TestTokenFor(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{})
	alice := newUser(t, db, "alice", true)
	first := tokenFor(t, a, alice)
	if second := tokenFor(t, a, alice); second != first {
		t.Errorf("second TokenFor = %q, want %q", second, first)
	}
	if other := tokenFor(t, a, newUser(t, db, "bob", true)); other == first {
		t.Errorf("bob got alice's key %q", other)
	}
}

func TestKeyword(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Bearer", testCost, auth.Options{})
	if got := a.Keyword(); got != "Bearer" {
		t.Errorf("Keyword = %q, want Bearer", got)
	}
	key := tokenFor(t, a, newUser(t, db, "alice", true))
	if _, err := a.Authenticate(t.Context(), []string{"Bearer " + key}); err != nil {
		t.Errorf("Authenticate with Bearer: %v", err)
	}
	if _, err := a.Authenticate(t.Context(), header(key)); !auth.IsAnonymous(err) {
		t.Errorf("Authenticate with Token under Bearer = %v, want anonymous", err)
	}
}

// With extra keywords a token is read after any of them, and the challenge
// stays the first.
func TestExtraKeywords(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{ExtraKeywords: []string{"Bearer"}})
	if got := a.Keyword(); got != "Token" {
		t.Errorf("Keyword = %q, want Token", got)
	}
	key := tokenFor(t, a, newUser(t, db, "alice", true))
	for _, scheme := range []string{"Token", "Bearer", "bearer"} {
		tok, err := a.Authenticate(t.Context(), []string{scheme + " " + key})
		if err != nil {
			t.Errorf("Authenticate with %s: %v", scheme, err)
			continue
		}
		if tok.User.Username != "alice" {
			t.Errorf("Authenticate with %s = user %q, want alice", scheme, tok.User.Username)
		}
	}
	if _, err := a.Authenticate(t.Context(), []string{"Basic " + key}); !auth.IsAnonymous(err) {
		t.Errorf("Authenticate with Basic = %v, want anonymous", err)
	}
}
