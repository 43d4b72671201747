package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// backupStudents checks that the SQLite file at path passes integrity_check
// and returns its students' names by id.
func backupStudents(t *testing.T, path string) map[int64]string {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var check string
	if err := raw.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of %s = %q, %v; want ok", path, check, err)
	}
	rows, err := raw.Query("SELECT id, name FROM students")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	students := map[int64]string{}
	for rows.Next() {
		var (
			id   int64
			name string
		)
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		students[id] = name
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return students
}

// createStudent POSTs a student to the server and returns its id.
func createStudent(client *http.Client, baseURL, token, name string) (int64, error) {
	body := fmt.Sprintf(`{"name":%q,"roll":1,"city":"Pune"}`, name)
	req, err := http.NewRequest(http.MethodPost, baseURL+"/studentapi/", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Token "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var created struct{ ID int64 }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("POST /studentapi/: status %d", resp.StatusCode)
	}
	return created.ID, nil
}

// The whole life of a backup on a served database: taken while 16 clients
// create students through the server, it passes integrity_check and holds
// every student created before it began; a second backup to the same file is
// refused; restore is refused while the server runs, and once it is stopped
// brings the backup's rows back (and only those).
func TestBackupRestoreCommands(t *testing.T) {
	c := newSQLiteCLI(t)
	c.createUser(t, "createuser", "alice", "pw")
	s := startServer(t, c)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	token := getToken(t, client, s.url, "alice", "pw")

	var (
		mu    sync.Mutex
		acked []int64
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id, err := createStudent(client, s.url, token, fmt.Sprintf("w%d-%d", w, i))
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 100 || t.Failed() {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	before := append([]int64(nil), acked...)
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "backup.db")
	out, _, err := c.run(t, "", "backup", backup)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if want := c.withDatabase("Backed up to " + backup + " (database $DB).\n"); out != want {
		t.Errorf("backup printed %q, want %q", out, want)
	}
	saved := backupStudents(t, backup)
	for _, id := range before {
		if _, ok := saved[id]; !ok {
			t.Errorf("student %d, created before the backup began, is not in it", id)
		}
	}

	_, _, err = c.run(t, "", "backup", backup)
	checkExit(t, err, 1, backup+" already exists")

	_, _, err = c.run(t, "", "restore", backup)
	checkExit(t, err, 1, "a server (or another program) is using "+c.database()+"; stop it first")

	late, err := createStudent(client, s.url, token, "after the backup")
	if err != nil {
		t.Fatal(err)
	}
	client.CloseIdleConnections()
	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	out = c.mustRun(t, "", "restore", backup)
	if want := c.withDatabase("Restored " + backup + " (database $DB).\n"); out != want {
		t.Errorf("restore printed %q, want %q", out, want)
	}
	restored := backupStudents(t, c.db.Path)
	if len(restored) != len(saved) {
		t.Errorf("%d students after the restore, want the backup's %d", len(restored), len(saved))
	}
	if _, ok := restored[late]; ok {
		t.Errorf("student %d, created after the backup, survived the restore", late)
	}
	// The secret file stayed, so alice's token still opens.
	db := c.openDB(t)
	if got := mustToken(t, db, mustUser(t, db, "alice")); got != token {
		t.Errorf("alice's token after the restore = %q, want %q", got, token)
	}
}

func TestRestoreRefusesNonDatabase(t *testing.T) {
	c := newSQLiteCLI(t)
	c.createUser(t, "createuser", "alice", "pw")
	notes := filepath.Join(c.dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("not a database, but long enough to have a header of one"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.run(t, "", "restore", notes)
	checkExit(t, err, 1, "not a SQLite database")
	mustUser(t, c.openDB(t), "alice")
}

func TestBackupRefusesMissingDatabase(t *testing.T) {
	c := newSQLiteCLI(t)
	_, _, err := c.run(t, "", "backup", filepath.Join(c.dir, "backup.db"))
	checkExit(t, err, 1, "there is no database at "+c.database())
	if _, err := os.Stat(c.db.Path); err == nil {
		t.Errorf("backup created the database it was to copy")
	}
}

// On PostgreSQL both commands name pg_dump and fail, without dialling the
// server (the DSN here leads nowhere).
func TestBackupRestorePostgres(t *testing.T) {
	c := newTestCLIOn(t, testdb.DB{Driver: models.DriverPostgres, DSN: "postgres://studentapi@127.0.0.1:1/studentapi"})
	for _, cmd := range []string{"backup", "restore"} {
		_, _, err := c.run(t, "", cmd, filepath.Join(c.dir, "backup.db"))
		checkExit(t, err, 1, cmd+": online backup and restore are for SQLite; on PostgreSQL use pg_dump")
	}
}
