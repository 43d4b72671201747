package main

import (
	"bufio"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"
)

// serve holds at most http.max_connections: with thirty clients keeping their
// connections after a request against a cap of twenty, each is answered (the
// connections idle longest closed to make room) and so is a new client
// (issue 13, item 7). internal/connlimit's tests count the sockets.
func TestServeCapsConnections(t *testing.T) {
	c := newTestCLI(t)
	c.env["STUDENTAPI_HTTP_MAX_CONNECTIONS"] = "20"
	s := startServer(t, c)
	type held struct {
		net.Conn
		r *bufio.Reader
	}
	var conns []held
	for i := range 30 {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		h := held{conn, bufio.NewReader(conn)}
		conns = append(conns, h)
		if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(h.r, nil)
		if err != nil {
			t.Fatalf("client %d of 30 holding its connection: %v", i+1, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("client %d of 30 holding its connection: %d, want 200", i+1, resp.StatusCode)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, body := do(t, client, http.MethodGet, s.url+"/healthz", "", nil)
	checkStatus(t, resp, body, http.StatusOK)

	// The first connection, idle longest, was closed: a read finds its end.
	if err := conns[0].SetReadDeadline(time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[0].r.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the connection idle longest is still open (read: %v)", err)
	}
	// Info lines are written in batches (log_flush_interval).
	select {
	case <-s.stderr.match(regexp.MustCompile(`msg="connection limit" max_connections=20 open_files_soft=\d+ open_files_hard=\d+`)):
	case <-time.After(10 * time.Second):
		t.Errorf("the log does not state the connection limit:\n%s", s.stderr)
	}
}

func TestDefaultMaxConnections(t *testing.T) {
	for _, tt := range []struct {
		name     string
		soft     uint64
		poolOpen int
		want     int
	}{
		{"unknown limit", 0, 8, fallbackMaxConnections},
		{"a common soft limit", 1024, 8, 1024 - 91},
		{"a raised limit", 1 << 20, 8, 1<<20 - 91},
		{"a bigger pool keeps more", 1024, 20, 1024 - 127},
		{"a tiny limit keeps half", 100, 8, 50},
		{"no limit at all", math.MaxUint64, 8, math.MaxInt32 - 91},
	} {
		if got := defaultMaxConnections(tt.soft, tt.poolOpen); got != tt.want {
			t.Errorf("%s: defaultMaxConnections(%d, %d) = %d, want %d", tt.name, tt.soft, tt.poolOpen, got, tt.want)
		}
	}
}
