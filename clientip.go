package main

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIPFunc names a request's client as gin's ClientIP does for the API, so
// that the admin's per-IP login throttle and the API's agree: the connection's
// address, unless that is a trusted proxy, in which case the nearest address in
// X-Forwarded-For that is not a trusted proxy.
func clientIPFunc(trusted []string) func(*http.Request) string {
	var proxies []netip.Prefix
	for _, s := range trusted {
		if a, err := netip.ParseAddr(s); err == nil {
			proxies = append(proxies, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else if p, err := netip.ParsePrefix(s); err == nil {
			proxies = append(proxies, p.Masked())
		}
	}
	isTrusted := func(s string) (netip.Addr, bool) {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return netip.Addr{}, false
		}
		a = a.Unmap()
		for _, p := range proxies {
			if p.Contains(a) {
				return a, true
			}
		}
		return a, false
	}
	return func(r *http.Request) string {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if _, ok := isTrusted(host); !ok {
			return host
		}
		hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, trustedHop := isTrusted(hops[i])
			if !a.IsValid() {
				break // garbage: stop believing the header
			}
			if !trustedHop {
				return a.String()
			}
		}
		return host
	}
}
