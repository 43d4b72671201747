package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"studentapi/auth"
	"studentapi/models"
)

// A login whose client goes away while it waits for a turn to hash a
// password (auth.Options.MaxHashes) is no internal error: 503, and nothing
// logged as a bug.
func TestLoginClientGoneWhileWaiting(t *testing.T) {
	var a *auth.Authenticator
	e := newEnv(t, func(d *Deps) {
		a = auth.New(d.DB, "Token", 4, auth.Options{MaxHashes: 1})
		d.Auth = a
	})
	slow := &models.User{Username: "slow", Email: "s@example.com", IsActive: true,
		Password: "pbkdf2_sha256$500000$somesalt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
	if err := e.db.CreateUser(t.Context(), slow); err != nil {
		t.Fatal(err)
	}
	login := func(ctx context.Context, username string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, "POST", "/gettoken/", strings.NewReader(`{"username":"`+username+`","password":"wrong"}`))
		req.Header.Set("Content-Type", "application/json")
		return e.serve(req)
	}
	first := make(chan int, 1)
	go func() { first <- login(context.Background(), "slow").Code }()
	for a.HashesRunning() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	w := login(ctx, "alice")
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("login whose client left while waiting: status %d, want 503; body %s", w.Code, w.Body)
	}
	if got := <-first; got != http.StatusBadRequest {
		t.Errorf("the login holding the turn: status %d, want 400", got)
	}
	if log := e.log.String(); strings.Contains(log, "internal error") {
		t.Errorf("log holds an internal error:\n%s", log)
	}
}
