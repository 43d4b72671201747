package api

// Tests that need a real connection: what net/http does with HEAD, chunked
// bodies and bodies that stop short. The router is served by httptest.Server.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"studentapi/models"
)

// serveHTTP serves e's router on a local port with a short read timeout.
func (e *env) serveHTTP(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(e.router)
	srv.Config.ReadTimeout = 500 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// wireResponse is what a client received.
type wireResponse struct {
	status int
	header http.Header
	body   string
}

func (e *env) send(t *testing.T, srv *httptest.Server, req *http.Request) wireResponse {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return wireResponse{resp.StatusCode, resp.Header, string(body)}
}

func (e *env) wireRequest(t *testing.T, srv *httptest.Server, method, path, user string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Token "+e.keys[user])
	}
	return req
}

// HEAD answers as GET, headers and all, without a body.
func TestHeadOverTheWire(t *testing.T) {
	e := newEnv(t)
	srv := e.serveHTTP(t)
	for _, tt := range []struct {
		name, path, user string
		wantStatus       int
	}{
		{"list", "/studentapi/", "alice", 200},
		{"detail", "/studentapi/1/", "alice", 200},
		{"detail.json", "/studentapi/1.json", "alice", 200},
		{"missing", "/studentapi/99/", "alice", 404},
		{"anonymous", "/studentapi/", "", 401},
		{"root", "/", "", 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			get := e.send(t, srv, e.wireRequest(t, srv, http.MethodGet, tt.path, tt.user, nil))
			head := e.send(t, srv, e.wireRequest(t, srv, http.MethodHead, tt.path, tt.user, nil))
			if head.status != tt.wantStatus || get.status != tt.wantStatus {
				t.Errorf("HEAD %d, GET %d; want %d", head.status, get.status, tt.wantStatus)
			}
			if head.body != "" {
				t.Errorf("HEAD body %q, want none", head.body)
			}
			if got, want := head.header.Get("Content-Length"), fmt.Sprint(len(get.body)); got != want {
				t.Errorf("HEAD Content-Length %q, want %q (GET's)", got, want)
			}
			for _, name := range []string{"Content-Type", "Allow", "Vary", "WWW-Authenticate"} {
				if got, want := head.header.Get(name), get.header.Get(name); got != want {
					t.Errorf("HEAD %s %q, GET %q", name, got, want)
				}
			}
		})
	}
}

// A chunked body is read like any other, and counts against the body limit.
func TestChunkedBodies(t *testing.T) {
	e := newEnv(t, withBodyLimit(64))
	srv := e.serveHTTP(t)
	chunked := func(s string) io.Reader {
		// A reader of unknown length makes the client send chunks.
		return io.MultiReader(strings.NewReader(s[:len(s)/2]), strings.NewReader(s[len(s)/2:]))
	}
	for _, tt := range []struct {
		name, path, contentType, body string
		user                          string
		wantStatus                    int
		wantBody                      string
	}{
		{"JSON within the limit", "/studentapi/", jsonType, `{"name":"Amit","roll":3,"city":"Delhi"}`, "alice", 201,
			`{"id":3,"name":"Amit","roll":3,"city":"Delhi"}`},
		{"form within the limit", "/studentapi/", formType, "name=Zed&roll=5&city=Goa", "alice", 201,
			`{"id":4,"name":"Zed","roll":5,"city":"Goa"}`},
		{"JSON over the limit", "/studentapi/", jsonType, `{"name":"` + strings.Repeat("a", 80) + `","roll":3,"city":"Delhi"}`, "alice", 413,
			bodyTooLarge},
		{"form over the limit", "/studentapi/", formType, "name=" + strings.Repeat("a", 80) + "&roll=3&city=Delhi", "alice", 413,
			bodyTooLarge},
		{"login over the limit", "/gettoken/", jsonType, `{"username":"alice","password":"` + strings.Repeat("p", 80) + `"}`, "", 413,
			bodyTooLarge},
		{"login within the limit", "/gettoken/", formType, "username=alice&password=pw", "", 200,
			`{"token":"{alice}","user_id":1,"email":"a@example.com"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.students(t)
			req := e.wireRequest(t, srv, http.MethodPost, tt.path, tt.user, chunked(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			got := e.send(t, srv, req)
			if want := e.expand(tt.wantBody); got.status != tt.wantStatus || got.body != want {
				t.Errorf("got %d %s, want %d %s", got.status, got.body, tt.wantStatus, want)
			}
			if after := e.students(t); got.status >= 400 && len(after) != len(before) {
				t.Errorf("refused, yet %d students became %d", len(before), len(after))
			}
		})
	}
}

// A body shorter than its Content-Length is cut off by the read timeout: the
// connection is dropped without an answer, and nothing is written.
func TestShortBodyIsDropped(t *testing.T) {
	e := newEnv(t)
	srv := e.serveHTTP(t)
	authorization := "Authorization: Token " + e.keys["alice"] + "\r\n"
	for _, tt := range []struct{ name, method, path, auth string }{
		{"create", "POST", "/studentapi/", authorization},
		{"update", "PUT", "/studentapi/1/", authorization},
		{"login", "POST", "/gettoken/", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body := `{"name":"Cut","roll":1,"city":"Off"}`
			_, err = fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				tt.method, tt.path, tt.auth, len(body)+10, body)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := conn.SetReadDeadline(start.Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			answer, err := io.ReadAll(bufio.NewReader(conn))
			if err != nil {
				t.Fatalf("connection not closed after %v: %v", time.Since(start), err)
			}
			if len(answer) > 0 {
				t.Errorf("answered %q, want the connection dropped", answer)
			}
			if got := e.students(t); !reflect.DeepEqual(got, []models.Student{ravi, sonam}) {
				t.Errorf("students = %+v, want the fixture untouched", got)
			}
		})
	}
	// The server still answers others.
	got := e.send(t, srv, e.wireRequest(t, srv, http.MethodGet, "/studentapi/1/", "alice", nil))
	if got.status != 200 || got.body != raviJSON {
		t.Errorf("after the cut-off requests: %d %s", got.status, got.body)
	}
	if log := e.log.String(); strings.Contains(log, "internal error") {
		t.Errorf("a cut-off body was logged as an internal error:\n%s", log)
	}
}

// CONTRACT section 7: a body over the limit is 413, whatever its format, and
// the limit is only met where the body is read.
func TestBodyLimit(t *testing.T) {
	const limit = 64
	big := `{"name":"` + strings.Repeat("a", limit) + `","roll":3,"city":"Delhi"}`
	exact := `{"name":"` + strings.Repeat("a", limit-35) + `","roll":3,"city":"Delhi"}`
	if len(exact) != limit {
		t.Fatalf("exact body is %d bytes, want %d", len(exact), limit)
	}
	runScenarios(t, []scenario{
		{name: "JSON at the limit", method: "POST", path: "/studentapi/", token: "alice", body: exact, contentType: jsonType,
			wantStatus: 201, wantBody: `{"id":3,"name":"` + strings.Repeat("a", limit-35) + `","roll":3,"city":"Delhi"}`},
		{name: "JSON over the limit", method: "POST", path: "/studentapi/", token: "alice", body: big, contentType: jsonType,
			wantStatus: 413, wantBody: bodyTooLarge, wantHeaders: headers("Allow", allowList)},
		{name: "form over the limit", method: "POST", path: "/studentapi/", token: "alice",
			body: "name=" + strings.Repeat("a", limit) + "&roll=3&city=Delhi", contentType: formType,
			wantStatus: 413, wantBody: bodyTooLarge},
		{name: "multipart over the limit", method: "POST", path: "/studentapi/", token: "alice",
			body: multipartBody("name", "Amit", "roll", "3", "city", "Delhi"), contentType: mpType,
			wantStatus: 413, wantBody: bodyTooLarge},
		{name: "unsupported type over the limit", method: "POST", path: "/studentapi/", token: "alice",
			body: big, contentType: "text/plain", wantStatus: 413, wantBody: bodyTooLarge},
		{name: "PUT over the limit", method: "PUT", path: "/studentapi/1/", token: "alice", body: big, contentType: jsonType,
			wantStatus: 413, wantBody: bodyTooLarge},
		{name: "PATCH over the limit", method: "PATCH", path: "/studentapi/1/", token: "alice", body: big, contentType: jsonType,
			wantStatus: 413, wantBody: bodyTooLarge},
		{name: "login over the limit", method: "POST", path: "/gettoken/", body: big, contentType: jsonType,
			wantStatus: 413, wantBody: bodyTooLarge, wantHeaders: headers("Allow", allowGetToken)},
		{name: "anonymous over the limit is 401", method: "POST", path: "/studentapi/", body: big, contentType: jsonType,
			wantStatus: 401, wantBody: bodyNotProvided},
		{name: "missing id over the limit is 404", method: "PUT", path: "/studentapi/99/", token: "alice", body: big, contentType: jsonType,
			wantStatus: 404, wantBody: bodyNotFound},
		{name: "wrong method over the limit is 405", method: "PUT", path: "/studentapi/", token: "alice", body: big, contentType: jsonType,
			wantStatus: 405, wantBody: `{"detail":"Method \"PUT\" not allowed."}`},
		{name: "DELETE ignores its body", method: "DELETE", path: "/studentapi/1/", token: "alice", body: big, contentType: jsonType,
			wantStatus: 204, check: wantStudents(sonam)},
	}, withBodyLimit(limit))

	// The default limit, 1 MiB, through a chunked request the recorder reads.
	e := newEnv(t)
	req := scenario{method: "POST", path: "/studentapi/", token: "alice", contentType: jsonType}.request(e)
	req.Body = io.NopCloser(strings.NewReader(`{"name":"` + strings.Repeat("a", 1<<20) + `"}`))
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	if w := e.serve(req); w.Code != 413 || w.Body.String() != bodyTooLarge {
		t.Errorf("1 MiB chunked: got %d %s, want 413 %s", w.Code, w.Body, bodyTooLarge)
	}
}

// failingReader stops like a connection that hangs up mid-body.
type failingReader struct{ data io.Reader }

func (r failingReader) Read(p []byte) (int, error) {
	n, err := r.data.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// Where the connection cannot be taken over (here a recorder, in production
// HTTP/2), a cut-off body is DRF's ParseError, never a 500.
func TestCutOffBodyWithoutHijack(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []scenario{
		{method: "POST", path: "/studentapi/", token: "alice", contentType: jsonType},
		{method: "PATCH", path: "/studentapi/1/", token: "alice", contentType: formType},
		{method: "POST", path: "/gettoken/", contentType: jsonType},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			before := e.state(t)
			req := tt.request(e)
			req.Body = io.NopCloser(failingReader{strings.NewReader(`{"name":"Cut","roll":1,"city":"Off","username":"alice","password":"pw"}`)})
			w := e.serve(req)
			if want := `{"detail":"Malformed request."}`; w.Code != http.StatusBadRequest || w.Body.String() != want {
				t.Errorf("got %d %s, want 400 %s", w.Code, w.Body, want)
			}
			if after := e.state(t); !reflect.DeepEqual(after, before) {
				t.Errorf("database changed: %+v, want %+v", after, before)
			}
		})
	}
	if strings.Contains(e.log.String(), "internal error") {
		t.Errorf("a cut-off body was logged as an internal error:\n%s", e.log.String())
	}
}

// rawExchange sends request as bytes on a new connection to srv and returns
// every byte the server wrote until it closed the connection.
func rawExchange(t *testing.T, srv *httptest.Server, request string) string {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("connection not closed: %v (read %q)", err, answer)
	}
	return string(answer)
}

// The challenge goes out spelled as DRF spells it, WWW-Authenticate, not as
// Go's canonical Www-Authenticate, and only once. Only the raw bytes show it:
// a Go client canonicalizes what it reads.
func TestChallengeSpelledOnTheWire(t *testing.T) {
	e := newEnv(t)
	srv := e.serveHTTP(t)
	for _, tt := range []struct{ name, authorization string }{
		{"no credentials", ""},
		{"bad key", "Authorization: Token " + strings.Repeat("0", 40) + "\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			answer := rawExchange(t, srv, "GET /studentapi/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"+tt.authorization+"\r\n")
			head, _, _ := strings.Cut(answer, "\r\n\r\n")
			if !strings.HasPrefix(head, "HTTP/1.1 401 ") {
				t.Fatalf("answer %q, want a 401", head)
			}
			if got := strings.Count(head, "\r\nWWW-Authenticate: Token\r\n"); got != 1 {
				t.Errorf("%d lines \"WWW-Authenticate: Token\" in:\n%s", got, head)
			}
			if got := strings.Count(strings.ToLower(head), "\r\nwww-authenticate:"); got != 1 {
				t.Errorf("%d challenge lines in any spelling, want 1:\n%s", got, head)
			}
		})
	}
}

// CONTRACT section 7: a body with broken chunked encoding is DRF's
// ParseError, 400 with a JSON detail, and the connection is closed; nothing
// is written. (A body that merely stops is dropped: TestShortBodyIsDropped.)
func TestBrokenChunkedBody(t *testing.T) {
	e := newEnv(t)
	srv := e.serveHTTP(t)
	authorization := "Authorization: Token " + e.keys["alice"] + "\r\n"
	const student = `{"name":"Broken","roll":1,"city":"Chunks"}`
	for _, tt := range []struct{ name, method, path, auth, chunks string }{
		{"create, bad chunk length", "POST", "/studentapi/", authorization, "zz\r\n" + student + "\r\n0\r\n\r\n"},
		{"create, a good chunk then a bad one", "POST", "/studentapi/", authorization, fmt.Sprintf("%x\r\n%s\r\nzz\r\n", len(student), student)},
		{"create, chunk without its CRLF", "POST", "/studentapi/", authorization, fmt.Sprintf("%x\r\n%sXX0\r\n\r\n", len(student), student)},
		{"update", "PUT", "/studentapi/1/", authorization, "zz\r\n"},
		{"partial update", "PATCH", "/studentapi/1/", authorization, "zz\r\n"},
		{"login", "POST", "/gettoken/", "", "zz\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.state(t)
			answer := rawExchange(t, srv, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%s",
				tt.method, tt.path, tt.auth, tt.chunks))
			head, body, _ := strings.Cut(answer, "\r\n\r\n")
			if !strings.HasPrefix(head, "HTTP/1.1 400 ") || body != `{"detail":"Malformed request."}` {
				t.Errorf("answered %q, want 400 {\"detail\":\"Malformed request.\"}", answer)
			}
			for _, line := range []string{"\r\nConnection: close\r\n", "\r\nContent-Type: application/json\r\n"} {
				if !strings.Contains(head+"\r\n", line) {
					t.Errorf("no %q in:\n%s", strings.TrimSpace(line), head)
				}
			}
			if after := e.state(t); !reflect.DeepEqual(after, before) {
				t.Errorf("database changed: %+v, want %+v", after, before)
			}
		})
	}
	if log := e.log.String(); strings.Contains(log, "internal error") {
		t.Errorf("a broken body was logged as an internal error:\n%s", log)
	}
}
