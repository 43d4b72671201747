package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"studentapi/api"
	"studentapi/internal/proxies"
)

// protect wraps e's router in the policy, as serve does the whole server.
func protect(t *testing.T, e *listEnv, p api.Policy) http.Handler {
	t.Helper()
	h, err := api.Protect(e.router, p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// trusted parses a list of trusted proxies, as the server does its config's.
func trusted(t *testing.T, list ...string) *proxies.Trusted {
	t.Helper()
	prefixes := make([]proxies.Prefix, len(list))
	for i, s := range list {
		p, err := proxies.ParsePrefix(s)
		if err != nil {
			t.Fatal(err)
		}
		prefixes[i] = p
	}
	return proxies.New(prefixes)
}

// Production without TLS of its own: plain HTTP is served only through the
// trusted proxy that says the client used HTTPS, or straight from loopback.
func TestRequireHTTPS(t *testing.T) {
	e := newListEnv(t, nil)
	h := protect(t, e, api.Policy{RequireHTTPS: true, Proxies: trusted(t, "10.0.0.5"), AllowedHosts: []string{"example.com"}})
	const refused = `{"detail":"HTTPS is required. Plain HTTP is accepted only through the trusted proxy, with X-Forwarded-Proto: https."}`
	tests := []struct {
		name, remote string
		proto        []string // X-Forwarded-Proto lines
		wantStatus   int
		wantHSTS     bool
	}{
		{"direct client on plain HTTP", "192.0.2.1:4000", nil, 403, false},
		{"direct client claiming https is not believed", "192.0.2.1:4000", []string{"https"}, 403, false},
		{"proxy forwarding plain http", "10.0.0.5:4000", []string{"http"}, 403, false},
		{"proxy without the header", "10.0.0.5:4000", nil, 403, false},
		{"proxy forwarding https", "10.0.0.5:4000", []string{"https"}, 200, true},
		{"proxy appending http to the client's https", "10.0.0.5:4000", []string{"https", "http"}, 403, false},
		{"proxy appending http to the client's https on one line", "10.0.0.5:4000", []string{"https, http"}, 403, false},
		{"loopback", "127.0.0.1:4000", nil, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
			req.RemoteAddr = tt.remote
			req.Header.Set("Authorization", "Token "+e.token)
			for _, p := range tt.proto {
				req.Header.Add("X-Forwarded-Proto", p)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", w.Code, w.Body, tt.wantStatus)
			}
			if tt.wantStatus == 403 && (w.Body.String() != refused || w.Header().Get("Content-Type") != "application/json") {
				t.Errorf("body %s (%s), want %s (application/json)", w.Body, w.Header().Get("Content-Type"), refused)
			}
			if got := w.Header().Get("Strict-Transport-Security") == "max-age=31536000"; got != tt.wantHSTS {
				t.Errorf("HSTS present = %v, want %v", got, tt.wantHSTS)
			}
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"} {
				if got := w.Header().Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
		})
	}
}

// Outside production, plain HTTP is served and no HSTS is sent.
func TestPlainHTTPOutsideProduction(t *testing.T) {
	e := newListEnv(t, nil)
	h := protect(t, e, api.Policy{AllowedHosts: []string{"example.com"}})
	req := httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
	req.Header.Set("Authorization", "Token "+e.token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 || w.Header().Get("Strict-Transport-Security") != "" {
		t.Errorf("got %d, HSTS %q; want 200 without HSTS", w.Code, w.Header().Get("Strict-Transport-Security"))
	}
}

// A host that is not allowed is refused before the API root can put it in a
// link; the answer does not repeat it.
func TestDisallowedHost(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) { d.Proxies = trusted(t, "10.0.0.5") })
	h := protect(t, e, api.Policy{Proxies: trusted(t, "10.0.0.5"), AllowedHosts: []string{"api.example.com"}})
	tests := []struct {
		name, remote, host string
		fwd                []string // X-Forwarded-Host lines
		wantStatus         int
		wantBody           string
	}{
		{"allowed", "192.0.2.1:4000", "api.example.com:8000", nil, 200, `{"studentapi":"http://api.example.com:8000/studentapi/"}`},
		{"evil host", "192.0.2.1:4000", "evil.example", nil, 400, `{"detail":"Invalid Host header."}`},
		{"forwarded host from a client", "192.0.2.1:4000", "api.example.com", []string{"evil.example"}, 200, `{"studentapi":"http://api.example.com/studentapi/"}`},
		{"forwarded host from the proxy", "10.0.0.5:4000", "10.0.0.21", []string{"api.example.com"}, 200, `{"studentapi":"http://api.example.com/studentapi/"}`},
		{"evil forwarded host from the proxy", "10.0.0.5:4000", "api.example.com", []string{"evil.example"}, 400, `{"detail":"Invalid Host header."}`},
		{"the client's line before the proxy's", "10.0.0.5:4000", "10.0.0.21", []string{"evil.example", "api.example.com"}, 200, `{"studentapi":"http://api.example.com/studentapi/"}`},
		{"host with a path", "192.0.2.1:4000", "api.example.com/x", nil, 400, `{"detail":"Invalid Host header."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr, req.Host = tt.remote, tt.host
			for _, f := range tt.fwd {
				req.Header.Add("X-Forwarded-Host", f)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
		})
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
