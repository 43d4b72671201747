package models_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// A create on PostgreSQL outside a transaction is one round trip: a single
// INSERT … RETURNING in autocommit, not GORM's BEGIN, INSERT, COMMIT. Counted
// on the wire, between the pool and the server, so that a BEGIN or COMMIT
// that came back from anywhere would show.
func TestCreateStudentOneRoundTrip(t *testing.T) {
	src := testdb.Postgres(t)
	counter := newRoundTripCounter(t, src.DSN)
	// One connection, so the warm-up below prepares the statement on the
	// connection the counted create runs on.
	db, err := models.Connect(models.Source{Driver: src.Driver, DSN: counter.dsn, Pool: models.Pool{MaxOpen: 1}},
		models.Options{Keys: testKeys{secret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The first create on a connection also prepares its statement.
	seedStudents(t, db, models.Student{Name: "Warm", Roll: 1, City: "Pune"})

	before := counter.n.Load()
	s := models.Student{Name: "Ravi", Roll: 2, City: "Pune"}
	if err := db.CreateStudent(t.Context(), &s); err != nil {
		t.Fatal(err)
	}
	if got := counter.n.Load() - before; got != 1 {
		t.Errorf("round trips of a create = %d, want 1 (one INSERT … RETURNING in autocommit)", got)
	}
	got, err := db.Student(t.Context(), s.ID)
	if err != nil || *got != s {
		t.Errorf("the created row = %+v, %v; want %+v", got, err, s)
	}

	// Inside a transaction the insert is part of it: a rollback undoes it.
	errRollback := errors.New("roll back")
	var inTx models.Student
	err = db.Transaction(t.Context(), func(tx *models.DB) error {
		inTx = models.Student{Name: "Sonam", Roll: 3, City: "Pune"}
		if err := tx.CreateStudent(t.Context(), &inTx); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Transaction = %v", err)
	}
	if inTx.ID == 0 {
		t.Errorf("a create in a transaction set no ID")
	}
	if _, err := db.Student(t.Context(), inTx.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("student %d after the rollback: %v, want %v", inTx.ID, err, models.ErrNotFound)
	}
}

// roundTripCounter is a TCP proxy to a PostgreSQL server that counts the
// client's round trips: the messages after which the server answers and the
// client waits, a simple Query ('Q') or the Sync ('S') that ends an extended
// query (Parse/Bind/Execute). See PostgreSQL's "Frontend/Backend Protocol".
type roundTripCounter struct {
	dsn string // the DSN through the proxy
	n   atomic.Int64
}

func newRoundTripCounter(t *testing.T, dsn string) *roundTripCounter {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("the round-trip counter needs a URL DSN with a host: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &roundTripCounter{}
	target := u.Host
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	track := func(cs ...net.Conn) {
		mu.Lock()
		conns = append(conns, cs...)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			track(client, server)
			wg.Add(2)
			go func() { defer wg.Done(); c.count(io.TeeReader(client, server)); server.Close() }()
			go func() { defer wg.Done(); io.Copy(client, server); client.Close() }() //nolint:errcheck // ends when either side closes
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, conn := range conns {
			conn.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	u.Host = ln.Addr().String()
	c.dsn = u.String()
	return c
}

// count reads the client's side of one connection (tee'd to the server):
// the untyped startup message, then typed messages, one byte of type and a
// length that counts itself.
func (c *roundTripCounter) count(r io.Reader) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:4]); err != nil {
		return
	}
	if _, err := io.CopyN(io.Discard, r, int64(binary.BigEndian.Uint32(head[:4]))-4); err != nil {
		return
	}
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return
		}
		if head[0] == 'Q' || head[0] == 'S' {
			c.n.Add(1)
		}
		if _, err := io.CopyN(io.Discard, r, int64(binary.BigEndian.Uint32(head[1:]))-4); err != nil {
			return
		}
	}
}
