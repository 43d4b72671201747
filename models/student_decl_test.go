package models_test

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// The declaration and the struct GORM migrates describe the same fields:
// every field of Student is declared once, with the Kind of its Go type and
// the max_length of its column's size, and the migrated table has the
// declared columns, in order. A field added to one and not the other fails
// here.
func TestStudentFieldsDeclareTheStruct(t *testing.T) {
	fs := models.StudentFields()
	var s models.Student
	v := reflect.ValueOf(&s).Elem()
	declared := map[uintptr]models.Field{}
	for i := range fs.Len() {
		f := fs.At(i)
		var p any = f.Int
		if f.Kind == models.KindText {
			p = f.Text
		}
		if reflect.ValueOf(p).IsNil() {
			t.Errorf("field %s: no accessor for its kind %d", f.Name, f.Kind)
			continue
		}
		var addr uintptr
		if f.Kind == models.KindText {
			addr = reflect.ValueOf(f.Text(&s)).Pointer()
		} else {
			addr = reflect.ValueOf(f.Int(&s)).Pointer()
		}
		if _, dup := declared[addr]; dup {
			t.Errorf("field %s: its storage is declared twice", f.Name)
		}
		declared[addr] = f
	}
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		f, ok := declared[v.Field(i).Addr().Pointer()]
		if !ok {
			t.Errorf("Student.%s is not declared in studentFields", sf.Name)
			continue
		}
		wantKind := map[reflect.Kind]models.Kind{reflect.Int64: models.KindInteger, reflect.String: models.KindText}[sf.Type.Kind()]
		if f.Kind != wantKind {
			t.Errorf("Student.%s (%s) is declared of kind %d, want %d", sf.Name, sf.Type, f.Kind, wantKind)
		}
		size := 0
		for part := range strings.SplitSeq(sf.Tag.Get("gorm"), ";") {
			if n, ok := strings.CutPrefix(part, "size:"); ok {
				size, _ = strconv.Atoi(n)
			}
		}
		if f.MaxLength != size {
			t.Errorf("Student.%s: max_length %d, column size %d", sf.Name, f.MaxLength, size)
		}
	}
	if len(declared) != v.NumField() {
		t.Errorf("%d fields declared, Student has %d", len(declared), v.NumField())
	}

	src := testdb.New(t)
	openDB(t, src) // migrated
	rows, err := rawDB(t, src).Raw("SELECT * FROM students").Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range fs.Len() {
		want = append(want, fs.At(i).Column)
	}
	if !slices.Equal(columns, want) {
		t.Errorf("table columns %v, want the declared %v", columns, want)
	}
}

// setStudent gives every writable declared field of s a value of its own,
// made from seed.
func setStudent(fs models.Fields, s *models.Student, seed int) {
	for i := range fs.Len() {
		f := fs.At(i)
		switch {
		case f.ReadOnly:
		case f.Kind == models.KindText:
			*f.Text(s) = fmt.Sprintf("%s %d", f.Name, seed)
		default:
			*f.Int(s) = int64(seed*100 + i)
		}
	}
}

// sameStudent reports the declared fields in which got differs from want.
func sameStudent(t *testing.T, what string, fs models.Fields, got, want *models.Student) {
	t.Helper()
	for i := range fs.Len() {
		f := fs.At(i)
		if f.Kind == models.KindText {
			if g, w := *f.Text(got), *f.Text(want); g != w {
				t.Errorf("%s: %s = %q, want %q", what, f.Name, g, w)
			}
		} else if g, w := *f.Int(got), *f.Int(want); g != w {
			t.Errorf("%s: %s = %d, want %d", what, f.Name, g, w)
		}
	}
}

// Every declared field is written by CreateStudent (the group commit's
// insert on SQLite) and UpdateStudent and read back by Student and
// FindStudents: a column forgotten by one of them fails here.
func TestStudentRoundTripEveryField(t *testing.T) {
	fs := models.StudentFields()
	db := openDB(t, testdb.New(t))
	var s models.Student
	setStudent(fs, &s, 1)
	if err := db.CreateStudent(t.Context(), &s); err != nil {
		t.Fatal(err)
	}
	got, err := db.Student(t.Context(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameStudent(t, "created", fs, got, &s)
	setStudent(fs, &s, 2)
	if err := db.UpdateStudent(t.Context(), &s); err != nil {
		t.Fatal(err)
	}
	list, err := db.FindStudents(t.Context(), models.StudentQuery{})
	if err != nil || len(list) != 1 {
		t.Fatalf("FindStudents: %v, %v", list, err)
	}
	sameStudent(t, "updated", fs, &list[0], &s)
}
