package models_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"studentapi/models"
)

// testCost keeps bcrypt fast in tests; production uses the configured cost.
const testCost = 4

// newDB opens and migrates a fresh SQLite file in the test's temporary directory
// and returns it with the file's path.
func newDB(t *testing.T) (*models.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	return openDB(t, path), path
}

// openDB opens and migrates the SQLite file at path, closing it when the test ends.
func openDB(t *testing.T, path string) *models.DB {
	t.Helper()
	db, err := models.OpenSQLite(path, models.Options{})
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
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

// rawDB opens a second, plain GORM handle on the database file, for what the
// package's API deliberately cannot do: count rows, or write a broken row.
func rawDB(t *testing.T, path string) *gorm.DB {
	t.Helper()
	g, err := gorm.Open(sqlite.Open(models.SQLiteDSN(path)), &gorm.Config{Logger: logger.Discard})
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

func countRows(t *testing.T, path, table string) int64 {
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

func TestOpenSQLiteOddPath(t *testing.T) {
	// Characters that mean something in a URI must still name the file.
	path := filepath.Join(t.TempDir(), "a b?c#d%e", "db.sqlite")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, path)
	newUser(t, db, "alice")
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at %q: %v", path, err)
	}
}
