package models_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// Concurrent creates: every one that returns nil is committed when it
// returns (another connection sees it at once), is listed, and is still there
// after the database is closed and opened again; on SQLite the creates shared
// transactions.
func TestConcurrentCreatesDurable(t *testing.T) {
	src := testdb.New(t)
	db, err := models.Connect(source(src), models.Options{Keys: testKeys{secret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	other, err := rawDB(t, src).DB()
	if err != nil {
		t.Fatal(err)
	}
	const clients, each = 32, 25
	var (
		mu  sync.Mutex
		ids []int64
		wg  sync.WaitGroup
	)
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				s := &models.Student{Name: fmt.Sprintf("s%d-%d", c, i), Roll: int64(i), City: "Pune"}
				if err := db.CreateStudent(t.Context(), s); err != nil {
					t.Errorf("create: %v", err)
					return
				}
				var name string
				if err := other.QueryRowContext(t.Context(), "SELECT name FROM students WHERE id = $1", s.ID).Scan(&name); err != nil || name != s.Name {
					t.Errorf("row %d right after its create: %q, %v; want %q", s.ID, name, err, s.Name)
				}
				mu.Lock()
				ids = append(ids, s.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	_, _, batches, rows := db.GroupCommitStats()
	if src.Driver == models.DriverSQLite && (rows != clients*each || batches >= rows) {
		t.Errorf("%d rows in %d transactions; want %d rows in fewer transactions", rows, batches, clients*each)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	reopened := openDB(t, src)
	listed, err := reopened.FindStudents(t.Context(), models.StudentQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != len(ids) {
		t.Fatalf("%d rows listed after reopening, want %d", len(listed), len(ids))
	}
	for i, s := range listed {
		if s.ID != ids[i] {
			t.Fatalf("row %d is id %d, want %d", i, s.ID, ids[i])
		}
	}
}

// writeLock holds SQLite's write lock from a connection of its own until
// release is called, so that the writer's next BEGIN waits and the creates
// that arrive meanwhile queue up as one batch.
func writeLock(t *testing.T, src testdb.DB) (release func()) {
	t.Helper()
	raw, err := sql.Open("sqlite3", models.SQLiteDSN(src.Path))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := raw.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
				t.Errorf("release the write lock: %v", err)
			}
			conn.Close()
			raw.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// eventually waits up to ten seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// created is the outcome of one CreateStudent.
type created struct {
	student *models.Student
	err     error
}

// startCreate runs CreateStudent in a goroutine; its outcome arrives on the channel.
func startCreate(ctx context.Context, db *models.DB, name string) <-chan created {
	out := make(chan created, 1)
	go func() {
		s := &models.Student{Name: name, Roll: 1, City: "Pune"}
		err := db.CreateStudent(ctx, s)
		out <- created{s, err}
	}()
	return out
}

// batchBehindLock arranges, on a SQLite database, for a first create to be
// taken alone (its batch waits for the write lock) and for names to queue up
// behind it; it returns the first create's outcome, the others', and release.
func batchBehindLock(t *testing.T, db *models.DB, src testdb.DB, names ...string) (<-chan created, []<-chan created, func()) {
	t.Helper()
	release := writeLock(t, src)
	first := startCreate(t.Context(), db, "first")
	eventually(t, "the first create to be taken", func() bool { _, n, _, _ := db.GroupCommitStats(); return n == 1 })
	var rest []<-chan created
	for _, n := range names {
		rest = append(rest, startCreate(t.Context(), db, n))
	}
	eventually(t, "the creates to queue", func() bool { q, _, _, _ := db.GroupCommitStats(); return q == int64(len(names)) })
	return first, rest, release
}

func sqliteOnly(t *testing.T) testdb.DB {
	t.Helper()
	if testdb.Backend() != "sqlite" {
		t.Skip("group commit is SQLite's")
	}
	return testdb.New(t)
}

// studentNames lists the names in the table, in id order.
func studentNames(t *testing.T, db *models.DB) string {
	t.Helper()
	all, err := db.FindStudents(t.Context(), models.StudentQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return names(all)
}

// sortedNames lists the names in the table, sorted.
func sortedNames(t *testing.T, db *models.DB) string {
	t.Helper()
	all, err := db.FindStudents(t.Context(), models.StudentQuery{Ordering: []models.Order{{Column: "name"}}})
	if err != nil {
		t.Fatal(err)
	}
	return names(all)
}

// An insert that fails in a batch fails its caller alone; the rest of the
// batch commits together. RAISE(ABORT) leaves the transaction open for the
// writer to roll back; RAISE(ROLLBACK) ends it inside SQLite, so the writer's
// own ROLLBACK fails and it starts over on a fresh connection.
func TestGroupCommitInsertFailure(t *testing.T) {
	for _, raise := range []string{"ABORT", "ROLLBACK"} {
		t.Run(raise, func(t *testing.T) {
			src := sqliteOnly(t)
			db := openDB(t, src)
			if err := rawDB(t, src).Exec(`CREATE TRIGGER refuse BEFORE INSERT ON students WHEN NEW.name = 'boom'
				BEGIN SELECT RAISE(` + raise + `, 'refused'); END`).Error; err != nil {
				t.Fatal(err)
			}
			first, rest, release := batchBehindLock(t, db, src, "a", "boom", "b", "c", "boom", "d")
			release()
			if got := <-first; got.err != nil {
				t.Fatalf("first create: %v", got.err)
			}
			for i, ch := range rest {
				got := <-ch
				if boom := got.student.Name == "boom"; boom != (got.err != nil) {
					t.Errorf("create %d (%s): %v", i, got.student.Name, got.err)
				}
			}
			// The queued creates reach the writer in no particular order.
			if got, want := sortedNames(t, db), "a,b,c,d,first"; got != want {
				t.Errorf("table: %s, want %s", got, want)
			}
			if _, _, batches, rows := db.GroupCommitStats(); batches != 2 || rows != 5 {
				t.Errorf("%d transactions of %d rows, want 2 of 5 (the first alone, then the rest together)", batches, rows)
			}
			after := &models.Student{Name: "after", Roll: 1, City: "Pune"}
			if err := db.CreateStudent(t.Context(), after); err != nil {
				t.Fatalf("create after the failures: %v", err)
			}
		})
	}
}

// A COMMIT that fails fails every caller of its batch, none of whose rows is
// written, and the next batch starts clean.
func TestGroupCommitCommitFailure(t *testing.T) {
	src := sqliteOnly(t)
	db := openDB(t, src)
	// A row in child that breaks a deferred foreign key fails the COMMIT, and
	// SQLite leaves that transaction open.
	for _, stmt := range []string{
		"CREATE TABLE parent (id INTEGER PRIMARY KEY)",
		"CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
		`CREATE TRIGGER dangle AFTER INSERT ON students WHEN NEW.name = 'dangle'
			BEGIN INSERT INTO child VALUES (999); END`,
	} {
		if err := rawDB(t, src).Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
	first, rest, release := batchBehindLock(t, db, src, "a", "dangle", "b")
	release()
	if got := <-first; got.err != nil {
		t.Fatalf("first create: %v", got.err)
	}
	for i, ch := range rest {
		if got := <-ch; got.err == nil {
			t.Errorf("create %d (%s) succeeded in a batch whose commit failed", i, got.student.Name)
		}
	}
	after := &models.Student{Name: "after", Roll: 1, City: "Pune"}
	if err := db.CreateStudent(t.Context(), after); err != nil {
		t.Fatalf("create after the failed batch: %v", err)
	}
	if got, want := studentNames(t, db), "first,after"; got != want {
		t.Errorf("table: %s, want %s", got, want)
	}
}

// A caller that leaves before the writer takes its row gets its context's
// error and the row is never written; one that leaves after gets the answer
// of its batch, here a committed row.
func TestGroupCommitCancelled(t *testing.T) {
	src := sqliteOnly(t)
	db := openDB(t, src)
	release := writeLock(t, src)
	takenCtx, leaveTaken := context.WithCancel(t.Context())
	taken := startCreate(takenCtx, db, "taken")
	eventually(t, "the first create to be taken", func() bool { _, n, _, _ := db.GroupCommitStats(); return n == 1 })
	waitingCtx, leaveWaiting := context.WithCancel(t.Context())
	waiting := startCreate(waitingCtx, db, "waiting")
	eventually(t, "a create to queue", func() bool { q, _, _, _ := db.GroupCommitStats(); return q == 1 })

	leaveWaiting()
	if got := <-waiting; !errors.Is(got.err, context.Canceled) {
		t.Errorf("create cancelled while queued = %v, want %v", got.err, context.Canceled)
	}
	leaveTaken()
	select {
	case got := <-taken:
		t.Fatalf("a taken create answered %v before its batch committed", got.err)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if got := <-taken; got.err != nil {
		t.Errorf("create cancelled after it was taken = %v, want its batch's answer (nil)", got.err)
	}
	if got, want := studentNames(t, db), "taken"; got != want {
		t.Errorf("table: %s, want %s", got, want)
	}
}

// Close while creates wait: the batch in hand commits and is answered, the
// creates not taken fail as unavailable without being written, Close
// returns, and a create after Close fails at once.
func TestGroupCommitClose(t *testing.T) {
	src := sqliteOnly(t)
	db, err := models.Connect(source(src), models.Options{Keys: testKeys{secret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	first, rest, release := batchBehindLock(t, db, src, "a", "b", "c")
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	for i, ch := range rest {
		got := <-ch
		if !errors.Is(got.err, sql.ErrConnDone) || !models.IsUnavailable(got.err) {
			t.Errorf("create %d waiting at Close = %v, want an unavailable error wrapping %v", i, got.err, sql.ErrConnDone)
		}
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) before the batch in hand was committed", err)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if got := <-first; got.err != nil {
		t.Errorf("create taken before Close = %v, want nil", got.err)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := db.CreateStudent(t.Context(), &models.Student{Name: "late", Roll: 1, City: "Pune"}); err == nil {
		t.Error("create after Close succeeded")
	}
	if got, want := studentNames(t, openDB(t, src)), "first"; got != want {
		t.Errorf("table after reopening: %s, want %s", got, want)
	}
}
