package main

import (
	"net/http/httptest"
	"testing"
)

func TestClientIPFunc(t *testing.T) {
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
		if got := clientIPFunc(tt.trusted)(r); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}
