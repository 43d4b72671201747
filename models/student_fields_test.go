package models

import (
	"slices"
	"strings"
	"testing"
)

// A field added to the declaration is in the SELECT's column list and scan,
// in the group-commit INSERT and its arguments, and in the UPDATE of
// UpdateStudent and UpdateStudentFields: the SQL lists no column by hand.
// (motto keeps its value in City, for want of a field of its own in Student.)
func TestStudentFieldDerived(t *testing.T) {
	motto := Field{Name: "motto", Column: "motto_text", Label: "Motto", Kind: KindText, MaxLength: 20,
		Text: func(s *Student) *string { return &s.City }}
	fs := NewFields(append(StudentFields().List(), motto)...)
	s := &Student{ID: 1, Name: "Ravi", Roll: 10, City: "Be kind"}

	if got, want := fs.columns(), "id, name, roll, city, motto_text"; got != want {
		t.Errorf("columns: %s, want %s", got, want)
	}
	if got := fs.targets(nil, s); len(got) != 5 || got[4] != any(&s.City) {
		t.Errorf("scan targets: %v, want five, the last &s.City", got)
	}
	if got, want := fs.insert("students"), "INSERT INTO students (name, roll, city, motto_text) VALUES ($1, $2, $3, $4)"; got != want {
		t.Errorf("insert: %s, want %s", got, want)
	}
	if got := fs.insertArgs(s); len(got) != 4 || got[3] != "Be kind" {
		t.Errorf("insert arguments: %v, want four, the last the motto", got)
	}
	if got, want := fs.writable(), []string{"name", "roll", "city", "motto"}; !slices.Equal(got, want) {
		t.Errorf("writable: %v, want %v", got, want)
	}
	q, err := fs.update("students", s, []string{"motto", "name"})
	if want := "UPDATE students SET name = $1, motto_text = $2 WHERE id = $3 RETURNING id, name, roll, city, motto_text"; err != nil || q.text != want {
		t.Errorf("update of motto and name: %s, %v; want %s", q.text, err, want)
	}
	if want := []any{"Ravi", "Be kind", int64(1)}; !slices.Equal(q.args, want) {
		t.Errorf("update arguments: %v, want %v", q.args, want)
	}
	for _, name := range []string{"id", "nope", "motto_text"} {
		if _, err := fs.update("students", s, []string{"name", name}); err == nil {
			t.Errorf("update of %q: no error, want one (not a writable field)", name)
		}
	}
	// The statements the package runs are those of the declaration.
	if want := "SELECT " + studentFields.columns() + " FROM students"; studentSelect != want || !strings.Contains(studentSelect, "city") {
		t.Errorf("studentSelect: %s, want %s", studentSelect, want)
	}
	if want := studentFields.insert("students"); studentInsert != want {
		t.Errorf("studentInsert: %s, want %s", studentInsert, want)
	}
}
