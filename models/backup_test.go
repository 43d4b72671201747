package models_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// sqliteDB is a fresh SQLite database in a temp dir, whatever the run's
// backend: backup and restore are SQLite's.
func sqliteDB(t *testing.T) testdb.DB {
	t.Helper()
	return testdb.DB{Driver: models.DriverSQLite, Path: filepath.Join(t.TempDir(), "live.db")}
}

// backupIDs checks that the file at path passes integrity_check and returns
// the ids of its students.
func backupIDs(t *testing.T, path string) map[int64]bool {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var check string
	if err := raw.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the backup = %q, %v; want ok", check, err)
	}
	rows, err := raw.Query("SELECT id FROM students")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// A backup taken while 16 clients create students holds every create
// answered before it began, passes integrity_check, and does not stop the
// writers: creates are answered while it runs.
func TestBackupUnderConcurrentWriters(t *testing.T) {
	src := sqliteDB(t)
	db := openDB(t, src)
	// Enough rows that the copy takes a while, so that writes overlap it.
	if err := db.ExecForTest(t.Context(), `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 200000)
		INSERT INTO students (name, roll, city) SELECT 'prefill ' || i, i, 'Pune' FROM n`); err != nil {
		t.Fatal(err)
	}

	var (
		mu      sync.Mutex
		acked   []int64
		during  atomic.Int64 // creates answered while Backup ran
		backing atomic.Bool
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for c := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := &models.Student{Name: fmt.Sprintf("w%d-%d", c, i), Roll: int64(i), City: "Delhi"}
				if err := db.CreateStudent(t.Context(), s); err != nil {
					t.Errorf("create: %v", err)
					return
				}
				if backing.Load() {
					during.Add(1)
				}
				mu.Lock()
				acked = append(acked, s.ID)
				mu.Unlock()
			}
		})
	}
	// Let the writers get going, then note what was answered before the
	// backup starts.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 || t.Failed() {
			break
		}
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	mu.Lock()
	before := append([]int64(nil), acked...)
	mu.Unlock()
	backing.Store(true)
	err := db.Backup(t.Context(), path)
	backing.Store(false)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}

	ids := backupIDs(t, path)
	for _, id := range before {
		if !ids[id] {
			t.Errorf("student %d, created before the backup began, is not in it", id)
		}
	}
	if len(ids) < 200000+len(before) {
		t.Errorf("backup holds %d students, want at least %d", len(ids), 200000+len(before))
	}
	if during.Load() == 0 {
		t.Errorf("no create was answered while the backup ran: it blocked the writers")
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
}

func TestBackupRefusesExistingFile(t *testing.T) {
	db := openDB(t, sqliteDB(t))
	path := filepath.Join(t.TempDir(), "taken.db")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := db.Backup(t.Context(), path)
	if err == nil {
		t.Fatal("Backup over an existing file: nil error, want a refusal")
	}
	if got, _ := os.ReadFile(path); string(got) != "keep me" {
		t.Errorf("existing file now holds %q, want it untouched", got)
	}
}

func TestBackupPostgres(t *testing.T) {
	db, src := newDB(t)
	if src.Driver != models.DriverPostgres {
		t.Skip("PostgreSQL only (STUDENTAPI_TEST_BACKEND=postgres)")
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(t.Context(), path); !errors.Is(err, models.ErrPostgresBackup) {
		t.Errorf("Backup on PostgreSQL: %v, want ErrPostgresBackup", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("Backup on PostgreSQL left a file")
	}
}

func TestRestorePostgres(t *testing.T) {
	err := models.Restore(t.Context(), models.Source{Driver: models.DriverPostgres, DSN: "postgres://u@localhost/db"}, "whatever.db")
	if !errors.Is(err, models.ErrPostgresBackup) {
		t.Errorf("Restore on PostgreSQL: %v, want ErrPostgresBackup", err)
	}
}

// Restore refuses while the database is open elsewhere, then replaces it:
// the rows of the backup come back, the later ones go, nothing of the old
// -wal is replayed.
func TestRestore(t *testing.T) {
	src := sqliteDB(t)
	db, err := models.Connect(source(src), models.Options{Keys: testKeys{secret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudent(t.Context(), &models.Student{Name: "kept", Roll: 1, City: "Pune"}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(t.Context(), backup); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudent(t.Context(), &models.Student{Name: "after the backup", Roll: 2, City: "Pune"}); err != nil {
		t.Fatal(err)
	}

	if err := models.Restore(t.Context(), source(src), backup); !errors.Is(err, models.ErrInUse) {
		t.Fatalf("Restore while the database is open: %v, want ErrInUse", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := models.Restore(t.Context(), source(src), backup); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got := studentNames(t, openDB(t, src)); got != "kept" {
		t.Errorf("students after the restore = %q, want kept", got)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(src.Path), "*.restore-*")); len(leftovers) != 0 {
		t.Errorf("restore left %q behind", leftovers)
	}
}

// A file that is not a studentapi database is refused and the database kept.
func TestRestoreRefusesBadBackup(t *testing.T) {
	src := sqliteDB(t)
	db, err := models.Connect(source(src), models.Options{Keys: testKeys{secret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudent(t.Context(), &models.Student{Name: "kept", Roll: 1, City: "Pune"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte("these are not the pages you are looking for, not at all, no"), 0o600); err != nil {
		t.Fatal(err)
	}
	otherDB := filepath.Join(dir, "other.db")
	raw, err := sql.Open("sqlite3", otherDB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("CREATE TABLE things (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	for _, from := range []string{notDB, otherDB, filepath.Join(dir, "missing.db")} {
		if err := models.Restore(t.Context(), source(src), from); err == nil {
			t.Errorf("Restore from %s: nil error, want a refusal", filepath.Base(from))
		}
	}
	if got := studentNames(t, openDB(t, src)); got != "kept" {
		t.Errorf("students after refused restores = %q, want kept", got)
	}
}

// A database left by a crash, its last commits still in its -wal, is
// replaced whole: nothing of that -wal reaches the restored file.
func TestRestoreDropsStaleWAL(t *testing.T) {
	good := sqliteDB(t)
	db := openDB(t, good)
	if err := db.CreateStudent(t.Context(), &models.Student{Name: "kept", Roll: 1, City: "Pune"}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(t.Context(), backup); err != nil {
		t.Fatal(err)
	}

	// The files of a live database, copied while it is open, are what a
	// crash leaves: the last commits are only in the -wal.
	live := sqliteDB(t)
	ldb := openDB(t, live)
	for i := range 50 {
		if err := ldb.CreateStudent(t.Context(), &models.Student{Name: fmt.Sprintf("crashed %d", i), Roll: 1, City: "Pune"}); err != nil {
			t.Fatal(err)
		}
	}
	crashed := sqliteDB(t)
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(live.Path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed.Path+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if err := models.Restore(t.Context(), source(crashed), backup); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if _, err := os.Stat(crashed.Path + "-wal"); err == nil {
		t.Errorf("the crashed database's -wal is still there after the restore")
	}
	ids := backupIDs(t, crashed.Path)
	if got := studentNames(t, openDB(t, crashed)); got != "kept" || len(ids) != 1 {
		t.Errorf("students after the restore = %q (%d ids), want kept", got, len(ids))
	}
}
