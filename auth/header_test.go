package auth_test

import (
	"errors"
	"strings"
	"testing"

	"studentapi/auth"
)

func TestParseHeader(t *testing.T) {
	const key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
	tests := []struct {
		name     string
		values   []string
		keywords []string // ["Token"] when empty
		wantKey  string
		wantAnon bool
		wantErr  error
	}{
		// Anonymous: no header, or a first word that is not the keyword.
		{name: "absent", values: nil, wantAnon: true},
		{name: "empty value", values: []string{""}, wantAnon: true},
		{name: "only spaces", values: []string{" \t "}, wantAnon: true},
		{name: "bearer", values: []string{"Bearer x"}, wantAnon: true},
		{name: "basic", values: []string{"Basic dXNlcjpwYXNz"}, wantAnon: true},
		{name: "no space after keyword", values: []string{"Token" + key}, wantAnon: true},
		{name: "longer keyword", values: []string{"Tokens " + key}, wantAnon: true},
		{name: "kelvin sign", values: []string{"To\u212Aen x"}, wantAnon: true},
		{name: "kelvin sign upper", values: []string{"TO\u212AEN " + key}, wantAnon: true},
		{name: "nbsp does not split", values: []string{"Token\u00a0" + key}, wantAnon: true},
		{name: "em space does not split", values: []string{"Token\u2003" + key}, wantAnon: true},
		{name: "invalid UTF-8 keyword", values: []string{"Tok\xffn " + key}, wantAnon: true},

		// The keyword, ASCII case-insensitively, then exactly one word.
		{name: "canonical", values: []string{"Token " + key}, wantKey: key},
		{name: "lower case keyword", values: []string{"token " + key}, wantKey: key},
		{name: "upper case keyword", values: []string{"TOKEN " + key}, wantKey: key},
		{name: "mixed case keyword", values: []string{"tOkEn " + key}, wantKey: key},
		{name: "tab", values: []string{"Token\t" + key}, wantKey: key},
		{name: "run of spaces", values: []string{"Token     " + key}, wantKey: key},
		{name: "spaces and tabs around", values: []string{" \t Token \t\t " + key + " \t "}, wantKey: key},
		{name: "vertical tab and form feed", values: []string{"Token\v\f" + key}, wantKey: key},
		{name: "key is not checked here", values: []string{"Token abc"}, wantKey: "abc"},
		{name: "nbsp stays in the key", values: []string{"Token a\u00a0b"}, wantKey: "a\u00a0b"},
		{name: "trailing nbsp stays in the key", values: []string{"Token " + key + "\u00a0"}, wantKey: key + "\u00a0"},

		// Malformed token headers.
		{name: "keyword alone", values: []string{"Token"}, wantErr: auth.ErrNoCredentials},
		{name: "keyword and spaces", values: []string{"token \t "}, wantErr: auth.ErrNoCredentials},
		{name: "three words", values: []string{"Token a b"}, wantErr: auth.ErrSpaces},
		{name: "three words with tab", values: []string{"Token a\tb"}, wantErr: auth.ErrSpaces},
		{name: "many words", values: []string{"Token " + strings.Repeat("a ", 10)}, wantErr: auth.ErrSpaces},
		{name: "invalid UTF-8 key", values: []string{"Token \xff\xfe"}, wantErr: auth.ErrInvalidChars},
		{name: "invalid UTF-8 inside key", values: []string{"Token abc\xc3("}, wantErr: auth.ErrInvalidChars},
		{name: "two headers", values: []string{"Token " + key, "Token " + key}, wantErr: auth.ErrSpaces},
		{name: "two headers, first another scheme", values: []string{"Basic x", "Token " + key}, wantErr: auth.ErrSpaces},
		{name: "two headers, second empty", values: []string{"Token " + key, ""}, wantErr: auth.ErrSpaces},

		// The keyword is configurable.
		{name: "bearer keyword", keywords: []string{"Bearer"}, values: []string{"Bearer " + key}, wantKey: key},
		{name: "bearer keyword lower case", keywords: []string{"Bearer"}, values: []string{"bearer " + key}, wantKey: key},
		{name: "bearer keyword, Token header", keywords: []string{"Bearer"}, values: []string{"Token " + key}, wantAnon: true},
		{name: "bearer keyword alone", keywords: []string{"Bearer"}, values: []string{"Bearer"}, wantErr: auth.ErrNoCredentials},

		// Several keywords: any of them, each ASCII case-insensitively.
		{name: "first of two keywords", keywords: []string{"Token", "Bearer"}, values: []string{"Token " + key}, wantKey: key},
		{name: "second of two keywords", keywords: []string{"Token", "Bearer"}, values: []string{"bearer " + key}, wantKey: key},
		{name: "none of two keywords", keywords: []string{"Token", "Bearer"}, values: []string{"Basic " + key}, wantAnon: true},
		{name: "second keyword alone", keywords: []string{"Token", "Bearer"}, values: []string{"Bearer"}, wantErr: auth.ErrNoCredentials},
		{name: "second keyword, three words", keywords: []string{"Token", "Bearer"}, values: []string{"Bearer a b"}, wantErr: auth.ErrSpaces},
		{name: "no keywords", keywords: []string{}, values: []string{"Token " + key}, wantAnon: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keywords := tt.keywords
			if keywords == nil {
				keywords = []string{"Token"}
			}
			got, err := auth.ParseHeader(tt.values, keywords...)
			switch {
			case tt.wantAnon:
				if !auth.IsAnonymous(err) {
					t.Errorf("ParseHeader(%q) = %q, %v; want anonymous", tt.values, got, err)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("ParseHeader(%q) = %q, %v; want %v", tt.values, got, err, tt.wantErr)
				}
				if auth.IsAnonymous(err) {
					t.Errorf("ParseHeader(%q): a malformed header counts as anonymous", tt.values)
				}
			default:
				if err != nil || got != tt.wantKey {
					t.Errorf("ParseHeader(%q) = %q, %v; want %q, nil", tt.values, got, err, tt.wantKey)
				}
			}
		})
	}
}

func TestFailuresCarryDRFMessages(t *testing.T) {
	tests := []struct {
		err  *auth.Failure
		want string
	}{
		{auth.ErrNotAuthenticated, "Authentication credentials were not provided."},
		{auth.ErrNoCredentials, "Invalid token header. No credentials provided."},
		{auth.ErrSpaces, "Invalid token header. Token string should not contain spaces."},
		{auth.ErrInvalidChars, "Invalid token header. Token string should not contain invalid characters."},
		{auth.ErrInvalidToken, "Invalid token."},
		{auth.ErrInactive, "User inactive or deleted."},
	}
	for _, tt := range tests {
		if tt.err.Detail != tt.want {
			t.Errorf("Detail = %q, want %q", tt.err.Detail, tt.want)
		}
		var f *auth.Failure
		if wrapped := errors.Join(errors.New("context"), tt.err); !errors.As(wrapped, &f) || f != tt.err {
			t.Errorf("errors.As did not find %v", tt.err)
		}
	}
	if auth.IsAnonymous(nil) {
		t.Error("IsAnonymous(nil) = true")
	}
}
