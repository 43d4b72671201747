// Package hosts decides which hosts the server answers for, with the rules of
// Django's ALLOWED_HOSTS: a pattern is a host name or a bracketed IPv6
// address, matched exactly; a leading dot (".example.com") matches the domain
// and every name under it; "*" matches any host. Matching ignores case and
// the port, and a host that is not a well-formed name or address never
// matches, whatever the patterns.
package hosts

import (
	"fmt"
	"net/netip"
	"strings"
)

// Loopback reports whether host, a name or an IP address without a port,
// reaches only this machine: "localhost" or a loopback address, IPv4 mapped
// into IPv6 included. The server's policy asks it of a client's address, the
// configuration of the address the server listens on.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// Allowed is a parsed list of patterns. The nil *Allowed allows every
// well-formed host.
type Allowed struct {
	any     bool
	exact   []string // lower case
	domains []string // lower case, with the leading dot
}

// Parse reads patterns, refusing one that could never match a host (a port,
// a scheme, a path, "*.example.com", an empty one), so that a typo is an
// error at start-up rather than every request refused.
func Parse(patterns []string) (*Allowed, error) {
	a := &Allowed{}
	for _, p := range patterns {
		lower := strings.ToLower(p)
		switch {
		case lower == "*":
			a.any = true
		case strings.HasPrefix(lower, "*."):
			return nil, fmt.Errorf("allowed host %q: write a domain and its subdomains as %q", p, lower[1:])
		case strings.HasPrefix(lower, ".") && isPatternName(lower[1:]):
			a.domains = append(a.domains, lower)
		case isPatternName(lower) || isIPv6(lower):
			a.exact = append(a.exact, lower)
		default:
			return nil, fmt.Errorf("allowed host %q: not a host name, a .domain, a [bracketed] IPv6 address or *; write it without scheme, port or path", p)
		}
	}
	return a, nil
}

// Allows reports whether host, a Host header's value (a name or an address,
// maybe with a port), is one of the allowed hosts.
func (a *Allowed) Allows(host string) bool {
	domain, ok := domainOf(host)
	if !ok {
		return false
	}
	if a == nil || a.any {
		return true
	}
	for _, e := range a.exact {
		if domain == e {
			return true
		}
	}
	for _, d := range a.domains {
		if domain == d[1:] || strings.HasSuffix(domain, d) {
			return true
		}
	}
	return false
}

// domainOf is host without its port, in lower case and without a final dot, as
// Django's split_domain_port makes it; ok is false when host is not a name of
// letters, digits, dots and hyphens or a bracketed IPv6 address, followed by
// an optional numeric port. It allocates only for a host with upper case.
func domainOf(host string) (domain string, ok bool) {
	domain = host
	if !strings.HasSuffix(host, "]") {
		if i := strings.LastIndexByte(host, ':'); i >= 0 && (host[0] != '[' || host[i-1] == ']') {
			domain = host[:i]
			if !isPort(host[i+1:]) {
				return "", false
			}
		}
	}
	domain = strings.ToLower(domain)
	switch {
	case isIPv6(domain):
		return domain, true
	case isName(domain):
		return strings.TrimSuffix(domain, "."), true
	}
	return "", false
}

// isName reports whether s is one or more of [a-z0-9.-] (Django's
// host_validation_re; the labels themselves are not checked).
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// isPatternName is isName for a pattern: one that starts or ends with a dot
// would match no host (a host's final dot is dropped before matching).
func isPatternName(s string) bool {
	return isName(s) && s[0] != '.' && s[len(s)-1] != '.'
}

// isIPv6 reports whether s is "[" hex digits, colons and dots "]" with a
// colon (Django's bracketed form; the address itself is not parsed).
func isIPv6(s string) bool {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' || strings.IndexByte(s, ':') < 0 {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if !('a' <= c && c <= 'f' || '0' <= c && c <= '9' || c == ':' || c == '.') {
			return false
		}
	}
	return true
}

// isPort reports whether s is one or more decimal digits (Django's pattern:
// an empty port after the colon is no port).
func isPort(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
