package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"studentapi/internal/proxies"
	"studentapi/internal/throttle"
	"studentapi/models"
)

// metricsHandler is the server's handler under cfg, with metrics when
// metrics.enabled, over a fresh database; it returns the database too.
func metricsHandler(t *testing.T, tune func(*Config)) (http.Handler, *models.DB) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Database.Path = filepath.Join(t.TempDir(), "metrics.db")
	cfg.Auth.BcryptCost = 4
	cfg.API.Throttle.GetToken = throttle.Rate{} // off: the tests log in freely
	if tune != nil {
		tune(&cfg)
	}
	m := newMetrics(cfg)
	db, secret, err := openDB(cfg, io.Discard, observeCommits(m))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m != nil {
		if err := m.WatchPool(db.PoolStats); err != nil {
			t.Fatal(err)
		}
	}
	h, err := newHandler(cfg, db, secret.value, slog.New(slog.DiscardHandler), m)
	if err != nil {
		t.Fatal(err)
	}
	return h, db
}

func mustPrefixes(t *testing.T, list ...string) []proxies.Prefix {
	t.Helper()
	var out []proxies.Prefix
	for _, s := range list {
		p, err := proxies.ParsePrefix(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// /metrics answers loopback and metrics.allow; anyone else gets the API's
// 404, as for a path that does not exist. Behind a trusted proxy the client
// in X-Forwarded-For is judged; forwarding headers from a proxy that is not
// trusted are refused even from loopback (a proxy on this machine would
// otherwise make every client loopback).
func TestMetricsAccess(t *testing.T) {
	h, _ := metricsHandler(t, func(c *Config) {
		c.Metrics.Allow = mustPrefixes(t, "10.1.0.0/16", "192.0.2.9")
		c.HTTP.TrustedProxies = mustPrefixes(t, "10.9.9.9")
	})
	for _, tt := range []struct {
		name, remote, forwarded string
		want                    int
	}{
		{"IPv4 loopback", "127.0.0.1:5000", "", http.StatusOK},
		{"IPv6 loopback", "[::1]:5000", "", http.StatusOK},
		{"allowed CIDR", "10.1.2.3:5000", "", http.StatusOK},
		{"allowed address", "192.0.2.9:5000", "", http.StatusOK},
		{"other address", "192.0.2.10:5000", "", http.StatusNotFound},
		{"trusted proxy for an allowed client", "10.9.9.9:5000", "10.1.2.3", http.StatusOK},
		{"trusted proxy for another client", "10.9.9.9:5000", "203.0.113.5", http.StatusNotFound},
		{"trusted proxy itself is not allowed", "10.9.9.9:5000", "", http.StatusNotFound},
		{"untrusted proxy on loopback", "127.0.0.1:5000", "203.0.113.5", http.StatusNotFound},
		{"forged loopback client", "192.0.2.10:5000", "127.0.0.1", http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Host = "localhost:8000"
			req.RemoteAddr = tt.remote
			if tt.forwarded != "" {
				req.Header.Set("X-Forwarded-For", tt.forwarded)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			switch body := w.Body.String(); tt.want {
			case http.StatusOK:
				if !strings.Contains(body, "# TYPE http_requests_in_flight gauge") {
					t.Errorf("body is no exposition:\n%.300s", body)
				}
			default:
				if want := `{"detail":"Not found."}`; body != want {
					t.Errorf("body %s, want %s", body, want)
				}
			}
			if w.Header().Get("X-Request-ID") == "" {
				t.Errorf("no X-Request-ID on /metrics")
			}
		})
	}
}

// Behind a proxy on the same machine, a client the proxy names in a form
// that cannot be read is nobody, not the (loopback) proxy: the red team got
// the metrics with X-Forwarded-For: unknown.
func TestMetricsBehindALoopbackProxy(t *testing.T) {
	h, _ := metricsHandler(t, func(c *Config) { c.HTTP.TrustedProxies = mustPrefixes(t, "127.0.0.1") })
	for _, tt := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"the proxy's own scrape", nil, http.StatusOK},
		{"a loopback client", map[string]string{"X-Forwarded-For": "127.0.0.1"}, http.StatusOK},
		{"a remote client", map[string]string{"X-Forwarded-For": "203.0.113.5"}, http.StatusNotFound},
		{"Squid's unknown", map[string]string{"X-Forwarded-For": "unknown"}, http.StatusNotFound},
		{"a remote client with a port", map[string]string{"X-Forwarded-For": "203.0.113.5:1234"}, http.StatusNotFound},
		{"an obfuscated client", map[string]string{"X-Forwarded-For": "_hidden"}, http.StatusNotFound},
		{"only Forwarded", map[string]string{"Forwarded": "for=203.0.113.5"}, http.StatusNotFound},
	} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Host = "localhost:8000"
		req.RemoteAddr = "127.0.0.1:5000"
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, w.Code, tt.want)
		}
	}
}

// With metrics.enabled false nothing serves /metrics; with metrics.addr set
// the main listener does not.
func TestMetricsOffTheMainListener(t *testing.T) {
	for name, tune := range map[string]func(*Config){
		"metrics.enabled false": func(c *Config) { c.Metrics.Enabled = false },
		"metrics.addr set":      func(c *Config) { c.Metrics.Addr = "127.0.0.1:0" },
	} {
		t.Run(name, func(t *testing.T) {
			h, _ := metricsHandler(t, tune)
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Host = "localhost:8000"
			req.RemoteAddr = "127.0.0.1:5000"
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if want := `{"detail":"Not found."}`; w.Code != http.StatusNotFound || w.Body.String() != want {
				t.Errorf("got %d %s, want 404 %s", w.Code, w.Body, want)
			}
		})
	}
}

// The database pool's statistics and SQLite's group commits are in the
// metrics: a create is one commit of one row.
func TestMetricsDatabase(t *testing.T) {
	h, db := metricsHandler(t, nil)
	ctx := context.Background()
	u := &models.User{Username: "alice", IsActive: true}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudent(ctx, &models.Student{Name: "Ravi", Roll: 1, City: "Pune"}); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Host = "localhost:8000"
	req.RemoteAddr = "127.0.0.1:5000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	body := w.Body.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^go_sql_open_connections [1-9]`),
		regexp.MustCompile(`(?m)^go_sql_in_use_connections \d`),
		regexp.MustCompile(`(?m)^go_sql_wait_count_total \d`),
		regexp.MustCompile(`(?m)^go_sql_wait_duration_seconds_total \d`),
		regexp.MustCompile(`(?m)^studentapi_sqlite_group_commit_rows_count 1$`),
		regexp.MustCompile(`(?m)^studentapi_sqlite_group_commit_rows_sum 1$`),
		regexp.MustCompile(`(?m)^studentapi_sqlite_group_commit_duration_seconds_count 1$`),
	} {
		if !want.MatchString(body) {
			t.Errorf("scrape does not match %s", want)
		}
	}
}

// serve with metrics.addr serves /metrics there, to loopback, and 404 for any
// other path.
func TestServeMetricsAddr(t *testing.T) {
	c := newTestCLI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c.env["STUDENTAPI_METRICS_ADDR"] = addr
	s := startServer(t, c)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	resp, body := do(t, client, http.MethodGet, "http://"+addr+"/metrics", "", nil)
	checkStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(body, "# TYPE http_requests_in_flight gauge") {
		t.Errorf("metrics.addr /metrics is no exposition:\n%.300s", body)
	}
	resp, body = do(t, client, http.MethodGet, "http://"+addr+"/studentapi/", "", nil)
	checkStatus(t, resp, body, http.StatusNotFound)
	resp, body = do(t, client, http.MethodGet, s.url+"/metrics", "", nil)
	checkStatus(t, resp, body, http.StatusNotFound)
}

// The password hashes of logins are gauges: how many run, how many wait for
// a turn, and auth.max_concurrent_hashes, the turns there are. Three logins
// against a hash that takes a while, with one turn: one runs, two wait.
func TestMetricsPasswordHashes(t *testing.T) {
	h, db := metricsHandler(t, func(c *Config) { c.Auth.MaxConcurrentHashes = 1 })
	// A well-formed PBKDF2 hash no password matches, slow to check.
	slow := &models.User{Username: "slow", IsActive: true,
		Password: "pbkdf2_sha256$1000000$somesalt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
	if err := db.CreateUser(t.Context(), slow); err != nil {
		t.Fatal(err)
	}
	scrape := func() string {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Host = "localhost:8000"
		req.RemoteAddr = "127.0.0.1:5000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Body.String()
	}
	idle := regexp.MustCompile(`(?m)^studentapi_password_hash_slots 1$[\s\S]*^studentapi_password_hashes_running 0$[\s\S]*^studentapi_password_hashes_waiting 0$`)
	if body := scrape(); !idle.MatchString(body) {
		t.Fatalf("idle scrape lacks one slot, none running, none waiting:\n%s", grepLines(body, "password_hash"))
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader(`{"username": "slow", "password": "wrong"}`))
			req.Host = "localhost:8000"
			req.RemoteAddr = "127.0.0.1:5001"
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusBadRequest {
				t.Errorf("login with a wrong password: %d %s, want 400", w.Code, w.Body)
			}
		})
	}
	busy := regexp.MustCompile(`(?m)^studentapi_password_hashes_running 1$[\s\S]*^studentapi_password_hashes_waiting [12]$`)
	seen := false
	for deadline := time.Now().Add(20 * time.Second); !seen && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		seen = busy.MatchString(scrape())
	}
	wg.Wait()
	if !seen {
		t.Errorf("no scrape showed one hash running and others waiting while three logins shared one turn")
	}
	if body := scrape(); !idle.MatchString(body) {
		t.Errorf("scrape after the logins lacks none running, none waiting:\n%s", grepLines(body, "password_hash"))
	}
}

// grepLines is the lines of text that hold s.
func grepLines(text, s string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
