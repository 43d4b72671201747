//go:build unix

package models_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"studentapi/models"
)

// withUmask runs fn under the process umask mask.
func withUmask(mask int, fn func()) {
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	fn()
}

// checkPrivate checks that path and its -wal and -shm all exist with mode
// 0600.
func checkPrivate(t *testing.T, path string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Errorf("stat %s: %v", filepath.Base(p), err)
			continue
		}
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s = %04o, want 0600", filepath.Base(p), got)
		}
	}
}

// writeSome migrates db and writes a row, so that the -wal and -shm exist.
func writeSome(t *testing.T, db *models.DB) {
	t.Helper()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudent(t.Context(), &models.Student{Name: "Ravi", Roll: 1, City: "Ranchi"}); err != nil {
		t.Fatal(err)
	}
}

// The database holds password hashes and token digests: the file and its
// -wal and -shm are created readable by their owner only, whatever the umask.
func TestSQLiteFilesCreatedPrivate(t *testing.T) {
	for _, mask := range []int{0o022, 0o002, 0} {
		path := filepath.Join(t.TempDir(), "db.sqlite")
		var (
			db  *models.DB
			err error
		)
		withUmask(mask, func() {
			db, err = models.Connect(models.Source{Path: path}, models.Options{Keys: testKeys{secret: testSecret}})
			if err == nil {
				writeSome(t, db)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		checkPrivate(t, path)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// A database made before, readable by others, is made private when opened,
// with its -wal and -shm, and the log says so.
func TestSQLiteFilesTightened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := models.Connect(models.Source{Path: path}, models.Options{Keys: testKeys{secret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, db)
	// The files as an older version left them, under umask 022, while a
	// second process still has them open (so the -wal and -shm stay).
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var log strings.Builder
	again, err := models.Connect(models.Source{Path: path}, models.Options{Keys: testKeys{secret: testSecret}, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, again)
	checkPrivate(t, path)
	if !strings.Contains(log.String(), path+" was readable by others (mode 0644); now 0600") {
		t.Errorf("log = %q, want it to say the file was made private", log.String())
	}
	for _, d := range []*models.DB{again, db} {
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
