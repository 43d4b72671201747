package models

// GroupCommitStats reports, for the tests of groupcommit.go, how many creates
// wait to be taken by the writer, how many it has taken, and how many
// transactions and rows it has committed; all zero without a writer.
func (db *DB) GroupCommitStats() (queued, taken, batches, rows int64) {
	w := db.fast.writer
	if w == nil {
		return 0, 0, 0, 0
	}
	return w.queued.Load(), w.taken.Load(), w.batches.Load(), w.rows.Load()
}
