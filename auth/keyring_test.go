package auth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"studentapi/auth"
	"studentapi/internal/testdb"
	"studentapi/models"
)

func TestNewKeyringShortSecret(t *testing.T) {
	for _, n := range []int{0, 1, 31} {
		if _, err := auth.NewKeyring(bytes.Repeat([]byte{'s'}, n)); !errors.Is(err, auth.ErrShortSecret) {
			t.Errorf("NewKeyring(%d bytes) = %v, want %v", n, err, auth.ErrShortSecret)
		}
	}
	if _, err := auth.NewKeyring(bytes.Repeat([]byte{'s'}, 32)); err != nil {
		t.Errorf("NewKeyring(32 bytes): %v", err)
	}
}

func TestKeyringDigest(t *testing.T) {
	k := newKeyring(t, testSecret)
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	d := k.Digest(key)
	if len(d) != 64 || !isLowerHex(d) {
		t.Errorf("Digest = %q, want 64 lower-case hex digits", d)
	}
	if again := newKeyring(t, testSecret).Digest(key); again != d {
		t.Errorf("Digest under the same secret = %q, want %q", again, d)
	}
	plain := sha256.Sum256([]byte(key))

	for name, other := range map[string]string{
		"another key":    k.Digest(otherKey(key)),
		"another secret": newKeyring(t, testSecret+"!").Digest(key),
		"unkeyed SHA256": hex.EncodeToString(plain[:]),
	} {
		if other == d {
			t.Errorf("%s gives the same digest %q", name, d)
		}
	}
}

// A tag binds a row's digest to its user under the secret: change any of
// the three and it changes. Every authenticated request makes one.
func TestKeyringTag(t *testing.T) {
	k := newKeyring(t, testSecret)
	d := k.Digest("a key")
	tag := k.Tag(d, 7)
	if again := newKeyring(t, testSecret).Tag(d, 7); again != tag {
		t.Errorf("Tag under the same secret = %x, want %x", again, tag)
	}
	for name, other := range map[string][32]byte{
		"another user":                       k.Tag(d, 8),
		"another digest":                     k.Tag(k.Digest("another key"), 7),
		"another secret":                     newKeyring(t, testSecret+"!").Tag(d, 7),
		"a digest digit moved into the user": k.Tag(d[:len(d)-1], 7),
	} {
		if other == tag {
			t.Errorf("%s gives the same tag %x", name, tag)
		}
	}
	if n := testing.AllocsPerRun(100, func() { k.Tag(d, 7) }); n != 0 && !raceEnabled {
		t.Errorf("Tag allocates %.0f times", n)
	}
}

func TestKeyringSeal(t *testing.T) {
	k := newKeyring(t, testSecret)
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	digest := k.Digest(key)
	sealed, err := k.Seal(key, digest, 7)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if got, err := k.Open(sealed, digest, 7); err != nil || got != key {
		t.Fatalf("Open = %q, %v; want %q", got, err, key)
	}
	if again, err := k.Seal(key, digest, 7); err != nil || bytes.Equal(again, sealed) {
		t.Errorf("two seals of one key are equal (%x, %v): the nonce must be random", again, err)
	}
	raw, err := hex.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(key)) || bytes.Contains(sealed, raw) {
		t.Errorf("sealed copy %x contains the key", sealed)
	}

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	otherKeys := newKeyring(t, testSecret+"!")
	tests := []struct {
		name   string
		keys   *auth.Keyring
		sealed []byte
		digest string
		userID int64
	}{
		{"another secret", otherKeys, sealed, digest, 7},
		{"another digest", k, sealed, k.Digest(otherKey(key)), 7},
		{"another user", k, sealed, digest, 8},
		{"tampered", k, tampered, digest, 7},
		{"truncated", k, sealed[:30], digest, 7},
		{"empty", k, nil, digest, 7},
	}
	for _, tt := range tests {
		if got, err := tt.keys.Open(tt.sealed, tt.digest, tt.userID); err == nil {
			t.Errorf("Open with %s = %q, want an error", tt.name, got)
		}
	}
}

// encodings are the ways a key could show up in a file: as sent, in upper
// case, as its 20 raw bytes, and in base64 of either.
func encodings(t *testing.T, key string) map[string][]byte {
	t.Helper()
	raw, err := hex.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{
		"hex":       []byte(key),
		"upper hex": []byte(strings.ToUpper(key)),
		"raw bytes": raw,
	}
	for name, enc := range map[string]*base64.Encoding{
		"base64": base64.StdEncoding, "base64url": base64.URLEncoding,
		"raw base64": base64.RawStdEncoding, "raw base64url": base64.RawURLEncoding,
	} {
		out[name+" of the bytes"] = []byte(enc.EncodeToString(raw))
		out[name+" of the hex"] = []byte(enc.EncodeToString([]byte(key)))
	}
	return out
}

func TestDatabaseHoldsNoKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite") // the files are what is read
	keys := newKeyring(t, testSecret)
	db := openDB(t, testdb.DB{Driver: "sqlite", Path: path}, models.Options{Keys: keys})
	auth.ConnectTokenReceiver(db.Signals)
	a := auth.New(db, "Token", testCost, auth.Options{})

	var tokens []string
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin"} {
		u := newUser(t, db, name, true) // the receiver makes one token
		tokens = append(tokens, tokenFor(t, a, u))
		key, err := auth.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ReplaceToken(t.Context(), u.ID, key); err != nil { // and a second
			t.Fatal(err)
		}
		tokens = append(tokens, key)
	}
	for i := 1; i < len(tokens); i += 2 { // the keys in use
		if _, err := a.Authenticate(t.Context(), header(tokens[i])); err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
	}

	check := func(when string) {
		t.Helper()
		files := testdb.DB{Driver: "sqlite", Path: path}.Stored(t)
		// The scan must see what was written, or finding nothing proves nothing.
		if last := keys.Digest(tokens[len(tokens)-1]); !bytes.Contains(files, []byte(last)) {
			t.Fatalf("%s: the files do not hold the last digest %s; the scan reads the wrong thing", when, last)
		}
		for _, key := range tokens {
			for name, b := range encodings(t, key) {
				if bytes.Contains(files, b) {
					t.Errorf("%s: the database files hold key %s as %s", when, key, name)
				}
			}
		}
	}
	check("open")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed")
}

// rawHandle opens a plain GORM handle on the test database, as someone who
// can write it but does not have the secret key.
func rawHandle(t *testing.T, path testdb.DB) *gorm.DB {
	t.Helper()
	dialector := sqlite.Open(models.SQLiteDSN(path.Path))
	if path.Driver == "postgres" {
		dialector = postgres.Open(path.DSN)
	}
	g, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := g.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return g
}

func TestForgedRowAuthenticatesNobody(t *testing.T) {
	path := testdb.New(t)
	db := openDB(t, path, models.Options{Keys: newKeyring(t, testSecret)})
	a := auth.New(db, "Token", testCost, auth.Options{})
	alice := newUser(t, db, "alice", true)
	aliceKey := tokenFor(t, a, alice)
	raw := rawHandle(t, path)

	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	guessed := newKeyring(t, "a guess at the secret key, 32 bytes or more")
	sum := sha256.Sum256([]byte(key))
	digests := map[string]string{
		"digest under another secret": guessed.Digest(key),
		"unkeyed SHA-256":             hex.EncodeToString(sum[:]),
		"the key itself":              key,
	}
	for name, digest := range digests {
		t.Run(name, func(t *testing.T) {
			mallory := newUser(t, db, "mallory-"+strings.ReplaceAll(name, " ", "-"), true)
			sealed, err := guessed.Seal(key, digest, mallory.ID)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			if err := raw.Exec("INSERT INTO tokens (digest, sealed, user_id, created, refreshed) VALUES (?, ?, ?, ?, ?)",
				digest, sealed, mallory.ID, now, now).Error; err != nil {
				t.Fatalf("forge a row: %v", err)
			}

			if tok, err := a.Authenticate(t.Context(), header(key)); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("Authenticate(forged key) = %+v, %v; want %v", tok, err, auth.ErrInvalidToken)
			}
			// Nor does the forged row unlock anything for its user: a login
			// replaces it with a key of the server's own.
			if _, err := db.TokenOf(t.Context(), mallory.ID); !errors.Is(err, models.ErrSealBroken) {
				t.Errorf("TokenOf(mallory) = %v, want %v", err, models.ErrSealBroken)
			}
			if got := tokenFor(t, a, mallory); got == key {
				t.Errorf("TokenFor(mallory) kept the forged key %s", key)
			}
			if tok, err := a.Authenticate(t.Context(), header(aliceKey)); err != nil || tok.UserID != alice.ID {
				t.Errorf("Authenticate(alice) = %+v, %v; want alice", tok, err)
			}
		})
	}
}

// Someone who can write the database but not the secret moves the row of a
// key they hold to another user: the key authenticates nobody, the other
// user's next login gets a key of its own, and other keys work on.
func TestMovedRowAuthenticatesNobody(t *testing.T) {
	path := testdb.New(t)
	db := openDB(t, path, models.Options{Keys: newKeyring(t, testSecret)})
	a := auth.New(db, "Token", testCost, auth.Options{})
	alice, bob, carol := newUser(t, db, "alice", true), newUser(t, db, "bob", true), newUser(t, db, "carol", true)
	aliceKey, carolKey := tokenFor(t, a, alice), tokenFor(t, a, carol)
	tokenFor(t, a, bob)
	raw := rawHandle(t, path)
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM tokens WHERE user_id = ?", []any{bob.ID}},
		{"UPDATE tokens SET user_id = ? WHERE user_id = ?", []any{bob.ID, alice.ID}},
	} {
		if err := raw.Exec(stmt.sql, stmt.args...).Error; err != nil {
			t.Fatalf("%s: %v", stmt.sql, err)
		}
	}
	if tok, err := a.Authenticate(t.Context(), header(aliceKey)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Authenticate(key moved to bob) = %+v, %v; want %v", tok, err, auth.ErrInvalidToken)
	}
	if tok, err := a.Authenticate(t.Context(), header(carolKey)); err != nil || tok.UserID != carol.ID {
		t.Errorf("Authenticate(carol's untouched key) = %+v, %v; want carol", tok, err)
	}
	bobKey := tokenFor(t, a, bob)
	if bobKey == aliceKey {
		t.Error("bob's login handed out the key moved into his row")
	}
	if tok, err := a.Authenticate(t.Context(), header(bobKey)); err != nil || tok.UserID != bob.ID {
		t.Errorf("Authenticate(bob's new key) = %+v, %v; want bob", tok, err)
	}
}

func TestChangedSecretReissuesTokens(t *testing.T) {
	path := testdb.New(t)
	db := openDB(t, path, models.Options{Keys: newKeyring(t, testSecret)})
	alice := newUser(t, db, "alice", true)
	oldKey := tokenFor(t, auth.New(db, "Token", testCost, auth.Options{}), alice)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path, models.Options{Keys: newKeyring(t, "the new secret key, 32 bytes or more")})
	a := auth.New(db, "Token", testCost, auth.Options{})
	if _, err := db.TokenOf(t.Context(), alice.ID); !errors.Is(err, models.ErrSealBroken) {
		t.Errorf("TokenOf under the new secret = %v, want %v", err, models.ErrSealBroken)
	}
	if _, err := a.Authenticate(t.Context(), header(oldKey)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Authenticate(old key) = %v, want %v", err, auth.ErrInvalidToken)
	}
	newKey := tokenFor(t, a, alice)
	if newKey == oldKey {
		t.Fatalf("TokenFor under the new secret gave the old key %s", oldKey)
	}
	if again := tokenFor(t, a, alice); again != newKey {
		t.Errorf("second TokenFor = %s, want %s", again, newKey)
	}
	if tok, err := a.Authenticate(t.Context(), header(newKey)); err != nil || tok.UserID != alice.ID {
		t.Errorf("Authenticate(new key) = %+v, %v; want alice", tok, err)
	}
}

// otherKey differs from key in its last digit, whatever that digit is.
func otherKey(key string) string {
	if key[len(key)-1] == '0' {
		return key[:len(key)-1] + "1"
	}
	return key[:len(key)-1] + "0"
}
