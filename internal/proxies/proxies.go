// Package proxies decides which forwarding headers to believe: only those set
// by the configured trusted proxies. The API (client IPs for throttles, the
// scheme and host of absolute links, the HTTPS-only rule) and the admin site
// (its login throttle) share it, so they agree on who the client is.
package proxies

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Trusted is a set of proxy addresses. The nil *Trusted trusts nobody.
type Trusted struct{ prefixes []netip.Prefix }

// Prefix is one trusted proxy: an IP address (that one address) or a CIDR.
// It reads and writes itself as text, so that a configuration holds it
// parsed, checked once as it is read.
type Prefix struct{ p netip.Prefix }

// ParsePrefix reads an IP or a CIDR; a bare IP is a one-address prefix.
func ParsePrefix(s string) (Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return Prefix{netip.PrefixFrom(a, a.BitLen())}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return Prefix{}, fmt.Errorf("%q is not an IP address or CIDR; use e.g. \"10.0.0.1\" or \"10.0.0.0/8\"", s)
	}
	return Prefix{p.Masked()}, nil
}

// String is the prefix as ParsePrefix reads it: a one-address prefix as
// its bare address.
func (p Prefix) String() string {
	if p.p.IsSingleIP() {
		return p.p.Addr().String()
	}
	return p.p.String()
}

// MarshalText writes p as String does.
func (p Prefix) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads p as ParsePrefix does.
func (p *Prefix) UnmarshalText(b []byte) error {
	parsed, err := ParsePrefix(string(b))
	if err != nil {
		return err
	}
	*p = parsed
	return nil
}

// New trusts the given proxies; none trusts nobody.
func New(list []Prefix) *Trusted {
	t := &Trusted{prefixes: make([]netip.Prefix, len(list))}
	for i, p := range list {
		t.prefixes[i] = p.p
	}
	return t
}

// contains parses ip and reports whether it is a trusted proxy; the address
// is invalid when ip does not parse.
func (t *Trusted) contains(ip string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return netip.Addr{}, false
	}
	a = a.Unmap()
	if t == nil {
		return a, false
	}
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return a, true
		}
	}
	return a, false
}

// Contains reports whether ip, an address as ClientIP names one, is in the
// set: a set of proxies serves as any allow list of addresses.
func (t *Trusted) Contains(ip string) bool {
	_, ok := t.contains(ip)
	return ok
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// FromProxy reports whether r came straight from a trusted proxy, whose
// X-Forwarded-* headers may then be believed.
func (t *Trusted) FromProxy(r *http.Request) bool {
	if t == nil || len(t.prefixes) == 0 {
		return false // nothing to parse the address for: every request asks
	}
	_, ok := t.contains(remoteHost(r))
	return ok
}

// Unknown is ClientIP's answer for a client a trusted proxy forwarded but did
// not name in a form this package reads. It is no address, so it is never
// loopback nor in an allowed set, and every such client shares one throttle
// bucket: taking the proxy's own address instead would have made the proxy's
// clients loopback, and given them the proxy's bucket.
const Unknown = "unknown"

// ClientIP names r's client: the connection's address, unless that is a
// trusted proxy, in which case the nearest address in X-Forwarded-For that is
// not a trusted proxy (the part left of it could be forged by the client).
// Every X-Forwarded-For line counts, in order, as one list: a proxy that
// appends a line of its own (HAProxy's option forwardfor) rather than a value
// to the client's line leaves the client's forgery in the first line.
//
// A hop may carry a port (IIS ARR and Azure Application Gateway write
// "IP:port"). One that is no address ("unknown" from Squid, an obfuscated
// "_hidden" of RFC 7239, an empty value) makes the client Unknown, as does a
// request from a trusted proxy with a Forwarded header and no
// X-Forwarded-For (this package reads only the latter). A request from a
// trusted proxy with neither header is the proxy's own.
func (t *Trusted) ClientIP(r *http.Request) string {
	host := remoteHost(r)
	if _, ok := t.contains(host); !ok {
		return host
	}
	lines := r.Header.Values("X-Forwarded-For")
	if len(lines) == 0 && r.Header.Get("Forwarded") != "" {
		return Unknown
	}
	for i := len(lines) - 1; i >= 0; i-- {
		// Right to left through the line's values, without splitting it.
		rest := lines[i]
		for {
			hop := rest
			comma := strings.LastIndexByte(rest, ',')
			if comma >= 0 {
				hop, rest = rest[comma+1:], rest[:comma]
			}
			a, trusted := t.contains(withoutPort(hop))
			if !a.IsValid() {
				return Unknown
			}
			if !trusted {
				return a.String()
			}
			if comma < 0 {
				break
			}
		}
	}
	return host
}

// withoutPort is hop without the port some proxies write after the address
// ("203.0.113.9:1234", "[2001:db8::1]:443"); any other hop unchanged.
func withoutPort(hop string) string {
	hop = strings.TrimSpace(hop)
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().String()
	}
	return hop
}

// Scheme is the scheme the client used: from a trusted proxy, what its
// X-Forwarded-Proto says when that is "http" or "https"; otherwise "https"
// over TLS and "http" without.
func (t *Trusted) Scheme(r *http.Request) string {
	if t.FromProxy(r) {
		if p := forwarded(r, "X-Forwarded-Proto"); p == "http" || p == "https" {
			return p
		}
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// Host is the host (and port, if any) the client asked for: from a trusted
// proxy, its X-Forwarded-Host when set; otherwise the request's Host.
func (t *Trusted) Host(r *http.Request) string {
	if t.FromProxy(r) {
		if h := forwarded(r, "X-Forwarded-Host"); h != "" {
			return h
		}
	}
	return r.Host
}

// forwarded is the value of a forwarding header that says one thing (the
// scheme, the host), not a list of hops: the one the nearest proxy set, which
// is the last value of the last line. A proxy that replaces the header leaves
// just its own; one that appends a line or a value leaves the client's before
// it. Taking the first would let a client that reaches such a proxy say what
// it likes.
func forwarded(r *http.Request, name string) string {
	lines := r.Header.Values(name)
	if len(lines) == 0 {
		return ""
	}
	last := lines[len(lines)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.TrimSpace(last)
}
