package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"studentapi/auth"
	"studentapi/models"
)

// CONTRACT section 2: the Authorization header, row by row, on the list
// endpoint. Every 401 also carries WWW-Authenticate (checked by run).
func TestAuthentication(t *testing.T) {
	unauthorized := func(name, value, body string) scenario {
		return scenario{
			name: name, path: "/studentapi/", header: []string{"Authorization", value},
			wantStatus: http.StatusUnauthorized, wantBody: body,
			wantHeaders: headers("WWW-Authenticate", "Token", "Allow", allowList),
		}
	}
	ok := func(name, value string) scenario {
		return scenario{
			name: name, path: "/studentapi/", header: []string{"Authorization", value},
			wantStatus: http.StatusOK, wantBody: "[" + raviJSON + "," + sonamJSON + "]",
			wantHeaders: headers("WWW-Authenticate", ""),
		}
	}
	revoke := func(t *testing.T, e *env) {
		t.Helper()
		e.keys["old"] = e.keys["alice"]
		key, err := auth.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.ReplaceToken(context.Background(), e.users["alice"].ID, key); err != nil {
			t.Fatalf("replace token: %v", err)
		}
		e.keys["alice"] = key
	}
	// Someone who can write the database but lacks the secret moves the
	// row of a key they hold (carol's) to another user (dave).
	moveRow := func(t *testing.T, e *env) {
		t.Helper()
		for _, name := range []string{"carol", "dave"} {
			e.addUser(t, &models.User{Username: name, Email: name[:1] + "@example.com", IsActive: true}, "pw")
		}
		for _, stmt := range []struct {
			sql  string
			args []any
		}{
			{"DELETE FROM tokens WHERE user_id = $1", []any{e.users["dave"].ID}},
			{"UPDATE tokens SET user_id = $1 WHERE user_id = $2", []any{e.users["dave"].ID, e.users["carol"].ID}},
		} {
			if _, err := e.raw.Exec(stmt.sql, stmt.args...); err != nil {
				t.Fatalf("%s: %v", stmt.sql, err)
			}
		}
	}
	tests := []scenario{
		// Anonymous.
		{name: "no header", path: "/studentapi/", wantStatus: 401, wantBody: bodyNotProvided,
			wantHeaders: headers("WWW-Authenticate", "Token", "Allow", allowList)},
		unauthorized("empty header", "", bodyNotProvided),
		unauthorized("only spaces", "   ", bodyNotProvided),
		unauthorized("Bearer scheme", "Bearer {alice}", bodyNotProvided),
		unauthorized("Basic scheme", "Basic YWxpY2U6cHc=", bodyNotProvided),
		unauthorized("keyword glued to the key", "Token{alice}", bodyNotProvided),
		unauthorized("keyword with a colon", "Token: {alice}", bodyNotProvided),
		unauthorized("Kelvin sign is not folded to k", "To\u212Aen {alice}", bodyNotProvided),
		unauthorized("Kelvin sign, lower case around it", "to\u212Aen {alice}", bodyNotProvided),
		unauthorized("NBSP does not split", "Token\u00a0{alice}", bodyNotProvided),
		unauthorized("fullwidth keyword", "Ｔｏｋｅｎ {alice}", bodyNotProvided),

		// The keyword, ASCII case-insensitively, and ASCII white space.
		ok("Token", "Token {alice}"),
		ok("lower case keyword", "token {alice}"),
		ok("upper case keyword", "TOKEN {alice}"),
		ok("mixed case keyword", "tOkEn {alice}"),
		ok("run of spaces", "Token    {alice}"),
		ok("tab", "Token\t{alice}"),
		ok("spaces and tabs around", " \tToken \t {alice}\t "),

		// Malformed headers.
		unauthorized("keyword alone", "Token", `{"detail":"Invalid token header. No credentials provided."}`),
		unauthorized("keyword and spaces", "Token   ", `{"detail":"Invalid token header. No credentials provided."}`),
		unauthorized("three words", "Token abc def", `{"detail":"Invalid token header. Token string should not contain spaces."}`),
		unauthorized("good key and another word", "Token {alice} x", `{"detail":"Invalid token header. Token string should not contain spaces."}`),
		unauthorized("invalid UTF-8", "Token \xff\xfe", `{"detail":"Invalid token header. Token string should not contain invalid characters."}`),
		unauthorized("invalid UTF-8 after a good key", "Token {alice}\xc3", `{"detail":"Invalid token header. Token string should not contain invalid characters."}`),

		// Keys that match no token.
		unauthorized("wrong key", "Token 0123456789abcdef0123456789abcdef01234567", bodyInvalidToken),
		unauthorized("short key", "Token abc", bodyInvalidToken),
		{name: "upper-cased key", path: "/studentapi/", header: []string{"Authorization", "Token {ALICE}"},
			setup:      func(t *testing.T, e *env) { e.keys["ALICE"] = strings.ToUpper(e.keys["alice"]) },
			wantStatus: 401, wantBody: bodyInvalidToken},
		unauthorized("key and NBSP", "Token {alice}\u00a0", bodyInvalidToken),
		unauthorized("non-ASCII key", "Token ключ", bodyInvalidToken),
		unauthorized("SQL in the key", "Token '||'1'='1", bodyInvalidToken),
		{name: "revoked key", path: "/studentapi/", header: []string{"Authorization", "Token {old}"}, setup: revoke,
			wantStatus: 401, wantBody: bodyInvalidToken, wantHeaders: headers("WWW-Authenticate", "Token")},
		{name: "replacement key works", path: "/studentapi/1/", header: []string{"Authorization", "Token {alice}"}, setup: revoke,
			wantStatus: 200, wantBody: raviJSON},
		{name: "deleted user's key", path: "/studentapi/", token: "alice",
			setup: func(t *testing.T, e *env) {
				if err := e.db.DeleteUser(context.Background(), "alice"); err != nil {
					t.Fatalf("delete user: %v", err)
				}
			},
			wantStatus: 401, wantBody: bodyInvalidToken},
		{name: "token row deleted", path: "/studentapi/", token: "alice",
			setup: func(t *testing.T, e *env) {
				if _, err := e.raw.Exec("DELETE FROM tokens WHERE user_id = $1", e.users["alice"].ID); err != nil {
					t.Fatal(err)
				}
			},
			wantStatus: 401, wantBody: bodyInvalidToken},
		{name: "token row moved to another user", path: "/studentapi/", token: "carol", setup: moveRow,
			wantStatus: 401, wantBody: bodyInvalidToken},
		{name: "untouched key after a row was moved", path: "/studentapi/1/", token: "alice", setup: moveRow,
			wantStatus: 200, wantBody: raviJSON},

		// Inactive users.
		{name: "inactive user", path: "/studentapi/", token: "bob",
			wantStatus: 401, wantBody: `{"detail":"User inactive or deleted."}`, wantHeaders: headers("WWW-Authenticate", "Token")},
		{name: "user deactivated after login", path: "/studentapi/", token: "alice",
			setup: func(t *testing.T, e *env) {
				inactive := false
				if err := e.db.ChangeUser(context.Background(), e.users["alice"].ID, models.UserChange{IsActive: &inactive}); err != nil {
					t.Fatal(err)
				}
			},
			wantStatus: 401, wantBody: `{"detail":"User inactive or deleted."}`},
		{name: "inactive user on a write", method: http.MethodPost, path: "/studentapi/", token: "bob",
			body: `{"name":"X","roll":1,"city":"Y"}`, contentType: jsonType,
			wantStatus: 401, wantBody: `{"detail":"User inactive or deleted."}`},

		// Section 8: several Authorization headers are malformed, whatever they hold.
		{name: "two good headers", path: "/studentapi/", header: []string{"Authorization", "Token {alice}", "Authorization", "Token {alice}"},
			wantStatus: 401, wantBody: `{"detail":"Invalid token header. Token string should not contain spaces."}`},
		{name: "good header then a bad one", path: "/studentapi/", header: []string{"Authorization", "Token {alice}", "Authorization", "Token nope"},
			wantStatus: 401, wantBody: `{"detail":"Invalid token header. Token string should not contain spaces."}`},
		{name: "another scheme then a good header", path: "/studentapi/", header: []string{"Authorization", "Basic YQ==", "Authorization", "Token {alice}"},
			wantStatus: 401, wantBody: `{"detail":"Invalid token header. Token string should not contain spaces."}`},
		{name: "two headers on a write", method: http.MethodPost, path: "/studentapi/",
			header: []string{"Authorization", "Token {alice}", "Authorization", "Token {bob}"},
			body:   `{"name":"X","roll":1,"city":"Y"}`, contentType: jsonType,
			wantStatus: 401, wantBody: `{"detail":"Invalid token header. Token string should not contain spaces."}`},

		// The handler sees the user: a good key can write.
		{name: "good key writes", method: http.MethodPost, path: "/studentapi/", token: "alice",
			body: `{"name":"X","roll":1,"city":"Y"}`, contentType: jsonType,
			wantStatus: 201, wantBody: `{"id":3,"name":"X","roll":1,"city":"Y"}`},
	}
	runScenarios(t, tests)
}

// Every 401 on every endpoint and method carries the challenge and the view's
// Allow header.
func TestUnauthorizedEverywhere(t *testing.T) {
	var tests []scenario
	for _, path := range []string{"/studentapi/", "/studentapi/1/", "/studentapi/99/", "/studentapi/abc/", "/studentapi.json", "/studentapi/1.json"} {
		allow := allowDetail
		if path == "/studentapi/" || path == "/studentapi.json" {
			allow = allowList
		}
		for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"} {
			// For HEAD the recorder keeps the body that net/http drops (see
			// TestHeadOverTheWire).
			tests = append(tests, scenario{
				name: method + " " + path, method: method, path: path,
				body: `{"name":"X","roll":1,"city":"Y"}`, contentType: jsonType,
				wantStatus: 401, wantBody: bodyNotProvided,
				wantHeaders: headers("WWW-Authenticate", "Token", "Allow", allow),
			})
		}
	}
	runScenarios(t, tests)
}

// The keyword is configurable: a router built for "Bearer" reads only that.
func TestAuthKeywordConfigurable(t *testing.T) {
	list := "[" + raviJSON + "," + sonamJSON + "]"
	runScenarios(t, []scenario{
		{name: "Bearer key", path: "/studentapi/", header: []string{"Authorization", "Bearer {alice}"},
			wantStatus: 200, wantBody: list},
		{name: "bearer lower case", path: "/studentapi/", header: []string{"Authorization", "bearer {alice}"},
			wantStatus: 200, wantBody: list},
		{name: "Token is now another scheme", path: "/studentapi/", header: []string{"Authorization", "Token {alice}"},
			wantStatus: 401, wantBody: bodyNotProvided, wantHeaders: headers("WWW-Authenticate", "Bearer")},
		{name: "Bearer alone", path: "/studentapi/", header: []string{"Authorization", "Bearer"},
			wantStatus: 401, wantBody: `{"detail":"Invalid token header. No credentials provided."}`, wantHeaders: headers("WWW-Authenticate", "Bearer")},
		{name: "Bearer wrong key", path: "/studentapi/", header: []string{"Authorization", "Bearer nope"},
			wantStatus: 401, wantBody: bodyInvalidToken, wantHeaders: headers("WWW-Authenticate", "Bearer")},
		{name: "no header", path: "/studentapi/",
			wantStatus: 401, wantBody: bodyNotProvided, wantHeaders: headers("WWW-Authenticate", "Bearer")},
		{name: "token field uses the keyword", path: "/studentapi/1/", token: "alice", wantStatus: 200, wantBody: raviJSON},
	}, withKeyword("Bearer"))
}
