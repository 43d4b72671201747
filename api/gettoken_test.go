package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"studentapi/models"
)

const aliceToken = `{"token":"{alice}","user_id":1,"email":"a@example.com"}`

// deleteToken removes a user's token row, as an admin revoking it would.
func deleteToken(username string) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		t.Helper()
		if _, err := e.raw.Exec("DELETE FROM tokens WHERE user_id = $1", e.users[username].ID); err != nil {
			t.Fatalf("delete token: %v", err)
		}
	}
}

// tokenCount counts the token rows of a user.
func (e *env) tokenCount(t *testing.T, username string) int {
	t.Helper()
	return e.count(t, "SELECT COUNT(*) FROM tokens WHERE user_id = $1", e.users[username].ID)
}

// CONTRACT section 3: POST /gettoken/.
func TestGetToken(t *testing.T) {
	login := func(name, contentType, body string, wantStatus int, wantBody string) scenario {
		return scenario{name: name, method: "POST", path: "/gettoken/", body: body, contentType: contentType,
			wantStatus: wantStatus, wantBody: wantBody, wantHeaders: headers("Allow", allowGetToken)}
	}
	withHeader := func(s scenario, kv ...string) scenario { s.header = kv; return s }
	const (
		required = `["This field is required."]`
		blank    = `["This field may not be blank."]`
	)
	runScenarios(t, []scenario{
		// The three body formats.
		login("JSON", jsonType, `{"username":"alice","password":"pw"}`, 200, aliceToken),
		login("form", formType, "username=alice&password=pw", 200, aliceToken),
		login("multipart", mpType, multipartBody("username", "alice", "password", "pw"), 200, aliceToken),
		login("JSON with extra fields", jsonType, `{"username":"alice","password":"pw","token":"x","user_id":9}`, 200, aliceToken),
		login("username trimmed", jsonType, `{"username":" alice ","password":"pw"}`, 200, aliceToken),
		login("form last duplicate wins", formType, "username=bob&password=nope&username=alice&password=pw", 200, aliceToken),
		login("JSON last duplicate wins", jsonType, `{"username":"bob","username":"alice","password":"pw"}`, 200, aliceToken),
		{name: "headers of a login", method: "POST", path: "/gettoken/", body: `{"username":"alice","password":"pw"}`, contentType: jsonType,
			wantStatus: 200, wantBody: aliceToken, wantHeaders: headers("Allow", allowGetToken, "Content-Type", jsonType, "Vary", "", "WWW-Authenticate", "")},

		// Any Authorization header is ignored.
		withHeader(login("bad token header ignored", jsonType, `{"username":"alice","password":"pw"}`, 200, aliceToken), "Authorization", "Token nope"),
		withHeader(login("malformed token header ignored", formType, "username=alice&password=pw", 200, aliceToken), "Authorization", "Token"),
		withHeader(login("another user's key ignored", jsonType, `{"username":"alice","password":"pw"}`, 200, aliceToken), "Authorization", "Token {bob}"),
		withHeader(login("two headers ignored", jsonType, `{"username":"alice","password":"pw"}`, 200, aliceToken), "Authorization", "Token a", "Authorization", "Token b"),
		withHeader(login("key does not replace a password", jsonType, `{"username":"alice","password":"no"}`, 400, bodyBadCredentials), "Authorization", "Token {alice}"),
		withHeader(login("cookie and no CSRF token", formType, "username=alice&password=pw", 200, aliceToken), "Cookie", "sessionid=abc; csrftoken=x"),

		// A user without a token gets a new one.
		{name: "token created when missing", method: "POST", path: "/gettoken/", setup: deleteToken("alice"),
			body: `{"username":"alice","password":"pw"}`, contentType: jsonType,
			wantStatus: 200, wantBody: `{"token":"`, bodyPrefix: true,
			check: func(t *testing.T, e *env) {
				if n := e.tokenCount(t, "alice"); n != 1 {
					t.Errorf("alice has %d tokens, want 1", n)
				}
			}},

		// Missing and blank fields.
		login("empty object", jsonType, `{}`, 400, `{"username":`+required+`,"password":`+required+`}`),
		login("empty body", "", "", 400, `{"username":`+required+`,"password":`+required+`}`),
		login("empty JSON body", jsonType, "", 400, `{"username":`+required+`,"password":`+required+`}`),
		login("empty form", formType, "", 400, `{"username":`+required+`,"password":`+required+`}`),
		login("password missing", jsonType, `{"username":"alice"}`, 400, `{"password":`+required+`}`),
		login("username missing", formType, "password=pw", 400, `{"username":`+required+`}`),
		login("multipart username missing", mpType, multipartBody("password", "pw"), 400, `{"username":`+required+`}`),
		login("both blank", jsonType, `{"username":"","password":""}`, 400, `{"username":`+blank+`,"password":`+blank+`}`),
		login("form both blank", formType, "username=&password=", 400, `{"username":`+blank+`,"password":`+blank+`}`),
		login("username only spaces", jsonType, `{"username":"  ","password":"pw"}`, 400, `{"username":`+blank+`}`),
		login("password of spaces is not blank", jsonType, `{"username":"alice","password":"  "}`, 400, bodyBadCredentials),
		login("null", jsonType, `{"username":null,"password":null}`, 400, `{"username":["This field may not be null."],"password":["This field may not be null."]}`),
		login("username a list", jsonType, `{"username":["alice"],"password":"pw"}`, 400, `{"username":["Not a valid string."]}`),

		// Bad credentials, one answer for all.
		login("wrong password", jsonType, `{"username":"alice","password":"PW"}`, 400, bodyBadCredentials),
		login("password with a trailing space", jsonType, `{"username":"alice","password":"pw "}`, 400, bodyBadCredentials),
		login("unknown user", jsonType, `{"username":"mallory","password":"pw"}`, 400, bodyBadCredentials),
		login("usernames are case-sensitive", jsonType, `{"username":"Alice","password":"pw"}`, 400, bodyBadCredentials),
		login("inactive user", jsonType, `{"username":"bob","password":"pw"}`, 400, bodyBadCredentials),
		login("inactive user, wrong password", formType, "username=bob&password=x", 400, bodyBadCredentials),
		login("SQL as username", jsonType, `{"username":"' OR '1'='1","password":"pw"}`, 400, bodyBadCredentials),

		// Bodies that are not objects, or not parseable.
		login("JSON array", jsonType, `[{"username":"alice","password":"pw"}]`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`),
		login("JSON int", jsonType, `1`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got int."]}`),
		login("JSON str", jsonType, `"alice"`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}`),
		login("JSON bool", jsonType, `false`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got bool."]}`),
		login("JSON float", jsonType, `1.5`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got float."]}`),
		login("JSON null", jsonType, `null`, 400, `{"non_field_errors":["No data provided"]}`),
		{name: "malformed JSON", method: "POST", path: "/gettoken/", body: `{"username":`, contentType: jsonType,
			wantStatus: 400, wantBody: `{"detail":"JSON parse error - `, bodyPrefix: true, wantHeaders: headers("Allow", allowGetToken)},
		login("text/plain", "text/plain", "username=alice&password=pw", 415, `{"detail":"Unsupported media type \"text/plain\" in request."}`),
		login("no Content-Type", "", "username=alice&password=pw", 415, `{"detail":"Unsupported media type \"\" in request."}`),

		// Other methods, negotiation and OPTIONS.
		{name: "GET", path: "/gettoken/", wantStatus: 405, wantBody: `{"detail":"Method \"GET\" not allowed."}`, wantHeaders: headers("Allow", allowGetToken)},
		{name: "GET with a key", path: "/gettoken/", token: "alice", wantStatus: 405, wantBody: `{"detail":"Method \"GET\" not allowed."}`, wantHeaders: headers("Allow", allowGetToken)},
		{name: "PUT", method: "PUT", path: "/gettoken/", body: `{"username":"alice","password":"pw"}`, contentType: jsonType,
			wantStatus: 405, wantBody: `{"detail":"Method \"PUT\" not allowed."}`, wantHeaders: headers("Allow", allowGetToken)},
		{name: "HEAD", method: "HEAD", path: "/gettoken/", wantStatus: 405, wantBody: `{"detail":"Method \"HEAD\" not allowed."}`, wantHeaders: headers("Allow", allowGetToken)},
		{name: "DELETE", method: "DELETE", path: "/gettoken/", wantStatus: 405, wantBody: `{"detail":"Method \"DELETE\" not allowed."}`, wantHeaders: headers("Allow", allowGetToken)},
		{name: "unknown method", method: "PROPFIND", path: "/gettoken/", wantStatus: 405, wantBody: `{"detail":"Method \"PROPFIND\" not allowed."}`, wantHeaders: headers("Allow", allowGetToken)},
		withHeader(login("Accept text/html", jsonType, `{"username":"alice","password":"pw"}`, 406, bodyNotAcceptable), "Accept", "text/html"),
		withHeader(login("Accept text/html with no body", "", "", 406, bodyNotAcceptable), "Accept", "text/html"),
		withHeader(login("Accept application/json", jsonType, `{"username":"alice","password":"pw"}`, 200, aliceToken), "Accept", "application/json"),
		withHeader(login("Accept html or anything", jsonType, `{"username":"alice","password":"pw"}`, 200, aliceToken), "Accept", "text/html,*/*;q=0.8"),
		{name: "format=json", method: "POST", path: "/gettoken/?format=json", body: `{"username":"alice","password":"pw"}`, contentType: jsonType,
			wantStatus: 200, wantBody: aliceToken},
		{name: "format=api is not offered", method: "POST", path: "/gettoken/?format=api", body: `{"username":"alice","password":"pw"}`, contentType: jsonType,
			wantStatus: 404, wantBody: bodyNotFound},
		{name: "OPTIONS", method: "OPTIONS", path: "/gettoken/", wantStatus: 200,
			wantBody:    `{"name":"Custom Auth Token","description":"","renders":["application/json"],"parses":["application/x-www-form-urlencoded","multipart/form-data","application/json"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"},"token":{"type":"string","required":false,"read_only":true,"label":"Token"}}}}`,
			wantHeaders: headers("Allow", allowGetToken)},
		{name: "without the slash", method: "POST", path: "/gettoken", body: `{"username":"alice","password":"pw"}`, contentType: jsonType,
			wantStatus: 308, wantHeaders: headers("Location", "/gettoken/")},
		{name: "GET without the slash", path: "/gettoken", wantStatus: 301, wantHeaders: headers("Location", "/gettoken/")},
	})
}

// CONTRACT section 6: /gettoken/ keeps DRF's default authentication
// classes, so a Basic header whose credentials fail is 403 with
// BasicAuthentication's detail and no WWW-Authenticate, whatever the body
// and the method; good Basic credentials leave the body to decide.
func TestGetTokenBasic(t *testing.T) {
	basic := func(userpass string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(userpass)) }
	forbidden := func(name, method, authorization, detail string) scenario {
		return scenario{name: name, method: method, path: "/gettoken/", body: `{"username":"alice","password":"pw"}`, contentType: jsonType,
			header: []string{"Authorization", authorization}, wantStatus: 403, wantBody: `{"detail":"` + detail + `"}`,
			wantHeaders: headers("Allow", allowGetToken, "WWW-Authenticate", "")}
	}
	runScenarios(t, []scenario{
		forbidden("wrong password", "POST", basic("alice:nope"), "Invalid username/password."),
		forbidden("unknown user", "POST", basic("nobody:pw"), "Invalid username/password."),
		forbidden("inactive user", "POST", basic("bob:pw"), "Invalid username/password."),
		forbidden("no colon", "POST", basic("alice"), "Invalid username/password."),
		forbidden("lower case scheme", "POST", "basic "+strings.TrimPrefix(basic("alice:nope"), "Basic "), "Invalid username/password."),
		forbidden("no credentials", "POST", "Basic", "Invalid basic header. No credentials provided."),
		forbidden("spaces", "POST", "Basic YQ== YQ==", "Invalid basic header. Credentials string should not contain spaces."),
		forbidden("not base64", "POST", "Basic YWxpY2U6cHc", "Invalid basic header. Credentials not correctly base64 encoded."),
		// Authentication comes before the method check.
		forbidden("GET", "GET", basic("alice:nope"), "Invalid username/password."),
		{name: "good credentials, the body decides", method: "POST", path: "/gettoken/", body: `{"username":"alice","password":"pw"}`, contentType: jsonType,
			header: []string{"Authorization", basic("alice:pw")}, wantStatus: 200, wantBody: aliceToken},
		{name: "good credentials, a wrong body", method: "POST", path: "/gettoken/", body: `{"username":"alice","password":"no"}`, contentType: jsonType,
			header: []string{"Authorization", basic("alice:pw")}, wantStatus: 400, wantBody: bodyBadCredentials},
		{name: "good credentials, GET is still 405", method: "GET", path: "/gettoken/",
			header: []string{"Authorization", basic("alice:pw")}, wantStatus: 405, wantBody: `{"detail":"Method \"GET\" not allowed."}`},
	})
}

// The user's existing token is returned, login after login; a new one is made
// only when there is none, and then kept.
func TestGetTokenSameKey(t *testing.T) {
	e := newEnv(t)
	login := scenario{method: "POST", path: "/gettoken/", body: `{"username":"alice","password":"pw"}`, contentType: jsonType,
		wantStatus: 200, wantBody: aliceToken}
	for range 3 {
		e.run(t, login)
	}
	deleteToken("alice")(t, e)
	first := e.run(t, scenario{method: "POST", path: "/gettoken/", body: "username=alice&password=pw", contentType: formType,
		wantStatus: 200, wantBody: `{"token":"`, bodyPrefix: true})
	key, ok := strings.CutPrefix(first.Body.String(), `{"token":"`)
	key, _, _ = strings.Cut(key, `"`)
	if !ok || len(key) != 40 || strings.Trim(key, "0123456789abcdef") != "" {
		t.Fatalf("new key %q is not 40 lower-case hex digits", key)
	}
	if key == e.keys["alice"] {
		t.Errorf("new key equals the deleted one")
	}
	e.keys["alice"] = key
	e.run(t, login)
	e.run(t, scenario{path: "/studentapi/1/", token: "alice", wantStatus: 200, wantBody: raviJSON})
	if n := e.tokenCount(t, "alice"); n != 1 {
		t.Errorf("alice has %d tokens, want 1", n)
	}
}

// Concurrent first logins through the router: every caller gets the same key,
// and one token row exists.
func TestGetTokenConcurrentFirstLogins(t *testing.T) {
	e := newEnv(t)
	deleteToken("alice")(t, e)
	const n = 16
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		codes [n]int
		keys  [n]string
	)
	for i := range n {
		wg.Go(func() {
			<-start
			req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader(`{"username":"alice","password":"pw"}`))
			req.Header.Set("Content-Type", jsonType)
			w := e.serve(req)
			codes[i] = w.Code
			keys[i] = w.Body.String()
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if codes[i] != http.StatusOK || keys[i] != keys[0] {
			t.Errorf("login %d: %d %s, want 200 %s", i, codes[i], keys[i], keys[0])
		}
	}
	if got := e.tokenCount(t, "alice"); got != 1 {
		t.Errorf("alice has %d tokens, want 1", got)
	}
	tok, err := e.db.TokenOf(context.Background(), e.users["alice"].ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"token":"` + tok.Key + `","user_id":1,"email":"a@example.com"}`; keys[0] != want {
		t.Errorf("body %s, want %s", keys[0], want)
	}
}

// user_id and email are the logged-in user's, whoever else exists.
func TestGetTokenUserFields(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, &models.User{Username: "carol.o+x@y", Email: "", IsActive: true}, "s3cret with spaces")
	e.run(t, scenario{method: "POST", path: "/gettoken/", body: "username=carol.o%2Bx%40y&password=s3cret+with+spaces", contentType: formType,
		wantStatus: 200, wantBody: `{"token":"{carol.o+x@y}","user_id":3,"email":""}`})
	e.run(t, scenario{method: "POST", path: "/gettoken/", body: `{"username":"bob","password":"pw"}`, contentType: jsonType,
		wantStatus: 400, wantBody: bodyBadCredentials})
}
