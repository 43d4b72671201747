package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A client that sends its headers a byte at a time is cut off by the read
// header timeout, while other clients keep getting answers.
func TestServeCutsOffSlowClients(t *testing.T) {
	c := newTestCLI(t)
	c.env["STUDENTAPI_HTTP_READ_HEADER_TIMEOUT"] = "500ms"
	s := startServer(t, c)

	slow, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	closed := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		// Trickle a header byte every 100ms until the server hangs up.
		for _, b := range []byte("GET /studentapi/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 200)) {
			if _, err := slow.Write([]byte{b}); err != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		closed <- time.Since(start)
	}()

	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	for i := 0; i < 5; i++ {
		resp, body := do(t, client, http.MethodGet, s.url+"/", "", nil)
		checkStatus(t, resp, body, http.StatusOK)
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case d := <-closed:
		if d > 5*time.Second {
			t.Errorf("slow client held its connection for %v, want about the 500ms header timeout", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server never cut off the slow client")
	}
	// Whatever it answered, the server did not wait for the rest.
	_, _ = bufio.NewReader(slow).ReadString('\n')
}

// No token key or password reaches the server's log, whatever the requests.
func TestServeLogsNoSecrets(t *testing.T) {
	c := newTestCLI(t)
	c.env["STUDENTAPI_LOG_LEVEL"] = "debug"
	const password = "sekrit-Password-123"
	c.createUser(t, "createuser", "alice", password)
	s := startServer(t, c)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	key := getToken(t, client, s.url, "alice", password)
	auth := http.Header{"Authorization": {"Token " + key}}
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/studentapi/?search=" + key, ""},
		{http.MethodPost, "/studentapi/", "name=" + key + "&roll=1&city=x"},
		{http.MethodGet, "/studentapi/" + key + "/", ""},
		{http.MethodGet, "/no/such/" + key, ""},
		{http.MethodPost, "/gettoken/", "username=alice&password=" + password + "x"},
		{http.MethodPost, "/logout/", ""},
		{http.MethodGet, "/studentapi/", ""}, // the revoked key
	} {
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		for k, v := range auth {
			h[k] = v
		}
		do(t, client, r.method, s.url+r.path, r.body, h)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	raw, _ := hex.DecodeString(key)
	logs := s.stdout.String() + s.stderr.String()
	for _, secret := range []string{key, strings.ToUpper(key), base64.StdEncoding.EncodeToString(raw), password} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "route=/gettoken/") {
		t.Errorf("the access log is missing; got:\n%s", logs)
	}
}

// TestDSNPasswordNeverShown points the commands at a PostgreSQL server that is
// not there, with a password in the DSN: whatever fails, and wherever it is
// reported, the password is not in it.
func TestDSNPasswordNeverShown(t *testing.T) {
	const password = "dsn-Sekrit-Password-42"
	for _, dsn := range []string{
		"postgres://studentapi:" + password + "@127.0.0.1:1/studentapi?connect_timeout=2",
		"host=127.0.0.1 port=1 user=studentapi password=" + password + " dbname=studentapi connect_timeout=2",
	} {
		c := newSQLiteCLI(t)
		c.env["STUDENTAPI_DATABASE_DRIVER"] = "postgres"
		c.env["STUDENTAPI_DATABASE_DSN"] = dsn
		c.env["STUDENTAPI_AUTH_SECRET_KEY"] = testSecretKey
		for _, args := range [][]string{{"migrate"}, {"drf_create_token", "alice"}, {"serve", "--addr", "127.0.0.1:0"}} {
			stdout, stderr, err := c.run(t, "", args...)
			if err == nil {
				t.Fatalf("%s with no server: no error", args[0])
			}
			var exit bytes.Buffer
			exitCode(err, &exit)
			for what, text := range map[string]string{"stdout": stdout, "stderr": stderr, "error": exit.String()} {
				if strings.Contains(text, password) {
					t.Errorf("%s: the %s shows the DSN's password: %s", args[0], what, text)
				}
			}
			if !strings.Contains(exit.String(), "127.0.0.1") {
				t.Errorf("%s: the error %q does not say which server failed", args[0], exit.String())
			}
		}
	}
}
