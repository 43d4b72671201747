package models_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// fullSize is a quota (Source.MaxSize) a few hundred students fill.
const fullSize = 256 << 10

// fill creates students from workers goroutines at once (so that the
// group-commit writer batches them) until every worker has been refused with
// ErrFull; it returns the ids of the creates that were answered with success.
// Any other error fails the test.
func fill(t *testing.T, db *models.DB, prefix string, workers int) []int64 {
	t.Helper()
	var (
		mu  sync.Mutex
		ids []int64
		wg  sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				s := &models.Student{Name: fmt.Sprintf("%s-%d-%d-%s", prefix, w, i, strings.Repeat("n", 70)), Roll: int64(i), City: strings.Repeat("c", 100)}
				err := db.CreateStudent(t.Context(), s)
				if errors.Is(err, models.ErrFull) {
					return
				}
				if err != nil {
					t.Errorf("create: %v, want nil or ErrFull", err)
					return
				}
				mu.Lock()
				ids = append(ids, s.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return ids
}

// A database at its quota (SQLite's max_page_count, as a full disk) refuses
// writes with ErrFull, and nothing else: every create answered with success
// is in the table, reads work, the file is sound, and the episode is logged
// once. Deleting rows frees their pages, and writes work again in the same
// process, which logs that once.
func TestFullDatabase(t *testing.T) {
	if testdb.Backend() != "sqlite" {
		t.Skip("Source.MaxSize is SQLite's")
	}
	src := testdb.DB{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "full.db")}
	var log syncBuffer
	clock := &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	db, err := models.Connect(models.Source{Path: src.Path, MaxSize: fullSize}, models.Options{Keys: testKeys{secret: testSecret}, Log: &log, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	ids := fill(t, db, "a", 8)
	if len(ids) < 100 {
		t.Fatalf("%d creates before the quota, want hundreds", len(ids))
	}
	// Reads work, and hold every acknowledged write.
	all, err := db.FindStudents(ctx, models.StudentQuery{})
	if err != nil {
		t.Fatalf("list at the quota: %v", err)
	}
	have := map[int64]bool{}
	for _, s := range all {
		have[s.ID] = true
	}
	for _, id := range ids {
		if !have[id] {
			t.Errorf("student %d was acknowledged but is not in the table", id)
		}
	}
	if len(all) != len(ids) {
		t.Errorf("%d rows, want the %d acknowledged", len(all), len(ids))
	}
	checkIntegrity(t, src)
	if got := strings.Count(log.String(), "level=ERROR"); got != 1 {
		t.Errorf("%d ERROR lines for one episode, want 1; log:\n%s", got, log.String())
	}
	// The query log does not write a line per refused statement either.
	if got := strings.Count(log.String(), "disk is full"); got != 1 {
		t.Errorf("%d lines name the full disk, want the episode's 1; log:\n%s", got, log.String())
	}

	// Deleting frees pages without needing new ones, and the next write
	// reuses them: no restart, no reopened connection.
	for _, id := range ids[:len(ids)/2] {
		if err := db.DeleteStudent(ctx, id); err != nil {
			t.Fatalf("delete at the quota: %v", err)
		}
	}
	if err := db.CreateStudent(ctx, &models.Student{Name: "after", Roll: 1, City: "Pune"}); err != nil {
		t.Fatalf("create after freeing space: %v", err)
	}
	// Right after the last failure a success may be a row that happened to
	// fit; the episode ends at one after a quiet spell.
	if strings.Contains(log.String(), "level=INFO") {
		t.Errorf("recovery logged within fullQuiet of the last failure; log:\n%s", log.String())
	}
	clock.Advance(5 * time.Second)
	if err := db.CreateStudent(ctx, &models.Student{Name: "later", Roll: 2, City: "Pune"}); err != nil {
		t.Fatalf("create after freeing space: %v", err)
	}
	if err := db.CreateStudent(ctx, &models.Student{Name: "later still", Roll: 3, City: "Pune"}); err != nil {
		t.Fatalf("create after freeing space: %v", err)
	}
	if got := strings.Count(log.String(), "level=INFO msg=\"database writes succeed again"); got != 1 {
		t.Errorf("%d recovery lines, want 1; log:\n%s", got, log.String())
	}
	// A second episode is logged again, once.
	fill(t, db, "b", 4)
	if got := strings.Count(log.String(), "level=ERROR"); got != 2 {
		t.Errorf("%d ERROR lines for two episodes, want 2; log:\n%s", got, log.String())
	}
	checkIntegrity(t, src)
}

// checkIntegrity fails t unless SQLite's integrity_check finds src sound.
func checkIntegrity(t *testing.T, src testdb.DB) {
	t.Helper()
	var got string
	if err := rawDB(t, src).Raw("PRAGMA integrity_check").Scan(&got).Error; err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if got != "ok" {
		t.Errorf("integrity_check: %q, want ok", got)
	}
}
