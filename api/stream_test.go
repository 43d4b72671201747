package api

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"studentapi/auth"
	"studentapi/internal/testdb"
	"studentapi/models"
)

// Lists stream (stream.go): past streamBound the list leaves in chunks as it
// is read, in the bytes the buffered encoder writes, without an ETag; an
// error after the first byte breaks the transfer.

// seedMany inserts n students in one transaction, straight into the table:
// thousands through the API would take the test's time. Names carry quotes,
// backslashes and non-ASCII so that the encoder's escapes are exercised.
func seedMany(t *testing.T, raw *sql.DB, n int) {
	t.Helper()
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	st, err := tx.Prepare("INSERT INTO students (name, roll, city) VALUES ($1, $2, $3)")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Ravi", `Quote "q"`, `Back\slash`, "Zoë", "名前", "tab\there"}
	for i := range n {
		if _, err := st.Exec(fmt.Sprintf("%s %d", names[i%len(names)], i), i, "Pune"); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// get is an authenticated request of alice's through a real server, which
// streams as a client sees it (httptest's recorder would not).
func (e *env) get(t *testing.T, url string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// A list longer than streamBound, whole or as one page of any size, is
// streamed (chunked, no Content-Length, no ETag) in exactly the bytes the
// buffered encoder writes; one that fits keeps its Content-Length and ETag.
func TestStreamedListBytes(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Pagination = Pagination{PageSize: 0} })
	seedMany(t, e.raw, 3000)
	all := e.students(t)
	if want := students.appendList(nil, all); len(want) < 2*streamBound {
		t.Fatalf("the list is %d bytes, too short to stream", len(want))
	}
	srv := httptest.NewServer(e.router)
	t.Cleanup(srv.Close)

	resp := e.get(t, srv.URL+"/studentapi/")
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if want := students.appendList(nil, all); string(got) != string(want) {
		t.Errorf("streamed list: %d bytes, want the buffered encoder's %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
	if resp.StatusCode != http.StatusOK || resp.ContentLength != -1 || len(resp.TransferEncoding) == 0 || resp.Header.Get("ETag") != "" {
		t.Errorf("streamed list: %d, Content-Length %d, Transfer-Encoding %v, ETag %q; want 200, chunked, no length, no ETag",
			resp.StatusCode, resp.ContentLength, resp.TransferEncoding, resp.Header.Get("ETag"))
	}
	if got := resp.Header.Get("Content-Type"); got != jsonType {
		t.Errorf("Content-Type %q, want %q", got, jsonType)
	}

	small := e.get(t, srv.URL+"/studentapi/?roll=7")
	body, err := io.ReadAll(small.Body)
	if err != nil {
		t.Fatal(err)
	}
	if small.ContentLength != int64(len(body)) || small.Header.Get("ETag") != entityTag(body) {
		t.Errorf("short list: Content-Length %d, ETag %q; want %d and %q", small.ContentLength, small.Header.Get("ETag"), len(body), entityTag(body))
	}
}

// A page of any size streams the bytes appendPage writes.
func TestStreamedPageBytes(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		d.Pagination = Pagination{PageSize: 2, PageSizeQueryParam: "page_size"}
	})
	seedMany(t, e.raw, 3000)
	all := e.students(t)
	srv := httptest.NewServer(e.router)
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		page, size int
	}{{1, 2500}, {2, 2500}, {1, 5000}} {
		t.Run(fmt.Sprintf("page %d of %d", tt.page, tt.size), func(t *testing.T) {
			resp := e.get(t, fmt.Sprintf("%s/studentapi/?page=%d&page_size=%d", srv.URL, tt.page, tt.size))
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			link := func(page int) *string {
				if page < 1 || (page-1)*tt.size >= len(all) {
					return nil
				}
				s := fmt.Sprintf("%s/studentapi/?page=%d&page_size=%d", srv.URL, page, tt.size)
				if page == 1 {
					s = fmt.Sprintf("%s/studentapi/?page_size=%d", srv.URL, tt.size)
				}
				return &s
			}
			rows := all[(tt.page-1)*tt.size : min(len(all), tt.page*tt.size)]
			want := students.appendPage(nil, int64(len(all)), link(tt.page+1), link(tt.page-1), rows)
			if string(got) != string(want) {
				t.Errorf("page: %d bytes, want appendPage's %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
			}
			streamed := len(want) > streamBound
			if gotStreamed := resp.Header.Get("ETag") == "" && resp.ContentLength == -1; gotStreamed != streamed {
				t.Errorf("page of %d bytes: ETag %q, Content-Length %d; want streamed %v", len(want), resp.Header.Get("ETag"), resp.ContentLength, streamed)
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// HEAD of a long list has the headers GET has, and no ETag; a browser's page
// shows the start of the list and says it goes on.
func TestStreamedListHeadAndPage(t *testing.T) {
	e := newEnv(t)
	if _, err := e.raw.Exec(seedStudents(8000)); err != nil { // past browsableBound
		t.Fatal(err)
	}
	head := e.serve(func() *http.Request {
		req := httptest.NewRequest(http.MethodHead, "/studentapi/", nil)
		req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
		return req
	}())
	if head.Code != http.StatusOK || head.Header().Get("ETag") != "" || head.Header().Get("Content-Type") != jsonType {
		t.Errorf("HEAD: %d, ETag %q, Content-Type %q; want 200, none, %q", head.Code, head.Header().Get("ETag"), head.Header().Get("Content-Type"), jsonType)
	}
	req := httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
	req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
	req.Header.Set("Accept", "text/html")
	page := e.serve(req)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "The list goes on") {
		t.Errorf("browser's page: %d, without the note that the list goes on", page.Code)
	}
	if page.Body.Len() > 8*browsableBound {
		t.Errorf("browser's page: %d bytes, want it bounded (about %d of JSON)", page.Body.Len(), browsableBound)
	}
}

// A database error after the first byte breaks the transfer: the client
// reads an unexpected EOF, never a whole chunked body, and the error is
// logged. One before the first byte is the usual 500. On SQLite a row whose
// roll is not an integer fails to scan where it stands; on PostgreSQL the
// connection to the server is cut mid-list.
func TestStreamedListBrokenByDatabase(t *testing.T) {
	src := testdb.New(t)
	var proxy *testdb.Proxy
	if src.Driver == "postgres" {
		proxy, src = testdb.NewProxy(t, src)
	}
	e := newEnvOn(t, src, models.Pool{})
	if _, err := e.raw.Exec(seedStudents(200000)); err != nil { // more than the sockets hold, so the cut finds rows unread
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.router)
	t.Cleanup(srv.Close)

	if proxy == nil {
		if _, err := e.raw.Exec("UPDATE students SET roll = 'x' WHERE id = 3000"); err != nil {
			t.Fatal(err)
		}
	}
	resp := e.get(t, srv.URL+"/studentapi/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 (the error comes after the first byte)", resp.StatusCode)
	}
	first := make([]byte, 1024)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	if proxy != nil {
		proxy.Cut()
	}
	rest, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading the rest: %v, want an unexpected EOF (a broken transfer)", err)
	}
	if json.Valid(append(first, rest...)) {
		t.Errorf("the client got valid JSON (%d bytes) from a list cut short", len(first)+len(rest))
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(e.log.String(), "answer cut short") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if log := e.log.String(); !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "answer cut short") {
		t.Errorf("the error is not logged at ERROR:\n%s", log)
	}
	// The access log has the request too, marked as cut.
	for !strings.Contains(e.log.String(), "cut=true") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if log := e.log.String(); !strings.Contains(log, `msg=request method=GET route=/studentapi/ status=200`) || !strings.Contains(log, "cut=true") {
		t.Errorf("no access log line marked cut=true for the list cut short:\n%s", log)
	}

	if proxy != nil {
		return // the second half needs a bad row, which PostgreSQL refuses
	}
	if _, err := e.raw.Exec("UPDATE students SET roll = 'x' WHERE id = 3"); err != nil {
		t.Fatal(err)
	}
	early := e.get(t, srv.URL+"/studentapi/")
	body, err := io.ReadAll(early.Body)
	if err != nil || early.StatusCode != http.StatusInternalServerError || string(body) != bodyInternal {
		t.Errorf("error before the first byte: %d %s (%v), want 500 %s", early.StatusCode, body, err, bodyInternal)
	}
}

// newEnvOn is newEnv over src, its pool sized by pool.
func newEnvOn(t *testing.T, src testdb.DB, pool models.Pool) *env {
	t.Helper()
	db, err := models.Connect(models.Source{Driver: src.Driver, Path: src.Path, DSN: src.DSN, Pool: pool}, models.Options{Keys: testKeyring(t)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw, err := rawSQL(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	auth.ConnectTokenReceiver(db.Signals)
	e := &env{src: src, db: db, raw: raw, log: &lockedBuffer{}, users: map[string]*models.User{}, keys: map[string]string{}}
	e.addUser(t, &models.User{Username: "alice", Email: "a@example.com", IsActive: true}, "pw")
	d := Deps{DB: db, Auth: auth.New(db, "Token", 4, auth.Options{}), Log: slog.New(slog.NewTextHandler(e.log, nil)), BodyLimit: 1 << 20}
	e.keyword = d.Auth.Keyword()
	if e.router, err = NewRouter(d); err != nil {
		t.Fatal(err)
	}
	return e
}

// A client that stops reading holds its database connection no longer than
// the server's write timeout: the write fails, the reading stops and the rows
// are closed. The pool has one connection, so the next request can be
// answered only once the stalled one has let it go.
func TestStalledClientReleasesConnection(t *testing.T) {
	e := newEnvOn(t, testdb.New(t), models.Pool{MaxOpen: 1, MaxIdle: 1})
	if _, err := e.raw.Exec(seedStudents(200000)); err != nil { // about 14 MB, more than the sockets hold
		t.Fatal(err)
	}
	const writeTimeout = time.Second
	srv := httptest.NewUnstartedServer(e.router)
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	t.Cleanup(srv.Close)

	conn, err := stallingDial(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /studentapi/ HTTP/1.1\r\nHost: x\r\nAuthorization: %s %s\r\n\r\n", e.keyword, e.keys["alice"])
	line, err := bufio.NewReaderSize(conn, 16).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("status line %q (%v), want 200", line, err)
	}
	// The client now reads nothing more, and keeps the connection open.

	time.Sleep(writeTimeout)
	client := http.Client{Timeout: 5 * time.Second}
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/studentapi/1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("a request after the write timeout: %v, want it answered (the stalled list still holds the connection)", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a request after the write timeout: %d, want 200", resp.StatusCode)
	}
	if waited := time.Since(start); waited > 2*writeTimeout {
		t.Errorf("a request after the write timeout waited %s for the connection", waited)
	}
}

// stallingDial connects with a small receive buffer, so that a client that
// stops reading soon stops the server's writes.
func stallingDial(addr string) (net.Conn, error) {
	return (&net.Dialer{Control: smallReceiveBuffer}).Dial("tcp", addr)
}
