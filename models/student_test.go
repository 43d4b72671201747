package models_test

import (
	"errors"
	"testing"

	"studentapi/models"
)

func TestStudentCRUD(t *testing.T) {
	db, _ := newDB(t)

	s := &models.Student{ID: 42, Name: "Ann", Roll: 7, City: "Pune"}
	if err := db.CreateStudent(t.Context(), s); err != nil {
		t.Fatalf("CreateStudent: %v", err)
	}
	if s.ID == 0 || s.ID == 42 {
		t.Errorf("CreateStudent set ID %d, want a fresh one (the given ID is ignored)", s.ID)
	}

	got, err := db.Student(t.Context(), s.ID)
	if err != nil {
		t.Fatalf("Student: %v", err)
	}
	if *got != *s {
		t.Errorf("Student = %+v, want %+v", *got, *s)
	}

	s.Name, s.Roll, s.City = "Anne", -5, "Delhi"
	if err := db.UpdateStudent(t.Context(), s); err != nil {
		t.Fatalf("UpdateStudent: %v", err)
	}
	// Writing the same values again is not "not found".
	if err := db.UpdateStudent(t.Context(), s); err != nil {
		t.Fatalf("UpdateStudent unchanged: %v", err)
	}
	got, err = db.Student(t.Context(), s.ID)
	if err != nil {
		t.Fatalf("Student after update: %v", err)
	}
	if *got != *s {
		t.Errorf("Student after update = %+v, want %+v", *got, *s)
	}

	// Zero values are written too: an update writes every field.
	s.Roll = 0
	if err := db.UpdateStudent(t.Context(), s); err != nil {
		t.Fatalf("UpdateStudent roll 0: %v", err)
	}
	if got, err := db.Student(t.Context(), s.ID); err != nil || got.Roll != 0 {
		t.Errorf("Student after roll 0 = %+v, %v; want roll 0", got, err)
	}

	if err := db.DeleteStudent(t.Context(), s.ID); err != nil {
		t.Fatalf("DeleteStudent: %v", err)
	}
	if _, err := db.Student(t.Context(), s.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Student after delete = %v, want %v", err, models.ErrNotFound)
	}
}

func TestStudentMissingIDs(t *testing.T) {
	db, _ := newDB(t)
	kept := &models.Student{Name: "Kept", Roll: 1, City: "Goa"}
	if err := db.CreateStudent(t.Context(), kept); err != nil {
		t.Fatal(err)
	}
	gone := &models.Student{Name: "Gone", Roll: 2, City: "Goa"}
	if err := db.CreateStudent(t.Context(), gone); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteStudent(t.Context(), gone.ID); err != nil {
		t.Fatal(err)
	}

	for _, id := range []int64{gone.ID, 0, -1, 1 << 62} {
		if _, err := db.Student(t.Context(), id); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Student(%d) = %v, want %v", id, err, models.ErrNotFound)
		}
		s := &models.Student{ID: id, Name: "X", Roll: 3, City: "Y"}
		if err := db.UpdateStudent(t.Context(), s); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("UpdateStudent(%d) = %v, want %v", id, err, models.ErrNotFound)
		}
		if err := db.DeleteStudent(t.Context(), id); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("DeleteStudent(%d) = %v, want %v", id, err, models.ErrNotFound)
		}
	}

	// None of that touched the remaining row.
	got, err := db.Student(t.Context(), kept.ID)
	if err != nil {
		t.Fatalf("Student(kept): %v", err)
	}
	if *got != *kept {
		t.Errorf("kept student = %+v, want %+v", *got, *kept)
	}
}

func TestStudentsOrderedByID(t *testing.T) {
	db, _ := newDB(t)
	list, err := db.FindStudents(t.Context(), models.StudentQuery{})
	if err != nil {
		t.Fatalf("Students on an empty table: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("Students on an empty table = %+v, want none", list)
	}

	var created []models.Student
	for _, name := range []string{"Zed", "Amy", "Mia", "Bob"} {
		s := &models.Student{Name: name, Roll: 1, City: "Goa"}
		if err := db.CreateStudent(t.Context(), s); err != nil {
			t.Fatal(err)
		}
		created = append(created, *s)
	}
	if err := db.DeleteStudent(t.Context(), created[1].ID); err != nil {
		t.Fatal(err)
	}
	// An update must not move a row to the end.
	created[0].Name = "Zoe"
	if err := db.UpdateStudent(t.Context(), &created[0]); err != nil {
		t.Fatal(err)
	}
	want := []models.Student{created[0], created[2], created[3]}

	list, err = db.FindStudents(t.Context(), models.StudentQuery{})
	if err != nil {
		t.Fatalf("Students: %v", err)
	}
	if len(list) != len(want) {
		t.Fatalf("Students = %+v, want %+v", list, want)
	}
	for i := range want {
		if list[i] != want[i] {
			t.Errorf("Students[%d] = %+v, want %+v", i, list[i], want[i])
		}
	}
}
