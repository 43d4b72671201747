package proxies

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name, remote string
		xff          []string // one element per header line
		trusted      []string
		want         string
	}{
		{"no proxies: the connection", "192.0.2.1:5000", []string{"203.0.113.9"}, nil, "192.0.2.1"},
		{"untrusted peer's header ignored", "192.0.2.1:5000", []string{"203.0.113.9"}, []string{"10.0.0.0/8"}, "192.0.2.1"},
		{"trusted proxy: the client it names", "10.0.0.5:5000", []string{"203.0.113.9"}, []string{"10.0.0.0/8"}, "203.0.113.9"},
		{"chain of trusted proxies", "10.0.0.5:5000", []string{"203.0.113.9, 10.0.0.7"}, []string{"10.0.0.0/8"}, "203.0.113.9"},
		{"spoofed left part not believed", "10.0.0.5:5000", []string{"1.1.1.1, 203.0.113.9"}, []string{"10.0.0.5"}, "203.0.113.9"},
		// A hop that is no address names no client: never the proxy, which
		// may be loopback and would hand its clients its own bucket.
		{"garbage header", "10.0.0.5:5000", []string{"nonsense"}, []string{"10.0.0.5"}, Unknown},
		{"Squid's unknown", "127.0.0.1:5000", []string{"unknown"}, []string{"127.0.0.1"}, Unknown},
		{"an obfuscated identifier", "127.0.0.1:5000", []string{"_hidden"}, []string{"127.0.0.1"}, Unknown},
		{"a trailing comma", "127.0.0.1:5000", []string{"203.0.113.5, "}, []string{"127.0.0.1"}, Unknown},
		{"two addresses without a comma", "127.0.0.1:5000", []string{"203.0.113.5 127.0.0.1"}, []string{"127.0.0.1"}, Unknown},
		{"octal-looking address", "127.0.0.1:5000", []string{"0177.0.0.1"}, []string{"127.0.0.1"}, Unknown},
		{"IP:port, as IIS ARR writes it", "127.0.0.1:5000", []string{"203.0.113.5:1234"}, []string{"127.0.0.1"}, "203.0.113.5"},
		{"[IPv6]:port", "127.0.0.1:5000", []string{"[2001:db8::1]:443"}, []string{"127.0.0.1"}, "2001:db8::1"},
		{"a trusted proxy's port skipped too", "10.0.0.5:5000", []string{"203.0.113.9, 10.0.0.7:80"}, []string{"10.0.0.0/8"}, "203.0.113.9"},
		{"no header", "10.0.0.5:5000", nil, []string{"10.0.0.5"}, "10.0.0.5"},
		// A proxy that appends a line of its own (HAProxy's option forwardfor)
		// leaves the client's forged line first: the lines are one list.
		{"proxy appends a line: the forged first line not believed", "10.0.0.5:5000", []string{"1.1.1.1", "203.0.113.9"}, []string{"10.0.0.5"}, "203.0.113.9"},
		{"forged line with several addresses", "10.0.0.5:5000", []string{"1.1.1.1, 2.2.2.2", "203.0.113.9"}, []string{"10.0.0.5"}, "203.0.113.9"},
		{"lines of a chain of trusted proxies", "10.0.0.5:5000", []string{"1.1.1.1", "203.0.113.9", "10.0.0.7, 10.0.0.8"}, []string{"10.0.0.0/8"}, "203.0.113.9"},
		{"lines and commas together", "10.0.0.5:5000", []string{"1.1.1.1", "203.0.113.9, 10.0.0.7"}, []string{"10.0.0.0/8"}, "203.0.113.9"},
		{"every address trusted: the connection's", "10.0.0.5:5000", []string{"10.0.0.9", "10.0.0.7"}, []string{"10.0.0.0/8"}, "10.0.0.5"},
		{"garbage in the last line", "10.0.0.5:5000", []string{"203.0.113.9", "nonsense"}, []string{"10.0.0.5"}, Unknown},
		{"empty last line", "10.0.0.5:5000", []string{"203.0.113.9", ""}, []string{"10.0.0.5"}, Unknown},
		{"garbage left of the client", "10.0.0.5:5000", []string{"nonsense", "203.0.113.9"}, []string{"10.0.0.5"}, "203.0.113.9"},
		{"IPv6 client", "10.0.0.5:5000", []string{"1.1.1.1", " 2001:db8::1 "}, []string{"10.0.0.5"}, "2001:db8::1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/admin/login/", nil)
		r.RemoteAddr = tt.remote
		for _, line := range tt.xff {
			r.Header.Add("X-Forwarded-For", line)
		}

		trusted, err := parse(tt.trusted)
		if err != nil {
			t.Fatal(err)
		}
		if got := trusted.ClientIP(r); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

// RFC 7239's Forwarded header is not read: from a trusted proxy that sends
// it alone, the client is Unknown, not the proxy (on loopback, the proxy
// would make every client loopback); beside X-Forwarded-For, the latter
// counts; from anyone else, the connection does.
func TestClientIPWithForwarded(t *testing.T) {
	trusted, err := parse([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote, xff, want string
	}{
		{"alone from a trusted proxy", "127.0.0.1:5000", "", Unknown},
		{"beside X-Forwarded-For", "127.0.0.1:5000", "203.0.113.9", "203.0.113.9"},
		{"from no proxy", "192.0.2.1:5000", "", "192.0.2.1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = tt.remote
		r.Header.Set("Forwarded", "for=203.0.113.5")
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := trusted.ClientIP(r); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

// X-Forwarded-Proto and X-Forwarded-Host say one thing each, not a list of
// hops: what the nearest trusted proxy set is what counts, which is the last
// line, and in it the last comma-separated value. A proxy that replaces the
// header (nginx's proxy_set_header) leaves one value; one that appends a line
// or a value leaves the client's first; either way the client's own value
// never wins.
func TestSchemeAndHost(t *testing.T) {
	tests := []struct {
		name, remote string
		tls          bool
		proto, host  []string // header lines
		wantScheme   string
		wantHost     string
	}{
		{"direct", "192.0.2.1:5000", false, nil, nil, "http", "api.example.com"},
		{"direct over TLS", "192.0.2.1:5000", true, nil, nil, "https", "api.example.com"},
		{"untrusted peer's headers ignored", "192.0.2.1:5000", false, []string{"https"}, []string{"evil.example"}, "http", "api.example.com"},
		{"trusted proxy", "10.0.0.5:5000", false, []string{"https"}, []string{"www.example.com"}, "https", "www.example.com"},
		{"trusted proxy without headers", "10.0.0.5:5000", false, nil, nil, "http", "api.example.com"},
		{"proxy appends a line to the client's", "10.0.0.5:5000", false, []string{"https", "http"}, []string{"evil.example", "www.example.com"}, "http", "www.example.com"},
		{"proxy appends a value to the client's", "10.0.0.5:5000", false, []string{"https, http"}, []string{"evil.example, www.example.com"}, "http", "www.example.com"},
		{"values of the last line", "10.0.0.5:5000", false, []string{"http", "http,https"}, []string{"evil.example", "a.example ,www.example.com "}, "https", "www.example.com"},
		{"unknown scheme ignored", "10.0.0.5:5000", false, []string{"gopher"}, nil, "http", "api.example.com"},
		{"unknown scheme after the client's https", "10.0.0.5:5000", false, []string{"https", "ftp"}, nil, "http", "api.example.com"},
		{"empty last line", "10.0.0.5:5000", true, []string{"http", ""}, []string{"evil.example", ""}, "https", "api.example.com"},
	}
	trusted, err := parse([]string{"10.0.0.5"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = "api.example.com"
		r.RemoteAddr = tt.remote
		if !tt.tls {
			r.TLS = nil
		} else {
			r.TLS = &tls.ConnectionState{}
		}
		for _, line := range tt.proto {
			r.Header.Add("X-Forwarded-Proto", line)
		}
		for _, line := range tt.host {
			r.Header.Add("X-Forwarded-Host", line)
		}
		if got := trusted.Scheme(r); got != tt.wantScheme {
			t.Errorf("%s: Scheme = %q, want %q", tt.name, got, tt.wantScheme)
		}
		if got := trusted.Host(r); got != tt.wantHost {
			t.Errorf("%s: Host = %q, want %q", tt.name, got, tt.wantHost)
		}
	}
}

func TestParseAndFromProxy(t *testing.T) {
	if _, err := parse([]string{"10.0.0.0/33"}); err == nil {
		t.Error("Parse accepted a bad CIDR")
	}
	trusted, err := parse([]string{"10.0.0.5", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		remote string
		want   bool
	}{{"10.0.0.5:1", true}, {"10.0.0.6:1", false}, {"[fd00::1]:1", true}, {"[::ffff:10.0.0.5]:1", true}, {"junk", false}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if got := trusted.FromProxy(r); got != tt.want {
			t.Errorf("FromProxy(%s) = %v, want %v", tt.remote, got, tt.want)
		}
	}
	var none *Trusted
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.5:1"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	if none.FromProxy(r) || none.ClientIP(r) != "10.0.0.5" {
		t.Error("a nil Trusted believed a proxy")
	}
}

// parse trusts the proxies of list, as a configuration that holds them does.
func parse(list []string) (*Trusted, error) {
	prefixes := make([]Prefix, len(list))
	for i, s := range list {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		prefixes[i] = p
	}
	return New(prefixes), nil
}
