package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// The server's handler as serve serves it, without the socket: each path
// goes to its part (the admin site under /admin/, the API's router for the
// rest, health checks and static files included), and the policy's headers
// are on every answer.
func TestNewHandlerParts(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Database.Path = filepath.Join(t.TempDir(), "handler.db")
	cfg.Auth.BcryptCost = 4
	db, secret, err := openDB(cfg, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(cfg, db, secret.value, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path       string
		wantStatus int
		wantAdmin  bool   // answered by the admin site, which sets its own CSP
		wantLoc    string // Location, for a redirect
	}{
		{"/admin", http.StatusMovedPermanently, false, "/admin/"},
		{"/admin/", http.StatusSeeOther, true, "/admin/login/?next=%2Fadmin%2F"},
		{"/admin/login/", http.StatusOK, true, ""},
		{"/admin/static/admin.css", http.StatusOK, true, ""},
		{"/admin/nowhere/", http.StatusNotFound, true, ""},
		{"/", http.StatusOK, false, ""},
		{"/studentapi/", http.StatusUnauthorized, false, ""},
		{"/healthz", http.StatusOK, false, ""},
		{"/readyz", http.StatusOK, false, ""},
		{"/static/browsable.css", http.StatusOK, false, ""},
		{"/administrator/", http.StatusNotFound, false, ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		req.Host = "localhost:8000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tt.wantStatus {
			t.Errorf("GET %s: status %d, want %d", tt.path, w.Code, tt.wantStatus)
		}
		if got := w.Header().Get("Location"); got != tt.wantLoc {
			t.Errorf("GET %s: Location %q, want %q", tt.path, got, tt.wantLoc)
		}
		if got := strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'"); got != tt.wantAdmin {
			t.Errorf("GET %s: answered by the admin site %v, want %v", tt.path, got, tt.wantAdmin)
		}
		if got := w.Header().Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q, want DENY (api.Protect around every part)", tt.path, got)
		}
	}
}
