package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"studentapi/internal/testdb"
)

// TestDatabaseGoesAway cuts the server's connections to PostgreSQL in the
// middle of a run: every request that needs the database answers 503 with
// Retry-After (never 500, never 401 for a good key it cannot check), /healthz
// still answers, and once the database is back the same process serves again
// by itself. scripts/pgrestart.sh does the same by stopping the real server.
func TestDatabaseGoesAway(t *testing.T) {
	proxy, db := testdb.NewProxy(t, testdb.Postgres(t))
	c := newTestCLIOn(t, db)
	c.createUser(t, "createuser", "alice", "pw")
	s := startServer(t, c)
	client := &http.Client{Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	key := getToken(t, client, s.url, "alice", "pw")
	auth := tokenHeader(key)
	jsonAuth := tokenHeader(key)
	jsonAuth.Set("Content-Type", "application/json")
	newStudent := `{"name": "Ravi", "roll": 1, "city": "Pune"}`

	resp, body := do(t, client, http.MethodPost, s.url+"/studentapi/", newStudent, jsonAuth)
	checkStatus(t, resp, body, http.StatusCreated)

	proxy.Cut()
	for _, r := range []struct {
		method, path, body string
		header             http.Header
	}{
		{http.MethodGet, "/studentapi/", "", auth},
		{http.MethodGet, "/studentapi/1/", "", auth},
		{http.MethodPost, "/studentapi/", newStudent, jsonAuth},
		{http.MethodPost, "/gettoken/", "username=alice&password=pw", formHeader},
		{http.MethodGet, "/readyz", "", nil},
	} {
		resp, body := do(t, client, r.method, s.url+r.path, r.body, r.header)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" ||
			strings.TrimSpace(body) != `{"detail":"Service temporarily unavailable."}` {
			t.Errorf("%s %s with the database gone: %d, Retry-After %q, body %s; want 503, 5, DRF's detail",
				r.method, r.path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	// The admin site says the same in its own words.
	resp, body = do(t, client, http.MethodPost, s.url+"/admin/login/", "username=alice&password=pw", formHeader)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" {
		t.Errorf("admin login with the database gone: %d, Retry-After %q; want 503, 5; body %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, body = do(t, client, http.MethodGet, s.url+"/healthz", "", nil)
	checkStatus(t, resp, body, http.StatusOK)
	// A request that needs no database still answers as ever.
	resp, body = do(t, client, http.MethodGet, s.url+"/studentapi/", "", nil)
	checkStatus(t, resp, body, http.StatusUnauthorized)

	proxy.Restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, body = do(t, client, http.MethodGet, s.url+"/studentapi/", "", auth)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("after the database came back: %d %s; want 200 within 15s", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(body, `"Ravi"`) {
		t.Errorf("list after the database came back: %s, want the student created before", body)
	}
	resp, body = do(t, client, http.MethodPost, s.url+"/studentapi/", newStudent, jsonAuth)
	checkStatus(t, resp, body, http.StatusCreated)
	resp, body = do(t, client, http.MethodGet, s.url+"/readyz", "", nil)
	checkStatus(t, resp, body, http.StatusOK)
	if strings.Contains(s.stderr.String(), key) {
		t.Errorf("the log holds the key: %s", s.stderr)
	}
	if n := strings.Count(s.stderr.String(), "internal error"); n != 0 {
		t.Errorf("the log has %d internal errors, want none:\n%s", n, s.stderr)
	}
}

// TestServeStartsWithoutDatabase starts a server, without migrating at start,
// while its database is unreachable: it serves 503 until the database answers,
// then the API, without a restart.
func TestServeStartsWithoutDatabase(t *testing.T) {
	proxy, db := testdb.NewProxy(t, testdb.Postgres(t))
	c := newTestCLIOn(t, db)
	c.createUser(t, "createuser", "alice", "pw")
	c.env["STUDENTAPI_DATABASE_MIGRATE_ON_START"] = "false"
	proxy.Cut()
	s := startServer(t, c)
	client := &http.Client{Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	login := "username=alice&password=pw"

	for _, path := range []string{"/readyz", "/gettoken/"} {
		method := http.MethodGet
		if path == "/gettoken/" {
			method = http.MethodPost
		}
		resp, body := do(t, client, method, s.url+path, login, formHeader)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s before the database is up: %d %s; want 503 with Retry-After", method, path, resp.StatusCode, body)
		}
	}
	resp, body := do(t, client, http.MethodGet, s.url+"/healthz", "", nil)
	checkStatus(t, resp, body, http.StatusOK)

	proxy.Restore()
	resp, body = do(t, client, http.MethodGet, s.url+"/readyz", "", nil)
	checkStatus(t, resp, body, http.StatusOK)
	key := getToken(t, client, s.url, "alice", "pw")
	resp, body = do(t, client, http.MethodGet, s.url+"/studentapi/", "", tokenHeader(key))
	checkStatus(t, resp, body, http.StatusOK)
}
