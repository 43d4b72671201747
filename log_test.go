package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"studentapi/internal/logbuf"
)

// TestServeLogHeldUntilShutdown: with a long log_flush_interval the access
// line of a request is held while the server runs, and shutdown writes it.
func TestServeLogHeldUntilShutdown(t *testing.T) {
	c := newTestCLI(t)
	c.env["STUDENTAPI_LOG_FLUSH_INTERVAL"] = "1m"
	s := startServer(t, c)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	resp, _ := do(t, client, http.MethodGet, s.url+"/studentapi/", "", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	line := regexp.MustCompile(`msg=request method=GET route=/studentapi/ status=401`)
	select {
	case <-s.stderr.match(line):
		t.Fatalf("the access line was written while the server ran:\n%s", s.stderr)
	case <-time.After(300 * time.Millisecond):
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if !line.MatchString(s.stderr.String()) {
		t.Errorf("shutdown did not write the held access line; stderr:\n%s", s.stderr)
	}
}

// TestLoggerWritesWarningsAtOnce: serve's logger holds info lines and writes
// them out with the first warning, in order.
func TestLoggerWritesWarningsAtOnce(t *testing.T) {
	var out bytes.Buffer
	w := logbuf.New(&out, time.Hour, 4096)
	log := newLogger(w, "info")
	log.Info("request", "status", 200)
	log.Debug("not at this level")
	if out.Len() != 0 {
		t.Fatalf("an info line was written at once: %q", out.String())
	}
	log.Warn("database unavailable")
	got := out.String()
	if i, j := strings.Index(got, "msg=request"), strings.Index(got, "database unavailable"); i < 0 || j < i {
		t.Errorf("after a warning: %q, want the info line then the warning", got)
	}
	if strings.Contains(got, "not at this level") {
		t.Errorf("a debug line at level info: %q", got)
	}
}

// TestLogLinesBounded: no log line grows with what a client sends. A request
// with a 20,000-byte method (net/http takes any token as a method, and the
// access log names it) once wrote a 20 KB line.
func TestLogLinesBounded(t *testing.T) {
	c := newTestCLI(t)
	c.env["STUDENTAPI_LOG_FLUSH_INTERVAL"] = "0s"
	s := startServer(t, c)
	method := strings.Repeat("X", 20000)
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "%s /studentapi/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", method); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("a 20,000-byte method: status %d, want a 4xx", resp.StatusCode)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(s.stderr.String(), "\n")
	logged := false
	for _, line := range lines {
		if len(line) > 1024 {
			t.Errorf("a log line of %d bytes: %.200s…", len(line), line)
		}
		logged = logged || strings.Contains(line, "msg=request")
	}
	if !logged {
		t.Errorf("the request was not logged; stderr:\n%s", s.stderr)
	}
}

// TestLoggerBoundsValues: serve's logger cuts every string and error it is
// given, whoever logs it.
func TestLoggerBoundsValues(t *testing.T) {
	var out bytes.Buffer
	w := logbuf.New(&out, 0, 0)
	log := newLogger(w, "info")
	long := strings.Repeat("é", 10000)
	log.Error("admin", "path", "/admin/"+long, "err", errors.New("lookup "+long))
	w.Close()
	got := out.String()
	if len(got) > 1024 {
		t.Errorf("a line of %d bytes: %.200s…", len(got), got)
	}
	if !strings.Contains(got, "bytes)") || !utf8.ValidString(got) {
		t.Errorf("the cut values do not say how long they were, or split a character: %.400s", got)
	}
}
