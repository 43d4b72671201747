package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"studentapi/internal/requestid"
)

// protected is e's router behind Protect, as the server serves it.
func (e *env) protected(t *testing.T) http.Handler {
	t.Helper()
	h, err := Protect(e.router, Policy{AllowedHosts: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Every answer carries X-Request-ID: the client's when it is sane, a new one
// otherwise, on refusals, errors, redirects and static files alike.
func TestRequestIDHeader(t *testing.T) {
	e := newEnv(t)
	h := e.protected(t)
	for _, tt := range []struct {
		name, method, path, host, sent string
		kept                           bool
	}{
		{name: "401, sane id kept", path: "/studentapi/", sent: "abc-123", kept: true},
		{name: "128 characters kept", path: "/studentapi/", sent: strings.Repeat("x", 128), kept: true},
		{name: "129 characters replaced", path: "/studentapi/", sent: strings.Repeat("x", 129)},
		{name: "space replaced", path: "/studentapi/", sent: "abc 123"},
		{name: "control character replaced", path: "/studentapi/", sent: "abc\x01123"},
		{name: "non-ASCII replaced", path: "/studentapi/", sent: "abcé"},
		{name: "none sent", path: "/studentapi/"},
		{name: "404", path: "/nowhere/", sent: "id-404", kept: true},
		{name: "405", method: "PROPFIND", path: "/studentapi/", sent: "id-405", kept: true},
		{name: "301", path: "/studentapi", sent: "id-301", kept: true},
		{name: "static file", path: "/static/rest_framework/js/api.js", sent: "id-static", kept: true},
		{name: "host refused by Protect", path: "/", host: "evil.example", sent: "id-400", kept: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, tt.path, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.sent != "" {
				req.Header.Set("X-Request-ID", tt.sent)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			got := w.Header().Values("X-Request-ID")
			switch {
			case len(got) != 1:
				t.Errorf("%d: X-Request-ID %q, want one value", w.Code, got)
			case tt.kept && got[0] != tt.sent:
				t.Errorf("%d: X-Request-ID %q, want the client's %q", w.Code, got[0], tt.sent)
			case !tt.kept && (got[0] == tt.sent || !requestid.Sane(got[0])):
				t.Errorf("%d: X-Request-ID %q, want a new sane id", w.Code, got[0])
			}
		})
	}
}

// The access log line, and the line of an internal error, carry the request
// id; the 500's body does too, beside DRF's detail.
func TestRequestIDLoggedAndInServerError(t *testing.T) {
	e := newEnv(t)
	h := e.protected(t)
	req := httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
	req.Header.Set("Authorization", "Token "+e.keys["alice"])
	req.Header.Set("X-Request-ID", "trace-me-42")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", w.Code)
	}
	if line := logLine(e.log.String(), "msg=request"); !strings.Contains(line, "request_id=trace-me-42") {
		t.Errorf("access log line without the request id: %q", line)
	}

	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	req = httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
	req.Header.Set("Authorization", "Token "+e.keys["alice"])
	req.Header.Set("X-Request-ID", "broken-7")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if want := `{"detail":"Internal server error.","request_id":"broken-7"}`; w.Code != http.StatusInternalServerError || w.Body.String() != want {
		t.Errorf("got %d %s, want 500 %s", w.Code, w.Body, want)
	}
	if line := logLine(e.log.String(), `msg="internal error"`); !strings.Contains(line, "request_id=broken-7") || !strings.Contains(line, "database is closed") {
		t.Errorf("internal error line without the request id or the cause: %q", line)
	}
}

// logLine is the last line of log that contains s, or "".
func logLine(log, s string) string {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], s) {
			return lines[i]
		}
	}
	return ""
}

// A method in lower case is the method, as Django upper-cases it: get is GET.
func TestLowerCaseMethod(t *testing.T) {
	e := newEnv(t)
	h := e.protected(t)
	for _, tt := range []struct {
		method string
		want   int
	}{
		{"get", http.StatusOK},
		{"Get", http.StatusOK},
		{"options", http.StatusOK},
		{"propfind", http.StatusMethodNotAllowed},
	} {
		req := httptest.NewRequest(tt.method, "/studentapi/", nil)
		req.Host = "example.com"
		req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tt.want {
			t.Errorf("%s /studentapi/: %d %s, want %d", tt.method, w.Code, w.Body, tt.want)
		}
	}
	req := httptest.NewRequest("propfind", "/studentapi/", nil)
	req.Host = "example.com"
	req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if want := `{"detail":"Method \"PROPFIND\" not allowed."}`; w.Body.String() != want {
		t.Errorf("propfind: %s, want %s", w.Body, want)
	}
}
