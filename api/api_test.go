package api

// The scaffolding of the API tests: a fresh SQLite file per test, the real
// router over it, and tables of scenarios run against that router. The tests
// follow CONTRACT.md section by section.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/internal/openapi/openapitest"
	"studentapi/internal/testdb"
	"studentapi/internal/throttle"
	"studentapi/models"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// Fixture rows: every env starts with these users and students.
const (
	raviJSON  = `{"id":1,"name":"Ravi","roll":10,"city":"Ranchi"}`
	sonamJSON = `{"id":2,"name":"Sonam","roll":7,"city":"Pune"}`
)

// Bodies DRF writes, word for word.
const (
	bodyNotFound       = `{"detail":"Not found."}`
	bodyNotProvided    = `{"detail":"Authentication credentials were not provided."}`
	bodyInvalidToken   = `{"detail":"Invalid token."}`
	bodyNotAcceptable  = `{"detail":"Could not satisfy the request Accept header."}`
	bodyBadCredentials = `{"non_field_errors":["Unable to log in with provided credentials."]}`
	bodyTooLarge       = `{"detail":"Request body too large."}`
	bodyInternal       = `{"detail":"Internal server error."}`
)

// The Allow headers of the three views.
const (
	allowList     = "GET, POST, HEAD, OPTIONS"
	allowDetail   = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
	allowGetToken = "POST, OPTIONS"
)

const (
	jsonType = "application/json"
	formType = "application/x-www-form-urlencoded"
	boundary = "XyZzY"
	mpType   = "multipart/form-data; boundary=" + boundary
)

// env is one test's world: a database file of its own and the router over it.
type env struct {
	src     testdb.DB
	db      *models.DB
	router  http.Handler
	keyword string
	log     *lockedBuffer
	// raw is a second, plain handle on the database file, for what the models
	// API deliberately does not offer (deleting a token, counting rows).
	raw   *sql.DB
	users map[string]*models.User
	// keys maps a placeholder name to a token key: "{alice}" in a scenario's
	// headers and bodies stands for keys["alice"].
	keys map[string]string
	// schema checks the answers against the OpenAPI document.
	schema *openapitest.Validator
}

// lockedBuffer collects log output from concurrent requests.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// withKeyword builds the router with another Authorization keyword.
func withKeyword(keyword string) func(*Deps) {
	return func(d *Deps) { d.Auth = auth.New(d.DB, keyword, 4, auth.Options{}) }
}

// withBodyLimit builds the router with a small body limit.
func withBodyLimit(n int64) func(*Deps) {
	return func(d *Deps) { d.BodyLimit = n }
}

// newEnv opens a fresh database with two users, alice (active, password "pw")
// and bob (inactive, password "pw"), each with a token, and two students, Ravi
// (id 1) and Sonam (id 2); then builds the router, tuned by opts.
func newEnv(t *testing.T, opts ...func(*Deps)) *env {
	t.Helper()
	ctx := context.Background()
	src := testdb.New(t)
	db, err := models.Connect(models.Source{Driver: src.Driver, Path: src.Path, DSN: src.DSN}, models.Options{Keys: testKeyring(t)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	raw, err := rawSQL(src)
	if err != nil {
		t.Fatalf("open sql: %v", err)
	}
	t.Cleanup(func() { raw.Close() })
	auth.ConnectTokenReceiver(db.Signals)
	e := &env{src: src, db: db, raw: raw, log: &lockedBuffer{}, users: map[string]*models.User{}, keys: map[string]string{}}
	for _, u := range []*models.User{
		{Username: "alice", Email: "a@example.com", IsActive: true},
		{Username: "bob", Email: "b@example.com", IsActive: false},
	} {
		e.addUser(t, u, "pw")
	}
	for _, s := range []models.Student{
		{Name: "Ravi", Roll: 10, City: "Ranchi"},
		{Name: "Sonam", Roll: 7, City: "Pune"},
	} {
		if err := db.CreateStudent(ctx, &s); err != nil {
			t.Fatalf("create student: %v", err)
		}
	}
	d := Deps{
		DB:        db,
		Auth:      auth.New(db, "Token", 4, auth.Options{}),
		Log:       slog.New(slog.NewTextHandler(e.log, nil)),
		BodyLimit: 1 << 20,
	}
	for _, opt := range opts {
		opt(&d)
	}
	e.keyword = d.Auth.Keyword()
	r, err := NewRouter(d)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	// Every answer a test receives is checked against the OpenAPI document
	// the router serves: an undocumented status, header or body fails it.
	e.router = r
	if !d.HideSchema {
		e.router, e.schema = openapitest.Validating(t, r, "/schema/")
	}
	return e
}

// addUser creates u with password; the receiver gives it a token, recorded
// under its username.
func (e *env) addUser(t *testing.T, u *models.User, password string) {
	t.Helper()
	ctx := context.Background()
	if err := u.SetPassword(password, 4); err != nil {
		t.Fatalf("set password: %v", err)
	}
	if err := e.db.CreateUser(ctx, u); err != nil {
		t.Fatalf("create user %q: %v", u.Username, err)
	}
	tok, err := e.db.TokenOf(ctx, u.ID)
	if err != nil {
		t.Fatalf("token of %q: %v", u.Username, err)
	}
	e.users[u.Username] = u
	e.keys[u.Username] = tok.Key
}

// expand replaces every "{name}" placeholder with the key it stands for.
func (e *env) expand(s string) string {
	for name, key := range e.keys {
		s = strings.ReplaceAll(s, "{"+name+"}", key)
	}
	return s
}

func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.raw.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (e *env) students(t *testing.T) []models.Student {
	t.Helper()
	s, err := e.db.FindStudents(context.Background(), models.StudentQuery{})
	if err != nil {
		t.Fatalf("list students: %v", err)
	}
	return s
}

// state is what a refused request must leave as it was.
type state struct {
	students []models.Student
	tokens   int
}

func (e *env) state(t *testing.T) state {
	t.Helper()
	return state{students: e.students(t), tokens: e.count(t, "SELECT COUNT(*) FROM tokens")}
}

// scenario is one request and the answer the contract expects.
type scenario struct {
	name        string
	method      string
	path        string
	header      []string // name, value pairs, added in order; placeholders expanded
	body        string
	contentType string
	token       string // a user whose key is sent as "Authorization: <keyword> <key>"
	// setup runs on the fresh env before the request.
	setup func(t *testing.T, e *env)

	wantStatus  int
	wantBody    string            // exact, placeholders expanded
	bodyPrefix  bool              // wantBody is only the start of the body
	wantHeaders map[string]string // a value of "" means the header must be absent; placeholders expanded
	// check runs after the request, to look at what was (or was not) written.
	check func(t *testing.T, e *env)
}

// request builds the scenario's request against e.
func (s scenario) request(e *env) *http.Request {
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(e.expand(s.body))
	}
	method := s.method
	if method == "" {
		method = http.MethodGet
	}
	req := httptest.NewRequest(method, s.path, body)
	if s.contentType != "" {
		req.Header.Set("Content-Type", s.contentType)
	}
	if s.token != "" {
		req.Header.Set("Authorization", e.keyword+" "+e.keys[s.token])
	}
	for i := 0; i+1 < len(s.header); i += 2 {
		if name, value := s.header[i], e.expand(s.header[i+1]); name == "Host" {
			req.Host = value // net/http keeps Host out of the header map
		} else {
			req.Header.Add(name, value)
		}
	}
	return req
}

func (e *env) serve(req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	return w
}

// runScenarios runs each scenario against an env of its own, built with opts.
func runScenarios(t *testing.T, tests []scenario, opts ...func(*Deps)) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each has a database of its own
			e := newEnv(t, opts...)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			e.run(t, tt)
		})
	}
}

// run sends one scenario and checks its answer, plus what holds for every
// answer: JSON bodies are labelled as JSON, every 401 carries the challenge, and
// a request that is refused or redirected writes nothing.
func (e *env) run(t *testing.T, tt scenario) *httptest.ResponseRecorder {
	t.Helper()
	before := e.state(t)
	req := tt.request(e)
	w := e.serve(req)

	got, want := w.Body.String(), e.expand(tt.wantBody)
	match := got == want
	if tt.bodyPrefix {
		match = strings.HasPrefix(got, want)
	}
	if w.Code != tt.wantStatus || !match {
		t.Errorf("%s %s:\n got %d %s\nwant %d %s", req.Method, tt.path, w.Code, got, tt.wantStatus, want)
	}
	for name, want := range tt.wantHeaders {
		values := w.Header().Values(name)
		if name == challengeHeader { // spelled on the wire as given, not canonically
			values = w.Header()[name]
		}
		if got, want := strings.Join(values, ", "), e.expand(want); got != want {
			t.Errorf("%s %s: header %s = %q, want %q", req.Method, tt.path, name, got, want)
		}
	}
	_, pinned := tt.wantHeaders["Content-Type"]
	if got := w.Header().Get("Content-Type"); !pinned && w.Body.Len() > 0 && got != jsonType {
		t.Errorf("%s %s: Content-Type = %q, want %q", req.Method, tt.path, got, jsonType)
	}
	if got := headerValue(w.Header(), challengeHeader); w.Code == http.StatusUnauthorized && got != e.keyword {
		t.Errorf("%s %s: 401 with WWW-Authenticate %q, want %q", req.Method, tt.path, got, e.keyword)
	}
	if got := w.Header()["Www-Authenticate"]; got != nil {
		t.Errorf("%s %s: challenge spelled canonically (%q), want it only as %q", req.Method, tt.path, got, challengeHeader)
	}
	if after := e.state(t); w.Code >= 300 && !reflect.DeepEqual(after, before) {
		t.Errorf("%s %s: answered %d but the database changed:\n got %+v\nwant %+v", req.Method, tt.path, w.Code, after, before)
	}
	if tt.check != nil {
		tt.check(t, e)
	}
	return w
}

// multipartBody is a multipart/form-data body (boundary mpType) of name, value
// pairs, in order.
func multipartBody(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", boundary, pairs[i], pairs[i+1])
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.String()
}

// headers is a shorthand for wantHeaders.
func headers(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// CONTRACT section 1: negotiation, authentication, permission, throttling,
// method, lookup, parsing, validation, in that order.
func TestJudgingOrder(t *testing.T) {
	xml := []string{"Accept", "application/xml"}
	badBody := `{"name":"","roll":"x"}`
	runScenarios(t, []scenario{
		{name: "406 before 401", path: "/studentapi/", header: xml,
			wantStatus: 406, wantBody: bodyNotAcceptable, wantHeaders: headers("Allow", allowList, "WWW-Authenticate", "")},
		{name: "406 before a bad token", path: "/studentapi/1/", header: []string{"Accept", "application/xml", "Authorization", "Token nope"},
			wantStatus: 406, wantBody: bodyNotAcceptable, wantHeaders: headers("Allow", allowDetail)},
		{name: "406 before 405", method: "DELETE", path: "/studentapi/", header: xml, token: "alice",
			wantStatus: 406, wantBody: bodyNotAcceptable},
		{name: "unknown format 404 before 401", path: "/studentapi/?format=xml",
			wantStatus: 404, wantBody: bodyNotFound, wantHeaders: headers("WWW-Authenticate", "")},
		{name: "unknown suffix 404 before 401", path: "/studentapi.xml",
			wantStatus: 404, wantBody: bodyNotFound},
		{name: "401 before 405", method: "DELETE", path: "/studentapi/",
			wantStatus: 401, wantBody: bodyNotProvided, wantHeaders: headers("Allow", allowList)},
		{name: "bad token 401 before 405", method: "PATCH", path: "/studentapi/", header: []string{"Authorization", "Token nope"},
			wantStatus: 401, wantBody: bodyInvalidToken},
		{name: "401 before 404", path: "/studentapi/99/",
			wantStatus: 401, wantBody: bodyNotProvided, wantHeaders: headers("Allow", allowDetail)},
		{name: "401 before 415", method: "POST", path: "/studentapi/", body: "x", contentType: "text/plain",
			wantStatus: 401, wantBody: bodyNotProvided},
		{name: "401 before 400", method: "POST", path: "/studentapi/", body: badBody, contentType: jsonType,
			wantStatus: 401, wantBody: bodyNotProvided},
		{name: "405 before 415", method: "PUT", path: "/studentapi/", token: "alice", body: "x", contentType: "text/plain",
			wantStatus: 405, wantBody: `{"detail":"Method \"PUT\" not allowed."}`},
		{name: "405 before 404", method: "POST", path: "/studentapi/99/", token: "alice",
			wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`},
		{name: "404 before 400: PUT invalid body to a missing id", method: "PUT", path: "/studentapi/99/", token: "alice",
			body: badBody, contentType: jsonType, wantStatus: 404, wantBody: bodyNotFound},
		{name: "404 before 415", method: "PATCH", path: "/studentapi/99/", token: "alice",
			body: "x", contentType: "text/plain", wantStatus: 404, wantBody: bodyNotFound},
		{name: "404 before malformed JSON", method: "PUT", path: "/studentapi/abc/", token: "alice",
			body: "{", contentType: jsonType, wantStatus: 404, wantBody: bodyNotFound},
		{name: "415 before 400", method: "PUT", path: "/studentapi/1/", token: "alice",
			body: badBody, contentType: "text/plain", wantStatus: 415, wantBody: `{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{name: "parse error before validation", method: "POST", path: "/studentapi/", token: "alice",
			body: `{"name":"","roll":"x"`, contentType: jsonType, wantStatus: 400, wantBody: `{"detail":"JSON parse error - `, bodyPrefix: true},
		{name: "gettoken: 406 before 405", method: "GET", path: "/gettoken/", header: []string{"Accept", "text/html"},
			wantStatus: 406, wantBody: bodyNotAcceptable, wantHeaders: headers("Allow", allowGetToken)},
		{name: "gettoken: 405 before 415", method: "PUT", path: "/gettoken/", body: "x", contentType: "text/plain",
			wantStatus: 405, wantBody: `{"detail":"Method \"PUT\" not allowed."}`},
	})
}

// CONTRACT section 5: the root, trailing slashes, format suffixes. (Accept is
// in negotiate_test.go.)
func TestURLs(t *testing.T) {
	list := "[" + raviJSON + "," + sonamJSON + "]"
	redirect := func(method, path, location string, status int) scenario {
		return scenario{name: method + " " + path, method: method, path: path, token: "alice",
			body: `{"name":"X","roll":1,"city":"Y"}`, contentType: jsonType,
			wantStatus: status, wantHeaders: headers("Location", location)}
	}
	runScenarios(t, []scenario{
		{name: "root", path: "/", wantStatus: 200, wantBody: `{"studentapi":"http://example.com/studentapi/"}`,
			wantHeaders: headers("Allow", "GET, HEAD, OPTIONS", "WWW-Authenticate", "")},
		{name: "root with a bad token", path: "/", header: []string{"Authorization", "Token nope"},
			wantStatus: 200, wantBody: `{"studentapi":"http://example.com/studentapi/"}`},
		{name: "root uses the Host", path: "/", header: []string{"Host", "api.test:8000"},
			wantStatus: 200, wantBody: `{"studentapi":"http://api.test:8000/studentapi/"}`},
		{name: "root with format", path: "/?format=json", wantStatus: 200, wantBody: `{"studentapi":"http://example.com/studentapi/"}`},
		{name: "root POST", method: "POST", path: "/", wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`},
		{name: "root OPTIONS", method: "OPTIONS", path: "/", wantStatus: 200,
			wantBody: `{"name":"Api Root","description":"The default basic root view for DefaultRouter","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`},

		// Trailing slashes: 301 for safe methods, 308 otherwise, before authentication.
		{name: "GET without slash, anonymous", path: "/studentapi",
			wantStatus: 301, wantHeaders: headers("Location", "/studentapi/", "WWW-Authenticate", "")},
		redirect("GET", "/studentapi", "/studentapi/", 301),
		redirect("HEAD", "/studentapi", "/studentapi/", 301),
		redirect("OPTIONS", "/studentapi", "/studentapi/", 301),
		redirect("POST", "/studentapi", "/studentapi/", 308),
		redirect("PUT", "/studentapi", "/studentapi/", 308),
		redirect("PATCH", "/studentapi", "/studentapi/", 308),
		redirect("DELETE", "/studentapi", "/studentapi/", 308),
		redirect("GET", "/studentapi/1", "/studentapi/1/", 301),
		redirect("PUT", "/studentapi/1", "/studentapi/1/", 308),
		redirect("PATCH", "/studentapi/1", "/studentapi/1/", 308),
		redirect("DELETE", "/studentapi/1", "/studentapi/1/", 308),
		redirect("POST", "/studentapi/99", "/studentapi/99/", 308),
		redirect("GET", "/studentapi?search=a%20b", "/studentapi/?search=a%20b", 301),
		redirect("POST", "/studentapi/1?x=1", "/studentapi/1/?x=1", 308),

		// Format suffixes answer as without them.
		{name: "list.json", path: "/studentapi.json", token: "alice", wantStatus: 200, wantBody: list, wantHeaders: headers("Allow", allowList)},
		{name: "list.json/", path: "/studentapi.json/", token: "alice", wantStatus: 200, wantBody: list},
		{name: "list ?format=json", path: "/studentapi/?format=json", token: "alice", wantStatus: 200, wantBody: list},
		{name: "detail.json", path: "/studentapi/1.json", token: "alice", wantStatus: 200, wantBody: raviJSON, wantHeaders: headers("Allow", allowDetail)},
		{name: "detail.json/", path: "/studentapi/1.json/", token: "alice", wantStatus: 200, wantBody: raviJSON},
		{name: "detail ?format=json", path: "/studentapi/1/?format=json", token: "alice", wantStatus: 200, wantBody: raviJSON},
		{name: "POST list.json", method: "POST", path: "/studentapi.json", token: "alice",
			body: `{"name":"X","roll":1,"city":"Y"}`, contentType: jsonType, wantStatus: 201, wantBody: `{"id":3,"name":"X","roll":1,"city":"Y"}`},
		{name: "PATCH detail.json", method: "PATCH", path: "/studentapi/1.json", token: "alice",
			body: `{"roll":2}`, contentType: jsonType, wantStatus: 200, wantBody: `{"id":1,"name":"Ravi","roll":2,"city":"Ranchi"}`},
		{name: "DELETE detail.json", method: "DELETE", path: "/studentapi/2.json", token: "alice", wantStatus: 204,
			check: wantStudents(ravi)},
		{name: "missing detail.json", path: "/studentapi/99.json", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "list.json anonymous", path: "/studentapi.json", wantStatus: 401, wantBody: bodyNotProvided},
		{name: "list.xml", path: "/studentapi.xml", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "detail.xml", path: "/studentapi/1.xml", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "detail.xml anonymous", path: "/studentapi/1.xml/", wantStatus: 404, wantBody: bodyNotFound},
		{name: "?format=xml", path: "/studentapi/?format=xml", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "?format=xml on a detail", path: "/studentapi/1/?format=xml", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "?format=xml anonymous", path: "/studentapi/?format=xml", wantStatus: 404, wantBody: bodyNotFound},
		{name: "upper-case suffix", path: "/studentapi/1.JSON", token: "alice", wantStatus: 404, wantBody: bodyNotFound},

		// Unknown paths: JSON, never HTML.
		{name: "unknown path", path: "/nowhere/", wantStatus: 404, wantBody: bodyNotFound, wantHeaders: headers("Content-Type", jsonType)},
		{name: "unknown path with a key", path: "/students/", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "unknown path POST", method: "POST", path: "/nowhere", body: "{}", contentType: jsonType, wantStatus: 404, wantBody: bodyNotFound},
		{name: "admin is not ours", path: "/admin/", wantStatus: 404, wantBody: bodyNotFound},
		{name: "nested below a detail", path: "/studentapi/1/x/", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "double slash", path: "/studentapi//", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "prefix of the list", path: "/studentapix/", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
	})
}

// CONTRACT section 6: OPTIONS answers DRF's metadata.
func TestOptions(t *testing.T) {
	fields := `{"id":{"type":"integer","required":false,"read_only":true,"label":"ID"},` +
		`"name":{"type":"string","required":true,"read_only":false,"label":"Name","max_length":100},` +
		`"roll":{"type":"integer","required":true,"read_only":false,"label":"Roll"},` +
		`"city":{"type":"string","required":true,"read_only":false,"label":"City","max_length":100}}`
	const (
		renders = `"renders":["application/json","text/html"]`
		parses  = `"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]`
	)
	listMeta := `{"name":"Student Model List","description":"",` + renders + `,` + parses + `,"actions":{"POST":` + fields + `}}`
	detailMeta := `{"name":"Student Model Instance","description":"",` + renders + `,` + parses + `,"actions":{"PUT":` + fields + `}}`
	missingMeta := `{"name":"Student Model Instance","description":"",` + renders + `,` + parses + `}`
	runScenarios(t, []scenario{
		{name: "list", method: "OPTIONS", path: "/studentapi/", token: "alice",
			wantStatus: 200, wantBody: listMeta, wantHeaders: headers("Allow", allowList)},
		{name: "list.json", method: "OPTIONS", path: "/studentapi.json", token: "alice", wantStatus: 200, wantBody: listMeta},
		{name: "detail", method: "OPTIONS", path: "/studentapi/1/", token: "alice",
			wantStatus: 200, wantBody: detailMeta, wantHeaders: headers("Allow", allowDetail)},
		{name: "missing detail has no actions", method: "OPTIONS", path: "/studentapi/99/", token: "alice",
			wantStatus: 200, wantBody: missingMeta, wantHeaders: headers("Allow", allowDetail)},
		{name: "non-integer id has no actions", method: "OPTIONS", path: "/studentapi/abc/", token: "alice",
			wantStatus: 200, wantBody: missingMeta},
		{name: "list anonymous", method: "OPTIONS", path: "/studentapi/", wantStatus: 401, wantBody: bodyNotProvided},
		{name: "detail anonymous", method: "OPTIONS", path: "/studentapi/1/", wantStatus: 401, wantBody: bodyNotProvided},
		{name: "list with a body", method: "OPTIONS", path: "/studentapi/", token: "alice",
			body: "ignored", contentType: "text/plain", wantStatus: 200, wantBody: listMeta},
		{name: "list Accept xml", method: "OPTIONS", path: "/studentapi/", token: "alice", header: []string{"Accept", "application/xml"},
			wantStatus: 406, wantBody: bodyNotAcceptable},
		{name: "gettoken", method: "OPTIONS", path: "/gettoken/", wantStatus: 200,
			wantBody:    `{"name":"Custom Auth Token","description":"","renders":["application/json"],"parses":["application/x-www-form-urlencoded","multipart/form-data","application/json"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"},"token":{"type":"string","required":false,"read_only":true,"label":"Token"}}}}`,
			wantHeaders: headers("Allow", allowGetToken)},
	})
}

// CONTRACT section 7: an internal failure is a JSON 500 whose cause is logged
// and never shown.
func TestInternalError(t *testing.T) {
	e := newEnv(t)
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []scenario{
		{name: "authentication cannot reach the database", path: "/studentapi/", token: "alice"},
		{name: "login cannot reach the database", method: "POST", path: "/gettoken/", body: `{"username":"alice","password":"pw"}`, contentType: jsonType},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := e.serve(tt.request(e))
			if w.Code != http.StatusInternalServerError || w.Body.String() != bodyInternal {
				t.Errorf("got %d %s, want 500 %s", w.Code, w.Body, bodyInternal)
			}
			if got := w.Header().Get("Content-Type"); got != jsonType {
				t.Errorf("Content-Type %q, want %q", got, jsonType)
			}
		})
	}
	if log := e.log.String(); !strings.Contains(log, "internal error") || !strings.Contains(log, "database is closed") {
		t.Errorf("cause not logged:\n%s", log)
	}
	if log := e.log.String(); strings.Contains(log, e.keys["alice"]) || strings.Contains(log, `"pw"`) {
		t.Errorf("log holds a secret:\n%s", log)
	}
}

// A panic in a handler is a JSON 500 too. A router without a database panics
// at the first query.
func TestPanicIsInternalError(t *testing.T) {
	var log lockedBuffer
	r, err := NewRouter(Deps{Auth: auth.New(nil, "Token", 4, auth.Options{}), Log: slog.New(slog.NewTextHandler(&log, nil)), BodyLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader(`{"username":"alice","password":"pw"}`))
	req.Header.Set("Content-Type", jsonType)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusInternalServerError || w.Body.String() != bodyInternal {
		t.Errorf("got %d %s, want 500 %s", w.Code, w.Body, bodyInternal)
	}
	if got := w.Header().Get("Content-Type"); got != jsonType {
		t.Errorf("Content-Type %q, want %q", got, jsonType)
	}
	if !strings.Contains(log.String(), "panic") {
		t.Errorf("panic not logged:\n%s", log.String())
	}
}

// CONTRACT section 1, throttling: after authentication, before the method.
func TestJudgingOrderThrottle(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		rate, err := throttle.ParseRate("1/minute")
		if err != nil {
			t.Fatal(err)
		}
		d.Throttles.User = throttle.New(rate, nil)
	})
	e.run(t, scenario{name: "first request", path: "/studentapi/1/", token: "alice", wantStatus: 200, wantBody: raviJSON})
	throttled := `{"detail":"Request was throttled. Expected available in 60 seconds."}`
	for _, tt := range []scenario{
		{name: "429 before 405", method: "PUT", path: "/studentapi/", token: "alice",
			wantStatus: 429, wantBody: throttled, wantHeaders: headers("Retry-After", "60", "Allow", allowList)},
		{name: "429 before 404", path: "/studentapi/99/", token: "alice", wantStatus: 429, wantBody: throttled},
		{name: "429 before 415", method: "POST", path: "/studentapi/", token: "alice", body: "x", contentType: "text/plain",
			wantStatus: 429, wantBody: throttled},
		{name: "401 before 429", path: "/studentapi/", wantStatus: 401, wantBody: bodyNotProvided},
		{name: "406 before 429", path: "/studentapi/", token: "alice", header: []string{"Accept", "application/xml"},
			wantStatus: 406, wantBody: bodyNotAcceptable},
	} {
		t.Run(tt.name, func(t *testing.T) { e.run(t, tt) })
	}
}

// rawSQL opens a plain database/sql handle on src, for what the API cannot do:
// count rows, or delete one behind its back. Its queries use $1 placeholders,
// which both drivers take.
func rawSQL(src testdb.DB) (*sql.DB, error) {
	if src.Driver == "postgres" {
		return sql.Open("pgx", src.DSN)
	}
	return sql.Open("sqlite3", models.SQLiteDSN(src.Path))
}
