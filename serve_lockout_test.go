package main

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestServeLoginLockout is the lockout of issue 13, item 2, against the real
// server with the default limits: an attacker's failed logins for "admin"
// from several addresses stop every new address, as credential stuffing
// should be stopped, but not the real admin on an address it has logged in
// from, nor in a browser holding the admin's device cookie; and the limit per
// address still holds for the trusted address. Both stores: with the
// database's, the trusted logins are shared through it too.
func TestServeLoginLockout(t *testing.T) {
	for _, store := range []string{"memory", "database"} {
		t.Run(store, func(t *testing.T) { serveLoginLockout(t, store) })
	}
}

func serveLoginLockout(t *testing.T, store string) {
	c := newTestCLI(t)
	c.env["STUDENTAPI_API_THROTTLE_STORE"] = store
	// The test names its clients in X-Forwarded-For, from a trusted proxy.
	c.env["STUDENTAPI_HTTP_TRUSTED_PROXIES"] = "127.0.0.1"
	const password = "the admin's own password"
	c.createUser(t, "createsuperuser", "admin", password)
	s := startServer(t, c)
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()

	post := func(path, ip, pw string, cookies ...*http.Cookie) *http.Response {
		t.Helper()
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Forwarded-For": {ip}}
		for _, ck := range cookies {
			h.Add("Cookie", ck.String())
		}
		form := url.Values{"username": {"admin"}, "password": {pw}}.Encode()
		resp, _ := do(t, client, http.MethodPost, s.url+path, form, h)
		return resp
	}
	gettoken := func(ip, pw string) int { t.Helper(); return post("/gettoken/", ip, pw).StatusCode }
	const (
		homeIP     = "192.0.2.10"    // where the admin uses the API from
		officeIP   = "192.0.2.20"    // where the admin logs into the site from
		travelIP   = "198.51.100.30" // a new address, the admin's browser in hand
		strangerIP = "198.51.100.5"  // a new address, no cookie
	)

	// Before the attack, the admin logs in from home and in the office.
	if got := gettoken(homeIP, password); got != http.StatusOK {
		t.Fatalf("the admin's first API login: %d, want 200", got)
	}
	resp := post("/admin/login/", officeIP, password)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin's site login: %d, want 303", resp.StatusCode)
	}
	var device *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "studentapi_admin_device" {
			device = ck
		}
	}
	if device == nil {
		t.Fatal("the site login set no device cookie")
	}

	// The attack: five wrong passwords, each from another address.
	for i := range 5 {
		ip := "203.0.113." + string(rune('1'+i))
		if got := gettoken(ip, "guess"); got != http.StatusBadRequest {
			t.Fatalf("attacker's guess %d: %d, want 400", i+1, got)
		}
	}
	for _, tt := range []struct {
		name string
		got  func() int
		want int
	}{
		{"a sixth guess, from a new address", func() int { return gettoken("203.0.113.9", "guess") }, http.StatusTooManyRequests},
		{"the right password from a new address", func() int { return gettoken(strangerIP, password) }, http.StatusTooManyRequests},
		{"the site, from a new address", func() int { return post("/admin/login/", strangerIP, password).StatusCode }, http.StatusTooManyRequests},
		{"the admin's API login from home", func() int { return gettoken(homeIP, password) }, http.StatusOK},
		{"the admin's site login from the office", func() int { return post("/admin/login/", officeIP, password).StatusCode }, http.StatusSeeOther},
		{"the admin's browser, travelling", func() int { return post("/admin/login/", travelIP, password, device).StatusCode }, http.StatusSeeOther},
	} {
		if got := tt.got(); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	// The home address has made 2 of its 5 attempts a minute; past those,
	// the limit per address refuses it as any other.
	for i := 3; i <= 5; i++ {
		if got := gettoken(homeIP, password); got != http.StatusOK {
			t.Errorf("home attempt %d: %d, want 200", i, got)
		}
	}
	if got := gettoken(homeIP, password); got != http.StatusTooManyRequests {
		t.Errorf("home attempt 6 in a minute: %d, want 429 from the limit per address", got)
	}
}
