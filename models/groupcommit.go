package models

import (
	"database/sql"
	"fmt"

	"studentapi/internal/groupcommit"
)

// newGroupCommit opens the connection of SQLite's group-commit writer on dsn
// and starts it (see internal/groupcommit): student creates share their
// commits instead of each waiting for its own fsync. Its inserts are traced
// as every other statement is, and each commit is told to observe
// (Options.OnCommit), which may be nil.
func newGroupCommit(dsn string, trace groupcommit.Trace, observe groupcommit.Observer) (*groupcommit.Writer, error) {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open writer connection: %w", err)
	}
	// One connection, kept open: the writer is its only user.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return groupcommit.New(db, trace, observe), nil
}
