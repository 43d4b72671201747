package api

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// untouchedBody fails the test that reads it: a body refused by its declared
// length must not be read, nor its sender invited to send it.
type untouchedBody struct{ t *testing.T }

func (b untouchedBody) Read([]byte) (int, error) {
	b.t.Errorf("the body was read")
	return 0, errors.New("read")
}

func (untouchedBody) Close() error { return nil }

// A body whose Content-Length is over the limit is 413 without a byte of it
// read, as Django refuses RequestDataTooBig from CONTENT_LENGTH; refusals
// that come before the body (401, 404, 405) still come first.
func TestBodyOverTheLimitByItsLength(t *testing.T) {
	const limit = 64
	e := newEnv(t, withBodyLimit(limit))
	for _, tt := range []struct {
		scenario
		want     int
		wantBody string
	}{
		{scenario{method: "POST", path: "/studentapi/", token: "alice", contentType: jsonType}, 413, bodyTooLarge},
		{scenario{method: "PATCH", path: "/studentapi/1/", token: "alice", contentType: jsonType}, 413, bodyTooLarge},
		{scenario{method: "POST", path: "/gettoken/", contentType: formType}, 413, bodyTooLarge},
		{scenario{method: "POST", path: "/studentapi/", contentType: jsonType}, 401, bodyNotProvided},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req := tt.request(e)
			req.Body = untouchedBody{t}
			req.ContentLength = limit + 1
			w := e.serve(req)
			if w.Code != tt.want || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", w.Code, w.Body, tt.want, tt.wantBody)
			}
		})
	}
}

// Through a real server: a client that asks Expect: 100-continue for a body
// over the limit gets 413 at once, never 100 Continue, and is not kept
// waiting for a body it was told not to send.
func TestExpectContinueOverTheLimit(t *testing.T) {
	e := newEnv(t, withBodyLimit(64))
	srv := httptest.NewServer(e.router)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /studentapi/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n", e.keys["alice"])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || strings.TrimSpace(string(body)) != bodyTooLarge {
		t.Errorf("got %d %s, want 413 %s", resp.StatusCode, body, bodyTooLarge)
	}
}
