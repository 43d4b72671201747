// Package connlimit caps the connections a server holds open at once, so that
// clients holding idle keep-alive connections cannot use up the process's
// file descriptors and lock everyone else out.
//
// At the cap, the listener closes the connection that has been idle longest
// to make room for the next one, which is what a client that keeps a
// connection open without using it can expect (net/http's own idle timeout
// does the same, only later); a connection that has sent nothing since it was
// accepted is closed, the oldest first, when a new one arrives and none is
// idle. Only when every connection is in a request does it stop accepting
// until one closes or goes idle; new clients then wait in the kernel's
// accept queue, taking no descriptor.
// golang.org/x/net/netutil.LimitListener only ever waits, so there a few
// clients holding idle connections keep everyone else out.
//
// Wrap the listener with New and hand Listener.ConnState to
// http.Server.ConnState, which is how the listener learns which connections
// are idle. It knows nothing of the service.
package connlimit

import (
	"container/list"
	"net"
	"net/http"
	"sync"
)

// Listener is a net.Listener that holds at most its cap of connections open.
type Listener struct {
	net.Listener
	max int

	mu      sync.Mutex
	changed *sync.Cond // a slot freed, a connection went idle, or the listener closed
	open    int        // connections accepted and not closed, and the one Accept is taking
	idle    list.List  // of *conn kept alive between requests, longest idle first
	// fresh holds the connections accepted that have not yet begun a request
	// (over TLS, nor finished the handshake), oldest first. One that never
	// sends a byte is as idle as one kept alive, but it cannot be closed
	// ahead of need as those are: it may be a client about to send its
	// first request. It is closed when a new connection arrives at the cap.
	fresh  list.List
	closed bool
}

// New returns inner capped at max connections; max must be at least 1.
func New(inner net.Listener, max int) *Listener {
	l := &Listener{Listener: inner, max: max}
	l.changed = sync.NewCond(&l.mu)
	return l
}

// Accept takes a slot, closing the connection idle longest when there is
// none free and waiting when none is idle, then accepts a connection on it.
func (l *Listener) Accept() (net.Conn, error) {
	if err := l.reserve(); err != nil {
		return nil, err
	}
	c, err := l.Listener.Accept()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.release()
		return nil, err
	}
	// The last slot is taken and none is idle to free the next: a new
	// client is here, so the connection that has sent nothing for longest
	// makes room for the next one.
	if l.open >= l.max && l.idle.Len() == 0 && l.fresh.Len() > 0 {
		victim := l.fresh.Front().Value.(*conn)
		l.forget(victim)
		_ = victim.Conn.Close()
	}
	return &conn{Conn: c, l: l}, nil
}

// reserve takes a slot for the next connection.
func (l *Listener) reserve() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		switch {
		case l.closed:
			return net.ErrClosed
		case l.open < l.max:
			l.open++
			return nil
		case l.idle.Len() > 0:
			victim := l.idle.Front().Value.(*conn)
			l.forget(victim)
			// Closing a socket does not block, and a server goroutine
			// reading from it returns at once.
			_ = victim.Conn.Close()
		default:
			l.changed.Wait()
		}
	}
}

// release frees a slot; l.mu is held.
func (l *Listener) release() {
	l.open--
	l.changed.Broadcast()
}

// forget stops counting c, once, freeing its slot; l.mu is held.
func (l *Listener) forget(c *conn) {
	if c.gone {
		return
	}
	c.gone = true
	l.unlist(c)
	l.release()
}

// unlist takes c off the idle and fresh lists; l.mu is held.
func (l *Listener) unlist(c *conn) {
	if c.idleAt != nil {
		l.idle.Remove(c.idleAt)
		c.idleAt = nil
	}
	if c.freshAt != nil {
		l.fresh.Remove(c.freshAt)
		c.freshAt = nil
	}
}

// Close closes the listener; an Accept waiting for a slot returns.
func (l *Listener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.changed.Broadcast()
	l.mu.Unlock()
	return l.Listener.Close()
}

// ConnState is for http.Server.ConnState: it tells the listener which of its
// connections are idle (kept alive between requests) or fresh (accepted, no
// request yet), in the order they became so.
func (l *Listener) ConnState(nc net.Conn, state http.ConnState) {
	c, ok := unwrap(nc)
	if !ok || c.l != l {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.gone {
		return
	}
	switch state {
	case http.StateNew:
		c.freshAt = l.fresh.PushBack(c)
	case http.StateIdle:
		l.unlist(c)
		c.idleAt = l.idle.PushBack(c)
		l.changed.Broadcast() // an Accept at the cap may close it
	default: // a request arrived, or the connection is leaving the server
		l.unlist(c)
	}
}

// unwrap finds the listener's connection under what the server hands
// ConnState: the connection itself, or a TLS connection over it.
func unwrap(nc net.Conn) (*conn, bool) {
	for {
		switch v := nc.(type) {
		case *conn:
			return v, true
		case interface{ NetConn() net.Conn }: // *tls.Conn
			nc = v.NetConn()
		default:
			return nil, false
		}
	}
}

// conn is an accepted connection, counted until it closes.
type conn struct {
	net.Conn
	l *Listener
	// Guarded by l.mu.
	gone    bool          // closed, its slot freed
	idleAt  *list.Element // its place in l.idle while idle
	freshAt *list.Element // its place in l.fresh until its first request
}

// Close closes the connection and frees its slot.
func (c *conn) Close() error {
	c.l.mu.Lock()
	c.l.forget(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// CloseWrite half-closes a TCP connection, which net/http does after some
// errors so that the client reads the answer before the connection closes.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
