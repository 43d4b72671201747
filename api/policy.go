package api

import (
	"log/slog"
	"net"
	"net/http"
	"strings"

	"studentapi/internal/hosts"
	"studentapi/internal/proxies"
	"studentapi/internal/requestid"
)

// Policy is what the server asks of every request before any route sees it:
// the API's, its static files', the health checks' and the admin site's
// alike. Protect applies it once, at the top of the server's handler, so no
// part of the server can be left out of it.
type Policy struct {
	// Proxies are the proxies whose X-Forwarded-Proto and X-Forwarded-Host
	// are believed; nil believes none.
	Proxies *proxies.Trusted
	// AllowedHosts are the hosts answered for, in package hosts' patterns
	// (Django's ALLOWED_HOSTS); any other gets 400. Empty allows none.
	AllowedHosts []string
	// RequireHTTPS refuses plain-HTTP requests (403) except straight from
	// loopback; for production without TLS of its own, behind a TLS proxy.
	RequireHTTPS bool
	// Log receives a line for each refused request; nil discards them.
	Log *slog.Logger
}

var (
	errInvalidHost   = &detailError{status: http.StatusBadRequest, detail: "Invalid Host header."}
	errHTTPSRequired = &detailError{status: http.StatusForbidden,
		detail: "HTTPS is required. Plain HTTP is accepted only through the trusted proxy, with X-Forwarded-Proto: https."}
)

// Protect wraps the server's whole handler in p. Every answer gets what
// Django's SecurityMiddleware sets by default, and HSTS when it went over
// TLS (here or at a trusted proxy). A request for a host that is not allowed
// is refused with 400 without naming the host (the host links would be built
// from, as Django's get_host checks it), and with p.RequireHTTPS a plain-HTTP
// one with 403, both in DRF's {"detail": ...} form.
//
// Protect also names the request before anything else sees it: every answer,
// refusals, the admin site's and static files included, carries
// X-Request-ID (the client's when package requestid finds it sane, else a new
// one), and the request's context carries the id for every log line written
// while serving it.
func Protect(next http.Handler, p Policy) (http.Handler, error) {
	trusted := p.Proxies
	allowed, err := hosts.Parse(p.AllowedHosts)
	if err != nil {
		return nil, err
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(requestid.Handler(log.Handler()))
	refuse := func(w http.ResponseWriter, r *http.Request, e *detailError, reason string) {
		writeRefusal(w, e)
		// Neither the host nor the path: what a client sent is not repeated.
		log.LogAttrs(r.Context(), slog.LevelInfo, "request refused",
			slog.Int("status", e.status), slog.String("reason", reason))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Assigned, not Set: the names are canonical already, and the shared
		// one-element values are only ever replaced, never appended to in place
		// (an append to a full slice copies it).
		h := w.Header()
		// Read as sent (the canonical key), once: a second X-Request-ID is
		// ignored.
		var sent string
		if v := r.Header[requestIDKey]; len(v) > 0 {
			sent = v[0]
		}
		ctx, value := requestid.With(r.Context(), requestid.From(sent))
		h[requestIDKey] = value
		r = r.WithContext(ctx)
		// Django upper-cases the method (WSGIRequest), so "get" is GET there;
		// net/http keeps it as sent, and "get" would be a method no route has.
		if m := r.Method; !isUpper(m) {
			r.Method = strings.ToUpper(m)
		}
		h["X-Content-Type-Options"] = nosniff
		h["X-Frame-Options"] = deny
		h["Referrer-Policy"] = sameOrigin
		h["Cross-Origin-Opener-Policy"] = sameOrigin
		if !allowed.Allows(trusted.Host(r)) {
			refuse(w, r, errInvalidHost, "host not allowed")
			return
		}
		secure := trusted.Scheme(r) == "https"
		if secure {
			h["Strict-Transport-Security"] = hsts
		}
		if p.RequireHTTPS && !secure && (trusted.FromProxy(r) || !fromLoopback(r)) {
			refuse(w, r, errHTTPSRequired, "https required")
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}

// requestIDKey is requestid.Header as net/http keys it.
var requestIDKey = http.CanonicalHeaderKey(requestid.Header)

// The values Protect sets, shared by every response.
var (
	nosniff    = []string{"nosniff"}
	deny       = []string{"DENY"}
	sameOrigin = []string{"same-origin"}
	hsts       = []string{"max-age=31536000"}
)

// fromLoopback reports whether r came straight from this machine.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	return err == nil && hosts.Loopback(host)
}

// isUpper reports whether s has no lower-case ASCII letter, as a method
// almost always has not.
func isUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			return false
		}
	}
	return true
}
