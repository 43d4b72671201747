package models

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// nopKeys satisfies Options.Keys for tests that never touch a token.
type nopKeys struct{}

func (nopKeys) Digest(key string) string                              { return key }
func (nopKeys) Seal(key, _ string, _ int64) ([]byte, error)           { return []byte(key), nil }
func (nopKeys) Open(sealed []byte, _ string, _ int64) (string, error) { return string(sealed), nil }
func (nopKeys) Tag(string, int64) (tag [32]byte)                      { return tag }

// TestSQLitePragmasOnEveryConnection holds several pooled connections at once
// and checks each has the DSN's pragmas, with synchronous as Source asks.
func TestSQLitePragmasOnEveryConnection(t *testing.T) {
	for _, tt := range []struct {
		synchronous string
		want        int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{
		{"", 2},
		{SyncFull, 2},
		{SyncNormal, 1},
	} {
		t.Run("synchronous="+tt.synchronous, func(t *testing.T) {
			db, err := Connect(Source{Path: filepath.Join(t.TempDir(), "db.sqlite"), Synchronous: tt.synchronous}, Options{Keys: nopKeys{}})
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			defer db.Close()
			sqlDB, err := db.gorm.DB()
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var conns []*sql.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for i := range 4 {
				conn, err := sqlDB.Conn(ctx)
				if err != nil {
					t.Fatalf("connection %d: %v", i, err)
				}
				conns = append(conns, conn)
				for _, p := range []struct {
					pragma string
					want   any
				}{
					{"busy_timeout", int64(10000)},
					{"journal_mode", "wal"},
					{"foreign_keys", int64(1)},
					{"synchronous", int64(tt.want)},
					{"cache_size", int64(-1000)},
				} {
					var got any
					if err := conn.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
						t.Fatalf("PRAGMA %s: %v", p.pragma, err)
					}
					if s, ok := got.([]byte); ok {
						got = string(s)
					}
					if got != p.want {
						t.Errorf("connection %d: PRAGMA %s = %v (%T), want %v", i, p.pragma, got, got, p.want)
					}
				}
			}
		})
	}
}

func TestConnectBadSynchronous(t *testing.T) {
	if _, err := Connect(Source{Path: filepath.Join(t.TempDir(), "db.sqlite"), Synchronous: "off"}, Options{Keys: nopKeys{}}); err == nil {
		t.Error(`Connect with Synchronous "off" succeeded, want an error`)
	}
}
