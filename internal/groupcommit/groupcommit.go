// Package groupcommit shares SQLite commits among concurrent INSERT
// statements. It knows nothing of the tables it writes: a caller hands it a
// statement and its arguments and gets back the row's id once the row is
// committed.
//
// With synchronous=FULL every commit waits for the write-ahead log to reach
// the disk, and inserts were bound by that wait (one fsync each) and by a
// pool's connections taking turns at the write lock in SQLite's busy handler,
// which sleeps instead of waking the next writer. So a Writer owns one
// connection and one goroutine. The goroutine takes every insert waiting when
// it is free, runs them in one transaction and answers each caller only after
// that transaction's COMMIT has returned: an answer still means the row is on
// disk, and a batch costs one fsync however many rows it holds. There is no
// timer: the batch is whatever arrived while the previous commit was syncing,
// so a lone insert waits for nothing.
//
// Failures are answered honestly. An insert that fails fails its caller alone:
// the transaction is rolled back and the rest of the batch is committed
// without it. A BEGIN or COMMIT that fails fails every caller of that batch,
// none of whose rows is then in the table. A caller whose context ends before
// the writer takes its insert gets the context's error and its row is never
// written; once taken, the row is committed (or fails) with its batch and the
// caller gets that answer. Close lets the batch in hand finish, answers it,
// and answers callers not yet taken with an error wrapping sql.ErrConnDone;
// nothing waits forever.
package groupcommit

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxGroup bounds the inserts of one transaction, and so how long their
// callers wait.
const maxGroup = 128

// Trace is told of every insert the writer runs, with the context of the
// caller that asked for it, as a query logger is told of a statement.
type Trace func(ctx context.Context, begin time.Time, text string, rows int64, err error)

// Observer is told of every committed transaction: how many rows it held and
// how long it took from BEGIN to COMMIT, for batch-size and latency
// histograms (the counters of Stats say only how many). It runs on the
// writer's goroutine, between two batches, and must be quick.
type Observer func(rows int, took time.Duration)

// Stats are the writer's counters, as sql.DBStats are the pool's.
type Stats struct {
	Waiting      int64 // callers waiting for the writer to take their insert
	Taken        int64 // inserts the writer has taken
	Transactions int64 // transactions committed
	Rows         int64 // rows in those transactions
}

// Writer is the goroutine that commits inserts in groups, and its connection.
type Writer struct {
	db      *sql.DB // used only by the writer goroutine
	trace   Trace
	observe Observer

	requests chan *request // unbuffered: an insert is either taken or not
	quit     chan struct{}
	stopped  chan struct{}
	stop     sync.Once
	closeErr error // of closing db, once stopped

	waiting, taken, transactions, rows atomic.Int64
}

// request is one Insert call waiting for the writer.
type request struct {
	ctx  context.Context
	text string
	args []any
	id   int64       // set by the writer's insert
	done chan result // buffered: the writer never blocks on it
}

type result struct {
	id  int64
	err error
}

// New starts a writer on db, which should hold one connection (SetMaxOpenConns(1))
// and is closed by Close. trace and observe may be nil.
func New(db *sql.DB, trace Trace, observe Observer) *Writer {
	if trace == nil {
		trace = func(context.Context, time.Time, string, int64, error) {}
	}
	if observe == nil {
		observe = func(int, time.Duration) {}
	}
	w := &Writer{
		db:       db,
		trace:    trace,
		observe:  observe,
		requests: make(chan *request),
		quit:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	go w.run()
	return w
}

// Insert runs the INSERT statement text with args in the writer's next
// transaction and returns the row's id once that transaction is committed.
func (w *Writer) Insert(ctx context.Context, text string, args ...any) (int64, error) {
	r := &request{ctx: ctx, text: text, args: args, done: make(chan result, 1)}
	w.waiting.Add(1)
	select {
	case w.requests <- r:
		w.waiting.Add(-1)
		w.taken.Add(1)
	case <-ctx.Done():
		w.waiting.Add(-1)
		return 0, ctx.Err() // not taken: never written
	case <-w.quit:
		w.waiting.Add(-1)
		return 0, fmt.Errorf("database closed: %w", sql.ErrConnDone)
	}
	// Taken: the answer comes after its batch's COMMIT (or failure), whatever
	// ctx does meanwhile, so that no caller walks away from a row that lands.
	res := <-r.done
	return res.id, res.err
}

// Stats reports the writer's counters.
func (w *Writer) Stats() Stats {
	return Stats{
		Waiting:      w.waiting.Load(),
		Taken:        w.taken.Load(),
		Transactions: w.transactions.Load(),
		Rows:         w.rows.Load(),
	}
}

// Close stops the writer after the batch in hand and closes its connection.
// Closing again returns the first Close's answer.
func (w *Writer) Close() error {
	w.stop.Do(func() {
		close(w.quit)
		<-w.stopped
		if err := w.db.Close(); err != nil {
			w.closeErr = fmt.Errorf("close writer connection: %w", err)
		}
	})
	return w.closeErr
}

func (w *Writer) run() {
	defer close(w.stopped)
	batch := make([]*request, 0, maxGroup)
	for {
		batch = batch[:0]
		select {
		case r := <-w.requests:
			batch = append(batch, r)
		case <-w.quit:
			return
		}
	gather: // every insert already waiting to be taken joins this batch
		for len(batch) < maxGroup {
			select {
			case r := <-w.requests:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		w.commit(batch)
	}
}

// commit writes batch and answers every request in it.
func (w *Writer) commit(batch []*request) {
	pending := make([]*request, 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.answer(0, err) // gone before its row was written: not written
			continue
		}
		pending = append(pending, r)
	}
	for len(pending) > 0 {
		begin := time.Now()
		failed, err := w.transaction(pending)
		switch {
		case err == nil:
			w.observe(len(pending), time.Since(begin))
			w.transactions.Add(1)
			w.rows.Add(int64(len(pending)))
			for _, r := range pending {
				r.answer(r.id, nil)
			}
			return
		case failed < 0: // BEGIN or COMMIT: nothing of the batch was written
			for _, r := range pending {
				r.answer(0, err)
			}
			return
		case errors.As(err, new(*prepareError)):
			// A text that cannot be prepared fails every request of it at
			// once, not one transaction each; the rest go again.
			text := pending[failed].text
			kept := pending[:0:0]
			for _, r := range pending {
				if r.text == text {
					r.answer(0, err)
				} else {
					kept = append(kept, r)
				}
			}
			pending = kept
		default: // one insert: its caller fails, the rest go again
			pending[failed].answer(0, err)
			pending = append(pending[:failed:failed], pending[failed+1:]...)
		}
	}
}

// prepareError is a statement text the database refused to prepare.
type prepareError struct{ err error }

func (e *prepareError) Error() string { return "prepare: " + e.err.Error() }
func (e *prepareError) Unwrap() error { return e.err }

func (r *request) answer(id int64, err error) {
	r.done <- result{id: id, err: err}
}

// transaction runs every request's insert in one transaction and sets each
// one's id. It returns the index of a request whose insert failed, or -1 with
// the error of BEGIN or COMMIT; either way the transaction is rolled back.
func (w *Writer) transaction(batch []*request) (failed int, err error) {
	// Not the callers' contexts: one caller leaving must not roll back the
	// others, and a context that cannot end spares the SQLite driver a
	// goroutine a statement.
	ctx := context.Background()
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return -1, fmt.Errorf("writer connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return -1, fmt.Errorf("begin: %w", err)
	}
	rollback := func() {
		// A failed statement or COMMIT can leave the transaction open
		// (a deferred constraint, say); nothing may carry into the next batch.
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			// Already rolled back by SQLite, or the connection is in a state
			// nobody can tell: either way the next batch gets a new one.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	// Each text is prepared once a transaction: a batch is mostly one
	// statement many times.
	prepared := map[string]*sql.Stmt{}
	defer func() {
		for _, st := range prepared {
			st.Close()
		}
	}()
	for i, r := range batch {
		st, ok := prepared[r.text]
		if !ok {
			if st, err = conn.PrepareContext(ctx, r.text); err != nil {
				rollback()
				return i, &prepareError{err}
			}
			prepared[r.text] = st
		}
		begin := time.Now()
		res, err := st.ExecContext(ctx, r.args...)
		if err == nil {
			r.id, err = res.LastInsertId()
		}
		w.trace(r.ctx, begin, r.text, 1, err)
		if err != nil {
			rollback()
			return i, err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		rollback()
		return -1, fmt.Errorf("commit: %w", err)
	}
	return -1, nil
}
