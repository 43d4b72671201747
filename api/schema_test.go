package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"studentapi/auth"
	"studentapi/internal/openapi/openapitest"
	"studentapi/models"
)

// schemaDoc fetches the document e's router serves at target.
func schemaDoc(t *testing.T, e *env, target string) map[string]any {
	t.Helper()
	w := e.serve(httptest.NewRequest(http.MethodGet, target, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", target, w.Code, w.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return m
}

func lookup(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

// Every route of the table that a client calls is in the document with every
// method its view answers (HEAD and OPTIONS aside, as drf-spectacular leaves
// them out), under the operation ids drf-spectacular gives them.
func TestSchemaCoversRouteTable(t *testing.T) {
	e := newEnv(t)
	doc := schemaDoc(t, e, "/schema/")
	d := Deps{DB: e.db, Auth: auth.New(e.db, "Token", 4, auth.Options{})}
	documented := 0
	for _, rt := range routes(d, nil, nil, nil) {
		path := schemaPath(rt.path)
		item, _ := lookup(doc, "paths", path).(map[string]any)
		if rt.doc == nil {
			if item != nil && !strings.Contains(rt.path, ".") {
				t.Errorf("%s is in the document but has no doc", rt.path)
			}
			// Left out: redirects, format suffixes, static files, the root.
			if rt.view != nil && rt.path != "/" && strings.HasSuffix(rt.path, "/") && !strings.Contains(rt.path, ".") {
				t.Errorf("route %s has a view but no doc", rt.path)
			}
			continue
		}
		documented++
		var want []string
		if rt.view != nil {
			for m := range rt.view.methods {
				want = append(want, m)
			}
		} else {
			for _, m := range rt.methods {
				if m != http.MethodHead {
					want = append(want, m)
				}
			}
		}
		var got []string
		for m := range item {
			got = append(got, strings.ToUpper(m))
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: document has %v, route answers %v", path, got, want)
		}
	}
	if documented != 6 {
		t.Errorf("documented routes = %d, want 6 (/gettoken/, /logout/, /studentapi/, /studentapi/{id}/, /healthz, /readyz)", documented)
	}
	for path, ops := range map[string]map[string]string{
		"/gettoken/":        {"post": "gettoken_create"},
		"/logout/":          {"post": "logout_create"},
		"/studentapi/":      {"get": "studentapi_list", "post": "studentapi_create"},
		"/studentapi/{id}/": {"get": "studentapi_retrieve", "put": "studentapi_update", "patch": "studentapi_partial_update", "delete": "studentapi_destroy"},
		"/healthz":          {"get": "healthz_retrieve"},
		"/readyz":           {"get": "readyz_retrieve"},
	} {
		for method, id := range ops {
			if got := lookup(doc, "paths", path, method, "operationId"); got != id {
				t.Errorf("%s %s operationId = %v, want %s", method, path, got, id)
			}
		}
	}
	// Request bodies in the three media types the views parse.
	content, _ := lookup(doc, "paths", "/studentapi/", "post", "requestBody", "content").(map[string]any)
	for _, mt := range parsedMediaTypes {
		if content[mt] == nil {
			t.Errorf("POST /studentapi/ body: no %s", mt)
		}
	}
	// Every status the error writer gives is documented somewhere.
	for _, status := range []string{"400", "401", "403", "404", "406", "412", "413", "415", "429", "500", "503", "304"} {
		found := false
		for _, item := range lookup(doc, "paths").(map[string]any) {
			for _, op := range item.(map[string]any) {
				if lookup(op, "responses", status) != nil {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("no operation documents %s", status)
		}
	}
	if lookup(doc, "components", "responses", "MethodNotAllowed") == nil {
		t.Error("405 is not documented")
	}
	if got := lookup(doc, "components", "responses", "Unauthorized", "headers", "WWW-Authenticate", "required"); got != true {
		t.Errorf("401's WWW-Authenticate required = %v, want true", got)
	}
	if got := lookup(doc, "components", "responses", "TooManyRequests", "headers", "Retry-After", "required"); got != true {
		t.Errorf("429's Retry-After required = %v, want true", got)
	}
}

// The schema of a student is models' declaration of one, field for field and
// in its order.
func TestSchemaIsTheDeclaration(t *testing.T) {
	e := newEnv(t)
	w := e.serve(httptest.NewRequest(http.MethodGet, "/schema/", nil))
	// Read as YAML, which keeps the keys' order (JSON is YAML).
	var n yaml.Node
	if err := yaml.Unmarshal(w.Body.Bytes(), &n); err != nil {
		t.Fatal(err)
	}
	var names []string
	props := yamlLookup(&n, "components", "schemas", "Student", "properties")
	for i := 0; props != nil && i < len(props.Content); i += 2 {
		names = append(names, props.Content[i].Value)
	}
	var want []string
	for _, f := range models.StudentFields().List() {
		want = append(want, f.Name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("Student properties = %v, want the declaration's %v", names, want)
	}
	for _, f := range models.StudentFields().List() {
		if f.MaxLength == 0 {
			continue
		}
		if got := yamlLookup(&n, "components", "schemas", "Student", "properties", f.Name, "maxLength"); got == nil || got.Value != fmt.Sprint(f.MaxLength) {
			t.Errorf("%s maxLength = %v, want %d", f.Name, got, f.MaxLength)
		}
	}
}

func yamlLookup(n *yaml.Node, keys ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	for _, k := range keys {
		var next *yaml.Node
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// How the document is served: formats, versions, validators, the alias,
// and no document at all when it is hidden.
func TestSchemaServed(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Auth = auth.New(d.DB, "Token", 4, auth.Options{ExtraKeywords: []string{"Bearer"}}) })
	get := func(target string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i+1 < len(header); i += 2 {
			if header[i+1] != "" {
				req.Header.Set(header[i], header[i+1])
			}
		}
		return e.serve(req)
	}
	json30 := get("/schema/")
	if got := json30.Header().Get("Content-Type"); got != "application/vnd.oai.openapi+json" {
		t.Errorf("Content-Type = %q", got)
	}
	tag := json30.Header().Get("ETag")
	if tag == "" || tag != entityTag(json30.Body.Bytes()) {
		t.Errorf("ETag = %q, want the body's entity tag", tag)
	}
	if !strings.Contains(json30.Body.String(), "`Bearer `") {
		t.Error("tokenAuth does not name the extra keyword Bearer")
	}
	if alias := get("/openapi.json"); alias.Body.String() != json30.Body.String() {
		t.Error("/openapi.json differs from /schema/")
	}
	if w := get("/schema/", "If-None-Match", tag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d %q, want 304 and no body", w.Code, w.Body)
	}
	for _, tt := range []struct {
		target, accept string
		wantStatus     int
		wantType       string
		wantPrefix     string
	}{
		{"/schema/?format=yaml", "", 200, "application/vnd.oai.openapi", "openapi: 3.0.3\n"},
		{"/schema/?format=openapi", "", 200, "application/vnd.oai.openapi", "openapi: 3.0.3\n"},
		{"/schema/?format=openapi", "application/yaml", 200, "application/yaml", "openapi: 3.0.3\n"},
		{"/schema/?version=3.2", "", 404, "application/json", `{"detail":"Not found."}`},
		{"/schema/", "application/yaml", 200, "application/yaml", "openapi: 3.0.3\n"},
		{"/schema/?version=3.1", "", 200, "application/vnd.oai.openapi+json", "{\n  \"openapi\": \"3.1.0\""},
		{"/schema/?version=3.1&format=yaml", "", 200, "application/vnd.oai.openapi", "openapi: 3.1.0\n"},
		{"/schema/", "application/json", 200, "application/json", "{\n  \"openapi\": \"3.0.3\""},
		{"/schema/?version=2", "", 404, "application/json", `{"detail":"Not found."}`},
		{"/schema/?format=xml", "", 404, "application/json", `{"detail":"Not found."}`},
		{"/schema/?format=yaml&format=json", "", 200, "application/vnd.oai.openapi+json", "{\n  \"openapi\": \"3.0.3\""},
		{"/schema/?version=3.1&version=3.0.3", "", 200, "application/vnd.oai.openapi+json", "{\n  \"openapi\": \"3.0.3\""},
		{"/schema/", "image/png", 406, "application/json", bodyNotAcceptable},
	} {
		w := get(tt.target, "Accept", tt.accept)
		if w.Code != tt.wantStatus || w.Header().Get("Content-Type") != tt.wantType || !strings.HasPrefix(w.Body.String(), tt.wantPrefix) {
			t.Errorf("GET %s (Accept %q) = %d %s %.40q, want %d %s %q", tt.target, tt.accept, w.Code, w.Header().Get("Content-Type"), w.Body, tt.wantStatus, tt.wantType, tt.wantPrefix)
		}
	}
	if w := get("/schema"); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/schema/" {
		t.Errorf("GET /schema = %d %s, want 301 to /schema/", w.Code, w.Header().Get("Location"))
	}

	hidden := newEnv(t, func(d *Deps) { d.HideSchema = true })
	for _, target := range []string{"/schema/", "/openapi.json", "/schema"} {
		if w := hidden.serve(httptest.NewRequest(http.MethodGet, target, nil)); w.Code != http.StatusNotFound {
			t.Errorf("hidden: GET %s = %d, want 404", target, w.Code)
		}
	}
}

// The check of every answer is not vacuous: the api tests' answers are
// checked, and a document that says less than the service does fails them.
func TestAnswersAreChecked(t *testing.T) {
	e := newEnv(t)
	e.run(t, scenario{path: "/studentapi/1/", token: "alice", wantStatus: 200, wantBody: raviJSON})
	if got := e.schema.Checked.Load(); got != 1 {
		t.Errorf("answers checked = %d, want 1", got)
	}
	full := e.serve(httptest.NewRequest(http.MethodGet, "/schema/", nil)).Body.Bytes()
	for _, tt := range []struct {
		name       string
		change     func(doc map[string]any) // to the document
		req        *http.Request
		wantFailed bool
	}{
		{"as served", func(map[string]any) {}, httptest.NewRequest(http.MethodGet, "/studentapi/", nil), false},
		// The 401 an anonymous list gets, left out.
		{"status", func(doc map[string]any) {
			delete(lookup(doc, "paths", "/studentapi/", "get", "responses").(map[string]any), "401")
		}, httptest.NewRequest(http.MethodGet, "/studentapi/", nil), true},
		// A roll that the document says is a string.
		{"body", func(doc map[string]any) {
			lookup(doc, "components", "schemas", "Student", "properties", "roll").(map[string]any)["type"] = "string"
			delete(lookup(doc, "components", "schemas", "Student").(map[string]any), "example") // now wrong too
		}, authorized(e, httptest.NewRequest(http.MethodGet, "/studentapi/1/", nil)), true},
		// A field the document does not know of.
		{"field", func(doc map[string]any) {
			delete(lookup(doc, "components", "schemas", "Student", "properties").(map[string]any), "city")
			delete(lookup(doc, "components", "schemas", "Student").(map[string]any), "example")
		}, authorized(e, httptest.NewRequest(http.MethodGet, "/studentapi/1/", nil)), true},
		// A header the answer lacks.
		{"header", func(doc map[string]any) {
			headers := lookup(doc, "components", "responses", "Unauthorized", "headers").(map[string]any)
			headers["X-Missing"] = headers["WWW-Authenticate"]
		}, httptest.NewRequest(http.MethodGet, "/studentapi/", nil), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(full, &doc); err != nil {
				t.Fatal(err)
			}
			tt.change(doc)
			changed, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			v, err := openapitest.Load(changed)
			if err != nil {
				t.Fatal(err)
			}
			rec := &recordingTB{TB: t}
			v.Wrap(rec, e.router).ServeHTTP(httptest.NewRecorder(), tt.req)
			if failed := len(rec.errors) > 0; failed != tt.wantFailed {
				t.Errorf("failed = %v (%v), want %v", failed, rec.errors, tt.wantFailed)
			}
		})
	}
}

func authorized(e *env, req *http.Request) *http.Request {
	req.Header.Set("Authorization", "Token "+e.keys["alice"])
	return req
}

// recordingTB keeps the failures it is told of instead of failing.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// The reference page loads Swagger UI and its start-up script from this
// server, under the browsable API's policy, which forbids inline scripts.
func TestSchemaDocs(t *testing.T) {
	e := newEnv(t)
	w := e.serve(httptest.NewRequest(http.MethodGet, "/schema/docs/", nil))
	if w.Code != http.StatusOK || w.Header().Get("Content-Security-Policy") != browsableCSP {
		t.Fatalf("GET /schema/docs/ = %d, CSP %q; want 200 and %q", w.Code, w.Header().Get("Content-Security-Policy"), browsableCSP)
	}
	page := w.Body.String()
	if strings.Contains(page, "<script>") || strings.Contains(page, "<style") {
		t.Error("the page has an inline script or style, which its policy refuses")
	}
	for _, src := range []string{"/static/swagger-ui/swagger-ui-bundle.js", "/static/swagger-ui/swagger-ui.css", "/static/schemadocs.js"} {
		if !strings.Contains(page, `"`+src+`"`) {
			t.Errorf("the page does not load %s", src)
			continue
		}
		if w := e.serve(httptest.NewRequest(http.MethodGet, src, nil)); w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("GET %s = %d, %d bytes", src, w.Code, w.Body.Len())
		}
	}
	if !strings.Contains(page, `data-url="/schema/"`) {
		t.Error("the page does not name the document")
	}
	if w := e.serve(httptest.NewRequest(http.MethodGet, "/static/swagger-ui/LICENSE", nil)); w.Code != http.StatusNotFound {
		t.Errorf("GET LICENSE = %d; files without a type are not served", w.Code)
	}
}
