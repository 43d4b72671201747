package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"

	"studentapi/models"
)

// pauseAfter is a models.Options.Log writer that, once armed, holds up the
// first statement matching re right after it ran: it closes reached and
// waits for release. It lets a test put a change exactly between what a
// request read and what it writes next, on the real code path. The request
// it holds up must run on a handle of its own (fixture.twin): while it waits
// it holds that handle's logger.
type pauseAfter struct {
	re *regexp.Regexp

	mu               sync.Mutex
	armed            bool
	reached, release chan struct{}
}

func (p *pauseAfter) arm() (reached, release chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed, p.reached, p.release = true, make(chan struct{}), make(chan struct{})
	return p.reached, p.release
}

func (p *pauseAfter) Write(b []byte) (int, error) {
	p.mu.Lock()
	hit := p.armed && p.re.Match(b)
	if hit {
		p.armed = false
	}
	reached, release := p.reached, p.release
	p.mu.Unlock()
	if hit {
		close(reached)
		<-release
	}
	return len(b), nil
}

// during sends r through f's twin, whose statements go through p, and runs
// change while the request is held after the statement p waits for; it
// returns the request's answer.
func during(t *testing.T, p *pauseAfter, twin *fixture, r func(*fixture) *httptest.ResponseRecorder, change func()) *httptest.ResponseRecorder {
	t.Helper()
	reached, release := p.arm()
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- r(twin) }()
	select {
	case <-reached:
	case w := <-done:
		close(release)
		t.Fatalf("the request ended without running the statement the test waits for: %d %s", w.Code, w.Body)
	}
	change()
	close(release)
	return <-done
}

// live reports whether the session a response's cookie names is in the
// table (SessionByID does not care whether its user may still sign in).
func live(t *testing.T, f *fixture, w *httptest.ResponseRecorder) bool {
	t.Helper()
	c := sessionCookie(w)
	if c == nil {
		return false
	}
	_, err := f.db.SessionByID(context.Background(), c.Value)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// TestLoginRacingAChangeKeepsTheChange is issue 13 item 3: an admin login
// reads the user, checks the password, and then writes; a deactivation, a
// password reset or a demotion that lands in between must stay, and must not
// be outlived by a session the login creates. Each change is put in the
// window, through the admin's own pages, several times.
func TestLoginRacingAChangeKeepsTheChange(t *testing.T) {
	const newPassword = "the password after the reset"
	tests := []struct {
		name      string
		super     bool                               // the racing user is a superuser
		path      string                             // the boss's POST, under /admin/users/{id}/
		form      url.Values                         // its fields, besides csrf
		wantLogin bool                               // the racing login may still sign in
		kept      func(u *models.User) (bool, error) // the change is still there
	}{
		{"deactivation", false, "", url.Values{"is_staff": {"on"}}, false,
			func(u *models.User) (bool, error) { return !u.IsActive, nil }},
		{"password reset", false, "password/", url.Values{"password1": {newPassword}, "password2": {newPassword}}, false,
			func(u *models.User) (bool, error) { return u.CheckPassword(newPassword) }},
		{"demotion from staff", false, "", url.Values{"is_active": {"on"}}, false,
			func(u *models.User) (bool, error) { return !u.IsStaff, nil }},
		{"demotion from superuser", true, "", url.Values{"is_active": {"on"}, "is_staff": {"on"}}, true,
			func(u *models.User) (bool, error) { return !u.IsSuperuser && u.IsStaff, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.user("boss", true, true, true)
			bc, bt := f.login("boss")
			p := &pauseAfter{re: regexp.MustCompile(`users.? WHERE username = `)}
			twin := f.twin(p)
			for round := range 5 {
				name := fmt.Sprintf("racer%d", round)
				u := f.user(name, true, tt.super, true)
				login := func(site *fixture) *httptest.ResponseRecorder {
					return site.do("POST", "/admin/login/", url.Values{"username": {name}, "password": {password}}, nil, nil)
				}
				form := url.Values{"csrf": {bt}}
				for k, v := range tt.form {
					form[k] = v
				}
				w := during(t, p, twin, login, func() {
					if w := f.do("POST", "/admin/users/"+itoa(u.ID)+"/"+tt.path, form, bc, nil); w.Code != http.StatusSeeOther {
						t.Fatalf("round %d: the boss's change: got %d: %s", round, w.Code, w.Body)
					}
				})
				got, err := f.db.UserByID(context.Background(), u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if kept, err := tt.kept(got); err != nil || !kept {
					t.Errorf("round %d: the %s was undone by the racing login (%v): active %v staff %v superuser %v", round, tt.name, err, got.IsActive, got.IsStaff, got.IsSuperuser)
				}
				if signedIn := live(t, f, w); signedIn != tt.wantLogin {
					t.Errorf("round %d: racing login has a session: %v, want %v (answer %d)", round, signedIn, tt.wantLogin, w.Code)
				}
				if tt.wantLogin && got.LastLogin == nil {
					t.Errorf("round %d: last_login not set by a login that went through", round)
				}
			}
		})
	}
}

// TestUserEditRacingAPasswordResetKeepsIt: the change-user form writes the
// columns it edits, not the row it read, so a password set meanwhile (or a
// login's last_login) stays.
func TestUserEditRacingAPasswordResetKeepsIt(t *testing.T) {
	const newPassword = "the password after the reset"
	f := newFixture(t, nil)
	f.user("boss", true, true, true)
	f.user("boss2", true, true, true)
	bc, bt := f.login("boss")
	p := &pauseAfter{re: regexp.MustCompile(`users.? WHERE id = `)}
	twin := f.twin(p)
	c2, t2 := twin.login("boss2")
	for round := range 5 {
		u := f.user(fmt.Sprintf("edited%d", round), false, false, true)
		email := fmt.Sprintf("new%d@example.com", round)
		edit := func(site *fixture) *httptest.ResponseRecorder {
			return site.do("POST", "/admin/users/"+itoa(u.ID)+"/", url.Values{"csrf": {t2}, "email": {email}, "is_active": {"on"}}, c2, nil)
		}
		w := during(t, p, twin, edit, func() {
			form := url.Values{"csrf": {bt}, "password1": {newPassword}, "password2": {newPassword}}
			if w := f.do("POST", "/admin/users/"+itoa(u.ID)+"/password/", form, bc, nil); w.Code != http.StatusSeeOther {
				t.Fatalf("round %d: reset: got %d: %s", round, w.Code, w.Body)
			}
		})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("round %d: edit: got %d: %s", round, w.Code, w.Body)
		}
		got, err := f.db.UserByID(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := got.CheckPassword(newPassword); err != nil || !ok {
			t.Errorf("round %d: the reset password was undone by the edit (%v)", round, err)
		}
		if got.Email != email {
			t.Errorf("round %d: email %q, want %q", round, got.Email, email)
		}
	}
}

// TestChangesEndSessions is issue 13 item 4 on the admin's pages: setting a
// password, deactivating, taking staff status away and deleting end the
// user's sessions (deleted, so that undoing the change does not bring them
// back); other edits leave them alone.
func TestChangesEndSessions(t *testing.T) {
	const newPassword = "a new password for the user"
	tests := []struct {
		name     string
		path     string     // the boss's POST, under /admin/users/{id}/
		form     url.Values // its fields, besides csrf
		undo     url.Values // then posted to /admin/users/{id}/, when not nil
		wantLive bool
	}{
		{"password set", "password/", url.Values{"password1": {newPassword}, "password2": {newPassword}}, nil, false},
		{"deactivation", "", url.Values{"is_staff": {"on"}}, nil, false},
		{"deactivation undone", "", url.Values{"is_staff": {"on"}}, url.Values{"is_active": {"on"}, "is_staff": {"on"}}, false},
		{"demotion from staff", "", url.Values{"is_active": {"on"}}, nil, false},
		{"demotion from staff undone", "", url.Values{"is_active": {"on"}}, url.Values{"is_active": {"on"}, "is_staff": {"on"}}, false},
		{"deletion", "delete/", url.Values{}, nil, false},
		{"email change", "", url.Values{"email": {"new@example.com"}, "is_active": {"on"}, "is_staff": {"on"}}, nil, true},
		{"promotion to superuser", "", url.Values{"is_active": {"on"}, "is_staff": {"on"}, "is_superuser": {"on"}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.user("boss", true, true, true)
			u := f.user("staff", true, false, true)
			bc, bt := f.login("boss")
			c, _ := f.login("staff")
			other, _ := f.login("staff")
			post := func(path string, form url.Values) {
				t.Helper()
				form.Set("csrf", bt)
				if w := f.do("POST", "/admin/users/"+itoa(u.ID)+"/"+path, form, bc, nil); w.Code != http.StatusSeeOther {
					t.Fatalf("POST %s: got %d: %s", path, w.Code, w.Body)
				}
			}
			post(tt.path, tt.form)
			if tt.undo != nil {
				post("", tt.undo)
			}
			for _, cookie := range []*http.Cookie{c, other} {
				_, err := f.db.SessionByID(context.Background(), cookie.Value)
				if live := err == nil; live != tt.wantLive {
					t.Errorf("session row exists: %v, want %v (%v)", live, tt.wantLive, err)
				}
				want := http.StatusSeeOther // to the login page
				if tt.wantLive {
					want = http.StatusOK
				}
				if w := f.do("GET", "/admin/", nil, cookie, nil); w.Code != want {
					t.Errorf("GET /admin/ with the session: got %d, want %d", w.Code, want)
				}
			}
			if w := f.do("GET", "/admin/", nil, bc, nil); w.Code != http.StatusOK {
				t.Errorf("the boss's own session: got %d, want 200", w.Code)
			}
		})
	}
}

// TestOwnPasswordChangeKeepsOnlyTheCurrentSession: an admin who sets their
// own password stays signed in on the browser that did it, under a new
// session id (Django's update_session_auth_hash, which cycles the key); every
// other session of theirs ends.
func TestOwnPasswordChangeKeepsOnlyTheCurrentSession(t *testing.T) {
	const newPassword = "my own new password"
	f := newFixture(t, nil)
	me := f.user("boss", true, true, true)
	c, csrf := f.login("boss")
	other, _ := f.login("boss")
	form := url.Values{"csrf": {csrf}, "password1": {newPassword}, "password2": {newPassword}}
	w := f.do("POST", "/admin/users/"+itoa(me.ID)+"/password/", form, c, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("set own password: got %d: %s", w.Code, w.Body)
	}
	fresh := sessionCookie(w)
	if fresh == nil || fresh.Value == c.Value {
		t.Fatalf("no new session cookie after the change: %v", fresh)
	}
	for _, tc := range []struct {
		name   string
		cookie *http.Cookie
		want   int
	}{
		{"the new session", fresh, http.StatusOK},
		{"the session that made the change", c, http.StatusSeeOther},
		{"another session", other, http.StatusSeeOther},
	} {
		if got := f.do("GET", "/admin/", nil, tc.cookie, nil).Code; got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
	if _, err := f.auth.Login(context.Background(), "boss", newPassword); err != nil {
		t.Errorf("the new password: %v", err)
	}
}
