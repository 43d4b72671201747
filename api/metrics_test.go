package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/internal/metrics"
	"studentapi/internal/throttle"
)

// withMetrics builds the router with m, and an authenticator that tells m
// how each authentication ended, as the server wires them.
func withMetrics(m *metrics.Metrics) func(*Deps) {
	return func(d *Deps) {
		d.Metrics = m
		d.Auth = auth.New(d.DB, "Token", 4, auth.Options{Observe: func(o auth.Outcome) { m.Authentication(o.String()).Inc() }})
		d.Throttles.Anon = throttle.New(throttle.Rate{N: 1, Per: time.Hour}, nil)
	}
}

// scrape reads m as Prometheus would.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", w.Code, w.Body)
	}
	body, err := io.ReadAll(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// The metrics count requests by route template, method and status, logins,
// authentications and throttle refusals by outcome and scope; and no label
// holds what a client sent: no path, username, key or address.
func TestMetrics(t *testing.T) {
	m := metrics.New()
	e := newEnv(t, withMetrics(m))
	const (
		secretUser = "s3cret-username-zq"
		secretKey  = "0123456789abcdef0123456789abcdef01234567"
		secretID   = "987654321"
		secretPath = "/no-such-path-xq"
	)
	send := func(method, path, token, body string, want int) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", jsonType)
		}
		if token != "" {
			req.Header.Set("Authorization", "Token "+token)
		}
		w := httptest.NewRecorder()
		e.router.ServeHTTP(w, req)
		if w.Code != want {
			t.Fatalf("%s %s: got %d, want %d: %s", method, path, w.Code, want, w.Body)
		}
	}
	send("POST", "/gettoken/", "", `{"username":"alice","password":"pw"}`, 200)
	send("POST", "/gettoken/", "", `{"username":"`+secretUser+`","password":"`+secretKey+`"}`, 400)
	send("POST", "/gettoken/", "", `{"username":"alice"}`, 400)
	send("GET", "/studentapi/", e.keys["alice"], "", 200)
	send("GET", "/studentapi/"+secretID+"/", e.keys["alice"], "", 404)
	send("GET", "/studentapi/1/", e.keys["alice"], "", 200)
	send("GET", "/studentapi/", secretKey, "", 401)
	send("GET", "/studentapi/", e.keys["bob"], "", 401)
	send("GET", "/studentapi/", "", "", 401)
	send("GET", secretPath, "", "", 404)
	send("PROPFIND", "/studentapi/", e.keys["alice"], "", 405)
	send("GET", "/", "", "", 200)
	send("GET", "/", "", "", 429)

	got := scrape(t, m)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/studentapi/",status="200"} 1`,
		`http_requests_total{method="GET",route="/studentapi/",status="401"} 3`,
		`http_requests_total{method="GET",route="/studentapi/:pk/",status="200"} 1`,
		`http_requests_total{method="GET",route="/studentapi/:pk/",status="404"} 1`,
		`http_requests_total{method="POST",route="/gettoken/",status="400"} 2`,
		`http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`http_requests_total{method="other",route="unmatched",status="405"} 1`,
		`http_request_duration_seconds_count{route="/studentapi/:pk/"} 2`,
		`http_requests_in_flight 0`,
		`studentapi_logins_total{outcome="success"} 1`,
		`studentapi_logins_total{outcome="bad_credentials"} 1`,
		`studentapi_logins_total{outcome="invalid"} 1`,
		`studentapi_logins_total{outcome="throttled"} 0`,
		`studentapi_authentications_total{outcome="ok"} 4`,
		`studentapi_authentications_total{outcome="invalid"} 1`,
		`studentapi_authentications_total{outcome="inactive"} 1`,
		`studentapi_authentications_total{outcome="missing"} 1`,
		`studentapi_throttled_total{scope="anon"} 1`,
		"go_goroutines ",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	for _, secret := range []string{secretUser, secretKey, secretID, secretPath, e.keys["alice"], e.keys["bob"], "alice", "192.0.2.1", "PROPFIND"} {
		if strings.Contains(got, secret) {
			t.Errorf("scrape holds %q, which a client sent", secret)
		}
	}

	// Every label is one of a known few, whatever was sent.
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	routes := append(routePatterns(e), metrics.Unmatched)
	allowed := map[string][]string{
		"route":   routes,
		"method":  {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"},
		"outcome": {"success", "bad_credentials", "throttled", "invalid", "error", "ok", "missing", "inactive", "expired"},
		"scope":   {"anon", "user", "gettoken", "gettoken_username"},
	}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "status" || l.GetName() == "le" {
					continue
				}
				if known, ok := allowed[l.GetName()]; ok && !slices.Contains(known, l.GetValue()) {
					t.Errorf("%s{%s=%q}: not a known value", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// routePatterns are the route table's patterns, the OpenAPI document's
// included.
func routePatterns(e *env) []string {
	var out []string
	served := func(*gin.Context) {}
	for _, rt := range routes(Deps{DB: e.db, Auth: auth.New(e.db, "Token", 4, auth.Options{})}, served, served, served) {
		out = append(out, rt.path)
	}
	return out
}

// An expired token is refused as an invalid one, as DRF's message says, but
// the metric tells the two apart.
func TestMetricsExpiredToken(t *testing.T) {
	m := metrics.New()
	e := newEnv(t, withMetrics(m), func(d *Deps) {
		d.Auth = auth.New(d.DB, "Token", 4, auth.Options{TTL: time.Nanosecond, Observe: func(o auth.Outcome) { m.Authentication(o.String()).Inc() }})
	})
	time.Sleep(time.Millisecond)
	req := httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
	req.Header.Set("Authorization", "Token "+e.keys["alice"])
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("got %d, want 401", w.Code)
	}
	if got, want := scrape(t, m), `studentapi_authentications_total{outcome="expired"} 1`; !strings.Contains(got, want) {
		t.Errorf("scrape lacks %q", want)
	}
}

// A login refused by a throttle is counted as throttled, under the scope
// that refused it.
func TestMetricsThrottledLogin(t *testing.T) {
	m := metrics.New()
	e := newEnv(t, withMetrics(m), func(d *Deps) {
		d.Throttles.GetToken = throttle.New(throttle.Rate{N: 1, Per: time.Hour}, nil)
	})
	for _, want := range []int{http.StatusOK, http.StatusTooManyRequests} {
		req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader(`{"username":"alice","password":"pw"}`))
		req.Header.Set("Content-Type", jsonType)
		w := httptest.NewRecorder()
		e.router.ServeHTTP(w, req)
		if w.Code != want {
			t.Fatalf("got %d, want %d", w.Code, want)
		}
	}
	got := scrape(t, m)
	for _, want := range []string{
		`studentapi_logins_total{outcome="success"} 1`,
		`studentapi_logins_total{outcome="throttled"} 1`,
		`studentapi_throttled_total{scope="gettoken"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
