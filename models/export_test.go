package models

import (
	"context"
	"database/sql"
)

// This file exists only in the test binary: it lets the external tests
// (package models_test, which share their helpers) reach what no caller of
// the package should.

// GroupCommitStats reports, for the tests of groupcommit.go, how many creates
// wait to be taken by the writer, how many it has taken, and how many
// transactions and rows it has committed; all zero without a writer.
func (db *DB) GroupCommitStats() (queued, taken, batches, rows int64) {
	w := db.writer
	if w == nil {
		return 0, 0, 0, 0
	}
	s := w.Stats()
	return s.Waiting, s.Taken, s.Transactions, s.Rows
}

// ExecForTest runs text as every GORM statement of the package runs.
func (db *DB) ExecForTest(ctx context.Context, text string) error {
	return translate(db.with(ctx).Exec(text).Error, "exec")
}

// ReadRowsForTest runs text as the hand-written queries of sql.go run and
// counts its rows; scans is query.scans.
func (db *DB) ReadRowsForTest(ctx context.Context, text string, scans bool) (int64, error) {
	var n int64
	err := db.readRows(ctx, query{text: text, scans: scans}, func(*sql.Rows) error { n++; return nil })
	return n, err
}

// ExecForTest runs text in the export's transaction, as its reads run.
func (ex *Exporter) ExecForTest(ctx context.Context, text string) error {
	return translate(ex.tx.with(withoutTimeout(ctx)).Exec(text).Error, "exec")
}

// ExecForTest runs text in the import's transaction, as its writes run.
func (im *Importer) ExecForTest(ctx context.Context, text string) error {
	return translate(im.tx.with(withoutTimeout(ctx)).Exec(text).Error, "exec")
}
