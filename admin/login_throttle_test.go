package admin_test

// The admin login against the attacks of issue 13: usernames that would grow
// the throttle, and an attacker locking a staff user out.

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"studentapi/admin"
	"studentapi/internal/throttle"
)

var (
	throttleSecret = []byte("the admin tests' throttle secret")
	deviceKey      = []byte("the admin tests' device cookie key")
)

// guardFixture is a site whose failed logins per username are limited at
// rate, with a day of trust for addresses and device cookies.
func guardFixture(t *testing.T, rate throttle.Rate, tweak func(*admin.Deps)) *fixture {
	t.Helper()
	return newFixture(t, func(d *admin.Deps) {
		l, err := throttle.NewWithStore(rate, throttle.NewMemory(0), throttleSecret, d.DB.Now)
		if err != nil {
			t.Fatal(err)
		}
		marks, err := throttle.NewMarks(throttle.NewMemory(0), throttleSecret, 24*time.Hour, d.DB.Now)
		if err != nil {
			t.Fatal(err)
		}
		d.Logins = throttle.NewGuard([]*throttle.Limiter{l}, marks)
		d.DeviceKey, d.DeviceTTL = deviceKey, 24*time.Hour
		if tweak != nil {
			tweak(d)
		}
	})
}

// loginFrom posts the login form from ip with the given cookies.
func (f *fixture) loginFrom(ip, username, pw string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	f.t.Helper()
	form := url.Values{"username": {username}, "password": {pw}}
	r := httptest.NewRequest("POST", "/admin/login/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = ip + ":4321"
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func deviceCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == admin.DeviceCookieName {
			return c
		}
	}
	return nil
}

var loginErrorRE = regexp.MustCompile(`id="login-error">([^<]*)<`)

func loginError(w *httptest.ResponseRecorder) string {
	m := loginErrorRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		return ""
	}
	return m[1]
}

// A username longer than Django's 150 characters gets the form's error
// before it is used for anything: it costs nothing on the username's budget.
func TestLoginUsernameTooLong(t *testing.T) {
	f := guardFixture(t, throttle.Rate{N: 1, Per: time.Minute}, nil)
	f.user("staff", true, false, true)
	for _, tt := range []struct{ username, wantError string }{
		{strings.Repeat("a", 151), "Ensure this value has at most 150 characters (it has 151)."},
		{strings.Repeat("é", 151), "Ensure this value has at most 150 characters (it has 151)."},
		{strings.Repeat("x", 60<<10), "Ensure this value has at most 150 characters (it has 61440)."},
	} {
		w := f.loginFrom("192.0.2.1", tt.username, "wrong")
		if w.Code != http.StatusOK || loginError(w) != tt.wantError {
			t.Errorf("%d-byte username: %d %q, want 200 %q", len(tt.username), w.Code, loginError(w), tt.wantError)
		}
		if strings.Contains(w.Body.String(), tt.username) {
			t.Errorf("%d-byte username echoed back into the form", len(tt.username))
		}
	}
	// The one attempt of the budget is still there, and then spent.
	if w := f.loginFrom("192.0.2.1", strings.Repeat("é", 150), "wrong"); w.Code != http.StatusOK || !strings.Contains(loginError(w), "correct username and password") {
		t.Errorf("150 characters: %d %q, want the wrong-credentials answer", w.Code, loginError(w))
	}
	if w := f.loginFrom("192.0.2.1", strings.Repeat("é", 150), "wrong"); w.Code != http.StatusTooManyRequests {
		t.Errorf("over the budget: %d, want 429", w.Code)
	}
}

// A successful login sets a device cookie as safe as the session's, that
// names no user.
func TestLoginSetsDeviceCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		f := guardFixture(t, throttle.Rate{N: 5, Per: time.Minute}, func(d *admin.Deps) { d.SecureCookie = secure })
		f.user("staff", true, false, true)
		if c := deviceCookie(f.loginFrom("192.0.2.1", "staff", "wrong")); c != nil {
			t.Error("a failed login set a device cookie")
		}
		c := deviceCookie(f.loginFrom("192.0.2.1", "staff", password))
		if c == nil {
			t.Fatal("no device cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/admin/" || c.Secure != secure || c.MaxAge != 24*60*60 {
			t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q Secure=%v MaxAge=%d; want true, Lax, /admin/, %v, a day",
				c.HttpOnly, c.SameSite, c.Path, c.Secure, c.MaxAge, secure)
		}
		raw, err := base64.RawURLEncoding.DecodeString(c.Value)
		if err != nil || strings.Contains(string(raw), "staff") || strings.Contains(c.Value, "staff") {
			t.Errorf("cookie %q: want base64url naming no user (%v)", c.Value, err)
		}
	}
}

// TestLoginLockout is issue 13's item 2 on the admin: an attacker's failures
// for a username stop new browsers, but not one holding that user's device
// cookie, nor the address the user logged in from; a forged, foreign or
// expired cookie helps no one.
func TestLoginLockout(t *testing.T) {
	f := guardFixture(t, throttle.Rate{N: 3, Per: time.Minute}, nil)
	f.user("staff", true, false, true)
	f.user("other", true, false, true)
	const office, travel, attacker = "192.0.2.10", "198.51.100.30", "203.0.113.66"
	device := deviceCookie(f.loginFrom(office, "staff", password))
	otherDevice := deviceCookie(f.loginFrom(office, "other", password))
	if device == nil || otherDevice == nil {
		t.Fatal("no device cookie")
	}
	for range 3 {
		if w := f.loginFrom(attacker, "staff", "guess"); w.Code != http.StatusOK {
			t.Fatalf("guess: %d, want 200 with the form's error", w.Code)
		}
	}
	forged := *device
	raw, err := base64.RawURLEncoding.DecodeString(device.Value)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 1
	forged.Value = base64.RawURLEncoding.EncodeToString(raw)
	for _, tt := range []struct {
		name   string
		ip     string
		cookie *http.Cookie
		want   int
	}{
		{"the attacker", attacker, nil, http.StatusTooManyRequests},
		{"a new browser, right password", travel, nil, http.StatusTooManyRequests},
		{"another user's device cookie", travel, otherDevice, http.StatusTooManyRequests},
		{"a forged device cookie", travel, &forged, http.StatusTooManyRequests},
		{"the user's browser, travelling", travel, device, http.StatusSeeOther},
		{"the office address, no cookie", office, nil, http.StatusSeeOther},
	} {
		var cookies []*http.Cookie
		if tt.cookie != nil {
			cookies = append(cookies, tt.cookie)
		}
		if w := f.loginFrom(tt.ip, "staff", password, cookies...); w.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, w.Code, tt.want)
		}
	}
	// The device's own budget: a stolen cookie is no unlimited pass.
	thief := "198.51.100.77"
	for range 3 {
		f.loginFrom(thief, "staff", "guess", device)
	}
	if w := f.loginFrom(thief, "staff", password, device); w.Code != http.StatusTooManyRequests {
		t.Errorf("a fourth attempt on the device's budget: %d, want 429", w.Code)
	}
	// A cookie past its day is nothing.
	fresh := deviceCookie(f.loginFrom(office, "other", password))
	f.clock.add(25 * time.Hour)
	for range 3 {
		f.loginFrom(attacker, "other", "guess")
	}
	if w := f.loginFrom(travel, "other", password, fresh); w.Code != http.StatusTooManyRequests {
		t.Errorf("an expired device cookie: %d, want 429", w.Code)
	}
}
