package models

import (
	"strings"
	"testing"
)

// A field added to the declaration is in the SELECT's column list and scan,
// in the group-commit INSERT and its arguments, and in UpdateStudent's
// columns: the SQL lists no column by hand. (motto keeps its value in City,
// for want of a field of its own in Student.)
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
	if got := fs.updates(s); len(got) != 4 || got["motto_text"] != "Be kind" {
		t.Errorf("updates: %v, want the three columns and motto_text", got)
	}
	// The statements the package runs are those of the declaration.
	if want := "SELECT " + studentFields.columns() + " FROM students"; studentSelect != want || !strings.Contains(studentSelect, "city") {
		t.Errorf("studentSelect: %s, want %s", studentSelect, want)
	}
	if want := studentFields.insert("students"); studentInsert != want {
		t.Errorf("studentInsert: %s, want %s", studentInsert, want)
	}
}
