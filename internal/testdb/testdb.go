// Package testdb gives each test a database of its own on the backend the test
// run is for, so that one suite covers SQLite and PostgreSQL alike.
//
// STUDENTAPI_TEST_BACKEND=postgres runs every test that asks New for a database
// on the PostgreSQL server of STUDENTAPI_TEST_POSTGRES_DSN, each in a fresh
// schema dropped when the test ends; otherwise each gets a SQLite file in its
// temporary directory. Tests that only make sense on PostgreSQL (several
// instances, a server going away) call Postgres, which skips them with a
// message when no server is given, unless STUDENTAPI_REQUIRE_POSTGRES=1 makes
// that a failure, as scripts/test.sh does.
//
// It imports nothing of the service, so that the models package's own tests
// can use it.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	// The pgx driver for database/sql, to create and drop schemas.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// The environment variables that choose the backend.
const (
	EnvBackend         = "STUDENTAPI_TEST_BACKEND"
	EnvPostgresDSN     = "STUDENTAPI_TEST_POSTGRES_DSN"
	EnvRequirePostgres = "STUDENTAPI_REQUIRE_POSTGRES"
)

// DB is one test's database, in the terms of models.Source and of config.yaml's
// database section.
type DB struct {
	Driver string // "sqlite" or "postgres"
	Path   string // the SQLite file
	DSN    string // the PostgreSQL DSN, its search_path set to the test's schema
	Schema string // the PostgreSQL schema
}

// Backend is the backend of this test run: "postgres" or "sqlite".
func Backend() string {
	if os.Getenv(EnvBackend) == "postgres" {
		return "postgres"
	}
	return "sqlite"
}

// New returns an empty database for t on the run's backend. On PostgreSQL a
// missing server is a failure: the run asked for it.
func New(t testing.TB) DB {
	t.Helper()
	if Backend() != "postgres" {
		return DB{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "db.sqlite")}
	}
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		t.Fatalf("%s=postgres needs %s", EnvBackend, EnvPostgresDSN)
	}
	return newSchema(t, dsn)
}

// Postgres returns an empty PostgreSQL database for t whatever the run's
// backend, or skips t when no server is given.
func Postgres(t testing.TB) DB {
	t.Helper()
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("%s=1 but %s is not set", EnvRequirePostgres, EnvPostgresDSN)
		}
		t.Skipf("no PostgreSQL server: set %s (scripts/test.sh starts one) to run this test", EnvPostgresDSN)
	}
	return newSchema(t, dsn)
}

// Env is the database as the service's STUDENTAPI_* environment variables.
func (db DB) Env() map[string]string {
	if db.Driver == "postgres" {
		return map[string]string{"STUDENTAPI_DATABASE_DRIVER": "postgres", "STUDENTAPI_DATABASE_DSN": db.DSN}
	}
	return map[string]string{"STUDENTAPI_DATABASE_DRIVER": "sqlite", "STUDENTAPI_DATABASE_PATH": db.Path}
}

// newSchema creates a schema with a random name on the server of dsn and
// returns dsn pointed at it; the schema is dropped when t ends.
func newSchema(t testing.TB, dsn string) DB {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgresDSN, err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema on the server of %s: %v", EnvPostgresDSN, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	withPath, err := withSearchPath(dsn, schema)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgresDSN, err)
	}
	return DB{Driver: "postgres", DSN: withPath, Schema: schema}
}

// withSearchPath sets search_path in a URL or key=value DSN.
func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse DSN: %w", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}
