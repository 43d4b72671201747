package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// outputWatcher is an io.Writer that the server's goroutines may share; it keeps
// what they write and tells waiters when a pattern shows up, so that tests
// wait for the server's words instead of sleeping.
type outputWatcher struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	waiters []outputWaiter
}

type outputWaiter struct {
	re *regexp.Regexp
	ch chan []string
}

func (w *outputWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.notify()
	return len(p), nil
}

func (w *outputWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// match returns a channel that receives re's submatches once the output so far
// matches re.
func (w *outputWatcher) match(re *regexp.Regexp) <-chan []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waiters = append(w.waiters, outputWaiter{re: re, ch: make(chan []string, 1)})
	ch := w.waiters[len(w.waiters)-1].ch
	w.notify()
	return ch
}

func (w *outputWatcher) notify() {
	out := w.buf.String()
	kept := w.waiters[:0]
	for _, wt := range w.waiters {
		if m := wt.re.FindStringSubmatch(out); m != nil {
			wt.ch <- m
			continue
		}
		kept = append(kept, wt)
	}
	w.waiters = kept
}

// testServer is run("serve", ...) in a goroutine.
type testServer struct {
	url      string // scheme://host:port, without the final slash
	addr     string // host:port
	database string
	stdout   *outputWatcher
	stderr   *outputWatcher
	cancel   context.CancelFunc
	done     chan error

	stopOnce sync.Once
	err      error
}

var servingLine = regexp.MustCompile(`^Serving on ((https?)://(127\.0\.0\.1:\d+))/ \(database (.+)\)\n$`)

// startServer serves on a free port with c's config and environment and
// returns once the server has printed its address. A cleanup stops it.
func startServer(t *testing.T, c *testCLI) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{stdout: &outputWatcher{}, stderr: &outputWatcher{}, cancel: cancel, done: make(chan error, 1)}
	args := c.args("serve", "--addr", "127.0.0.1:0")
	go func() { s.done <- run(ctx, args, c.getenv, c.environ, strings.NewReader(""), s.stdout, s.stderr) }()
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("serve: %v\nstderr:\n%s", err, s.stderr)
		}
	})

	select {
	case m := <-s.stdout.match(servingLine):
		s.url, s.addr, s.database = m[1], m[3], m[4]
	case err := <-s.done:
		s.stopOnce.Do(func() { s.err = err })
		t.Fatalf("serve returned before listening: %v\nstderr:\n%s", err, s.stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("serve printed no address within 10s; stdout %q\nstderr:\n%s", s.stdout, s.stderr)
	}
	return s
}

// stop cancels the server's context, as SIGINT does, and returns what run
// returned; it fails if run takes more than 10 seconds to return.
func (s *testServer) stop() error {
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case s.err = <-s.done:
		case <-time.After(10 * time.Second):
			s.err = errors.New("run did not return within 10s of the context's cancellation")
		}
	})
	return s.err
}

// do makes one request and returns the response with its body read.
func do(t *testing.T, client *http.Client, method, url, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, string(data)
}

func checkStatus(t *testing.T, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Errorf("%s %s: status %d, want %d; body %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, body)
	}
}

var formHeader = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

// getToken logs in through POST /gettoken/ and returns the key.
func getToken(t *testing.T, client *http.Client, baseURL, username, password string) string {
	t.Helper()
	return getTokenWith(t, client, baseURL, username, password, nil)
}

func TestServe(t *testing.T) {
	c := newTestCLI(t)
	c.createUser(t, "createuser", "alice", "pw")
	db := c.openDB(t)
	alice := mustUser(t, db, "alice")
	hookKey := mustToken(t, db, alice)

	s := startServer(t, c)
	if !strings.HasPrefix(s.url, "http://") {
		t.Errorf("serving on %s, want http", s.url)
	}
	if s.database != c.database() {
		t.Errorf("serving database %s, want %s", s.database, c.database())
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	resp, body := do(t, client, http.MethodGet, s.url+"/studentapi/", "", nil)
	checkStatus(t, resp, body, http.StatusUnauthorized)
	if got, want := resp.Header.Get("WWW-Authenticate"), "Token"; got != want {
		t.Errorf("WWW-Authenticate = %q, want %q", got, want)
	}
	if want := `{"detail":"Authentication credentials were not provided."}`; body != want {
		t.Errorf("body = %s, want %s", body, want)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("Strict-Transport-Security = %q over plain HTTP, want none", got)
	}

	resp, body = do(t, client, http.MethodPost, s.url+"/gettoken/", "username=alice&password=pw", formHeader)
	checkStatus(t, resp, body, http.StatusOK)
	if want := fmt.Sprintf(`{"token":%q,"user_id":%d,"email":"alice@example.com"}`, hookKey, alice.ID); body != want {
		t.Errorf("POST /gettoken/ body = %s, want %s", body, want)
	}

	resp, body = do(t, client, http.MethodGet, s.url+"/studentapi/", "", http.Header{"Authorization": {"Token " + hookKey}})
	checkStatus(t, resp, body, http.StatusOK)
	if body != "[]" {
		t.Errorf("GET /studentapi/ body = %s, want []", body)
	}

	resp, body = do(t, client, http.MethodGet, s.url+"/", "", nil)
	checkStatus(t, resp, body, http.StatusOK)
	if want := `{"studentapi":"` + s.url + `/studentapi/"}`; body != want {
		t.Errorf("GET / body = %s, want %s", body, want)
	}

	client.CloseIdleConnections()
	start := time.Now()
	if err := s.stop(); err != nil {
		t.Fatalf("run returned %v after cancel, want nil", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %v to return after cancel, want under 5s", d)
	}
	if _, err := net.Dial("tcp", s.addr); err == nil {
		t.Error("the server still accepts connections after run returned")
	}
	if !strings.Contains(s.stderr.String(), `msg="shutting down"`) {
		t.Errorf("stderr does not log the shutdown:\n%s", s.stderr)
	}
}

// waitRefused waits until connecting to addr is refused, which happens the
// moment Shutdown has closed the listener.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if err == nil {
			conn.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections to %s still not refused after 10s (last error %v)", addr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestServeFinishesInFlightRequest cancels the context while a request is in
// its handler, waiting for the rest of its body, and checks that the request
// still gets its answer. "Expect: 100-continue" tells when the handler runs:
// the server sends 100 Continue when the handler first reads the body.
func TestServeFinishesInFlightRequest(t *testing.T) {
	c := newTestCLI(t)
	c.createUser(t, "createuser", "alice", "pw")
	db := c.openDB(t)
	key := mustToken(t, db, mustUser(t, db, "alice"))
	s := startServer(t, c)

	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	body := "username=alice&password=pw"
	if _, err := fmt.Fprintf(conn, "POST /gettoken/ HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", s.addr, len(body)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read interim response: %v", err)
	}
	if resp.StatusCode != http.StatusContinue {
		t.Fatalf("interim status %d, want 100", resp.StatusCode)
	}

	shuttingDown := s.stderr.match(regexp.MustCompile(`msg="shutting down"`))
	s.cancel()
	select {
	case <-shuttingDown:
	case <-time.After(10 * time.Second):
		t.Fatalf("no shutdown logged within 10s of cancel; stderr:\n%s", s.stderr)
	}
	waitRefused(t, s.addr)

	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatalf("send body: %v", err)
	}
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), key) {
		t.Errorf("in-flight request got %d %s, want 200 with the token %s", resp.StatusCode, data, key)
	}
	if !resp.Close {
		t.Error("response during shutdown keeps the connection alive, want Connection: close")
	}
	if err := s.stop(); err != nil {
		t.Errorf("run returned %v, want nil", err)
	}
}

func TestServeTLS(t *testing.T) {
	c := newTestCLI(t)
	certPath, keyPath := genCert(t, c, t.TempDir())
	c.env["STUDENTAPI_TLS_CERT_FILE"] = certPath
	c.env["STUDENTAPI_TLS_KEY_FILE"] = keyPath
	s := startServer(t, c)
	if !strings.HasPrefix(s.url, "https://") {
		t.Fatalf("serving on %s, want https", s.url)
	}

	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(readFile(t, certPath)) {
		t.Fatal("no certificate in the PEM gencert wrote")
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
	}
	defer client.CloseIdleConnections()

	resp, body := do(t, client, http.MethodGet, s.url+"/studentapi/", "", nil)
	checkStatus(t, resp, body, http.StatusUnauthorized)
	if got, want := resp.Header.Get("WWW-Authenticate"), "Token"; got != want {
		t.Errorf("WWW-Authenticate = %q, want %q", got, want)
	}
	if got, want := resp.Header.Get("Strict-Transport-Security"), "max-age=31536000"; got != want {
		t.Errorf("Strict-Transport-Security = %q, want %q", got, want)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("connection state %+v, want TLS 1.2 or later", resp.TLS)
	}
	resp, body = do(t, client, http.MethodGet, s.url+"/", "", nil)
	checkStatus(t, resp, body, http.StatusOK)
	if want := `{"studentapi":"` + s.url + `/studentapi/"}`; body != want {
		t.Errorf("GET / body = %s, want %s", body, want)
	}

	// An untrusting client refuses the self-signed certificate.
	if _, err := http.Get(s.url + "/"); err == nil {
		t.Error("a client without the certificate in its roots connected, want an unknown authority error")
	}

	// Only the version, or the cipher suites a TLS 1.2 client offers, differ
	// between the refused and the accepted handshakes: TLS 1.2 is spoken only
	// with ECDHE and an AEAD (AES-GCM or ChaCha20-Poly1305), never CBC.
	for _, tt := range []struct {
		name    string
		max     uint16
		suites  []uint16
		wantErr string // in the refused handshake's error
	}{
		{"TLS 1.1", tls.VersionTLS11, nil, "protocol version"},
		{"TLS 1.2", tls.VersionTLS12, nil, ""},
		{"TLS 1.2, CBC only", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, "handshake failure"},
		{"TLS 1.2, AES-256-CBC only", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}, "handshake failure"},
		{"TLS 1.2, AES-128-GCM", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, ""},
		{"TLS 1.2, AES-256-GCM", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}, ""},
		{"TLS 1.2, ChaCha20-Poly1305", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, ""},
		{"TLS 1.3", tls.VersionTLS13, nil, ""},
	} {
		conn, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10, MaxVersion: tt.max, CipherSuites: tt.suites})
		if err == nil {
			conn.Close()
		}
		switch {
		case tt.wantErr != "" && err == nil:
			t.Errorf("%s handshake succeeded, want it refused", tt.name)
		case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
			t.Errorf("%s handshake error = %v, want %q", tt.name, err, tt.wantErr)
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s handshake: %v", tt.name, err)
		}
	}
}

func TestServeErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	missing := "/nonexistent/cert.pem"

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantMsg  string
	}{
		{"positional argument", []string{"serve", "now"}, nil, 2, "serve: takes no arguments, got 1"},
		{"bad address", []string{"serve", "--addr", "localhost"}, nil, 1, `addr: "localhost" is not host:port`},
		{"address in use", []string{"serve", "--addr", busy.Addr().String()}, nil, 1, "listen on " + busy.Addr().String()},
		{
			"missing certificate", []string{"serve", "--addr", "127.0.0.1:0"},
			map[string]string{"STUDENTAPI_TLS_CERT_FILE": missing, "STUDENTAPI_TLS_KEY_FILE": missing},
			1, "tls.cert_file/tls.key_file",
		},
		{
			"certificate without key", []string{"serve", "--addr", "127.0.0.1:0"},
			map[string]string{"STUDENTAPI_TLS_CERT_FILE": missing},
			1, "tls.key_file: must be set because tls.cert_file is",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			for k, v := range tt.env {
				c.env[k] = v
			}
			// Should serve start by mistake, the timeout ends it and run returns nil.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			err := run(ctx, c.args(tt.args...), c.getenv, c.environ, strings.NewReader(""), &stdout, &stderr)
			checkExit(t, err, tt.wantCode, tt.wantMsg)
			if strings.Contains(stdout.String(), "Serving on") {
				t.Errorf("stdout = %q, want no serving line", stdout.String())
			}
		})
	}
}

// A second server on a busy port fails before it touches the database: the
// SQLite file and its generated secret are never created, so nothing was
// opened or migrated (two instances of a new release must not both migrate
// because one of them could not bind).
func TestServeBindsBeforeMigrating(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	c := newSQLiteCLI(t)
	_, _, err = c.run(t, "", "serve", "--addr", busy.Addr().String())
	checkExit(t, err, 1, "listen on "+busy.Addr().String())
	for _, path := range []string{c.db.Path, c.db.Path + ".secret"} {
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s after a failed bind: stat error %v, want it not created", path, err)
		}
	}
}
