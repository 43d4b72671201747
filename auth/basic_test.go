package auth_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"studentapi/auth"
)

func TestParseBasic(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	for _, tc := range []struct {
		name               string
		values             []string
		wantUser, wantPass string
		wantErr            error // nil with anonymous false: credentials read
		anonymous          bool
	}{
		{name: "absent", anonymous: true},
		{name: "token scheme", values: []string{"Token abc"}, anonymous: true},
		{name: "empty", values: []string{""}, anonymous: true},
		{name: "good", values: []string{"Basic " + b64([]byte("alice:pw"))}, wantUser: "alice", wantPass: "pw"},
		{name: "any case, tabs", values: []string{"bAsIc\t" + b64([]byte("alice:pw"))}, wantUser: "alice", wantPass: "pw"},
		{name: "colon in the password", values: []string{"Basic " + b64([]byte("alice:p:w"))}, wantUser: "alice", wantPass: "p:w"},
		{name: "no colon is an empty password", values: []string{"Basic " + b64([]byte("alice"))}, wantUser: "alice"},
		{name: "latin-1", values: []string{"Basic " + b64([]byte("j\xf6rg:pw"))}, wantUser: "jörg", wantPass: "pw"},
		{name: "utf-8", values: []string{"Basic " + b64([]byte("jörg:pw"))}, wantUser: "jörg", wantPass: "pw"},
		{name: "characters outside the alphabet are dropped", values: []string{"Basic YWxp!Y2U6cHc="}, wantUser: "alice", wantPass: "pw"},
		{name: "alone", values: []string{"Basic"}, wantErr: auth.ErrBasicNoCredentials},
		{name: "spaces", values: []string{"Basic YQ== YQ=="}, wantErr: auth.ErrBasicSpaces},
		{name: "two headers are one with a comma", values: []string{"Basic YQ==", "Basic YQ=="}, wantErr: auth.ErrBasicSpaces},
		{name: "bad padding", values: []string{"Basic YWxpY2U6cHc"}, wantErr: auth.ErrBasicEncoding},
		{name: "nothing of the alphabet is empty credentials", values: []string{"Basic !!!"}},
		{name: "a lone byte", values: []string{"Basic Y"}, wantErr: auth.ErrBasicEncoding},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, pass, err := auth.ParseBasic(tc.values)
			switch {
			case tc.anonymous:
				if !auth.IsAnonymous(err) {
					t.Fatalf("err = %v, want anonymous", err)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			case user != tc.wantUser || pass != tc.wantPass:
				t.Errorf("got %q, %q; want %q, %q", user, pass, tc.wantUser, tc.wantPass)
			}
		})
	}
}
