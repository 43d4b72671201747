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
	q, err := fs.update("students", s, []string{"motto", "name"}, nil)
	if want := "UPDATE students SET name = $1, motto_text = $2 WHERE id = $3 RETURNING id, name, roll, city, motto_text"; err != nil || q.text != want {
		t.Errorf("update of motto and name: %s, %v; want %s", q.text, err, want)
	}
	if want := []any{"Ravi", "Be kind", int64(1)}; !slices.Equal(q.args, want) {
		t.Errorf("update arguments: %v, want %v", q.args, want)
	}
	// A conditional write checks every writable field, the new one too.
	was := &Student{ID: 1, Name: "Old", Roll: 9, City: "Be old"}
	q, err = fs.update("students", s, []string{"name"}, was)
	if want := "UPDATE students SET name = $1 WHERE id = $2 AND name = $3 AND roll = $4 AND city = $5 AND motto_text = $6 RETURNING id, name, roll, city, motto_text"; err != nil || q.text != want {
		t.Errorf("conditional update of name: %s, %v; want %s", q.text, err, want)
	}
	if want := []any{"Ravi", int64(1), "Old", int64(9), "Be old", "Be old"}; !slices.Equal(q.args, want) {
		t.Errorf("conditional update arguments: %v, want %v", q.args, want)
	}
	if got, want := fs.delete("students", 1, was).text, "DELETE FROM students WHERE id = $1 AND name = $2 AND roll = $3 AND city = $4 AND motto_text = $5 RETURNING id"; got != want {
		t.Errorf("conditional delete: %s, want %s", got, want)
	}
	if got, want := fs.delete("students", 1, nil).text, "DELETE FROM students WHERE id = $1 RETURNING id"; got != want {
		t.Errorf("delete: %s, want %s", got, want)
	}
	for _, name := range []string{"id", "nope", "motto_text"} {
		if _, err := fs.update("students", s, []string{"name", name}, nil); err == nil {
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
