package hosts

import "testing"

func TestAllows(t *testing.T) {
	tests := []struct {
		patterns []string
		host     string
		want     bool
	}{
		{[]string{"api.example.com"}, "api.example.com", true},
		{[]string{"api.example.com"}, "api.example.com:8443", true},
		{[]string{"api.example.com"}, "API.Example.COM", true},
		{[]string{"API.example.com"}, "api.example.com", true},
		{[]string{"api.example.com"}, "api.example.com.", true},
		{[]string{"api.example.com"}, "evil.example", false},
		{[]string{"api.example.com"}, "www.api.example.com", false},
		{[]string{"api.example.com"}, "api.example.com.evil.example", false},
		{[]string{"api.example.com"}, "", false},
		{[]string{"api.example.com"}, "api.example.com:", false},
		{[]string{"api.example.com"}, "api.example.com:80:80", false},
		{[]string{"api.example.com"}, "api.example.com:http", false},
		{[]string{"api.example.com"}, "api.example.com/x", false},
		{[]string{"api.example.com"}, "api.example.com@evil.example", false},
		{[]string{".example.com"}, "example.com", true},
		{[]string{".example.com"}, "www.example.com:80", true},
		{[]string{".example.com"}, "a.b.example.com", true},
		{[]string{".example.com"}, "badexample.com", false},
		{[]string{".localhost", "127.0.0.1", "[::1]"}, "localhost:8000", true},
		{[]string{".localhost", "127.0.0.1", "[::1]"}, "127.0.0.1:8000", true},
		{[]string{".localhost", "127.0.0.1", "[::1]"}, "[::1]:8000", true},
		{[]string{".localhost", "127.0.0.1", "[::1]"}, "[::1]", true},
		{[]string{".localhost", "127.0.0.1", "[::1]"}, "::1", false},
		{[]string{".localhost", "127.0.0.1", "[::1]"}, "[::1", false},
		{[]string{".localhost", "127.0.0.1", "[::1]"}, "[::2]", false},
		{[]string{".localhost", "127.0.0.1", "[::1]"}, "127.0.0.2", false},
		{[]string{"[2001:DB8::1]"}, "[2001:db8::1]:443", true},
		{[]string{"*"}, "anything.example:1", true},
		{[]string{"*"}, "", false},
		{[]string{"*"}, "bad host", false},
		{[]string{"*"}, "[zz::1]", false},
		{nil, "api.example.com", false},
	}
	for _, tt := range tests {
		a, err := Parse(tt.patterns)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.patterns, err)
		}
		if got := a.Allows(tt.host); got != tt.want {
			t.Errorf("%q allows %q = %v, want %v", tt.patterns, tt.host, got, tt.want)
		}
	}
	var none *Allowed
	if !none.Allows("anything.example") || none.Allows("bad host") {
		t.Error("the nil *Allowed does not allow exactly the well-formed hosts")
	}
}

func TestParseRefuses(t *testing.T) {
	for _, p := range []string{"", "*.example.com", "example.com:8000", "http://example.com", "example.com/", "::1", "[::1]:8000", "exa mple.com", ".", "example.com.", "..example.com"} {
		if _, err := Parse([]string{"localhost", p}); err == nil {
			t.Errorf("Parse accepted %q", p)
		}
	}
}

// Checking a host is on the path of every request.
func TestAllowsDoesNotAllocate(t *testing.T) {
	a, err := Parse([]string{"api.example.com", ".example.org", "[::1]"})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"api.example.com:8000", "www.example.org", "[::1]:80", "evil.example"} {
		if n := testing.AllocsPerRun(100, func() { a.Allows(host) }); n != 0 {
			t.Errorf("Allows(%q) allocates %.0f times", host, n)
		}
	}
}

func TestLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"0.0.0.0", false},
		{"", false},
		{"10.0.0.1", false},
		{"::", false},
		{"[::1]", false}, // a host without its port has no brackets
		{"localhost.example.com", false},
		{"LOCALHOST", false},
	}
	for _, tt := range tests {
		if got := Loopback(tt.host); got != tt.want {
			t.Errorf("Loopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}
