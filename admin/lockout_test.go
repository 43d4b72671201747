package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The refusals' words, as the pages show them.
const (
	msgOwnActive     = "You cannot deactivate your own account."
	msgOwnStaff      = "You cannot remove your own staff status."
	msgOwnDelete     = "You cannot delete your own account."
	msgLastSuperuser = "This is the last active superuser"
)

// TestNoSelfLockout: a staff user cannot deactivate or delete their own
// account or take their own staff status; the page says why, nothing
// changes, and they stay signed in. Another superuser exists throughout, so
// it is this rule that refuses, not the last-superuser one.
func TestNoSelfLockout(t *testing.T) {
	tests := []struct {
		name       string
		super      bool
		method     string
		path       string     // under /admin/users/{own id}/
		form       url.Values // besides csrf; nil for a GET
		wantStatus int
		wantMsg    string
	}{
		{"staff deactivates self", false, "POST", "", url.Values{"email": {"me@example.com"}}, http.StatusBadRequest, msgOwnActive},
		{"staff asks to delete self", false, "GET", "delete/", nil, http.StatusForbidden, msgOwnDelete},
		{"staff deletes self", false, "POST", "delete/", url.Values{}, http.StatusForbidden, msgOwnDelete},
		{"superuser deactivates self", true, "POST", "", url.Values{"is_staff": {"on"}, "is_superuser": {"on"}}, http.StatusBadRequest, msgOwnActive},
		{"superuser takes own staff", true, "POST", "", url.Values{"is_active": {"on"}}, http.StatusBadRequest, msgOwnStaff},
		{"superuser asks to delete self", true, "GET", "delete/", nil, http.StatusForbidden, msgOwnDelete},
		{"superuser deletes self", true, "POST", "delete/", url.Values{}, http.StatusForbidden, msgOwnDelete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.user("root", true, true, true)
			me := f.user("me", true, tt.super, true)
			c, csrf := f.login("me")
			own := "/admin/users/" + itoa(me.ID) + "/"
			if w := f.do("GET", own, nil, c, nil); w.Code != http.StatusOK || strings.Contains(w.Body.String(), `id="delete"`) {
				t.Errorf("own change form: got %d, delete link shown: %v", w.Code, strings.Contains(w.Body.String(), `id="delete"`))
			}
			if tt.form != nil {
				tt.form.Set("csrf", csrf)
			}
			w := f.do(tt.method, own+tt.path, tt.form, c, nil)
			if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), tt.wantMsg) {
				t.Errorf("%s %s: got %d, want %d with %q: %s", tt.method, tt.path, w.Code, tt.wantStatus, tt.wantMsg, w.Body)
			}
			got, err := f.db.UserByID(context.Background(), me.ID)
			if err != nil {
				t.Fatalf("own account after a refusal: %v", err)
			}
			if !got.IsActive || !got.IsStaff || got.IsSuperuser != tt.super || got.Email != "" {
				t.Errorf("own account changed: active %v staff %v superuser %v email %q", got.IsActive, got.IsStaff, got.IsSuperuser, got.Email)
			}
			if w := f.do("GET", "/admin/", nil, c, nil); w.Code != http.StatusOK {
				t.Errorf("GET /admin/ after the refusal: got %d, want 200 (still signed in)", w.Code)
			}
		})
	}
}

// TestLastSuperuserKept: the last active superuser cannot demote themselves
// from superuser, and another superuser cannot deactivate, demote or delete
// them once that other one has lost the flag meanwhile (the change is put
// between the page reading its target and writing): the page says why and
// nothing changes.
func TestLastSuperuserKept(t *testing.T) {
	t.Run("self demotion", func(t *testing.T) {
		f := newFixture(t, nil)
		boss := f.user("boss", true, true, true)
		c, csrf := f.login("boss")
		w := f.do("POST", "/admin/users/"+itoa(boss.ID)+"/", url.Values{"csrf": {csrf}, "is_active": {"on"}, "is_staff": {"on"}}, c, nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), msgLastSuperuser) {
			t.Errorf("got %d, want 400 with %q: %s", w.Code, msgLastSuperuser, w.Body)
		}
		if got, err := f.db.UserByID(context.Background(), boss.ID); err != nil || !got.IsSuperuser {
			t.Errorf("boss after the refusal: %+v, %v", got, err)
		}
	})
	tests := []struct {
		name       string
		path       string     // under /admin/users/{boss's id}/
		form       url.Values // besides csrf
		wantStatus int
	}{
		{"deactivate", "", url.Values{"is_staff": {"on"}, "is_superuser": {"on"}}, http.StatusBadRequest},
		{"take staff", "", url.Values{"is_active": {"on"}}, http.StatusBadRequest},
		{"take superuser", "", url.Values{"is_active": {"on"}, "is_staff": {"on"}}, http.StatusBadRequest},
		{"delete", "delete/", url.Values{}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			boss := f.user("boss", true, true, true)
			boss2 := f.user("boss2", true, true, true)
			bc, bt := f.login("boss")
			p := &pauseAfter{re: regexp.MustCompile(`users.? WHERE id = `)}
			twin := f.twin(p)
			c2, t2 := twin.login("boss2")
			tt.form.Set("csrf", t2)
			act := func(site *fixture) *httptest.ResponseRecorder {
				return site.do("POST", "/admin/users/"+itoa(boss.ID)+"/"+tt.path, tt.form, c2, nil)
			}
			w := during(t, p, twin, act, func() {
				demote := url.Values{"csrf": {bt}, "is_active": {"on"}, "is_staff": {"on"}}
				if w := f.do("POST", "/admin/users/"+itoa(boss2.ID)+"/", demote, bc, nil); w.Code != http.StatusSeeOther {
					t.Fatalf("boss demotes boss2: got %d: %s", w.Code, w.Body)
				}
			})
			if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), msgLastSuperuser) {
				t.Errorf("boss2's %s of boss: got %d, want %d with %q: %s", tt.name, w.Code, tt.wantStatus, msgLastSuperuser, w.Body)
			}
			got, err := f.db.UserByID(context.Background(), boss.ID)
			if err != nil || !got.IsActive || !got.IsStaff || !got.IsSuperuser {
				t.Errorf("boss after the refusal: %+v, %v", got, err)
			}
		})
	}
}
