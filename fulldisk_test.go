package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"studentapi/models"
)

// fullBody is the answer of a write the database has no room for.
const fullBody = `{"detail":"Insufficient storage: the database is full; try again later."}`

// TestFullDisk fills the server's database to its quota
// (database.sqlite.max_size, SQLite's max_page_count, which fails writes as a
// full file system does; scripts/fulldisk.sh does it on a real one) with
// creates from several clients at once, through the group-commit writer.
// Writes answer 507, never 500; reads go on, with the throttle counts in the
// database too; every create answered 201 is there; the file is sound; the
// log says it once. Deleting rows frees space, and the same process takes
// writes again and says so once.
func TestFullDisk(t *testing.T) {
	c := newSQLiteCLI(t)
	c.env["STUDENTAPI_DATABASE_SQLITE_MAX_SIZE"] = "262144"
	c.env["STUDENTAPI_API_THROTTLE_STORE"] = "database"
	c.env["STUDENTAPI_API_THROTTLE_USER"] = "100000/day"
	c.createUser(t, "createuser", "alice", "pw")
	s := startServer(t, c)
	client := &http.Client{Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	key := getToken(t, client, s.url, "alice", "pw")
	auth := tokenHeader(key)
	jsonAuth := tokenHeader(key)
	jsonAuth.Set("Content-Type", "application/json")

	create := func(name string) (int, string) {
		body := fmt.Sprintf(`{"name": %q, "roll": 1, "city": %q}`, name, strings.Repeat("c", 100))
		resp, got := do(t, client, http.MethodPost, s.url+"/studentapi/", body, jsonAuth)
		return resp.StatusCode, got
	}
	var (
		mu    sync.Mutex
		acked []int64
		wg    sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				status, body := create(fmt.Sprintf("w%d-%d-%s", w, i, strings.Repeat("n", 80)))
				switch status {
				case http.StatusCreated:
					var s struct{ ID int64 }
					if err := json.Unmarshal([]byte(body), &s); err != nil || s.ID == 0 {
						t.Errorf("201 with body %s: %v", body, err)
						return
					}
					mu.Lock()
					acked = append(acked, s.ID)
					mu.Unlock()
				case http.StatusInsufficientStorage:
					if strings.TrimSpace(body) != fullBody {
						t.Errorf("507 body %s, want %s", body, fullBody)
					}
					return
				default:
					t.Errorf("create while filling: %d %s, want 201 or 507", status, body)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("%d creates before the quota, want hundreds", len(acked))
	}

	// Reads answer, and hold every acknowledged write.
	resp, body := do(t, client, http.MethodGet, s.url+"/studentapi/", "", auth)
	checkStatus(t, resp, body, http.StatusOK)
	var list []struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("list: %v", err)
	}
	have := map[int64]bool{}
	for _, s := range list {
		have[s.ID] = true
	}
	for _, id := range acked {
		if !have[id] {
			t.Errorf("student %d was answered 201 but is not listed", id)
		}
	}
	resp, body = do(t, client, http.MethodGet, fmt.Sprintf("%s/studentapi/%d/", s.url, acked[0]), "", auth)
	checkStatus(t, resp, body, http.StatusOK)
	if status, body := create("one more"); status != http.StatusInsufficientStorage {
		t.Errorf("create at the quota: %d %s, want 507", status, body)
	}
	checkSQLiteIntegrity(t, c.db.Path)
	log := s.stderr.String()
	if got := strings.Count(log, "level=ERROR"); got != 1 {
		t.Errorf("%d ERROR lines for one episode, want 1; log:\n%s", got, log)
	}
	if strings.Contains(log, "level=ERROR msg=\"internal error\"") {
		t.Errorf("a 500 while full; log:\n%s", log)
	}

	// Deleting frees pages (it needs none of its own); the same process
	// takes writes again.
	for _, id := range acked[:len(acked)/2] {
		resp, body := do(t, client, http.MethodDelete, fmt.Sprintf("%s/studentapi/%d/", s.url, id), "", auth)
		checkStatus(t, resp, body, http.StatusNoContent)
	}
	if status, body := create("after"); status != http.StatusCreated {
		t.Fatalf("create after freeing space: %d %s, want 201", status, body)
	}
	// The episode ends at a success after a quiet spell (models' fullQuiet).
	time.Sleep(5 * time.Second)
	if status, body := create("later"); status != http.StatusCreated {
		t.Fatalf("create after freeing space: %d %s, want 201", status, body)
	}
	recovered := "level=INFO msg=\"database writes succeed again"
	deadline := time.Now().Add(5 * time.Second) // the log may hold an INFO line for a moment
	for !strings.Contains(s.stderr.String(), recovered) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := strings.Count(s.stderr.String(), recovered); got != 1 {
		t.Errorf("%d recovery lines, want 1; log:\n%s", got, s.stderr.String())
	}
	checkSQLiteIntegrity(t, c.db.Path)
}

// checkSQLiteIntegrity fails t unless PRAGMA integrity_check finds the
// SQLite database at path sound, read on a connection of its own while the
// server has it open.
func checkSQLiteIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", models.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.QueryRowContext(t.Context(), "PRAGMA integrity_check").Scan(&got); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if got != "ok" {
		t.Errorf("integrity_check: %q, want ok", got)
	}
}
