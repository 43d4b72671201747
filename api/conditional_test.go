package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"studentapi/models"
)

// Conditional requests (RFC 9110 section 13), beyond DRF: ETags on what GET
// answers, 304 for If-None-Match, 412 for a stale If-Match.

// tagOf is the ETag GET path answers alice.
func (e *env) tagOf(t *testing.T, path string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
	w := e.serve(req)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
	}
	return w.Header().Get("ETag")
}

// withTag records the current ETag of student 1 as the placeholder "{tag}";
// stale then changes the row, so that the recorded tag is no longer current.
func withTag(t *testing.T, e *env) { e.keys["tag"] = e.tagOf(t, "/studentapi/1/") }

func stale(t *testing.T, e *env) {
	withTag(t, e)
	moved := ravi
	moved.City = "Goa"
	if err := e.db.UpdateStudent(context.Background(), &moved); err != nil {
		t.Fatal(err)
	}
}

// The ETag is strong, stable while the data stays, the same for HEAD, and
// changes with what the answer holds.
func TestETag(t *testing.T) {
	e := newEnv(t)
	detail, list := e.tagOf(t, "/studentapi/1/"), e.tagOf(t, "/studentapi/")
	for path, tag := range map[string]string{"/studentapi/1/": detail, "/studentapi/": list} {
		if len(tag) < 18 || tag[0] != '"' || tag[len(tag)-1] != '"' || strings.ContainsAny(tag[1:len(tag)-1], `"\ `) {
			t.Errorf("GET %s: ETag %q, want a strong tag (quoted, no W/)", path, tag)
		}
		if again := e.tagOf(t, path); again != tag {
			t.Errorf("GET %s twice: ETag %q then %q, want the same", path, tag, again)
		}
		req := httptest.NewRequest(http.MethodHead, path, nil)
		req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
		if got := e.serve(req).Header().Get("ETag"); got != tag {
			t.Errorf("HEAD %s: ETag %q, want GET's %q", path, got, tag)
		}
	}
	if detail == list || detail == e.tagOf(t, "/studentapi/2/") {
		t.Errorf("ETags of student 1 %q, the list %q, student 2 %q: want all different", detail, list, e.tagOf(t, "/studentapi/2/"))
	}

	e.run(t, scenario{method: http.MethodPost, path: "/studentapi/", token: "alice", contentType: jsonType,
		body: `{"name":"Amit","roll":3,"city":"Agra"}`, wantStatus: 201, wantBody: `{"id":3,"name":"Amit","roll":3,"city":"Agra"}`})
	if got := e.tagOf(t, "/studentapi/"); got == list {
		t.Errorf("list ETag after a create: still %q, want another", got)
	}
	if got := e.tagOf(t, "/studentapi/1/"); got != detail {
		t.Errorf("student 1's ETag after another's create: %q, want still %q", got, detail)
	}

	// A write answers the new tag, the one the next GET answers.
	w := e.run(t, scenario{method: http.MethodPatch, path: "/studentapi/1/", token: "alice", contentType: jsonType,
		body: `{"city":"Goa"}`, wantStatus: 200, wantBody: `{"id":1,"name":"Ravi","roll":10,"city":"Goa"}`})
	if got, next := w.Header().Get("ETag"), e.tagOf(t, "/studentapi/1/"); got == detail || got != next {
		t.Errorf("PATCH answered ETag %q (before: %q), the next GET %q: want a new tag, the same in both", got, detail, next)
	}
}

func TestIfNoneMatch(t *testing.T) {
	notModified := func(allow string) map[string]string {
		return headers("ETag", "{tag}", "Allow", allow, "Vary", "Accept", "Content-Type", "")
	}
	listTag := func(t *testing.T, e *env) { e.keys["tag"] = e.tagOf(t, "/studentapi/") }
	runScenarios(t, []scenario{
		{name: "current tag", path: "/studentapi/1/", token: "alice", setup: withTag,
			header: []string{"If-None-Match", "{tag}"}, wantStatus: 304, wantHeaders: notModified(allowDetail)},
		{name: "HEAD with the current tag", method: http.MethodHead, path: "/studentapi/1/", token: "alice", setup: withTag,
			header: []string{"If-None-Match", "{tag}"}, wantStatus: 304, wantHeaders: notModified(allowDetail)},
		{name: "weak comparison", path: "/studentapi/1/", token: "alice", setup: withTag,
			header: []string{"If-None-Match", "W/{tag}"}, wantStatus: 304, wantHeaders: notModified(allowDetail)},
		{name: "in a list", path: "/studentapi/1/", token: "alice", setup: withTag,
			header: []string{"If-None-Match", `"x", {tag} ,"y"`}, wantStatus: 304, wantHeaders: notModified(allowDetail)},
		{name: "on a second line", path: "/studentapi/1/", token: "alice", setup: withTag,
			header: []string{"If-None-Match", `"x"`, "If-None-Match", "{tag}"}, wantStatus: 304, wantHeaders: notModified(allowDetail)},
		{name: "star", path: "/studentapi/1/", token: "alice", setup: withTag,
			header: []string{"If-None-Match", "*"}, wantStatus: 304, wantHeaders: notModified(allowDetail)},
		{name: "list, current tag", path: "/studentapi/", token: "alice", setup: listTag,
			header: []string{"If-None-Match", "{tag}"}, wantStatus: 304, wantHeaders: notModified(allowList)},
		{name: "stale tag", path: "/studentapi/1/", token: "alice", setup: stale,
			header: []string{"If-None-Match", "{tag}"}, wantStatus: 200, wantBody: `{"id":1,"name":"Ravi","roll":10,"city":"Goa"}`},
		{name: "another's tag", path: "/studentapi/2/", token: "alice", setup: withTag,
			header: []string{"If-None-Match", "{tag}"}, wantStatus: 200, wantBody: sonamJSON},
		{name: "list, stale after a create", path: "/studentapi/", token: "alice", setup: func(t *testing.T, e *env) {
			listTag(t, e)
			if err := e.db.CreateStudent(context.Background(), &models.Student{Name: "Amit", Roll: 3, City: "Agra"}); err != nil {
				t.Fatal(err)
			}
		}, header: []string{"If-None-Match", "{tag}"}, wantStatus: 200, bodyPrefix: true, wantBody: "[" + raviJSON},
		{name: "missing row", path: "/studentapi/9/", token: "alice",
			header: []string{"If-None-Match", "*"}, wantStatus: 404, wantBody: bodyNotFound},
		{name: "unauthenticated", path: "/studentapi/1/", setup: withTag,
			header: []string{"If-None-Match", "{tag}"}, wantStatus: 401, wantBody: bodyNotProvided},
	})
}

const bodyPreconditionFailed = `{"detail":"Precondition failed."}`

// If-Match on a GET or HEAD (RFC 9110 13.1.1, judged before If-None-Match):
// 412 unless it names the current tag (strong comparison) or is "*".
func TestIfMatchOnReads(t *testing.T) {
	listTag := func(t *testing.T, e *env) { e.keys["tag"] = e.tagOf(t, "/studentapi/") }
	runScenarios(t, []scenario{
		{name: "current tag", path: "/studentapi/1/", token: "alice", setup: withTag,
			header: []string{"If-Match", "{tag}"}, wantStatus: 200, wantBody: raviJSON},
		{name: "star", path: "/studentapi/1/", token: "alice",
			header: []string{"If-Match", "*"}, wantStatus: 200, wantBody: raviJSON},
		{name: "stale tag", path: "/studentapi/1/", token: "alice", setup: stale,
			header: []string{"If-Match", "{tag}"}, wantStatus: 412, wantBody: bodyPreconditionFailed},
		{name: "weak tag never matches", path: "/studentapi/1/", token: "alice", setup: withTag,
			header: []string{"If-Match", "W/{tag}"}, wantStatus: 412, wantBody: bodyPreconditionFailed},
		{name: "HEAD with another tag", method: http.MethodHead, path: "/studentapi/1/", token: "alice",
			header: []string{"If-Match", `"x"`}, wantStatus: 412, wantBody: bodyPreconditionFailed}, // net/http drops a HEAD's body
		{name: "before If-None-Match", path: "/studentapi/1/", token: "alice", setup: withTag,
			header: []string{"If-Match", `"x"`, "If-None-Match", "{tag}"}, wantStatus: 412, wantBody: bodyPreconditionFailed},
		{name: "list, current tag", path: "/studentapi/", token: "alice", setup: listTag,
			header: []string{"If-Match", "{tag}"}, wantStatus: 200, bodyPrefix: true, wantBody: "[" + raviJSON},
		{name: "list, another tag", path: "/studentapi/", token: "alice",
			header: []string{"If-Match", `"x"`}, wantStatus: 412, wantBody: bodyPreconditionFailed},
		{name: "missing row", path: "/studentapi/9/", token: "alice",
			header: []string{"If-Match", `"x"`}, wantStatus: 404, wantBody: bodyNotFound},
	})
}

// A list long enough to stream has no tag: If-Match "*" passes it, any tag
// fails it with a plain 412 before a byte of the list is sent.
func TestIfMatchOnAStreamedList(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Pagination = Pagination{PageSize: 0} })
	seedMany(t, e.raw, 3000)
	for _, tt := range []struct {
		ifMatch  string
		want     int
		wantBody string
	}{
		{`"x"`, http.StatusPreconditionFailed, bodyPreconditionFailed},
		{"*", http.StatusOK, ""},
	} {
		req := httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
		req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
		req.Header.Set("If-Match", tt.ifMatch)
		w := e.serve(req)
		if w.Code != tt.want || (tt.wantBody != "" && w.Body.String() != tt.wantBody) {
			t.Errorf("If-Match %s: %d %.100s, want %d %s", tt.ifMatch, w.Code, w.Body, tt.want, tt.wantBody)
		}
	}
}

func TestIfMatch(t *testing.T) {
	patch := func(name, ifMatch string, setup func(*testing.T, *env), status int, body string, check func(*testing.T, *env)) scenario {
		return scenario{name: "PATCH " + name, method: http.MethodPatch, path: "/studentapi/1/", token: "alice",
			contentType: jsonType, body: `{"roll":11}`, header: []string{"If-Match", ifMatch}, setup: setup,
			wantStatus: status, wantBody: body, check: check}
	}
	goa := models.Student{ID: 1, Name: "Ravi", Roll: 10, City: "Goa"}
	runScenarios(t, []scenario{
		patch("current tag", "{tag}", withTag, 200, `{"id":1,"name":"Ravi","roll":11,"city":"Ranchi"}`,
			wantStudents(models.Student{ID: 1, Name: "Ravi", Roll: 11, City: "Ranchi"}, sonam)),
		patch("current tag in a list", `"x", {tag}`, withTag, 200, `{"id":1,"name":"Ravi","roll":11,"city":"Ranchi"}`, nil),
		patch("stale tag", "{tag}", stale, 412, bodyPreconditionFailed, wantStudents(goa, sonam)),
		patch("weak tag (strong comparison)", "W/{tag}", withTag, 412, bodyPreconditionFailed, wantStudents(ravi, sonam)),
		patch("garbage", "nonsense", nil, 412, bodyPreconditionFailed, wantStudents(ravi, sonam)),
		patch("star", "*", nil, 200, `{"id":1,"name":"Ravi","roll":11,"city":"Ranchi"}`, nil),
		{name: "PATCH invalid body, stale tag: 400 first", method: http.MethodPatch, path: "/studentapi/1/", token: "alice",
			contentType: jsonType, body: `{"roll":"x"}`, header: []string{"If-Match", "{tag}"}, setup: stale,
			wantStatus: 400, wantBody: `{"roll":["A valid integer is required."]}`},
		{name: "PATCH unauthenticated", method: http.MethodPatch, path: "/studentapi/1/",
			contentType: jsonType, body: `{"roll":11}`, header: []string{"If-Match", "{tag}"}, setup: stale,
			wantStatus: 401, wantBody: bodyNotProvided},
		{name: "PUT current tag", method: http.MethodPut, path: "/studentapi/1/", token: "alice", contentType: jsonType,
			body: `{"name":"R","roll":1,"city":"C"}`, header: []string{"If-Match", "{tag}"}, setup: withTag,
			wantStatus: 200, wantBody: `{"id":1,"name":"R","roll":1,"city":"C"}`},
		{name: "PUT stale tag", method: http.MethodPut, path: "/studentapi/1/", token: "alice", contentType: jsonType,
			body: `{"name":"R","roll":1,"city":"C"}`, header: []string{"If-Match", "{tag}"}, setup: stale,
			wantStatus: 412, wantBody: bodyPreconditionFailed, check: wantStudents(goa, sonam)},
		{name: "DELETE current tag", method: http.MethodDelete, path: "/studentapi/1/", token: "alice",
			header: []string{"If-Match", "{tag}"}, setup: withTag, wantStatus: 204, check: wantStudents(sonam)},
		{name: "DELETE stale tag", method: http.MethodDelete, path: "/studentapi/1/", token: "alice",
			header: []string{"If-Match", "{tag}"}, setup: stale, wantStatus: 412, wantBody: bodyPreconditionFailed,
			check: wantStudents(goa, sonam)},
		{name: "DELETE star", method: http.MethodDelete, path: "/studentapi/1/", token: "alice",
			header: []string{"If-Match", "*"}, wantStatus: 204, check: wantStudents(sonam)},
		{name: "DELETE star, missing row", method: http.MethodDelete, path: "/studentapi/9/", token: "alice",
			header: []string{"If-Match", "*"}, wantStatus: 412, wantBody: bodyPreconditionFailed},
		{name: "PUT star, missing row", method: http.MethodPut, path: "/studentapi/9/", token: "alice", contentType: jsonType,
			body: `{"name":"R","roll":1,"city":"C"}`, header: []string{"If-Match", "*"}, wantStatus: 412, wantBody: bodyPreconditionFailed},
		patch("star, missing row", "*", func(t *testing.T, e *env) {
			if err := e.db.DeleteStudent(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
		}, 412, bodyPreconditionFailed, wantStudents(sonam)),
		{name: "DELETE missing row without If-Match", method: http.MethodDelete, path: "/studentapi/9/", token: "alice",
			wantStatus: 404, wantBody: bodyNotFound},
	})
}

// If-None-Match on a write (RFC 9110 13.1.2): "*" or a tag of the current
// row refuses the write with 412 and changes nothing; a tag of another state
// lets it through. Both headers: If-Match is judged first.
func TestIfNoneMatchOnWrites(t *testing.T) {
	write := func(method, name, header string, setup func(*testing.T, *env), status int, body string, check func(*testing.T, *env)) scenario {
		sc := scenario{name: method + " " + name, method: method, path: "/studentapi/1/", token: "alice",
			header: []string{"If-None-Match", header}, setup: setup, wantStatus: status, wantBody: body, check: check}
		switch method {
		case http.MethodPatch:
			sc.contentType, sc.body = jsonType, `{"roll":11}`
		case http.MethodPut:
			sc.contentType, sc.body = jsonType, `{"name":"Ravi","roll":11,"city":"Ranchi"}`
		}
		return sc
	}
	goa := models.Student{ID: 1, Name: "Ravi", Roll: 10, City: "Goa"}
	eleven := models.Student{ID: 1, Name: "Ravi", Roll: 11, City: "Ranchi"}
	elevenJSON := `{"id":1,"name":"Ravi","roll":11,"city":"Ranchi"}`
	var scenarios []scenario
	for _, m := range []string{http.MethodPatch, http.MethodPut} {
		scenarios = append(scenarios,
			write(m, "star, row exists", "*", nil, 412, bodyPreconditionFailed, wantStudents(ravi, sonam)),
			write(m, "current tag", "{tag}", withTag, 412, bodyPreconditionFailed, wantStudents(ravi, sonam)),
			write(m, "current tag, weak", "W/{tag}", withTag, 412, bodyPreconditionFailed, wantStudents(ravi, sonam)),
			write(m, "stale tag", "{tag}", stale, 200, `{"id":1,"name":"Ravi","roll":11,"city":`+map[string]string{http.MethodPatch: `"Goa"}`, http.MethodPut: `"Ranchi"}`}[m], nil),
			write(m, "another tag", `"x"`, nil, 200, elevenJSON, wantStudents(eleven, sonam)),
		)
	}
	scenarios = append(scenarios,
		write(http.MethodDelete, "star, row exists", "*", nil, 412, bodyPreconditionFailed, wantStudents(ravi, sonam)),
		write(http.MethodDelete, "current tag", "{tag}", withTag, 412, bodyPreconditionFailed, wantStudents(ravi, sonam)),
		write(http.MethodDelete, "stale tag", "{tag}", stale, 204, "", wantStudents(sonam)),
		scenario{name: "DELETE star, missing row", method: http.MethodDelete, path: "/studentapi/9/", token: "alice",
			header: []string{"If-None-Match", "*"}, wantStatus: 404, wantBody: bodyNotFound},
		scenario{name: "PATCH If-Match current, If-None-Match another", method: http.MethodPatch, path: "/studentapi/1/",
			token: "alice", contentType: jsonType, body: `{"roll":11}`, setup: withTag,
			header: []string{"If-Match", "{tag}", "If-None-Match", `"x"`}, wantStatus: 200, wantBody: elevenJSON},
		scenario{name: "PATCH If-Match current, If-None-Match current", method: http.MethodPatch, path: "/studentapi/1/",
			token: "alice", contentType: jsonType, body: `{"roll":11}`, setup: withTag,
			header: []string{"If-Match", "{tag}", "If-None-Match", "{tag}"}, wantStatus: 412, wantBody: bodyPreconditionFailed,
			check: wantStudents(ravi, sonam)},
		scenario{name: "PUT If-Match stale, If-None-Match star", method: http.MethodPut, path: "/studentapi/1/",
			token: "alice", contentType: jsonType, body: `{"name":"R","roll":1,"city":"C"}`, setup: stale,
			header: []string{"If-Match", "{tag}", "If-None-Match", `"x"`}, wantStatus: 412, wantBody: bodyPreconditionFailed,
			check: wantStudents(goa, sonam)},
	)
	runScenarios(t, scenarios)
}

// 16 clients holding the same ETag PATCH at once: exactly one wins, the
// others are told the row changed, and the row holds the winner's write.
func TestIfMatchConcurrent(t *testing.T) {
	e := newEnv(t)
	tag := e.tagOf(t, "/studentapi/1/")
	const clients = 16
	codes := make([]int, clients)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		req := httptest.NewRequest(http.MethodPatch, "/studentapi/1/", strings.NewReader(fmt.Sprintf(`{"name":"n%d"}`, i)))
		req.Header.Set("Content-Type", jsonType)
		req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
		req.Header.Set("If-Match", tag)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w := e.serve(req)
			codes[i] = w.Code
			if w.Code == http.StatusPreconditionFailed && w.Body.String() != bodyPreconditionFailed {
				t.Errorf("client %d: 412 %s, want %s", i, w.Body, bodyPreconditionFailed)
			}
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, code := range codes {
		switch {
		case code == http.StatusOK && winner < 0:
			winner = i
		case code == http.StatusOK:
			t.Errorf("clients %d and %d both won with the same If-Match", winner, i)
		case code != http.StatusPreconditionFailed:
			t.Errorf("client %d: %d, want 200 or 412", i, code)
		}
	}
	if winner < 0 {
		t.Fatalf("no client won: %v", codes)
	}
	if got := e.students(t)[0].Name; got != fmt.Sprintf("n%d", winner) {
		t.Errorf("name after the race: %q, want the winner's n%d", got, winner)
	}
}
