package api_test

// Tests of the browsable API: what a browser sees of the same JSON answers.

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"studentapi/models"
)

// browsableAccept is what a browser sends when it follows a link.
const browsableAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

type browsableEnv struct {
	router http.Handler
	token  string
}

// newBrowsableEnv builds the real router over a fresh database with one user
// and two students: Ravi 10 Ranchi (id 1) and Sonam 7 Pune (id 2).
func newBrowsableEnv(t *testing.T) *browsableEnv {
	t.Helper()
	e := newSeededEnv(t, "browser", []models.Student{{Name: "Ravi", Roll: 10, City: "Ranchi"}, {Name: "Sonam", Roll: 7, City: "Pune"}}, nil)
	return &browsableEnv{router: e.router, token: e.token}
}

// do sends one request; headers are name, value pairs.
func (e *browsableEnv) do(t *testing.T, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	return w
}

// browse is a browser's request, with the token the page's script adds.
func (e *browsableEnv) browse(t *testing.T, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	h := []string{"Accept", browsableAccept, "Authorization", "Token " + e.token}
	if body != "" {
		h = append(h, "Content-Type", "application/json")
	}
	return e.do(t, method, target, body, h...)
}

var browsableTag = regexp.MustCompile(`<[^>]*>`)

// browsableText is the page as a reader sees it: tags dropped, entities decoded.
func browsableText(page string) string {
	return html.UnescapeString(browsableTag.ReplaceAllString(page, ""))
}

// browsableCheckPage checks what every HTML answer has: the status, the media
// type, the strict CSP, the status line and no inline script or style.
func browsableCheckPage(t *testing.T, w *httptest.ResponseRecorder, wantStatus int, wantTitle string) (page, text string) {
	t.Helper()
	page = w.Body.String()
	if w.Code != wantStatus {
		t.Errorf("status = %d, want %d\n%s", w.Code, wantStatus, page)
	}
	if got, want := w.Header().Get("Content-Type"), "text/html; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got := w.Header().Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'self'", got)
	}
	if got := w.Header().Get("Vary"); got != "Accept" {
		t.Errorf("Vary = %q, want Accept", got)
	}
	if want := "<title>" + wantTitle + "</title>"; !strings.Contains(page, want) {
		t.Errorf("page lacks %s", want)
	}
	if want := "<h1>" + wantTitle + "</h1>"; !strings.Contains(page, want) {
		t.Errorf("page lacks %s", want)
	}
	if got := strings.Count(page, "<script"); got != 1 || !strings.Contains(page, `<script src="/static/browsable.js" defer></script>`) {
		t.Errorf("page has %d <script> tags, want only the one with src=/static/browsable.js", got)
	}
	for _, inline := range []string{"<style", " style=", " onclick=", " onsubmit=", "javascript:"} {
		if strings.Contains(page, inline) {
			t.Errorf("page has inline %q, which the CSP would block", inline)
		}
	}
	text = browsableText(page)
	if want := "HTTP " + strconv.Itoa(wantStatus) + " " + http.StatusText(wantStatus) + "\n"; !strings.Contains(text, want) {
		t.Errorf("page lacks the status line %q:\n%s", want, text)
	}
	return page, text
}

func browsableWant(t *testing.T, s string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in:\n%s", want, s)
		}
	}
}

func browsableWantNot(t *testing.T, s string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(s, u) {
			t.Errorf("unexpected %q in:\n%s", u, s)
		}
	}
}

func TestBrowsableAnonymousGetsThe401Page(t *testing.T) {
	e := newBrowsableEnv(t)
	w := e.do(t, http.MethodGet, "/studentapi/", "", "Accept", browsableAccept)
	page, text := browsableCheckPage(t, w, http.StatusUnauthorized, "Student Model List")
	if got := w.Header()["WWW-Authenticate"]; len(got) != 1 || got[0] != "Token" {
		t.Errorf("WWW-Authenticate = %q, want [Token]", got)
	}
	browsableWant(t, page,
		// The JSON answer, escaped by html/template.
		`&#34;detail&#34;: &#34;Authentication credentials were not provided.&#34;`,
		// The form for the token, and the scheme the script sends it with.
		`data-browsable="token"`, `name="token"`, `data-keyword="Token"`,
	)
	browsableWant(t, text,
		"GET /studentapi/",
		"HTTP 401 Unauthorized\nAllow: GET, POST, HEAD, OPTIONS\nContent-Type: application/json\nVary: Accept\nWWW-Authenticate: Token\n",
		"{\n    \"detail\": \"Authentication credentials were not provided.\"\n}",
	)
	// No write forms for a caller the API refused.
	browsableWantNot(t, page, `data-method="POST"`, `data-method="PUT"`, `data-method="DELETE"`)
}

func TestBrowsableListPage(t *testing.T) {
	e := newBrowsableEnv(t)
	w := e.browse(t, http.MethodGet, "/studentapi/", "")
	page, text := browsableCheckPage(t, w, http.StatusOK, "Student Model List")
	browsableWant(t, text,
		"GET /studentapi/",
		"HTTP 200 OK\nAllow: GET, POST, HEAD, OPTIONS\nContent-Type: application/json\nVary: Accept\n\n",
		`[
    {
        "id": 1,
        "name": "Ravi",
        "roll": 10,
        "city": "Ranchi"
    },
    {
        "id": 2,
        "name": "Sonam",
        "roll": 7,
        "city": "Pune"
    }
]`)
	browsableWant(t, page,
		`data-method="POST"`,
		`<input type="text" name="name" value="">`,
		`<input type="number" name="roll" value="" step="1">`,
		`<input type="text" name="city" value="">`,
	)
	browsableWantNot(t, page, `name="id"`, `data-method="PUT"`, `data-method="DELETE"`)
	if len(w.Header()["WWW-Authenticate"]) != 0 || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("WWW-Authenticate on a 200")
	}
}

func TestBrowsableDetailPage(t *testing.T) {
	e := newBrowsableEnv(t)
	w := e.browse(t, http.MethodGet, "/studentapi/1/", "")
	page, text := browsableCheckPage(t, w, http.StatusOK, "Student Model Instance")
	browsableWant(t, text,
		"GET /studentapi/1/",
		"HTTP 200 OK\nAllow: GET, PUT, PATCH, DELETE, HEAD, OPTIONS\nContent-Type: application/json\nVary: Accept\n\n",
		"{\n    \"id\": 1,\n    \"name\": \"Ravi\",\n    \"roll\": 10,\n    \"city\": \"Ranchi\"\n}",
	)
	browsableWant(t, page,
		`data-method="PUT"`,
		`<input type="text" name="name" value="Ravi">`,
		`<input type="number" name="roll" value="10" step="1">`,
		`<input type="text" name="city" value="Ranchi">`,
		`data-method="DELETE"`,
		`action="/studentapi/1/"`,
	)
	browsableWantNot(t, page, `data-method="POST"`)
}

func TestBrowsableErrorPages(t *testing.T) {
	e := newBrowsableEnv(t)
	for _, tt := range []struct {
		name, method, target, body string
		wantStatus                 int
		wantTitle, wantText        string
	}{
		{"missing student", "GET", "/studentapi/99/", "", 404, "Student Model Instance",
			"{\n    \"detail\": \"Not found.\"\n}"},
		{"method not allowed", "DELETE", "/studentapi/", "", 405, "Student Model List",
			"{\n    \"detail\": \"Method \\\"DELETE\\\" not allowed.\"\n}"},
		{"validation errors", "POST", "/studentapi/", `{"name":"", "roll":"x"}`, 400, "Student Model List",
			"{\n    \"name\": [\n        \"This field may not be blank.\"\n    ],\n    \"roll\": [\n        \"A valid integer is required.\"\n    ],\n    \"city\": [\n        \"This field is required.\"\n    ]\n}"},
		{"PUT to a missing student", "PUT", "/studentapi/99/", `{}`, 404, "Student Model Instance",
			"{\n    \"detail\": \"Not found.\"\n}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := e.browse(t, tt.method, tt.target, tt.body)
			page, text := browsableCheckPage(t, w, tt.wantStatus, tt.wantTitle)
			browsableWant(t, text, tt.method+" "+tt.target, tt.wantText)
			// Forms come only with a 200: no PUT for a student that is not there.
			browsableWantNot(t, page, `data-method="POST"`, `data-method="PUT"`, `data-method="DELETE"`)
		})
	}
}

func TestBrowsableWritesAnswerPages(t *testing.T) {
	e := newBrowsableEnv(t)
	w := e.browse(t, http.MethodPost, "/studentapi/", `{"name":"Amit","roll":"3","city":"Delhi"}`)
	_, text := browsableCheckPage(t, w, http.StatusCreated, "Student Model List")
	browsableWant(t, text, "POST /studentapi/", "\"id\": 3,\n    \"name\": \"Amit\",\n    \"roll\": 3,")

	w = e.browse(t, http.MethodPut, "/studentapi/3/", `{"name":"Amit K","roll":4,"city":"Agra"}`)
	page, _ := browsableCheckPage(t, w, http.StatusOK, "Student Model Instance")
	browsableWant(t, page, `name="name" value="Amit K"`, `name="roll" value="4"`, `name="city" value="Agra"`)

	w = e.browse(t, http.MethodDelete, "/studentapi/3/", "")
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 || w.Header().Get("Content-Type") != "" {
		t.Errorf("DELETE = %d %q %q, want 204 with no body", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}

func TestBrowsableEscapesData(t *testing.T) {
	e := newBrowsableEnv(t)
	const evil = `<script>alert(1)</script>`
	w := e.do(t, http.MethodPost, "/studentapi/", `{"name":"<script>alert(1)</script>","roll":1,"city":"\"><img src=x onerror=alert(2)>"}`,
		"Authorization", "Token "+e.token, "Content-Type", "application/json")
	if w.Code != http.StatusCreated {
		t.Fatalf("POST = %d %s", w.Code, w.Body)
	}
	for _, p := range []struct{ target, title string }{
		{"/studentapi/", "Student Model List"},
		{"/studentapi/3/", "Student Model Instance"},
	} {
		w := e.browse(t, http.MethodGet, p.target, "")
		page, text := browsableCheckPage(t, w, http.StatusOK, p.title)
		browsableWantNot(t, page, evil, "<img")
		browsableWant(t, page, `&lt;script&gt;alert(1)&lt;/script&gt;`)
		browsableWant(t, text, `"name": "`+evil+`"`)
	}
}

func TestBrowsableRootLinks(t *testing.T) {
	e := newBrowsableEnv(t)
	w := e.do(t, http.MethodGet, "/", "", "Accept", browsableAccept)
	page, text := browsableCheckPage(t, w, http.StatusOK, "Api Root")
	browsableWant(t, page,
		`The default basic root view for DefaultRouter`,
		`&#34;studentapi&#34;: &#34;<a href="http://example.com/studentapi/" rel="nofollow">http://example.com/studentapi/</a>&#34;`,
	)
	browsableWant(t, text, "HTTP 200 OK\nAllow: GET, HEAD, OPTIONS\nContent-Type: application/json\nVary: Accept\n")
	browsableWantNot(t, page, `data-method="POST"`, `data-method="PUT"`, `data-method="DELETE"`)
}

func TestBrowsableNegotiation(t *testing.T) {
	e := newBrowsableEnv(t)
	for _, tt := range []struct {
		name, target, accept string
		wantStatus           int
		wantType             string
	}{
		{"browser", "/studentapi/", browsableAccept, 200, "text/html; charset=utf-8"},
		{"text/html alone", "/studentapi/", "text/html", 200, "text/html; charset=utf-8"},
		{"?format=api", "/studentapi/?format=api", "", 200, "text/html; charset=utf-8"},
		{"?format=api with */*", "/studentapi/1/?format=api", "*/*", 200, "text/html; charset=utf-8"},
		{".api suffix", "/studentapi.api", "", 200, "text/html; charset=utf-8"},
		{"detail .api suffix", "/studentapi/1.api", "", 200, "text/html; charset=utf-8"},
		{"application/json", "/studentapi/", "application/json", 200, "application/json"},
		{"*/*", "/studentapi/", "*/*", 200, "application/json"},
		{"no Accept", "/studentapi/", "", 200, "application/json"},
		{"browser with ?format=json", "/studentapi/?format=json", browsableAccept, 200, "application/json"},
		{"browser with .json", "/studentapi/1.json", browsableAccept, 200, "application/json"},
		{"?format=api but only JSON acceptable", "/studentapi/?format=api", "application/json", 406, "application/json"},
		{"gettoken is JSON only", "/gettoken/", "text/html", 406, "application/json"},
		{"gettoken for a browser", "/gettoken/", browsableAccept, 405, "application/json"},
		{"unknown path", "/nope/", browsableAccept, 404, "application/json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := []string{"Authorization", "Token " + e.token}
			if tt.accept != "" {
				h = append(h, "Accept", tt.accept)
			}
			w := e.do(t, http.MethodGet, tt.target, "", h...)
			if w.Code != tt.wantStatus || w.Header().Get("Content-Type") != tt.wantType {
				t.Errorf("GET %s (Accept %q) = %d %q, want %d %q\n%s", tt.target, tt.accept, w.Code, w.Header().Get("Content-Type"), tt.wantStatus, tt.wantType, w.Body)
			}
			csp := w.Header().Get("Content-Security-Policy")
			if html := strings.HasPrefix(tt.wantType, "text/html"); html != (csp != "") {
				t.Errorf("Content-Security-Policy = %q on a %s answer", csp, tt.wantType)
			}
			if tt.wantType == "application/json" && !strings.HasPrefix(w.Body.String(), "{") && !strings.HasPrefix(w.Body.String(), "[") {
				t.Errorf("body is not JSON: %s", w.Body)
			}
		})
	}
}

func TestBrowsableHead(t *testing.T) {
	e := newBrowsableEnv(t)
	get := e.browse(t, http.MethodGet, "/studentapi/1/", "")
	head := e.browse(t, http.MethodHead, "/studentapi/1/", "")
	if head.Code != get.Code || head.Header().Get("Content-Type") != get.Header().Get("Content-Type") {
		t.Errorf("HEAD = %d %q, GET = %d %q", head.Code, head.Header().Get("Content-Type"), get.Code, get.Header().Get("Content-Type"))
	}
}

func TestBrowsableAssets(t *testing.T) {
	e := newBrowsableEnv(t)
	for _, tt := range []struct {
		path, wantType string
		wantBody       []string
	}{
		{"/static/browsable.js", "text/javascript; charset=utf-8", []string{"sessionStorage", "Authorization", "fetch(", "application/json"}},
		{"/static/browsable.css", "text/css; charset=utf-8", []string{"body {"}},
	} {
		w := e.do(t, http.MethodGet, tt.path, "")
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != tt.wantType {
			t.Errorf("GET %s = %d %q, want 200 %q", tt.path, w.Code, w.Header().Get("Content-Type"), tt.wantType)
		}
		browsableWant(t, w.Body.String(), tt.wantBody...)
		etag := w.Header().Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", tt.path)
		}
		if w := e.do(t, http.MethodGet, tt.path, "", "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Errorf("GET %s If-None-Match = %d, want 304 with no body", tt.path, w.Code)
		}
		if w := e.do(t, http.MethodHead, tt.path, ""); w.Code != http.StatusOK || w.Header().Get("Content-Type") != tt.wantType {
			t.Errorf("HEAD %s = %d %q", tt.path, w.Code, w.Header().Get("Content-Type"))
		}
	}
	for _, path := range []string{"/static/", "/static/nope.js", "/static/../templates/browsable.html", "/static/%2e%2e/browsable.go"} {
		if w := e.do(t, http.MethodGet, path, ""); w.Code != http.StatusNotFound || w.Body.String() != `{"detail":"Not found."}` {
			t.Errorf("GET %s = %d %s, want 404", path, w.Code, w.Body)
		}
	}
	if w := e.do(t, http.MethodPost, "/static/browsable.js", ""); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /static/browsable.js = %d, Allow %q; want 405, GET, HEAD", w.Code, w.Header().Get("Allow"))
	}
}
