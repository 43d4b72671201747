package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit of student creates on SQLite.
//
// With synchronous=FULL every commit waits for the write-ahead log to reach
// the disk, and creates were bound by that wait (one fsync each) and by the
// pool's connections taking turns at the write lock in SQLite's busy handler,
// which sleeps instead of waking the next writer. So CreateStudent hands its
// row to one writer goroutine with a connection of its own. The writer takes
// every create waiting when it is free, inserts them in one transaction and
// answers each caller only after that transaction's COMMIT has returned: an
// answer still means the row is on disk, and a batch costs one fsync however
// many rows it holds. There is no timer: the batch is whatever arrived while
// the previous commit was syncing, so a lone create waits for nothing.
//
// Failures are answered honestly. An insert that fails fails its caller alone:
// the transaction is rolled back and the rest of the batch is committed
// without it. A BEGIN or COMMIT that fails fails every caller of that batch,
// none of whose rows is then in the table. A caller whose context ends before
// the writer takes its row gets the context's error and its row is never
// written; once taken, the row is committed (or fails) with its batch and the
// caller gets that answer. Close lets the batch in hand finish, answers it,
// and answers callers not yet taken with an error wrapping sql.ErrConnDone
// (unavailable, see IsUnavailable); nothing waits forever.

// maxGroup bounds the rows of one transaction, and so how long its callers wait.
const maxGroup = 128

const insertStudent = "INSERT INTO students (name, roll, city) VALUES ($1, $2, $3)"

// createRequest is one CreateStudent call waiting for the writer.
type createRequest struct {
	ctx        context.Context
	name, city string
	roll       int64
	id         int64             // set by the writer's insert
	done       chan createResult // buffered: the writer never blocks on it
}

type createResult struct {
	id  int64
	err error
}

// groupCommit is the writer goroutine and its connection.
type groupCommit struct {
	db    *sql.DB // one connection, used only by the writer
	trace func(ctx context.Context, begin time.Time, text string, rows int64, err error)

	requests chan *createRequest // unbuffered: a row is either taken or not
	quit     chan struct{}
	stopped  chan struct{}
	stop     sync.Once

	// queued counts the callers waiting for the writer to take their row,
	// taken the rows it has taken, batches and rows the transactions it has
	// committed and the rows in them.
	queued, taken, batches, rows atomic.Int64
}

// newGroupCommit opens the writer's connection on dsn and starts it.
func newGroupCommit(dsn string, trace func(context.Context, time.Time, string, int64, error)) (*groupCommit, error) {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open writer connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	g := &groupCommit{
		db:       db,
		trace:    trace,
		requests: make(chan *createRequest),
		quit:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	go g.run()
	return g, nil
}

// create inserts s through the writer and sets its ID once committed.
func (g *groupCommit) create(ctx context.Context, s *Student) error {
	r := &createRequest{ctx: ctx, name: s.Name, roll: s.Roll, city: s.City, done: make(chan createResult, 1)}
	g.queued.Add(1)
	select {
	case g.requests <- r:
		g.queued.Add(-1)
		g.taken.Add(1)
	case <-ctx.Done():
		g.queued.Add(-1)
		return ctx.Err() // not taken: never written
	case <-g.quit:
		g.queued.Add(-1)
		return fmt.Errorf("create student: database closed: %w", sql.ErrConnDone)
	}
	// Taken: the answer comes after its batch's COMMIT (or failure), whatever
	// ctx does meanwhile, so that no caller walks away from a row that lands.
	res := <-r.done
	if res.err != nil {
		return res.err
	}
	s.ID = res.id
	return nil
}

// close stops the writer after the batch in hand and closes its connection.
func (g *groupCommit) close() error {
	g.stop.Do(func() { close(g.quit) })
	<-g.stopped
	return g.db.Close()
}

func (g *groupCommit) run() {
	defer close(g.stopped)
	batch := make([]*createRequest, 0, maxGroup)
	for {
		batch = batch[:0]
		select {
		case r := <-g.requests:
			batch = append(batch, r)
		case <-g.quit:
			return
		}
	gather: // every create already waiting to be taken joins this batch
		for len(batch) < maxGroup {
			select {
			case r := <-g.requests:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		g.commit(batch)
	}
}

// commit writes batch and answers every request in it.
func (g *groupCommit) commit(batch []*createRequest) {
	pending := make([]*createRequest, 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.answer(0, err) // gone before its row was written: not written
			continue
		}
		pending = append(pending, r)
	}
	for len(pending) > 0 {
		failed, err := g.transaction(pending)
		switch {
		case err == nil:
			g.batches.Add(1)
			g.rows.Add(int64(len(pending)))
			for _, r := range pending {
				r.answer(r.id, nil)
			}
			return
		case failed < 0: // BEGIN or COMMIT: nothing of the batch was written
			for _, r := range pending {
				r.answer(0, err)
			}
			return
		default: // one insert: its caller fails, the rest go again
			pending[failed].answer(0, err)
			pending = append(pending[:failed:failed], pending[failed+1:]...)
		}
	}
}

func (r *createRequest) answer(id int64, err error) {
	r.done <- createResult{id: id, err: err}
}

// transaction inserts every request's row in one transaction and sets each
// one's id. It returns the index of a request whose insert failed, or -1 with
// the error of BEGIN or COMMIT; either way the transaction is rolled back.
func (g *groupCommit) transaction(batch []*createRequest) (failed int, err error) {
	// Not the callers' contexts: one caller leaving must not roll back the
	// others, and a context that cannot end spares the driver a goroutine a
	// statement (see driverContext).
	ctx := context.Background()
	conn, err := g.db.Conn(ctx)
	if err != nil {
		return -1, fmt.Errorf("create student: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return -1, fmt.Errorf("create student: begin: %w", err)
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
	st, err := conn.PrepareContext(ctx, insertStudent)
	if err != nil {
		rollback()
		return -1, fmt.Errorf("create student: %w", err)
	}
	defer st.Close()
	for i, r := range batch {
		begin := time.Now()
		res, err := st.ExecContext(ctx, r.name, r.roll, r.city)
		if err == nil {
			r.id, err = res.LastInsertId()
		}
		g.trace(r.ctx, begin, insertStudent, 1, err)
		if err != nil {
			rollback()
			return i, translate(err, "create student")
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		rollback()
		return -1, fmt.Errorf("create student: commit: %w", err)
	}
	return -1, nil
}
