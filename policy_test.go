package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The routes of every part of the server: the API, its static files, the
// health checks and the admin site, each a request that succeeds when the
// policy lets it through.
var policyRoutes = []struct{ method, path, body string }{
	{http.MethodGet, "/", ""},
	{http.MethodGet, "/studentapi/", ""},
	{http.MethodPost, "/gettoken/", "username=admin&password=pw"},
	{http.MethodGet, "/static/browsable.css", ""},
	{http.MethodGet, "/healthz", ""},
	{http.MethodGet, "/readyz", ""},
	{http.MethodGet, "/admin", ""},
	{http.MethodGet, "/admin/login/", ""},
	{http.MethodPost, "/admin/login/", "username=admin&password=pw"},
	{http.MethodGet, "/admin/static/admin.css", ""},
	{http.MethodGet, "/admin/tokens/", ""},
}

// noRedirects makes a client that shows redirects instead of following them.
func noRedirects() *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// servePolicy serves with a staff user "admin" (password "pw") and the given
// settings.
func servePolicy(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	c := newTestCLI(t)
	c.createUser(t, "createsuperuser", "admin", "pw")
	for k, v := range env {
		c.env[k] = v
	}
	return startServer(t, c)
}

// productionBehindProxy is production without TLS of its own, behind a
// trusted proxy that terminates TLS for api.example.com; the tests' client,
// on loopback, plays the proxy.
var productionBehindProxy = map[string]string{
	"STUDENTAPI_PRODUCTION":           "true",
	"STUDENTAPI_AUTH_SECRET_KEY":      testSecretKey,
	"STUDENTAPI_HTTP_TRUSTED_PROXIES": "127.0.0.1",
	"STUDENTAPI_HTTP_ALLOWED_HOSTS":   "api.example.com",
}

const httpsRequired = `{"detail":"HTTPS is required. Plain HTTP is accepted only through the trusted proxy, with X-Forwarded-Proto: https."}`

// In production behind a trusted proxy, a request the proxy forwards as plain
// HTTP is refused on every route (the admin site's login page and login form
// included), with the API's answer; one forwarded as HTTPS is served on every
// route, with HSTS. A client that sends X-Forwarded-Proto: https itself, to a
// proxy that appends its own line, gains nothing.
func TestProductionHTTPSOnEveryRoute(t *testing.T) {
	s := servePolicy(t, productionBehindProxy)
	client := noRedirects()
	defer client.CloseIdleConnections()
	for _, proto := range [][]string{{"http"}, nil, {"https", "http"}, {"https"}} {
		for _, r := range policyRoutes {
			h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Forwarded-Host": {"api.example.com"}}
			if proto != nil {
				h["X-Forwarded-Proto"] = proto
			}
			resp, body := do(t, client, r.method, s.url+r.path, r.body, h)
			what := r.method + " " + r.path + " forwarded as " + strings.Join(proto, ",")
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options %q, want nosniff", what, got)
			}
			if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("%s: X-Frame-Options %q, want DENY", what, got)
			}
			hsts := resp.Header.Get("Strict-Transport-Security")
			if len(proto) != 1 || proto[0] != "https" {
				if resp.StatusCode != http.StatusForbidden || body != httpsRequired {
					t.Errorf("%s: %d %.200s, want 403 %s", what, resp.StatusCode, body, httpsRequired)
				}
				if c := resp.Header.Values("Set-Cookie"); len(c) != 0 {
					t.Errorf("%s: sets cookies %q over plain HTTP", what, c)
				}
				if hsts != "" {
					t.Errorf("%s: HSTS %q over plain HTTP", what, hsts)
				}
				continue
			}
			if resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
				t.Errorf("%s: %d %.200s, want it served", what, resp.StatusCode, body)
			}
			if hsts != "max-age=31536000" {
				t.Errorf("%s: HSTS %q, want max-age=31536000", what, hsts)
			}
		}
	}
}

const invalidHost = `{"detail":"Invalid Host header."}`

// A Host header the server does not serve (or the X-Forwarded-Host of a
// trusted proxy) is refused with 400 on every route, before it can reach a
// link; the answer does not repeat it.
func TestDisallowedHostRefused(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		host  string   // the Host header
		fwd   []string // X-Forwarded-Host lines
		proto string   // X-Forwarded-Proto
		want  int
	}{
		{"development: evil host", nil, "evil.example", nil, "", 400},
		{"development: evil host with the port", nil, "evil.example:8000", nil, "", 400},
		{"development: localhost", nil, "localhost:8000", nil, "", 200},
		{"development: a name under localhost", nil, "app.localhost", nil, "", 200},
		{"development: 127.0.0.1", nil, "127.0.0.1:8000", nil, "", 200},
		{"development: IPv6 loopback", nil, "[::1]:8000", nil, "", 200},
		{"development: upper case", nil, "LOCALHOST", nil, "", 200},
		{"development: untrusted X-Forwarded-Host is not looked at", nil, "localhost", []string{"evil.example"}, "", 200},
		{"development: a name ending in localhost", nil, "evillocalhost", nil, "", 400},
		{"development: malformed", nil, "localhost:80:80", nil, "", 400},
		{"development: configured host only", map[string]string{"STUDENTAPI_HTTP_ALLOWED_HOSTS": "api.example.com"}, "localhost", nil, "", 400},
		{"production: allowed", productionBehindProxy, "10.0.0.21:8000", []string{"api.example.com"}, "https", 200},
		{"production: allowed, with the port", productionBehindProxy, "10.0.0.21:8000", []string{"API.example.com:443"}, "https", 200},
		{"production: proxy's Host without X-Forwarded-Host", productionBehindProxy, "api.example.com", nil, "https", 200},
		{"production: evil X-Forwarded-Host", productionBehindProxy, "api.example.com", []string{"evil.example"}, "https", 400},
		{"production: a client's line before the proxy's", productionBehindProxy, "10.0.0.21:8000", []string{"evil.example", "api.example.com"}, "https", 200},
		{"production: a client's value after the proxy's is the proxy's", productionBehindProxy, "10.0.0.21:8000", []string{"api.example.com, evil.example"}, "https", 400},
		{"production: evil host over plain HTTP", productionBehindProxy, "evil.example", nil, "http", 400},
		{"production: a subdomain of a domain pattern", withEnv(productionBehindProxy, "STUDENTAPI_HTTP_ALLOWED_HOSTS", ".example.com"), "x", []string{"www.example.com"}, "https", 200},
		{"production: any host", withEnv(productionBehindProxy, "STUDENTAPI_HTTP_ALLOWED_HOSTS", "*"), "x", []string{"whatever.example"}, "https", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := servePolicy(t, tt.env)
			client := noRedirects()
			defer client.CloseIdleConnections()
			for _, r := range policyRoutes {
				req, err := http.NewRequest(r.method, s.url+r.path, strings.NewReader(r.body))
				if err != nil {
					t.Fatal(err)
				}
				req.Host = tt.host
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for _, line := range tt.fwd {
					req.Header.Add("X-Forwarded-Host", line)
				}
				if tt.proto != "" {
					req.Header.Set("X-Forwarded-Proto", tt.proto)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var buf strings.Builder
				_, err = io.Copy(&buf, resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				body := buf.String()
				what := r.method + " " + r.path
				if tt.want == 400 {
					if resp.StatusCode != 400 || body != invalidHost {
						t.Errorf("%s: %d %.200s, want 400 %s", what, resp.StatusCode, body, invalidHost)
					}
					continue
				}
				if resp.StatusCode == 400 || resp.StatusCode == 403 || resp.StatusCode >= 500 {
					t.Errorf("%s: %d %.200s, want it served", what, resp.StatusCode, body)
				}
			}
			if tt.want != 400 {
				return
			}
			// Refusals are logged, without the host a client sent.
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
			logs := s.stderr.String()
			if !strings.Contains(logs, `msg="request refused" status=400 reason="host not allowed"`) || strings.Contains(logs, "evil.example") {
				t.Errorf("log:\n%s\nwant refusals logged without the host", logs)
			}
		})
	}
}

func withEnv(env map[string]string, key, value string) map[string]string {
	out := map[string]string{key: value}
	for k, v := range env {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// The API root and the pagination links name the host the client asked for,
// which is one the server serves: never a host given by a client behind the
// proxy, whatever it sends.
func TestLinksNameOnlyAllowedHosts(t *testing.T) {
	env := withEnv(productionBehindProxy, "STUDENTAPI_API_PAGE_SIZE", "1")
	c := newTestCLI(t)
	c.createUser(t, "createuser", "alice", "pw")
	for k, v := range env {
		c.env[k] = v
	}
	s := startServer(t, c)
	client := noRedirects()
	defer client.CloseIdleConnections()
	h := http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"api.example.com"}}
	key := getTokenWith(t, client, s.url, "alice", "pw", h)
	for _, name := range []string{"a", "b", "c"} {
		resp, body := do(t, client, http.MethodPost, s.url+"/studentapi/", `{"name":"`+name+`","roll":1,"city":"x"}`,
			http.Header{"Authorization": {"Token " + key}, "Content-Type": {"application/json"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"api.example.com"}})
		checkStatus(t, resp, body, http.StatusCreated)
	}
	for _, fwd := range [][]string{{"api.example.com"}, {"evil.example", "api.example.com"}, {"api.example.com", "evil.example"}, {"evil.example"}} {
		h := http.Header{"Authorization": {"Token " + key}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": fwd}
		for _, path := range []string{"/", "/studentapi/?page=2"} {
			resp, body := do(t, client, http.MethodGet, s.url+path, "", h)
			if strings.Contains(body, "evil") || strings.Contains(resp.Header.Get("Location"), "evil") {
				t.Errorf("GET %s with X-Forwarded-Host %q: %d %s names the disallowed host", path, fwd, resp.StatusCode, body)
			}
			if resp.StatusCode != http.StatusOK {
				continue
			}
			var links map[string]any
			if err := json.Unmarshal([]byte(body), &links); err != nil {
				t.Fatalf("GET %s: %v in %s", path, err, body)
			}
			for _, k := range []string{"studentapi", "next", "previous"} {
				link, ok := links[k].(string)
				if !ok {
					continue
				}
				if u, err := url.Parse(link); err != nil || u.Scheme != "https" || u.Host != "api.example.com" {
					t.Errorf("GET %s with X-Forwarded-Host %q: %s is %s, want https://api.example.com/...", path, fwd, k, link)
				}
			}
		}
	}
}

// getTokenWith logs in through POST /gettoken/, with extra headers, and
// returns the key.
func getTokenWith(t *testing.T, client *http.Client, baseURL, username, password string, extra http.Header) string {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for k, v := range extra {
		h[k] = v
	}
	form := url.Values{"username": {username}, "password": {password}}.Encode()
	resp, body := do(t, client, http.MethodPost, baseURL+"/gettoken/", form, h)
	checkStatus(t, resp, body, http.StatusOK)
	var got struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("POST /gettoken/: decode %s: %v", body, err)
	}
	return got.Token
}
