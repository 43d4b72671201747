package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"
)

// StudentQuery selects, orders and pages students. Its zero value is every
// student ordered by id. Every value reaches SQL as a bound parameter; column
// names come only from StudentFields.
type StudentQuery struct {
	// Search terms: each must occur, ignoring case, in the name or the city.
	Search []string
	ID     *int64  // exact match
	City   *string // exact match
	Roll   *int64  // exact match
	// RollMin and RollMax bound roll, inclusive.
	RollMin, RollMax *int64
	// Empty: match nothing (a filter that no integer satisfies).
	Empty bool
	// Ordering, in priority order; id breaks ties so pages are stable.
	Ordering []Order
	// Limit 0 means no limit.
	Limit, Offset int
}

// Order sorts by one column, the Column of one of StudentFields.
type Order struct {
	Column string
	Desc   bool
}

func validColumn(c string) bool {
	for i := range studentFields.Len() {
		if studentFields.list[i].Column == c {
			return true
		}
	}
	return false
}

// likeEscaper makes a search term match literally inside LIKE.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// likePattern is the LIKE pattern of a search term, matched against a lowered column.
func likePattern(term string) string {
	return "%" + likeEscaper.Replace(strings.ToLower(term)) + "%"
}

// storable reports whether s could be stored at all: valid UTF-8 without NUL,
// which every text field is checked for before it is written. A lookup by
// anything else finds nothing without asking the database, where PostgreSQL
// would refuse the parameter and SQLite would compare it byte by byte.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// matchesNothing reports whether a text condition can match no stored value
// (see storable).
func matchesNothing(terms []string, exact *string) bool {
	for _, t := range terms {
		if !storable(t) {
			return true
		}
	}
	return exact != nil && !storable(*exact)
}

// where writes q's WHERE clause, if any, to s; it reports whether the query
// searches by substring, which may step over many rows (see query.scans).
func (q StudentQuery) where(s *sqlText) (scans bool) {
	if q.Empty || matchesNothing(q.Search, q.City) {
		s.WriteString(" WHERE 1 = 0")
		return false
	}
	and := " WHERE "
	cond := func(text string, v any) {
		s.WriteString(and)
		s.WriteString(text)
		s.arg(v)
		and = " AND "
	}
	for _, term := range q.Search {
		pattern := likePattern(term)
		cond(`(LOWER(name) LIKE `, pattern)
		s.WriteString(` ESCAPE '\' OR LOWER(city) LIKE `)
		s.arg(pattern)
		s.WriteString(` ESCAPE '\')`)
	}
	if q.ID != nil {
		cond("id = ", *q.ID)
	}
	if q.City != nil {
		cond("city = ", *q.City)
	}
	if q.Roll != nil {
		cond("roll = ", *q.Roll)
	}
	if q.RollMin != nil {
		cond("roll >= ", *q.RollMin)
	}
	if q.RollMax != nil {
		cond("roll <= ", *q.RollMax)
	}
	return len(q.Search) > 0
}

// CountStudents counts the students q selects, ignoring its paging.
func (db *DB) CountStudents(ctx context.Context, q StudentQuery) (int64, error) {
	var s sqlText
	s.WriteString("SELECT count(*) FROM students")
	scans := q.where(&s)
	var n int64
	err := db.readRows(ctx, s.query(scans), func(rows *sql.Rows) error { return rows.Scan(&n) })
	if err != nil {
		return 0, fmt.Errorf("count students: %w", err)
	}
	return n, nil
}

// FindStudents returns the students q selects, in its order, one page of them
// when q has a Limit.
func (db *DB) FindStudents(ctx context.Context, q StudentQuery) ([]Student, error) {
	sq, err := q.selectQuery()
	if err != nil {
		return nil, fmt.Errorf("find students: %w", err)
	}
	out := []Student{}
	var buf [8]any // one row's scan targets, reused for every row, on the stack
	targets := buf[:0]
	err = db.readRows(ctx, sq, func(rows *sql.Rows) error {
		out = append(out, Student{})
		targets = studentFields.targets(targets[:0], &out[len(out)-1])
		return rows.Scan(targets...)
	})
	if err != nil {
		return nil, fmt.Errorf("find students: %w", err)
	}
	return out, nil
}

// EachStudent calls fn with each student q selects, in its order, as each row
// is read, so that a list of any length costs the memory of one row: the API
// streams the list this way. The Student is reused for the next row; fn must
// not keep it. An error from fn stops the reading and is returned as is
// (unwrapped, so the caller can tell its own errors from the database's); the
// rows are closed, and the connection back in the pool, when EachStudent
// returns. The statement stays open while fn runs, so the query timeout counts
// fn's time too (on PostgreSQL the server's statement_timeout does).
func (db *DB) EachStudent(ctx context.Context, q StudentQuery, fn func(*Student) error) error {
	sq, err := q.selectQuery()
	if err != nil {
		return fmt.Errorf("find students: %w", err)
	}
	var (
		s       Student
		buf     [8]any
		stop    error
		targets = studentFields.targets(buf[:0], &s)
	)
	err = db.readRows(ctx, sq, func(rows *sql.Rows) error {
		if err := rows.Scan(targets...); err != nil {
			return err
		}
		if err := fn(&s); err != nil {
			stop = err
			return stopped{err}
		}
		return nil
	})
	if stop != nil && err == stop {
		return stop
	}
	if err != nil {
		return fmt.Errorf("find students: %w", err)
	}
	return nil
}

// selectQuery is the SELECT of the students q selects, in its order.
func (q StudentQuery) selectQuery() (query, error) {
	var s sqlText
	s.Grow(128) // the common statements in one allocation
	s.WriteString(studentSelect)
	scans := q.where(&s)
	s.WriteString(" ORDER BY ")
	byID := false
	for i, o := range q.Ordering {
		if !validColumn(o.Column) {
			return query{}, fmt.Errorf("cannot order by %q", o.Column)
		}
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(o.Column) // a declared column, never the caller's text
		if o.Desc {
			s.WriteString(" DESC")
		}
		byID = byID || o.Column == "id"
	}
	if !byID {
		if len(q.Ordering) > 0 {
			s.WriteString(", ")
		}
		s.WriteString("id")
	}
	if q.Limit > 0 {
		s.WriteString(" LIMIT ")
		s.arg(int64(q.Limit))
		s.WriteString(" OFFSET ")
		s.arg(int64(q.Offset))
	}
	return s.query(scans), nil
}
