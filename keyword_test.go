package main

import (
	"net/http"
	"testing"
	"time"
)

// auth.keyword as a list: the server reads a key after any of its words and
// challenges with the first; with the default only Token is read.
func TestServeKeywords(t *testing.T) {
	tests := []struct {
		name          string
		keyword       string // STUDENTAPI_AUTH_KEYWORD; empty is the default
		accepted      []string
		refused       []string
		wantChallenge string
	}{
		{name: "default", accepted: []string{"Token", "token"}, refused: []string{"Bearer"}, wantChallenge: "Token"},
		{name: "token and bearer", keyword: "Token,Bearer", accepted: []string{"Token", "Bearer", "bearer"}, refused: []string{"Basic"}, wantChallenge: "Token"},
		{name: "bearer first", keyword: "Bearer, Token", accepted: []string{"Bearer", "Token"}, refused: []string{"Key"}, wantChallenge: "Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			if tt.keyword != "" {
				c.env["STUDENTAPI_AUTH_KEYWORD"] = tt.keyword
			}
			c.createUser(t, "createuser", "alice", "pw")
			db := c.openDB(t)
			key := mustToken(t, db, mustUser(t, db, "alice"))
			s := startServer(t, c)
			client := &http.Client{Timeout: 10 * time.Second}
			for _, scheme := range tt.accepted {
				resp, body := do(t, client, "GET", s.url+"/studentapi/", "", http.Header{"Authorization": {scheme + " " + key}})
				checkStatus(t, resp, body, http.StatusOK)
			}
			for _, scheme := range tt.refused {
				resp, body := do(t, client, "GET", s.url+"/studentapi/", "", http.Header{"Authorization": {scheme + " " + key}})
				checkStatus(t, resp, body, http.StatusUnauthorized)
				if got := resp.Header.Get("WWW-Authenticate"); got != tt.wantChallenge {
					t.Errorf("%s: WWW-Authenticate = %q, want %q", scheme, got, tt.wantChallenge)
				}
			}
		})
	}
}
