package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Student is the resource served at /studentapi/.
type Student struct {
	ID   int64  `gorm:"primaryKey"`
	Name string `gorm:"size:100;not null;index"`
	Roll int64  `gorm:"not null;index"`
	City string `gorm:"size:100;not null;index"`
}

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
// committed with the database's durability. On SQLite, outside a transaction,
// concurrent creates share commits (see groupcommit.go); Student has no GORM
// hooks, which that path would not run.
func (db *DB) CreateStudent(ctx context.Context, s *Student) error {
	s.ID = 0
	if _, root := db.gorm.Statement.ConnPool.(*sql.DB); root && db.writer != nil {
		return db.writer.create(ctx, s)
	}
	return translate(db.with(ctx).Create(s).Error, "create student")
}

// UpdateStudent writes every field of s; ErrNotFound if the row is gone.
func (db *DB) UpdateStudent(ctx context.Context, s *Student) error {
	// The id condition is explicit: GORM leaves a zero primary key out of the
	// WHERE clause and would refuse the update instead of finding no row.
	res := db.with(ctx).Model(&Student{}).Where("id = ?", s.ID).
		Updates(map[string]any{"name": s.Name, "roll": s.Roll, "city": s.City})
	if res.Error != nil {
		return translate(res.Error, fmt.Sprintf("update student %d", s.ID))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("update student %d: %w", s.ID, ErrNotFound)
	}
	return nil
}

// DeleteStudent removes one student; ErrNotFound if there was none.
func (db *DB) DeleteStudent(ctx context.Context, id int64) error {
	res := db.with(ctx).Delete(&Student{}, id)
	if res.Error != nil {
		return translate(res.Error, fmt.Sprintf("delete student %d", id))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete student %d: %w", id, ErrNotFound)
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
