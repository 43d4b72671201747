package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Student is the resource served at /studentapi/. Its fields are declared
// twice in this file only: here for GORM (the table's migration) and in
// studentFields for everything else. TestStudentFieldsDeclareTheStruct holds
// the two together.
type Student struct {
	ID   int64  `gorm:"primaryKey"`
	Name string `gorm:"size:100;not null;index"`
	Roll int64  `gorm:"not null;index"`
	City string `gorm:"size:100;not null;index"`
}

// studentFields is StudentSerializer: Student's fields in its order, with
// their DRF rules. It is the one description of a student: the SQL column
// lists, scans and inserts (here and in student_query.go), the validation of
// a request or form (internal/fields), the JSON of a student, a list and a
// page, the OPTIONS metadata and the browsable API's forms (api), and the
// admin's form and columns (admin) are all derived from it. A new column is
// a field of Student and an entry here, nothing else.
var studentFields = NewFields(
	Field{Name: "id", Column: "id", Label: "ID", Kind: KindInteger, ReadOnly: true,
		Int: func(s *Student) *int64 { return &s.ID }},
	Field{Name: "name", Column: "name", Label: "Name", Kind: KindText, MaxLength: 100,
		Text: func(s *Student) *string { return &s.Name }},
	Field{Name: "roll", Column: "roll", Label: "Roll", Kind: KindInteger,
		Int: func(s *Student) *int64 { return &s.Roll }},
	Field{Name: "city", Column: "city", Label: "City", Kind: KindText, MaxLength: 100,
		Text: func(s *Student) *string { return &s.City }},
)

// StudentFields is the declaration of Student's fields (see studentFields).
func StudentFields() Fields { return studentFields }

// Kind is what a field holds: a DRF serializer field and the column under it.
type Kind uint8

const (
	// KindInteger is DRF's IntegerField over a 64-bit integer column.
	KindInteger Kind = iota + 1
	// KindText is DRF's CharField (trimmed, never blank, at most MaxLength
	// characters) over a text column of that size.
	KindText
)

// Field declares one field of Student.
type Field struct {
	// Name is the serializer's field: the JSON key, the form field, the key
	// of OPTIONS metadata and the name ?ordering= takes.
	Name   string
	Column string // the SQL column
	Label  string // Django's verbose_name, shown by OPTIONS and the forms
	Kind   Kind
	// ReadOnly is a field the database sets (the primary key): shown, never
	// taken from a request or a form, never inserted or updated.
	ReadOnly  bool
	MaxLength int // KindText: DRF's max_length, and the column's size

	// Where the value lives in a Student: Int for KindInteger, Text for
	// KindText. One pointer serves to read, to set and to scan into.
	Int  func(*Student) *int64
	Text func(*Student) *string
}

// Fields is an ordered declaration of fields. It is a value that shares its
// list but never hands it out: nothing a caller does changes a declaration.
type Fields struct{ list []Field }

// NewFields declares fields in the given order. A field of no known kind,
// or without the accessor of its kind, is a mistake in the declaration: it
// panics, at start-up, rather than at the first request that reads it.
func NewFields(list ...Field) Fields {
	for _, f := range list {
		if (f.Kind != KindInteger || f.Int == nil) && (f.Kind != KindText || f.Text == nil) {
			panic(fmt.Sprintf("models: field %q: kind %d without its accessor", f.Name, f.Kind))
		}
	}
	return Fields{list: slices.Clone(list)}
}

// Len is the number of fields.
func (fs Fields) Len() int { return len(fs.list) }

// At is the i-th field.
func (fs Fields) At(i int) Field { return fs.list[i] }

// List is a copy of the fields, in order.
func (fs Fields) List() []Field { return slices.Clone(fs.list) }

// Lookup finds the field called name.
func (fs Fields) Lookup(name string) (Field, bool) {
	for _, f := range fs.list {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// target is where a scan of f's column into s goes.
func (f *Field) target(s *Student) any {
	if f.Kind == KindText {
		return f.Text(s)
	}
	return f.Int(s)
}

// value is f's value in s, as a statement's argument.
func (f *Field) value(s *Student) any {
	if f.Kind == KindText {
		return *f.Text(s)
	}
	return *f.Int(s)
}

// columns is the column list of a SELECT, in the fields' order.
func (fs Fields) columns() string {
	names := make([]string, len(fs.list))
	for i, f := range fs.list {
		names[i] = f.Column
	}
	return strings.Join(names, ", ")
}

// targets appends to dst where a row of columns() goes in s.
func (fs Fields) targets(dst []any, s *Student) []any {
	for i := range fs.list {
		dst = append(dst, fs.list[i].target(s))
	}
	return dst
}

// insert is the INSERT of the writable fields into table; its arguments are
// insertArgs.
func (fs Fields) insert(table string) string {
	var cols, params []string
	for _, f := range fs.list {
		if !f.ReadOnly {
			cols = append(cols, f.Column)
			params = append(params, fmt.Sprintf("$%d", len(params)+1))
		}
	}
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(params, ", ") + ")"
}

// insertArgs are the arguments of insert for s.
func (fs Fields) insertArgs(s *Student) []any {
	args := make([]any, 0, len(fs.list))
	for i := range fs.list {
		if f := &fs.list[i]; !f.ReadOnly {
			args = append(args, f.value(s))
		}
	}
	return args
}

// update is the UPDATE of the named writable fields (Field.Name) of s in
// table, in the fields' order whatever the order of names, on the row s.ID,
// RETURNING the row as it is after it (SQLite 3.35+ and PostgreSQL take
// RETURNING): one statement, so what it answers is what it wrote, and nothing
// between a read and the write can be lost. With was, it only updates a row
// that still holds was's values (see where). A name that is not a writable
// field is a mistake of the caller.
func (fs Fields) update(table string, s *Student, names []string, was *Student) (query, error) {
	for _, name := range names {
		if f, ok := fs.Lookup(name); !ok || f.ReadOnly {
			return query{}, fmt.Errorf("no writable field %q", name)
		}
	}
	var q sqlText
	q.WriteString("UPDATE " + table + " SET ")
	for i := range fs.list {
		if f := &fs.list[i]; slices.Contains(names, f.Name) {
			if len(q.args) > 0 {
				q.WriteString(", ")
			}
			q.WriteString(f.Column + " = ")
			q.arg(f.value(s))
		}
	}
	fs.where(&q, s.ID, was)
	q.WriteString(" RETURNING " + fs.columns())
	return q.query(false), nil
}

// delete is the DELETE of the row id in table, RETURNING its id so that the
// caller learns whether there was one; with was, only of a row that still
// holds was's values (see where).
func (fs Fields) delete(table string, id int64, was *Student) query {
	var q sqlText
	q.WriteString("DELETE FROM " + table)
	fs.where(&q, id, was)
	q.WriteString(" RETURNING id")
	return q.query(false)
}

// where writes the WHERE clause on the row id and, with was, on every other
// field holding was's value: the statement is then its own check that nobody
// changed the row since the caller read was (a conditional request's
// If-Match), atomic on every backend without a lock held across statements.
func (fs Fields) where(q *sqlText, id int64, was *Student) {
	q.WriteString(" WHERE id = ")
	q.arg(id)
	if was == nil {
		return
	}
	for i := range fs.list {
		if f := &fs.list[i]; !f.ReadOnly {
			q.WriteString(" AND " + f.Column + " = ")
			q.arg(f.value(was))
		}
	}
}

// writable is the names of the fields a request or a form may set.
func (fs Fields) writable() []string {
	var names []string
	for _, f := range fs.list {
		if !f.ReadOnly {
			names = append(names, f.Name)
		}
	}
	return names
}

// The statements derived from studentFields, built once.
var (
	studentSelect = "SELECT " + studentFields.columns() + " FROM students"
	studentInsert = studentFields.insert("students")
	// studentInsertReturning is studentInsert answering the new row's id.
	studentInsertReturning = studentInsert + " RETURNING id"
	// studentWritable is every field UpdateStudent writes.
	studentWritable = studentFields.writable()
)

// Student finds one student by id, with the statement of the API's lookup.
func (db *DB) Student(ctx context.Context, id int64) (*Student, error) {
	found, err := db.FindStudents(ctx, StudentQuery{ID: &id})
	if err != nil {
		return nil, fmt.Errorf("student %d: %w", id, err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("student %d: %w", id, ErrNotFound)
	}
	return &found[0], nil
}

// CreateStudent inserts s and sets its ID; when it returns nil the row is
// committed with the database's durability (or, inside a transaction, is
// part of it). Student has no GORM hooks, which neither path runs.
//
// On SQLite, outside a transaction, concurrent creates share commits
// (internal/groupcommit, opened in groupcommit.go). Otherwise it is one
// INSERT … RETURNING id through readRows: outside a transaction that runs
// prepared, in autocommit, one round trip to PostgreSQL, where GORM's Create
// wraps its insert in BEGIN and COMMIT, three (TestCreateStudentOneRoundTrip);
// inside one, on the transaction's connection.
func (db *DB) CreateStudent(ctx context.Context, s *Student) error {
	s.ID = 0
	args := studentFields.insertArgs(s)
	if _, root := db.gorm.Statement.ConnPool.(*sql.DB); root && db.writer != nil {
		id, err := db.writer.Insert(ctx, studentInsert, args...)
		if err := db.wrote(err); err != nil {
			return translate(err, "create student")
		}
		s.ID = id
		return nil
	}
	var id int64
	q := query{text: studentInsertReturning, args: args}
	err := db.readRows(ctx, q, func(rows *sql.Rows) error { return rows.Scan(&id) })
	if err := db.wrote(err); err != nil {
		return fmt.Errorf("create student: %w", err)
	}
	if id == 0 {
		return errors.New("create student: the INSERT returned no id")
	}
	s.ID = id
	return nil
}

// UpdateStudent writes every field of s (a PUT, the admin's form);
// ErrNotFound if the row is gone.
func (db *DB) UpdateStudent(ctx context.Context, s *Student) error {
	return db.UpdateStudentFields(ctx, s, studentWritable)
}

// UpdateStudentIf is UpdateStudent on the condition that the row still holds
// every value of was (see UpdateStudentFieldsIf); ErrChanged if not.
func (db *DB) UpdateStudentIf(ctx context.Context, s, was *Student) error {
	return db.updateStudent(ctx, s, studentWritable, was)
}

// UpdateStudentFields writes only the fields of s that names names (their
// Field.Name; writable ones only) to the row s.ID, in one statement, and sets
// s to the row as that statement left it: a field it did not name is what the
// database holds, not what s held. Two concurrent updates of different fields
// of one row therefore both hold (a PATCH). With no names it writes nothing
// and reads the row. ErrNotFound if the row is gone.
func (db *DB) UpdateStudentFields(ctx context.Context, s *Student, names []string) error {
	return db.updateStudent(ctx, s, names, nil)
}

// UpdateStudentFieldsIf is UpdateStudentFields on the condition that the row
// s.ID still holds every value of was (the row as the caller read it), checked
// by the same statement that writes: of two callers that read the same row,
// only the first to write succeeds. ErrChanged if the row changed or is gone.
func (db *DB) UpdateStudentFieldsIf(ctx context.Context, s *Student, names []string, was *Student) error {
	return db.updateStudent(ctx, s, names, was)
}

// updateStudent is UpdateStudentFields, conditional on was when it is not nil.
func (db *DB) updateStudent(ctx context.Context, s *Student, names []string, was *Student) error {
	if len(names) == 0 {
		found, err := db.Student(ctx, s.ID)
		switch {
		case was != nil && isNotFound(err):
			return fmt.Errorf("update student %d: %w", s.ID, ErrChanged)
		case err != nil:
			return fmt.Errorf("update student: %w", err)
		case was != nil && (*found != *was || was.ID != s.ID):
			// Nothing is written: a read is the whole check.
			return fmt.Errorf("update student %d: %w", s.ID, ErrChanged)
		}
		*s = *found
		return nil
	}
	q, err := studentFields.update("students", s, names, was)
	if err != nil {
		return fmt.Errorf("update student %d: %w", s.ID, err)
	}
	var after Student
	var buf [8]any // the row's scan targets, on the stack
	found := false
	err = db.readRows(ctx, q, func(rows *sql.Rows) error {
		found = true
		return rows.Scan(studentFields.targets(buf[:0], &after)...)
	})
	if err != nil || found {
		err = db.wrote(err)
	}
	if err != nil {
		return fmt.Errorf("update student %d: %w", s.ID, err)
	}
	if !found {
		return fmt.Errorf("update student %d: %w", s.ID, missing(was))
	}
	*s = after
	return nil
}

// DeleteStudent removes one student; ErrNotFound if there was none.
func (db *DB) DeleteStudent(ctx context.Context, id int64) error {
	return db.deleteStudent(ctx, id, nil)
}

// DeleteStudentIf removes the student was.ID on the condition that it still
// holds every value of was, checked by the DELETE itself (see
// UpdateStudentFieldsIf). ErrChanged if the row changed or is gone.
func (db *DB) DeleteStudentIf(ctx context.Context, was *Student) error {
	return db.deleteStudent(ctx, was.ID, was)
}

func (db *DB) deleteStudent(ctx context.Context, id int64, was *Student) error {
	found := false
	err := db.readRows(ctx, studentFields.delete("students", id, was), func(*sql.Rows) error {
		found = true
		return nil
	})
	if err != nil || found {
		err = db.wrote(err)
	}
	if err != nil {
		return fmt.Errorf("delete student %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("delete student %d: %w", id, missing(was))
	}
	return nil
}

// missing is the error of a write that found no row: with a condition, the
// row may be there but changed, and the statement cannot tell which.
func missing(was *Student) error {
	if was != nil {
		return ErrChanged
	}
	return ErrNotFound
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
