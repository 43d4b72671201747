package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"studentapi/api"
)

// Production without TLS of its own: plain HTTP is served only through the
// trusted proxy that says the client used HTTPS, or straight from loopback.
func TestRequireHTTPS(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.RequireHTTPS = true
		d.TrustedProxies = []string{"10.0.0.5"}
	})
	const refused = `{"detail":"HTTPS is required. Plain HTTP is accepted only through the trusted proxy, with X-Forwarded-Proto: https."}`
	tests := []struct {
		name, remote, proto string
		wantStatus          int
		wantHSTS            bool
	}{
		{"direct client on plain HTTP", "192.0.2.1:4000", "", 403, false},
		{"direct client claiming https is not believed", "192.0.2.1:4000", "https", 403, false},
		{"proxy forwarding plain http", "10.0.0.5:4000", "http", 403, false},
		{"proxy without the header", "10.0.0.5:4000", "", 403, false},
		{"proxy forwarding https", "10.0.0.5:4000", "https", 200, true},
		{"loopback", "127.0.0.1:4000", "", 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
			req.RemoteAddr = tt.remote
			req.Header.Set("Authorization", "Token "+e.token)
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			w := httptest.NewRecorder()
			e.router.ServeHTTP(w, req)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", w.Code, w.Body, tt.wantStatus)
			}
			if tt.wantStatus == 403 && w.Body.String() != refused {
				t.Errorf("body %s, want %s", w.Body, refused)
			}
			if got := w.Header().Get("Strict-Transport-Security") == "max-age=31536000"; got != tt.wantHSTS {
				t.Errorf("HSTS present = %v, want %v", got, tt.wantHSTS)
			}
			if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
		})
	}
}

// Outside production, plain HTTP is served and no HSTS is sent.
func TestPlainHTTPOutsideProduction(t *testing.T) {
	e := newListEnv(t, nil)
	w := e.get(t, "/studentapi/")
	if w.Code != 200 || w.Header().Get("Strict-Transport-Security") != "" {
		t.Errorf("got %d, HSTS %q; want 200 without HSTS", w.Code, w.Header().Get("Strict-Transport-Security"))
	}
}

// Token answers are never cached.
func TestTokenAnswersNotCached(t *testing.T) {
	e := newListEnv(t, nil)
	req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader(`{"username":"lister","password":"pw"}`))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("login: %d, Cache-Control %q; want 200 with no-store", w.Code, w.Header().Get("Cache-Control"))
	}
}

// /healthz answers while the process serves; /readyz only while the database
// answers. Neither needs a token or says more than that.
func TestHealthAndReadiness(t *testing.T) {
	e := newListEnv(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		w := e.do(t, http.MethodGet, path)
		if w.Code != 200 || w.Body.String() != `{"status":"ok"}` {
			t.Errorf("GET %s = %d %s, want 200 {\"status\":\"ok\"}", path, w.Code, w.Body)
		}
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	w := e.do(t, http.MethodGet, "/readyz")
	if w.Code != 503 || w.Body.String() != `{"detail":"Service temporarily unavailable."}` || w.Header().Get("Retry-After") == "" {
		t.Errorf("GET /readyz with the database closed = %d %s (Retry-After %q), want 503", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	if w := e.do(t, http.MethodGet, "/healthz"); w.Code != 200 {
		t.Errorf("GET /healthz with the database closed = %d, want 200", w.Code)
	}
}
