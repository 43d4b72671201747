package models_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// testCost keeps bcrypt fast in tests; production uses the configured cost.
const testCost = 4

// newDB opens and migrates a fresh database on the test run's backend (see
// testdb) and returns it with where it is.
func newDB(t *testing.T) (*models.DB, testdb.DB) {
	t.Helper()
	src := testdb.New(t)
	return openDB(t, src), src
}

// source is src as models.Connect takes it.
func source(src testdb.DB) models.Source {
	return models.Source{Driver: src.Driver, Path: src.Path, DSN: src.DSN}
}

// testKeys is the KeyProtector of these tests: HMAC digests and tags, and
// sealed copies that carry an HMAC tag over the key and its row, so that
// another secret, or a copy moved to another row, fails to open. Unlike auth.Keyring (tested in
// auth) it does not encrypt: these tests are about what models does with a
// protector, not about the protection.
type testKeys struct{ secret string }

func (k testKeys) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, []byte(k.secret))
	for _, p := range parts {
		fmt.Fprintf(m, "%d:%s", len(p), p)
	}
	return m.Sum(nil)
}

func (k testKeys) Digest(key string) string { return hex.EncodeToString(k.mac("digest", key)) }

func (k testKeys) Seal(key, digest string, userID int64) ([]byte, error) {
	return append(k.mac("seal", key, digest, fmt.Sprint(userID)), key...), nil
}

func (k testKeys) Open(sealed []byte, digest string, userID int64) (string, error) {
	if len(sealed) < sha256.Size {
		return "", errors.New("sealed copy too short")
	}
	key := string(sealed[sha256.Size:])
	if !hmac.Equal(sealed[:sha256.Size], k.mac("seal", key, digest, fmt.Sprint(userID))) {
		return "", errors.New("sealed copy does not open")
	}
	return key, nil
}

func (k testKeys) Tag(digest string, userID int64) [32]byte {
	return [32]byte(k.mac("tag", digest, fmt.Sprint(userID)))
}

// testSecret is the secret of the testKeys openDB protects keys with.
const testSecret = "models test secret"

// openDB opens and migrates the database at src, closing it when the test ends.
func openDB(t *testing.T, path testdb.DB) *models.DB {
	t.Helper()
	return openDBWith(t, path, models.Options{Keys: testKeys{secret: testSecret}})
}

// testClock is a clock that moves only when told to.
type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time          { return c.now }
func (c *testClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// openDBWith is openDB with other options.
func openDBWith(t *testing.T, path testdb.DB, opts models.Options) *models.DB {
	t.Helper()
	db, err := models.Connect(source(path), opts)
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

// newUser creates an active user whose password is "pw-" + username.
func newUser(t *testing.T, db *models.DB, username string) *models.User {
	t.Helper()
	u := &models.User{Username: username, Email: username + "@example.com", IsActive: true}
	if err := u.SetPassword("pw-"+username, testCost); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

// rawDB opens a second, plain GORM handle on the database, for what the
// package's API deliberately cannot do: count rows, or write a broken row.
func rawDB(t *testing.T, path testdb.DB) *gorm.DB {
	t.Helper()
	dialector := sqlite.Open(models.SQLiteDSN(path.Path))
	if path.Driver == "postgres" {
		dialector = postgres.Open(path.DSN)
	}
	g, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open second handle: %v", err)
	}
	t.Cleanup(func() {
		sqlDB, err := g.DB()
		if err != nil {
			t.Errorf("second handle: %v", err)
			return
		}
		if err := sqlDB.Close(); err != nil {
			t.Errorf("close second handle: %v", err)
		}
	})
	return g
}

func countRows(t *testing.T, path testdb.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := rawDB(t, path).Table(table).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestMigrateTwice(t *testing.T) {
	db, _ := newDB(t)
	newUser(t, db, "alice")
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if _, err := db.UserByUsername(t.Context(), "alice"); err != nil {
		t.Errorf("user after second Migrate: %v", err)
	}
	newUser(t, db, "bob")
}

func TestSQLiteDSN(t *testing.T) {
	tests := []struct {
		path, want string
	}{
		{"/tmp/db.sqlite", "file:/tmp/db.sqlite?"},
		{"/tmp/a b/db?#.sqlite", "file:/tmp/a%20b/db%3F%23.sqlite?"},
	}
	for _, tt := range tests {
		got := models.SQLiteDSN(tt.path)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("SQLiteDSN(%q) = %q, want prefix %q", tt.path, got, tt.want)
		}
	}
}

func TestConnectOddSQLitePath(t *testing.T) {
	// Characters that mean something in a URI must still name the file.
	path := filepath.Join(t.TempDir(), "a b?c#d%e", "db.sqlite")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, testdb.DB{Driver: "sqlite", Path: path})
	newUser(t, db, "alice")
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at %q: %v", path, err)
	}
}
