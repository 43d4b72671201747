package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// UpdateStudentFields writes what it names and nothing else, and leaves s as
// the row is after it, whatever s held for the other fields.
func TestUpdateStudentFields(t *testing.T) {
	db, _ := newDB(t)
	s := &models.Student{Name: "Ann", Roll: 7, City: "Pune"}
	if err := db.CreateStudent(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	// Another writer moves Ann to Goa after this caller read the row.
	moved := *s
	moved.City = "Goa"
	if err := db.UpdateStudent(t.Context(), &moved); err != nil {
		t.Fatal(err)
	}

	stale := *s
	stale.Name, stale.Roll = "Anne", 0 // zero values are written too
	if err := db.UpdateStudentFields(t.Context(), &stale, []string{"roll", "name"}); err != nil {
		t.Fatalf("UpdateStudentFields: %v", err)
	}
	want := models.Student{ID: s.ID, Name: "Anne", Roll: 0, City: "Goa"}
	if stale != want {
		t.Errorf("UpdateStudentFields left s = %+v, want the row %+v", stale, want)
	}
	if got, err := db.Student(t.Context(), s.ID); err != nil || *got != want {
		t.Errorf("Student after UpdateStudentFields = %+v, %v; want %+v", got, err, want)
	}

	// Naming nothing writes nothing and reads the row.
	blank := models.Student{ID: s.ID}
	if err := db.UpdateStudentFields(t.Context(), &blank, nil); err != nil || blank != want {
		t.Errorf("UpdateStudentFields(no names) = %v, s %+v; want nil, %+v", err, blank, want)
	}

	for _, names := range [][]string{{"id"}, {"name", "nope"}} {
		other := models.Student{ID: s.ID, Name: "X", Roll: 1, City: "Y"}
		if err := db.UpdateStudentFields(t.Context(), &other, names); err == nil {
			t.Errorf("UpdateStudentFields(%q) = nil, want an error (not writable fields)", names)
		}
	}
	for _, names := range [][]string{{"city"}, nil} {
		gone := models.Student{ID: s.ID + 1, City: "Y"}
		if err := db.UpdateStudentFields(t.Context(), &gone, names); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("UpdateStudentFields(missing row, %q) = %v, want %v", names, err, models.ErrNotFound)
		}
	}
	if got, err := db.Student(t.Context(), s.ID); err != nil || *got != want {
		t.Errorf("Student after refused updates = %+v, %v; want %+v", got, err, want)
	}
}

// 64 writers updating different fields of the same students at once each
// keep what they wrote: every field ends with a value some writer of it set.
func TestUpdateStudentFieldsConcurrent(t *testing.T) {
	db, _ := newDB(t)
	var targets []models.Student
	for _, name := range []string{"Ann", "Bob", "Cid"} {
		s := models.Student{Name: name, Roll: 1, City: "Pune"}
		if err := db.CreateStudent(t.Context(), &s); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, s)
	}
	const writers = 64
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		// Writer i starts from the row as it was, as a handler that read it
		// before the others wrote would.
		s := targets[(i/2)%len(targets)]
		field := "city"
		if i%2 == 0 {
			field, s.Name = "name", fmt.Sprintf("n%d", i)
		} else {
			s.City = fmt.Sprintf("c%d", i)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = db.UpdateStudentFields(context.Background(), &s, []string{field})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	for k, before := range targets {
		got, err := db.Student(t.Context(), before.ID)
		if err != nil {
			t.Fatal(err)
		}
		names, cities := map[string]bool{}, map[string]bool{}
		for i := k * 2; i < writers; i += 2 * len(targets) {
			names[fmt.Sprintf("n%d", i)], cities[fmt.Sprintf("c%d", i+1)] = true, true
		}
		if !names[got.Name] || !cities[got.City] || got.Roll != before.Roll {
			t.Errorf("student %d = %+v, want a name of %v, a city of %v and roll %d (before: %+v)",
				before.ID, *got, names, cities, before.Roll, before)
		}
	}
}

// UpdateStudentFieldsIf and DeleteStudentIf write only a row that still holds
// what the caller read; otherwise ErrChanged and the row stays as it is.
func TestStudentConditionalWrites(t *testing.T) {
	db, _ := newDB(t)
	s := &models.Student{Name: "Ann", Roll: 7, City: "Pune"}
	if err := db.CreateStudent(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	read := *s
	first := read
	first.City = "Goa"
	if err := db.UpdateStudentFieldsIf(t.Context(), &first, []string{"city"}, &read); err != nil {
		t.Fatalf("UpdateStudentFieldsIf(row as read) = %v, want nil", err)
	}
	// read is stale now: every conditional write from it is refused.
	stale := read
	stale.Name = "Anne"
	for _, names := range [][]string{{"name"}, nil} {
		if err := db.UpdateStudentFieldsIf(t.Context(), &stale, names, &read); !errors.Is(err, models.ErrChanged) {
			t.Errorf("UpdateStudentFieldsIf(stale, %q) = %v, want %v", names, err, models.ErrChanged)
		}
	}
	if err := db.DeleteStudentIf(t.Context(), &read); !errors.Is(err, models.ErrChanged) {
		t.Errorf("DeleteStudentIf(stale) = %v, want %v", err, models.ErrChanged)
	}
	if got, err := db.Student(t.Context(), s.ID); err != nil || *got != first {
		t.Errorf("Student after refused writes = %+v, %v; want %+v", got, err, first)
	}
	if err := db.DeleteStudentIf(t.Context(), &first); err != nil {
		t.Errorf("DeleteStudentIf(current) = %v, want nil", err)
	}
	if err := db.DeleteStudentIf(t.Context(), &first); !errors.Is(err, models.ErrChanged) {
		t.Errorf("DeleteStudentIf(gone) = %v, want %v", err, models.ErrChanged)
	}
	if err := db.DeleteStudent(t.Context(), first.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("DeleteStudent(gone) = %v, want %v", err, models.ErrNotFound)
	}
}
