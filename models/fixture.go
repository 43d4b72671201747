package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Fixtures (Django's loaddata and dumpdata, see internal/fixtures) move
// whole tables with the ids they had elsewhere. Import and Export are the
// two ways in: each runs in one transaction, on hand-written statements
// prepared once for the transaction, so that a million rows cost a million
// executions of one statement and nothing of GORM's per-row building.
// Import writes with SQL, never through GORM's Create: no User.AfterCreate,
// so the token receiver mints no token beside the one a fixture brings.

// importBatch is how many students one INSERT writes: PostgreSQL pays a
// round trip per statement, and 256 rows of 4 columns stay far below either
// backend's limit on bound parameters.
const importBatch = 256

// Importer writes a fixture's rows inside the transaction of DB.Import. Its
// methods upsert by primary key, as Django's loaddata does: a row whose id
// exists is updated, so loading the same fixture twice changes nothing.
type Importer struct {
	tx    *DB
	pool  gorm.ConnPool
	stmts map[string]*sql.Stmt

	students []Student          // waiting for the next batch
	batched  map[int64]struct{} // their ids: one statement may not touch a row twice

	// usersBehind: a user was written with its own id since the users'
	// sequence was last moved. On PostgreSQL a user without an id (the
	// --natural-primary form) takes nextval, which may then be an id the
	// import just wrote: the sequence is moved past them first.
	usersBehind bool
}

// Import runs fn in one transaction with an Importer, and commits only if fn
// and every pending write succeed: on error the database is as it was. On
// PostgreSQL it then moves the id sequences of users and students past the
// largest id, as Django's sqlsequencereset does, so that rows created later
// get fresh ids. Its statements have no query timeout, and PostgreSQL plans
// each of their executions (see customPlans).
func (db *DB) Import(ctx context.Context, fn func(im *Importer) error) error {
	return db.untimed(ctx, func(ctx context.Context, db *DB) error {
		return db.Transaction(ctx, func(tx *DB) error {
			if err := tx.customPlans(ctx); err != nil {
				return err
			}
			im := &Importer{tx: tx, pool: tx.gorm.Statement.ConnPool, stmts: map[string]*sql.Stmt{}, batched: map[int64]struct{}{}}
			defer im.close()
			if err := fn(im); err != nil {
				return err
			}
			if err := im.flushStudents(ctx); err != nil {
				return err
			}
			return tx.resetSequences(ctx)
		})
	})
}

// customPlans makes PostgreSQL plan each execution of the import's prepared
// statements for the tables as they are at that moment, for the rest of the
// transaction. By default, from the sixth execution on, a prepared statement
// runs a generic plan made once, costed on the size and statistics the table
// had then: at the start of a load the tables are empty or nearly, so that
// plan is a sequential scan, and it is kept while the transaction fills the
// table (autovacuum cannot analyze rows not yet committed, and nothing else
// invalidates the plan). Each user's look-up then reads every user loaded
// before it, and a load of 100,000 users is quadratic: it had not finished
// after 13 minutes. Whether even a unique-index equality gets the sequential
// scan depends on the table's statistics (a table vacuumed while empty gets
// it), so no way of writing the statements avoids it; a custom plan is made
// with the table's current size and picks the index once it pays. Planning
// each execution costs some microseconds per statement, and the foreign-key
// checks' own cached plans are made custom as well.
func (db *DB) customPlans(ctx context.Context) error {
	if db.sqlite {
		return nil
	}
	if err := db.with(ctx).Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
		return translate(err, "plan the import's statements per execution")
	}
	return nil
}

// resetSequences moves the id sequences past the largest id on PostgreSQL.
// SQLite needs nothing: a new rowid is one more than the largest.
func (db *DB) resetSequences(ctx context.Context) error {
	if db.sqlite {
		return nil
	}
	for _, table := range []string{"users", "students"} {
		if err := db.resetSequence(ctx, table); err != nil {
			return err
		}
	}
	return nil
}

// resetSequence moves table's id sequence past its largest id (PostgreSQL).
func (db *DB) resetSequence(ctx context.Context, table string) error {
	// is_called false when the table is empty: the next id is then 1.
	q := "SELECT setval(pg_get_serial_sequence('" + table + "', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM " + table
	if err := db.with(ctx).Exec(q).Error; err != nil {
		return translate(err, "reset the id sequence of "+table)
	}
	return nil
}

func (im *Importer) close() {
	for _, st := range im.stmts {
		st.Close()
	}
}

// stmt is text prepared on the transaction, once.
func (im *Importer) stmt(ctx context.Context, text string) (*sql.Stmt, error) {
	if st, ok := im.stmts[text]; ok {
		return st, nil
	}
	st, err := im.pool.PrepareContext(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("prepare import statement: %w", err)
	}
	im.stmts[text] = st
	return st, nil
}

// The import's statements.
const (
	importUserFind   = "SELECT id, username FROM users WHERE id = $1 OR username = $2"
	importUserInsert = "INSERT INTO users (id, username, email, password, is_active, is_staff, is_superuser, date_joined, last_login) " +
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	importUserInsertNew = "INSERT INTO users (username, email, password, is_active, is_staff, is_superuser, date_joined, last_login) " +
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
	// The id last: SQLite numbers $n parameters in order of first
	// appearance, whatever n says.
	importUserUpdate = "UPDATE users SET username = $1, email = $2, password = $3, is_active = $4, is_staff = $5, " +
		"is_superuser = $6, date_joined = $7, last_login = $8 WHERE id = $9"
	importSessionsDelete = "DELETE FROM sessions WHERE user_id = $1"
	importUserID         = "SELECT id FROM users WHERE username = $1"
	importUserExists     = "SELECT id FROM users WHERE id = $1"
	importTokenMoved     = "DELETE FROM tokens WHERE digest = $1 AND user_id <> $2"
	importTokenUpsert    = "INSERT INTO tokens (digest, sealed, user_id, user_tag, created, refreshed) VALUES ($1, $2, $3, $4, $5, $6) " +
		"ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest, " +
		// The same key sealed again would differ (a fresh nonce): loading
		// a fixture twice keeps the row as it was.
		"sealed = CASE WHEN tokens.digest = excluded.digest THEN tokens.sealed ELSE excluded.sealed END, " +
		"user_tag = excluded.user_tag, created = excluded.created, refreshed = excluded.refreshed"
)

// User writes u with its ID, or, with ID 0 (a fixture in Django's
// --natural-primary form), as the user its username names, created if there
// is none; it sets u.ID and reports whether the user is new. A username
// another user has fails with ErrDuplicate. An existing user's admin
// sessions end, as ChangeUser's would: its password or flags may have
// changed. The username is stored as given: Django normalised it when the
// user was created.
func (im *Importer) User(ctx context.Context, u *User) (created bool, err error) {
	find, err := im.stmt(ctx, importUserFind)
	if err != nil {
		return false, err
	}
	rows, err := find.QueryContext(ctx, u.ID, u.Username)
	if err != nil {
		return false, fmt.Errorf("import user %q: %w", u.Username, err)
	}
	exists := false
	var taken int64 // the id of another user with u's username
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return false, fmt.Errorf("import user %q: %w", u.Username, err)
		}
		switch {
		case u.ID == 0 && name == u.Username:
			u.ID, exists = id, true
		case id == u.ID:
			exists = true
		case name == u.Username:
			taken = id
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return false, fmt.Errorf("import user %q: %w", u.Username, err)
	}
	if taken != 0 && taken != u.ID {
		return false, fmt.Errorf("username %q is taken by user %d: %w", u.Username, taken, ErrDuplicate)
	}
	args := []any{u.Username, u.Email, u.Password, u.IsActive, u.IsStaff, u.IsSuperuser, u.DateJoined.UTC(), utcOrNil(u.LastLogin)}
	switch {
	case exists:
		if err := im.exec(ctx, importUserUpdate, append(args, u.ID)...); err != nil {
			return false, fmt.Errorf("import user %q: %w", u.Username, err)
		}
		if err := im.exec(ctx, importSessionsDelete, u.ID); err != nil {
			return false, fmt.Errorf("import user %q: %w", u.Username, err)
		}
		return false, nil
	case u.ID == 0:
		if im.usersBehind && !im.tx.sqlite {
			if err := im.tx.resetSequence(ctx, "users"); err != nil {
				return false, fmt.Errorf("import user %q: %w", u.Username, err)
			}
		}
		im.usersBehind = false
		st, err := im.stmt(ctx, importUserInsertNew)
		if err != nil {
			return false, err
		}
		if err := st.QueryRowContext(ctx, args...).Scan(&u.ID); err != nil {
			return false, fmt.Errorf("import user %q: %w", u.Username, err)
		}
		return true, nil
	default:
		if err := im.exec(ctx, importUserInsert, append([]any{u.ID}, args...)...); err != nil {
			return false, fmt.Errorf("import user %q: %w", u.Username, err)
		}
		im.usersBehind = true
		return true, nil
	}
}

func utcOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// exec runs text, prepared, with args.
func (im *Importer) exec(ctx context.Context, text string, args ...any) error {
	st, err := im.stmt(ctx, text)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

// UserID is the id of the user called username (a fixture's natural foreign
// key), ErrNotFound if there is none.
func (im *Importer) UserID(ctx context.Context, username string) (int64, error) {
	st, err := im.stmt(ctx, importUserID)
	if err != nil {
		return 0, err
	}
	var id int64
	err = st.QueryRowContext(ctx, username).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("user %q: %w", username, err)
	}
	return id, nil
}

// Token gives userID the token with key, created at created, stored as every
// token is (digest, sealed copy and tag: see KeyProtector), so that the key
// authenticates as it did where it came from. It replaces any token the user
// had, and takes the key from any other user that had it (a key is a
// token's primary key in Django: the fixture's row wins). ErrNotFound if
// there is no user userID.
func (im *Importer) Token(ctx context.Context, userID int64, key string, created time.Time) error {
	st, err := im.stmt(ctx, importUserExists)
	if err != nil {
		return err
	}
	var id int64
	err = st.QueryRowContext(ctx, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user %d: %w", userID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("import token of user %d: %w", userID, err)
	}
	t, err := im.tx.newToken(userID, key)
	if err != nil {
		return err
	}
	t.Created = created.UTC().Truncate(time.Microsecond)
	t.Refreshed = t.Created
	if err := im.exec(ctx, importTokenMoved, t.Digest, userID); err != nil {
		return fmt.Errorf("import token of user %d: %w", userID, err)
	}
	if err := im.exec(ctx, importTokenUpsert, t.Digest, t.Sealed, t.UserID, t.UserTag, t.Created, t.Refreshed); err != nil {
		return fmt.Errorf("import token of user %d: %w", userID, err)
	}
	return nil
}

// Student writes s with its ID, in batches: a failure may be reported by a
// later call, or by Import at the end. s must be valid (see
// StudentFields): nothing here checks lengths.
func (im *Importer) Student(ctx context.Context, s Student) error {
	if _, dup := im.batched[s.ID]; dup || len(im.students) == importBatch {
		if err := im.flushStudents(ctx); err != nil {
			return err
		}
	}
	im.students = append(im.students, s)
	im.batched[s.ID] = struct{}{}
	return nil
}

// flushStudents writes the waiting students in one upsert.
func (im *Importer) flushStudents(ctx context.Context) error {
	n := len(im.students)
	if n == 0 {
		return nil
	}
	args := make([]any, 0, n*studentFields.Len())
	for i := range im.students {
		for j := range studentFields.list {
			args = append(args, studentFields.list[j].value(&im.students[i]))
		}
	}
	first, last := im.students[0].ID, im.students[n-1].ID
	im.students = im.students[:0]
	clear(im.batched)
	if err := im.exec(ctx, studentUpsert(n), args...); err != nil {
		return fmt.Errorf("import students %d…%d: %w", first, last, err)
	}
	return nil
}

// studentUpsert is the INSERT of n students with their ids, each updating
// the row of its id if there is one. Two texts occur (a full batch and the
// last one), each prepared once.
func studentUpsert(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO students (" + studentFields.columns() + ") VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range studentFields.Len() {
			if j > 0 {
				b.WriteString(", ")
			}
			p++
			fmt.Fprintf(&b, "$%d", p)
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT (id) DO UPDATE SET ")
	for i, name := range studentWritable {
		f, _ := studentFields.Lookup(name)
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Column + " = excluded." + f.Column)
	}
	return b.String()
}

// Export runs fn in one read of the database, so that the users, tokens and
// students it reads agree with each other (no token of a user the export did
// not see). On PostgreSQL the transaction is REPEATABLE READ, one snapshot;
// on SQLite it holds the write lock (transactions begin IMMEDIATE), and
// writers wait for it, up to their busy timeout. Its statements have no
// query timeout.
func (db *DB) Export(ctx context.Context, fn func(ex *Exporter) error) error {
	return db.untimed(ctx, func(ctx context.Context, db *DB) error {
		return db.Transaction(ctx, func(tx *DB) error {
			if !tx.sqlite {
				if err := tx.with(ctx).Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").Error; err != nil {
					return translate(err, "begin the export")
				}
			}
			return fn(&Exporter{tx: tx})
		})
	})
}

// Exporter reads whole tables, one row at a time, in the transaction of
// DB.Export, without the query timeout: a table is read for as long as
// writing it out takes.
type Exporter struct{ tx *DB }

// Users calls fn with each user in id order; u is reused between calls.
func (ex *Exporter) Users(ctx context.Context, fn func(u *User) error) error {
	ctx = withoutTimeout(ctx)
	var u User
	q := query{text: "SELECT id, username, email, password, is_active, is_staff, is_superuser, date_joined, last_login FROM users ORDER BY id"}
	return ex.tx.readRows(ctx, q, func(rows *sql.Rows) error {
		var last sql.NullTime
		if err := rows.Scan(&u.ID, &u.Username, &u.Email, &u.Password, &u.IsActive, &u.IsStaff, &u.IsSuperuser, &u.DateJoined, &last); err != nil {
			return fmt.Errorf("export users: %w", err)
		}
		u.LastLogin = nil
		if last.Valid {
			t := last.Time
			u.LastLogin = &t
		}
		return fn(&u)
	})
}

// Tokens calls fn with each token in the order of its user's id, its key
// opened and its User holding the user's ID and Username; t is reused
// between calls. A token whose key cannot be opened (ErrSealBroken: the
// secret key changed, or the row was moved) works for nobody and is left
// out; Tokens returns how many were.
func (ex *Exporter) Tokens(ctx context.Context, fn func(t *Token) error) (unreadable int64, err error) {
	ctx = withoutTimeout(ctx)
	var t Token
	var u User
	q := query{text: "SELECT t.digest, t.sealed, t.user_id, t.user_tag, t.created, t.refreshed, u.username " +
		"FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.user_id"}
	err = ex.tx.readRows(ctx, q, func(rows *sql.Rows) error {
		if err := rows.Scan(&t.Digest, &t.Sealed, &t.UserID, &t.UserTag, &t.Created, &t.Refreshed, &u.Username); err != nil {
			return fmt.Errorf("export tokens: %w", err)
		}
		u.ID = t.UserID
		t.User = &u
		if err := ex.tx.unseal(&t); err != nil {
			if errors.Is(err, ErrSealBroken) {
				unreadable++
				return nil
			}
			return err
		}
		return fn(&t)
	})
	return unreadable, err
}

// Students calls fn with each student in id order; s is reused between calls.
func (ex *Exporter) Students(ctx context.Context, fn func(s *Student) error) error {
	ctx = withoutTimeout(ctx)
	var s Student
	var buf [8]any
	q := query{text: studentSelect + " ORDER BY id"}
	return ex.tx.readRows(ctx, q, func(rows *sql.Rows) error {
		if err := rows.Scan(studentFields.targets(buf[:0], &s)...); err != nil {
			return fmt.Errorf("export students: %w", err)
		}
		return fn(&s)
	})
}
