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

// Parse reads IPs and CIDRs; a bare IP is a one-address prefix.
func Parse(list []string) (*Trusted, error) {
	t := &Trusted{}
	for _, s := range list {
		if a, err := netip.ParseAddr(s); err == nil {
			t.prefixes = append(t.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		t.prefixes = append(t.prefixes, p.Masked())
	}
	return t, nil
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
	_, ok := t.contains(remoteHost(r))
	return ok
}

// ClientIP names r's client: the connection's address, unless that is a
// trusted proxy, in which case the nearest address in X-Forwarded-For that is
// not a trusted proxy (the part left of it could be forged by the client).
func (t *Trusted) ClientIP(r *http.Request) string {
	host := remoteHost(r)
	if _, ok := t.contains(host); !ok {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, trusted := t.contains(hops[i])
		if !a.IsValid() {
			break // garbage: stop believing the header
		}
		if !trusted {
			return a.String()
		}
	}
	return host
}
