package models

import (
	"database/sql"
	"database/sql/driver"

	"studentapi/internal/groupcommit"
)

// newGroupCommit opens the connection of SQLite's group-commit writer with
// conns (the pool's connector, so with the same pragmas and quota) and
// starts it (see internal/groupcommit): student creates share their
// commits instead of each waiting for its own fsync. Its inserts are traced
// as every other statement is, and each commit is told to observe
// (Options.OnCommit), which may be nil.
func newGroupCommit(conns driver.Connector, trace groupcommit.Trace, observe groupcommit.Observer) *groupcommit.Writer {
	db := sql.OpenDB(conns)
	// One connection, kept open: the writer is its only user.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return groupcommit.New(db, trace, observe)
}
