package main

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"studentapi/logbuf"
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
