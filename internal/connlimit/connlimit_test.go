package connlimit_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"studentapi/internal/connlimit"
)

// counting counts the connections it has accepted and not closed: the sockets
// the server holds, whoever closes them.
type counting struct {
	net.Listener
	mu         sync.Mutex
	open, peak int
}

func (l *counting) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.peak = max(l.peak, l.open)
	l.mu.Unlock()
	return &countedConn{Conn: c, l: l}, nil
}

func (l *counting) counts() (open, peak int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open, l.peak
}

type countedConn struct {
	net.Conn
	l    *counting
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// server is a real HTTP server, plain or over TLS, on a capped listener.
type server struct {
	*httptest.Server
	sockets *counting
	useTLS  bool
}

func startServer(t *testing.T, useTLS bool, max int, h http.Handler) *server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	sockets := &counting{Listener: srv.Listener}
	l := connlimit.New(sockets, max)
	srv.Listener = l
	srv.Config.ConnState = l.ConnState
	// Closed connections make the server complain; that is the point here.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	// Long enough that a test passes only if the listener, not the server's
	// timeout, frees a connection that sends nothing.
	srv.Config.ReadHeaderTimeout = time.Minute
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return &server{Server: srv, sockets: sockets, useTLS: useTLS}
}

// client is one raw keep-alive connection to the server.
type client struct {
	net.Conn
	r *bufio.Reader
}

func (s *server) dial(t *testing.T) *client {
	t.Helper()
	c, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if s.useTLS {
		cfg := s.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		cfg.ServerName = "127.0.0.1" // in httptest's certificate
		c = tls.Client(c, cfg)
	}
	t.Cleanup(func() { c.Close() })
	return &client{Conn: c, r: bufio.NewReader(c)}
}

// get sends GET path on the connection, keeping it alive, and reads the
// answer; it gives up after ten seconds, time enough for any server that
// answers at all.
func (c *client) get(path string) (int, error) {
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// closedByServer reports whether the server has closed the connection: a
// read finds its end at once, where an open one waits for bytes that do not
// come.
func (c *client) closedByServer() bool {
	if err := c.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		return true
	}
	_, err := c.r.ReadByte()
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

// Thirty clients that keep their connections open after one request, against
// a cap of twenty (issue 13, item 7: two clients holding 10,000 idle
// connections each locked everyone else out): every one is answered, the
// server never holds more than twenty sockets, the connections idle longest
// are the ones closed, and a new client is still answered.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	const max, clients = 20, 30
	for _, useTLS := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "TLS"}[useTLS]
		t.Run(name, func(t *testing.T) {
			s := startServer(t, useTLS, max, ok)
			held := make([]*client, clients)
			for i := range held {
				held[i] = s.dial(t)
				if status, err := held[i].get("/"); err != nil || status != http.StatusOK {
					t.Fatalf("client %d of %d holding its connection: %d, %v; want 200", i+1, clients, status, err)
				}
			}
			resp, err := s.Client().Get(s.URL + "/")
			if err != nil {
				t.Fatalf("a new client with %d connections held: %v", clients, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("a new client with %d connections held: %d, want 200", clients, resp.StatusCode)
			}
			if _, peak := s.sockets.counts(); peak > max {
				t.Errorf("the server held %d connections at once, want at most %d", peak, max)
			}
			if !held[0].closedByServer() {
				t.Errorf("the connection idle longest is still open")
			}
			if held[clients-1].closedByServer() {
				t.Errorf("the connection idle shortest was closed")
			}
		})
	}
}

// Connections that never send a byte (nor, over TLS, a handshake) are as idle
// as kept-alive ones: thirty of them against a cap of twenty once made a new
// client wait for the server's read_header_timeout.
func TestSilentConnectionsMakeRoom(t *testing.T) {
	const max, clients = 20, 30
	for _, useTLS := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "TLS"}[useTLS]
		t.Run(name, func(t *testing.T) {
			s := startServer(t, useTLS, max, ok)
			for range clients {
				c, err := net.Dial("tcp", s.Listener.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
			}
			client := s.Client()
			client.Timeout = 10 * time.Second
			resp, err := client.Get(s.URL + "/")
			if err != nil {
				t.Fatalf("a new client with %d silent connections held: %v", clients, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("a new client with %d silent connections held: %d, want 200", clients, resp.StatusCode)
			}
			if _, peak := s.sockets.counts(); peak > max {
				t.Errorf("the server held %d connections at once, want at most %d", peak, max)
			}
		})
	}
}

// With every connection in a request, nothing is closed: the next client
// waits, in the kernel's queue, until one is done, and is then answered.
func TestBusyConnectionsAreKept(t *testing.T) {
	const max = 2
	entered, leave := make(chan struct{}), make(chan struct{})
	s := startServer(t, false, max, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			entered <- struct{}{}
			<-leave
		}
		_, _ = io.WriteString(w, "ok")
	}))
	busy := make(chan error, max)
	for range max {
		c := s.dial(t)
		go func() {
			status, err := c.get("/busy")
			if err == nil && status != http.StatusOK {
				err = errors.New(http.StatusText(status))
			}
			busy <- err
		}()
		<-entered
	}
	next := make(chan error, 1)
	go func() {
		status, err := s.dial(t).get("/")
		if err == nil && status != http.StatusOK {
			err = errors.New(http.StatusText(status))
		}
		next <- err
	}()
	close(leave) // the busy requests end, their connections go idle
	for range max {
		if err := <-busy; err != nil {
			t.Errorf("a busy request: %v", err)
		}
	}
	if err := <-next; err != nil {
		t.Errorf("the client that waited: %v", err)
	}
	if _, peak := s.sockets.counts(); peak > max {
		t.Errorf("the server held %d connections at once, want at most %d", peak, max)
	}
}

// Closing the server while Accept waits for a slot ends it.
func TestCloseWhileFull(t *testing.T) {
	entered, leave := make(chan struct{}), make(chan struct{})
	defer close(leave)
	s := startServer(t, false, 1, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered <- struct{}{}
		<-leave
	}))
	c := s.dial(t)
	go func() { _, _ = c.get("/") }()
	<-entered
	// Accept now waits for a slot; Close must not wait for it.
	closed := make(chan struct{})
	go func() {
		s.Listener.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("closing the listener did not return within 10s")
	}
	if _, err := s.Listener.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
	}
}
