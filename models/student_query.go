package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// StudentQuery selects, orders and pages students. Its zero value is every
// student ordered by id. Every value reaches SQL as a bound parameter; column
// names come only from StudentColumns.
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

// Order sorts by one column of StudentColumns.
type Order struct {
	Column string
	Desc   bool
}

// StudentColumns are the columns a query may order by.
var StudentColumns = []string{"id", "name", "roll", "city"}

func validColumn(c string) bool {
	for _, v := range StudentColumns {
		if v == c {
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

func (q StudentQuery) where(tx *gorm.DB) *gorm.DB {
	if q.Empty || matchesNothing(q.Search, q.City) {
		return tx.Where("1 = 0")
	}
	for _, term := range q.Search {
		pattern := likePattern(term)
		tx = tx.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(city) LIKE ? ESCAPE '\')`, pattern, pattern)
	}
	if q.ID != nil {
		tx = tx.Where("id = ?", *q.ID)
	}
	if q.City != nil {
		tx = tx.Where("city = ?", *q.City)
	}
	if q.Roll != nil {
		tx = tx.Where("roll = ?", *q.Roll)
	}
	if q.RollMin != nil {
		tx = tx.Where("roll >= ?", *q.RollMin)
	}
	if q.RollMax != nil {
		tx = tx.Where("roll <= ?", *q.RollMax)
	}
	return tx
}

// CountStudents counts the students q selects, ignoring its paging.
func (db *DB) CountStudents(ctx context.Context, q StudentQuery) (int64, error) {
	var n int64
	if err := q.where(db.with(ctx).Model(&Student{})).Count(&n).Error; err != nil {
		return 0, translate(err, "count students")
	}
	return n, nil
}

// FindStudents returns the students q selects, in its order, one page of them
// when q has a Limit.
func (db *DB) FindStudents(ctx context.Context, q StudentQuery) ([]Student, error) {
	tx := q.where(db.with(ctx))
	byID := false
	for _, o := range q.Ordering {
		if !validColumn(o.Column) {
			return nil, fmt.Errorf("find students: cannot order by %q", o.Column)
		}
		tx = tx.Order(clause.OrderByColumn{Column: clause.Column{Name: o.Column}, Desc: o.Desc})
		byID = byID || o.Column == "id"
	}
	if !byID {
		tx = tx.Order("id")
	}
	if q.Limit > 0 {
		tx = tx.Limit(q.Limit).Offset(q.Offset)
	}
	out := []Student{}
	if err := tx.Find(&out).Error; err != nil {
		return nil, translate(err, "find students")
	}
	return out, nil
}
