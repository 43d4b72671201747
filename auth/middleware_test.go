package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/models"
)

func TestMain(m *testing.M) {
	// Keep gin's debug route listing out of test output (and Example output).
	gin.SetMode(gin.TestMode)
	m.Run()
}

// seen is what a request left behind: what the handler saw, if it ran, and the
// errors recorded for the router's error writer.
type seen struct {
	reached bool
	user    *models.User
	token   *models.Token
	check   error
	errs    []error
}

// newEngine serves /open (anyone) and /private (auth.Required) behind the
// Authenticator's middleware and reports each request into got.
func newEngine(a *auth.Authenticator, got *seen) *gin.Engine {
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		for _, e := range c.Errors {
			got.errs = append(got.errs, e.Err)
		}
	})
	r.Use(a.Middleware())
	handler := func(c *gin.Context) {
		got.reached = true
		got.user = auth.User(c)
		got.token = auth.Token(c)
		got.check = auth.Check(c)
		c.Status(http.StatusNoContent)
	}
	r.GET("/open", handler)
	r.GET("/private", auth.Required(), handler)
	return r
}

func TestMiddlewareAndRequired(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{})
	alice := newUser(t, db, "alice", true)
	aliceKey := tokenFor(t, a, alice)
	bobKey := tokenFor(t, a, newUser(t, db, "bob", false))

	tests := []struct {
		name        string
		path        string
		header      []string
		wantReached bool
		wantUser    bool  // the handler sees alice and her token
		wantCheck   error // what auth.Check says in the handler
		wantErr     error // what Required recorded in c.Errors
	}{
		{name: "private anonymous", path: "/private", wantErr: auth.ErrNotAuthenticated},
		{name: "private other scheme", path: "/private", header: []string{"Basic eDp5"}, wantErr: auth.ErrNotAuthenticated},
		{name: "private good key", path: "/private", header: header(aliceKey), wantReached: true, wantUser: true},
		{name: "private unknown key", path: "/private", header: header(bobKey[:20]), wantErr: auth.ErrInvalidToken},
		{name: "private inactive", path: "/private", header: header(bobKey), wantErr: auth.ErrInactive},
		{name: "private keyword alone", path: "/private", header: []string{"Token"}, wantErr: auth.ErrNoCredentials},
		{name: "private two headers", path: "/private", header: []string{"Token " + aliceKey, "Token " + aliceKey}, wantErr: auth.ErrSpaces},
		{name: "open anonymous", path: "/open", wantReached: true, wantCheck: auth.ErrNotAuthenticated},
		{name: "open bad key", path: "/open", header: header(bobKey[:20]), wantReached: true, wantCheck: auth.ErrInvalidToken},
		{name: "open inactive", path: "/open", header: header(bobKey), wantReached: true, wantCheck: auth.ErrInactive},
		{name: "open good key", path: "/open", header: header(aliceKey), wantReached: true, wantUser: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			r := newEngine(a, &got)
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, tt.path, nil)
			for _, v := range tt.header {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)

			if got.reached != tt.wantReached {
				t.Fatalf("handler reached = %v, want %v", got.reached, tt.wantReached)
			}
			if !tt.wantReached && rec.Body.Len() != 0 {
				t.Errorf("Required wrote a body %q; the error writer owns the response", rec.Body)
			}
			switch {
			case tt.wantErr == nil && len(got.errs) != 0:
				t.Errorf("c.Errors = %v, want none", got.errs)
			case tt.wantErr != nil && (len(got.errs) != 1 || !errors.Is(got.errs[0], tt.wantErr)):
				t.Errorf("c.Errors = %v, want [%v]", got.errs, tt.wantErr)
			}
			if !tt.wantReached {
				return
			}
			if !errors.Is(got.check, tt.wantCheck) {
				t.Errorf("Check = %v, want %v", got.check, tt.wantCheck)
			}
			if tt.wantUser {
				if got.user == nil || got.user.ID != alice.ID {
					t.Errorf("User = %+v, want alice", got.user)
				}
				if got.token == nil || got.token.Key != aliceKey {
					t.Errorf("Token = %+v, want key %q", got.token, aliceKey)
				}
			} else if got.user != nil || got.token != nil {
				t.Errorf("User, Token = %+v, %+v; want nil, nil", got.user, got.token)
			}
		})
	}
}

func TestRequiredDatabaseFailure(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{})
	key := tokenFor(t, a, newUser(t, db, "alice", true))

	var got seen
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/private", nil)
	req.Header.Set("Authorization", "Token "+key)
	newEngine(a, &got).ServeHTTP(httptest.NewRecorder(), req)

	if got.reached {
		t.Fatal("handler reached although the token could not be checked")
	}
	var f *auth.Failure
	if len(got.errs) != 1 || errors.As(got.errs[0], &f) {
		t.Errorf("c.Errors = %v, want one database error (not a 401 failure)", got.errs)
	}
}

func TestAccessorsWithoutMiddleware(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Set("user", &models.User{Username: "mallory"})
	if u := auth.User(c); u != nil {
		t.Errorf("User = %+v, want nil", u)
	}
	if tok := auth.Token(c); tok != nil {
		t.Errorf("Token = %+v, want nil", tok)
	}
	if err := auth.Check(c); !errors.Is(err, auth.ErrNotAuthenticated) {
		t.Errorf("Check = %v, want %v", err, auth.ErrNotAuthenticated)
	}
}
