package proxies

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name, remote, xff string
		trusted           []string
		want              string
	}{
		{"no proxies: the connection", "192.0.2.1:5000", "203.0.113.9", nil, "192.0.2.1"},
		{"untrusted peer's header ignored", "192.0.2.1:5000", "203.0.113.9", []string{"10.0.0.0/8"}, "192.0.2.1"},
		{"trusted proxy: the client it names", "10.0.0.5:5000", "203.0.113.9", []string{"10.0.0.0/8"}, "203.0.113.9"},
		{"chain of trusted proxies", "10.0.0.5:5000", "203.0.113.9, 10.0.0.7", []string{"10.0.0.0/8"}, "203.0.113.9"},
		{"spoofed left part not believed", "10.0.0.5:5000", "1.1.1.1, 203.0.113.9", []string{"10.0.0.5"}, "203.0.113.9"},
		{"garbage header", "10.0.0.5:5000", "nonsense", []string{"10.0.0.5"}, "10.0.0.5"},
		{"no header", "10.0.0.5:5000", "", []string{"10.0.0.5"}, "10.0.0.5"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/admin/login/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		trusted, err := Parse(tt.trusted)
		if err != nil {
			t.Fatal(err)
		}
		if got := trusted.ClientIP(r); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestParseAndFromProxy(t *testing.T) {
	if _, err := Parse([]string{"10.0.0.0/33"}); err == nil {
		t.Error("Parse accepted a bad CIDR")
	}
	trusted, err := Parse([]string{"10.0.0.5", "fd00::/8"})
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
