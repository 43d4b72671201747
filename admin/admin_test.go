package admin_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"studentapi/admin"
	"studentapi/auth"
	"studentapi/internal/passwordvalidation"
	"studentapi/internal/testdb"
	"studentapi/internal/throttle"
	"studentapi/models"
)

const password = "a long enough password"

type fixture struct {
	t     *testing.T
	db    *models.DB
	src   testdb.DB
	auth  *auth.Authenticator
	h     http.Handler
	clock *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newFixture(t *testing.T, tweak func(*admin.Deps)) *fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f := openSite(t, testdb.New(t), clk, nil, tweak)
	if err := f.db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f
}

// twin is the site on a second handle to f's database, as a second server
// sharing it would be; log, when not nil, receives every statement the
// twin runs (models.Options.LogQueries).
func (f *fixture) twin(log io.Writer) *fixture {
	f.t.Helper()
	return openSite(f.t, f.src, f.clock, log, nil)
}

func openSite(t *testing.T, src testdb.DB, clk *clock, log io.Writer, tweak func(*admin.Deps)) *fixture {
	t.Helper()
	keys, err := auth.NewKeyring([]byte("a test secret of at least thirty-two bytes"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := models.Connect(models.Source{Driver: src.Driver, Path: src.Path, DSN: src.DSN},
		models.Options{Keys: keys, Now: clk.now, Log: log, LogQueries: log != nil})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	auth.ConnectTokenReceiver(db.Signals)
	a := auth.New(db, "Token", 4, auth.Options{})
	d := admin.Deps{DB: db, Auth: a, BcryptCost: 4, SessionTTL: time.Hour}
	if tweak != nil {
		tweak(&d)
	}
	h, err := admin.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, db: db, src: src, auth: a, h: h, clock: clk}
}

func (f *fixture) user(username string, staff, super, active bool) *models.User {
	f.t.Helper()
	u := &models.User{Username: username, IsActive: active, IsStaff: staff, IsSuperuser: super}
	if err := u.SetPassword(password, 4); err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		f.t.Fatal(err)
	}
	return u
}

// do sends one request; form non-nil makes it a form POST.
func (f *fixture) do(method, target string, form url.Values, cookie *http.Cookie, header map[string]string) *httptest.ResponseRecorder {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func sessionCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == admin.CookieName && c.Value != "" {
			return c
		}
	}
	return nil
}

// login signs username in and returns its cookie and CSRF token.
func (f *fixture) login(username string) (*http.Cookie, string) {
	f.t.Helper()
	w := f.do("POST", "/admin/login/", url.Values{"username": {username}, "password": {password}}, nil, nil)
	c := sessionCookie(w)
	if w.Code != http.StatusSeeOther || c == nil {
		f.t.Fatalf("login %s: status %d, cookie %v; body %s", username, w.Code, c, w.Body)
	}
	return c, f.csrf(c)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (f *fixture) csrf(c *http.Cookie) string {
	f.t.Helper()
	w := f.do("GET", "/admin/", nil, c, nil)
	m := csrfRE.FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusOK || m == nil {
		f.t.Fatalf("GET /admin/: status %d, no csrf token in %s", w.Code, w.Body)
	}
	return m[1]
}

func TestLoginSetsSafeCookie(t *testing.T) {
	for _, target := range []string{"http://example.com/admin/login/", "https://example.com/admin/login/"} {
		f := newFixture(t, nil)
		f.user("boss", true, true, true)
		w := f.do("POST", target, url.Values{"username": {"boss"}, "password": {password}}, nil, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/" {
			t.Fatalf("%s: got %d to %q, want 303 to /admin/", target, w.Code, w.Header().Get("Location"))
		}
		c := sessionCookie(w)
		if c == nil {
			t.Fatalf("%s: no session cookie", target)
		}
		wantSecure := strings.HasPrefix(target, "https")
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/admin/" || c.Secure != wantSecure {
			t.Errorf("%s: cookie HttpOnly=%v SameSite=%v Path=%q Secure=%v; want true, Lax, /admin/, %v",
				target, c.HttpOnly, c.SameSite, c.Path, c.Secure, wantSecure)
		}
		if len(c.Value) < 40 {
			t.Errorf("session id %q is too short to be unguessable", c.Value)
		}
		// The database must not hold the cookie: only a keyed hash of it.
		if bytes.Contains(f.src.Stored(t), []byte(c.Value)) {
			t.Errorf("the database holds the session cookie in the clear")
		}
	}
}

func TestLoginRefusesAllButActiveStaff(t *testing.T) {
	f := newFixture(t, nil)
	f.user("plain", false, false, true)
	f.user("gone", true, false, false)
	f.user("staff", true, false, true)
	var first string
	for _, tc := range []struct{ username, password string }{
		{"plain", password}, {"gone", password}, {"staff", "wrong password"}, {"nobody", password},
	} {
		w := f.do("POST", "/admin/login/", url.Values{"username": {tc.username}, "password": {tc.password}}, nil, nil)
		if w.Code != http.StatusOK || sessionCookie(w) != nil {
			t.Errorf("%s: got %d, cookie %v; want 200 and no cookie", tc.username, w.Code, sessionCookie(w))
		}
		m := regexp.MustCompile(`id="login-error">([^<]*)<`).FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("%s: no error message in %s", tc.username, w.Body)
		}
		if first == "" {
			first = m[1]
		} else if m[1] != first {
			t.Errorf("%s: message %q differs from %q: it tells users apart", tc.username, m[1], first)
		}
	}
}

func TestLoginThrottled(t *testing.T) {
	f := newFixture(t, func(d *admin.Deps) {
		d.Login = throttle.New(throttle.Rate{N: 2, Per: time.Minute}, nil)
	})
	f.user("staff", true, false, true)
	for i := range 3 {
		w := f.do("POST", "/admin/login/", url.Values{"username": {"staff"}, "password": {"wrong"}}, nil, nil)
		want := http.StatusOK
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if w.Code != want {
			t.Fatalf("attempt %d: got %d, want %d", i+1, w.Code, want)
		}
		if i == 2 && w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
}

func TestAnonymousIsSentToLogin(t *testing.T) {
	f := newFixture(t, nil)
	w := f.do("GET", "/admin/students/?q=x", nil, nil, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/login/?next="+url.QueryEscape("/admin/students/?q=x") {
		t.Errorf("got %d to %q", w.Code, w.Header().Get("Location"))
	}
	w = f.do("POST", "/admin/students/add/", url.Values{"name": {"X"}, "roll": {"1"}, "city": {"Y"}}, nil, nil)
	if w.Code != http.StatusForbidden {
		t.Errorf("anonymous POST: got %d, want 403", w.Code)
	}
}

func countStudents(t *testing.T, db *models.DB) int64 {
	t.Helper()
	n, err := db.CountStudents(context.Background(), models.StudentQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, nil)
	f.user("staff", true, false, true)
	c, token := f.login("staff")
	student := func(csrf string) url.Values {
		v := url.Values{"name": {"Ravi"}, "roll": {"1"}, "city": {"Ranchi"}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		return v
	}
	other, _ := f.login("staff") // another session's token must not do
	otherToken := f.csrf(other)
	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", student(""), nil},
		{"wrong token", student(strings.Repeat("0", 64)), nil},
		{"another session's token", student(otherToken), nil},
		{"cross-site, right token", student(token), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"foreign origin, right token", student(token), map[string]string{"Origin": "https://evil.example"}},
	} {
		w := f.do("POST", "/admin/students/add/", tc.form, c, tc.header)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: got %d, want 403", tc.name, w.Code)
		}
		if n := countStudents(t, f.db); n != 0 {
			t.Fatalf("%s: %d students written by a forged POST", tc.name, n)
		}
	}
	// A forged logout does not end the session either.
	if w := f.do("POST", "/admin/logout/", url.Values{}, c, nil); w.Code != http.StatusForbidden {
		t.Errorf("logout without token: got %d, want 403", w.Code)
	}
	w := f.do("POST", "/admin/students/add/", student(token), c, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if w.Code != http.StatusSeeOther || countStudents(t, f.db) != 1 {
		t.Errorf("genuine POST: got %d and %d students, want 303 and 1", w.Code, countStudents(t, f.db))
	}
}

func TestOnlySuperusersGrantFlags(t *testing.T) {
	f := newFixture(t, nil)
	f.user("staff", true, false, true)
	f.user("boss", true, true, true)
	plain := f.user("plain", false, false, true)
	sc, st := f.login("staff")
	ctx := context.Background()

	for _, flag := range []string{"is_staff", "is_superuser"} {
		w := f.do("POST", "/admin/users/add/", url.Values{"csrf": {st}, "username": {"new_" + flag}, "password1": {"pw-pw-pw"}, "password2": {"pw-pw-pw"}, flag: {"on"}}, sc, nil)
		if w.Code != http.StatusForbidden {
			t.Errorf("staff adds user with %s: got %d, want 403", flag, w.Code)
		}
		if _, err := f.db.UserByUsername(ctx, "new_"+flag); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("user new_%s exists after a refused add: %v", flag, err)
		}
		w = f.do("POST", "/admin/users/"+itoa(plain.ID)+"/", url.Values{"csrf": {st}, "is_active": {"on"}, flag: {"on"}}, sc, nil)
		if w.Code != http.StatusForbidden {
			t.Errorf("staff grants %s: got %d, want 403", flag, w.Code)
		}
	}
	if u, _ := f.db.UserByUsername(ctx, "plain"); u.IsStaff || u.IsSuperuser {
		t.Errorf("plain became staff=%v superuser=%v", u.IsStaff, u.IsSuperuser)
	}
	// Plain users they may add, and the hook gives them a token.
	w := f.do("POST", "/admin/users/add/", url.Values{"csrf": {st}, "username": {"ok"}, "email": {"ok@example.com"}, "password1": {"pw-pw-pw"}, "password2": {"pw-pw-pw"}}, sc, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("staff adds plain user: got %d: %s", w.Code, w.Body)
	}
	ok, err := f.db.UserByUsername(ctx, "ok")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.TokenOf(ctx, ok.ID); err != nil {
		t.Errorf("user added in the admin has no token: %v", err)
	}

	bc, bt := f.login("boss")
	w = f.do("POST", "/admin/users/"+itoa(plain.ID)+"/", url.Values{"csrf": {bt}, "is_active": {"on"}, "is_staff": {"on"}}, bc, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("superuser grants staff: got %d", w.Code)
	}
	if u, _ := f.db.UserByUsername(ctx, "plain"); !u.IsStaff || u.IsSuperuser {
		t.Errorf("after grant plain is staff=%v superuser=%v, want true false", u.IsStaff, u.IsSuperuser)
	}
}

func TestUserForms(t *testing.T) {
	f := newFixture(t, nil)
	f.user("boss", true, true, true)
	c, tok := f.login("boss")
	w := f.do("POST", "/admin/users/add/", url.Values{"csrf": {tok}, "username": {"bad name"}, "email": {"nope"}, "password1": {"a"}, "password2": {"b"}}, c, nil)
	body := w.Body.String()
	if w.Code != http.StatusBadRequest {
		t.Fatalf("got %d, want 400", w.Code)
	}
	for _, want := range []string{"Enter a valid username.", "Enter a valid email address.", "The two password fields didn’t match."} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// An address longer than the column (Django's 254) is a form error, on
	// adding and on changing, not a database error.
	long := strings.Repeat("a", 250) + "@example.com"
	w = f.do("POST", "/admin/users/add/", url.Values{"csrf": {tok}, "username": {"longmail"}, "email": {long}, "password1": {"pw-pw-pw"}, "password2": {"pw-pw-pw"}}, c, nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Enter a valid email address.") {
		t.Errorf("add with a %d-byte email: got %d", len(long), w.Code)
	}
	w = f.do("POST", "/admin/users/1/", url.Values{"csrf": {tok}, "email": {long}, "is_active": {"on"}, "is_staff": {"on"}, "is_superuser": {"on"}}, c, nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Enter a valid email address.") {
		t.Errorf("change to a %d-byte email: got %d", len(long), w.Code)
	}
	// "ｂoss" is "boss" in NFKC, as usernames are stored.
	w = f.do("POST", "/admin/users/add/", url.Values{"csrf": {tok}, "username": {"\uff42oss"}, "password1": {"pw-pw-pw"}, "password2": {"pw-pw-pw"}}, c, nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "A user with that username already exists.") {
		t.Errorf("full-width look-alike of boss: got %d: %s", w.Code, w.Body)
	}
	w = f.do("POST", "/admin/users/add/", url.Values{"csrf": {tok}, "username": {"\uff43arol"}, "password1": {"pw-pw-pw"}, "password2": {"pw-pw-pw"}}, c, nil)
	if w.Code != http.StatusSeeOther {
		t.Errorf("full-width carol: got %d: %s", w.Code, w.Body)
	}
	if _, err := f.db.UserByUsername(context.Background(), "carol"); err != nil {
		t.Errorf("full-width carol is not stored as carol: %v", err)
	}
	plain := f.user("plain", false, false, true)
	w = f.do("POST", "/admin/users/"+itoa(plain.ID)+"/password/", url.Values{"csrf": {tok}, "password1": {"new password"}, "password2": {"new password"}}, c, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("set password: got %d", w.Code)
	}
	if _, err := f.auth.Login(context.Background(), "plain", "new password"); err != nil {
		t.Errorf("new password refused: %v", err)
	}
	// Deactivate: the form leaves is_active unchecked.
	w = f.do("POST", "/admin/users/"+itoa(plain.ID)+"/", url.Values{"csrf": {tok}, "email": {"p@example.com"}}, c, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("deactivate: got %d", w.Code)
	}
	if _, err := f.auth.Login(context.Background(), "plain", "new password"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("deactivated user logs in: %v", err)
	}
	w = f.do("POST", "/admin/users/"+itoa(plain.ID)+"/delete/", url.Values{"csrf": {tok}}, c, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("delete: got %d", w.Code)
	}
	if _, err := f.db.UserByID(context.Background(), plain.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("deleted user still there: %v", err)
	}
}

func TestLogoutAndExpiry(t *testing.T) {
	f := newFixture(t, nil)
	f.user("staff", true, false, true)
	c, tok := f.login("staff")
	if w := f.do("POST", "/admin/logout/", url.Values{"csrf": {tok}}, c, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: got %d", w.Code)
	}
	if w := f.do("GET", "/admin/", nil, c, nil); w.Code != http.StatusSeeOther {
		t.Errorf("old cookie after logout: got %d, want 303 to login", w.Code)
	}

	c, _ = f.login("staff")
	f.clock.add(59 * time.Minute)
	if w := f.do("GET", "/admin/", nil, c, nil); w.Code != http.StatusOK {
		t.Errorf("before expiry: got %d, want 200", w.Code)
	}
	f.clock.add(2 * time.Minute)
	if w := f.do("GET", "/admin/", nil, c, nil); w.Code != http.StatusSeeOther {
		t.Errorf("after expiry: got %d, want 303 to login", w.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, nil)
	f.user("staff", true, false, true)
	c, _ := f.login("staff")
	for _, path := range []string{"/admin/login/", "/admin/", "/admin/tokens/", "/admin/users/", "/admin/students/", "/admin/nope/"} {
		w := f.do("GET", path, nil, c, nil)
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		// X-Frame-Options and the rest come from api.Protect, around the
		// whole server (the main package's TestProductionHTTPSOnEveryRoute).
		if got := h.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", path, got)
		}
		if strings.Contains(w.Body.String(), "<script") || strings.Contains(w.Body.String(), "http://") {
			t.Errorf("%s: page has a script or an external link", path)
		}
	}
}

func TestStudentValidation(t *testing.T) {
	f := newFixture(t, nil)
	f.user("staff", true, false, true)
	c, tok := f.login("staff")
	for _, tc := range []struct {
		form url.Values
		want []string
	}{
		{url.Values{"name": {"  "}, "roll": {"x"}, "city": {strings.Repeat("c", 101)}},
			[]string{"This field may not be blank.", "A valid integer is required.", "Ensure this field has no more than 100 characters."}},
		{url.Values{"name": {"A"}}, []string{"This field is required."}},
		{url.Values{"name": {"A"}, "roll": {"99999999999999999999"}, "city": {"B"}}, []string{"A valid integer is required."}},
	} {
		tc.form.Set("csrf", tok)
		w := f.do("POST", "/admin/students/add/", tc.form, c, nil)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%v: got %d, want 400", tc.form, w.Code)
		}
		for _, want := range tc.want {
			if !strings.Contains(w.Body.String(), want) {
				t.Errorf("%v: page lacks %q", tc.form, want)
			}
		}
	}
	// What the API accepts, the form accepts: "12.0" and Devanagari digits.
	for _, roll := range []string{"12.0", " ४२ ", "1_000"} {
		w := f.do("POST", "/admin/students/add/", url.Values{"csrf": {tok}, "name": {"A"}, "roll": {roll}, "city": {"B"}}, c, nil)
		if w.Code != http.StatusSeeOther {
			t.Errorf("roll %q: got %d, want 303", roll, w.Code)
		}
	}
	if n := countStudents(t, f.db); n != 3 {
		t.Errorf("%d students, want 3", n)
	}
}

func TestTokens(t *testing.T) {
	f := newFixture(t, func(d *admin.Deps) { d.PageSize = 2 })
	f.user("boss", true, true, true)
	c, tok := f.login("boss")
	ctx := context.Background()
	alice := f.user("alice", false, false, true)
	old, err := f.db.TokenOf(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.user("bob", false, false, true)

	w := f.do("GET", "/admin/tokens/?q=ali", nil, c, nil)
	if body := w.Body.String(); !strings.Contains(body, `data-user="alice"`) || strings.Contains(body, `data-user="bob"`) ||
		!strings.Contains(body, old.Key[:8]+"…") || strings.Contains(body, old.Key) {
		t.Errorf("search for ali: want alice's key prefix only, got %s", body)
	}
	if w := f.do("GET", "/admin/tokens/?page=2", nil, c, nil); !strings.Contains(w.Body.String(), "Page 2 of 2") {
		t.Errorf("page 2 of three tokens by two: %s", w.Body)
	}

	w = f.do("POST", "/admin/tokens/"+itoa(alice.ID)+"/regenerate/", url.Values{"csrf": {tok}}, c, nil)
	m := regexp.MustCompile(`id="key">([0-9a-f]{40})<`).FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusOK || m == nil {
		t.Fatalf("regenerate: got %d: %s", w.Code, w.Body)
	}
	if _, err := f.auth.Authenticate(ctx, []string{"Token " + old.Key}); err == nil {
		t.Error("old key still authenticates")
	}
	if _, err := f.auth.Authenticate(ctx, []string{"Token " + m[1]}); err != nil {
		t.Errorf("new key refused: %v", err)
	}

	w = f.do("POST", "/admin/tokens/add/", url.Values{"csrf": {tok}, "username": {"alice"}}, c, nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "already has a token") {
		t.Errorf("second token: got %d", w.Code)
	}
	w = f.do("POST", "/admin/tokens/add/", url.Values{"csrf": {tok}, "username": {"nobody"}}, c, nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "No user has this username.") {
		t.Errorf("unknown user: got %d", w.Code)
	}
	if w := f.do("POST", "/admin/tokens/"+itoa(alice.ID)+"/delete/", url.Values{"csrf": {tok}}, c, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("delete: got %d", w.Code)
	}
	if _, err := f.db.TokenOf(ctx, alice.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("token after delete: %v", err)
	}
	w = f.do("POST", "/admin/tokens/add/", url.Values{"csrf": {tok}, "username": {"alice"}}, c, nil)
	if w.Code != http.StatusCreated {
		t.Errorf("add token: got %d", w.Code)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestOnlySuperusersTouchSuperuserTokens is the takeover of issue 13 item 5:
// a staff user who is not a superuser must not regenerate (and be shown), delete
// or add a superuser's token, nor reach the pages that confirm it; the rule is
// the one the users pages apply.
func TestOnlySuperusersTouchSuperuserTokens(t *testing.T) {
	type actor int
	const (
		staff actor = iota
		boss
	)
	tests := []struct {
		name       string
		as         actor
		method     string
		path       string // {boss}, {plain} and {staff} stand for those users' ids
		form       url.Values
		noToken    bool // the target has no token beforehand
		wantStatus int
	}{
		{"regenerate form", staff, "GET", "/admin/tokens/{boss}/regenerate/", nil, false, http.StatusForbidden},
		{"regenerate", staff, "POST", "/admin/tokens/{boss}/regenerate/", url.Values{}, false, http.StatusForbidden},
		{"delete form", staff, "GET", "/admin/tokens/{boss}/delete/", nil, false, http.StatusForbidden},
		{"delete", staff, "POST", "/admin/tokens/{boss}/delete/", url.Values{}, false, http.StatusForbidden},
		{"add", staff, "POST", "/admin/tokens/add/", url.Values{"username": {"boss"}}, true, http.StatusForbidden},

		// What the rule leaves allowed.
		{"staff regenerates a plain user's", staff, "POST", "/admin/tokens/{plain}/regenerate/", url.Values{}, false, http.StatusOK},
		{"staff regenerates its own", staff, "POST", "/admin/tokens/{staff}/regenerate/", url.Values{}, false, http.StatusOK},
		{"staff adds a plain user's", staff, "POST", "/admin/tokens/add/", url.Values{"username": {"plain"}}, true, http.StatusCreated},
		{"superuser regenerates another's", boss, "POST", "/admin/tokens/{boss}/regenerate/", url.Values{}, false, http.StatusOK},
		{"superuser deletes another's", boss, "POST", "/admin/tokens/{boss}/delete/", url.Values{}, false, http.StatusSeeOther},
		{"superuser adds another's", boss, "POST", "/admin/tokens/add/", url.Values{"username": {"boss"}}, true, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ctx := context.Background()
			users := map[string]*models.User{
				"boss":  f.user("boss", true, true, true),
				"staff": f.user("staff", true, false, true),
				"plain": f.user("plain", false, false, true),
			}
			f.user("boss2", true, true, true)
			visitor := "staff"
			if tt.as == boss {
				visitor = "boss2"
			}
			c, csrf := f.login(visitor)
			path := tt.path
			var target *models.User
			for name, u := range users {
				if strings.Contains(path, "{"+name+"}") {
					target = u
				}
				path = strings.ReplaceAll(path, "{"+name+"}", itoa(u.ID))
			}
			if tt.form != nil {
				if name := tt.form.Get("username"); name != "" {
					target = users[name]
				}
				tt.form.Set("csrf", csrf)
			}
			var oldKey string
			if tt.noToken {
				if err := f.db.DeleteToken(ctx, target.ID); err != nil {
					t.Fatal(err)
				}
			} else {
				old, err := f.db.TokenOf(ctx, target.ID)
				if err != nil {
					t.Fatal(err)
				}
				oldKey = old.Key
			}

			w := f.do(tt.method, path, tt.form, c, nil)
			if w.Code != tt.wantStatus {
				t.Fatalf("%s %s: got %d, want %d: %s", tt.method, path, w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantStatus != http.StatusForbidden {
				return
			}
			if strings.Contains(w.Body.String(), `id="key"`) {
				t.Errorf("the refusal shows a key: %s", w.Body)
			}
			tok, err := f.db.TokenOf(ctx, target.ID)
			switch {
			case tt.noToken && !errors.Is(err, models.ErrNotFound):
				t.Errorf("a refused add left a token: %v, %v", tok, err)
			case !tt.noToken && err != nil:
				t.Errorf("the token is gone after a refused %s: %v", tt.name, err)
			case !tt.noToken && tok.Key != oldKey:
				t.Errorf("the key changed after a refused %s", tt.name)
			}
		})
	}
}

// TestOnlySuperusersActOnSuperusers: the rule of the token pages on the users
// pages, confirmation pages included; a staff user may still look at a
// superuser.
func TestOnlySuperusersActOnSuperusers(t *testing.T) {
	f := newFixture(t, nil)
	bossUser := f.user("boss", true, true, true)
	f.user("staff", true, false, true)
	c, csrf := f.login("staff")
	boss := "/admin/users/" + itoa(bossUser.ID) + "/"
	tests := []struct {
		method, path string
		form         url.Values
		wantStatus   int
	}{
		{"GET", boss, nil, http.StatusOK},
		{"POST", boss, url.Values{"csrf": {csrf}, "email": {"x@example.com"}}, http.StatusForbidden},
		{"GET", boss + "password/", nil, http.StatusForbidden},
		{"POST", boss + "password/", url.Values{"csrf": {csrf}, "password1": {"taken over"}, "password2": {"taken over"}}, http.StatusForbidden},
		{"GET", boss + "delete/", nil, http.StatusForbidden},
		{"POST", boss + "delete/", url.Values{"csrf": {csrf}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		if w := f.do(tt.method, tt.path, tt.form, c, nil); w.Code != tt.wantStatus {
			t.Errorf("%s %s: got %d, want %d", tt.method, tt.path, w.Code, tt.wantStatus)
		}
	}
	u, err := f.db.UserByID(context.Background(), bossUser.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "" || !u.IsActive {
		t.Errorf("boss after refused changes: email %q active %v", u.Email, u.IsActive)
	}
	if _, err := f.auth.Login(context.Background(), "boss", password); err != nil {
		t.Errorf("boss's password after a refused change: %v", err)
	}
}

// defaultValidators are Django's four default password validators.
func defaultValidators(t *testing.T) passwordvalidation.Validators {
	t.Helper()
	var vs passwordvalidation.Validators
	for _, name := range passwordvalidation.DefaultNames() {
		v, err := passwordvalidation.New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// Issue 16 item 5: the admin's forms refuse what the password validators
// refuse, with Django's messages under the second password, and write
// nothing; a password they accept is set.
func TestUserFormPasswordValidation(t *testing.T) {
	f := newFixture(t, func(d *admin.Deps) { d.PasswordValidators = defaultValidators(t) })
	f.user("boss", true, true, true)
	plain := f.user("plain", false, false, true)
	c, tok := f.login("boss")
	for _, tt := range []struct {
		name, path string
		form       url.Values
		want       []string
	}{
		{"add, similar and short", "/admin/users/add/",
			url.Values{"username": {"newcomer"}, "email": {"newcomer@example.com"}, "password1": {"Newcomer"}, "password2": {"Newcomer"}},
			[]string{"The password is too similar to the username."}},
		{"add, common and numeric", "/admin/users/add/",
			url.Values{"username": {"newcomer"}, "password1": {"12345678"}, "password2": {"12345678"}},
			[]string{"This password is too common.", "This password is entirely numeric."}},
		{"set password, short and like the username", "/admin/users/" + itoa(plain.ID) + "/password/",
			url.Values{"password1": {"plain"}, "password2": {"plain"}},
			[]string{"The password is too similar to the username.", "This password is too short. It must contain at least 8 characters."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", tok)
			w := f.do("POST", tt.path, tt.form, c, nil)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("got %d, want 400", w.Code)
			}
			for _, want := range tt.want {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("page lacks %q", want)
				}
			}
		})
	}
	if _, err := f.db.UserByUsername(context.Background(), "newcomer"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a refused user was created: %v", err)
	}
	if _, err := f.auth.Login(context.Background(), "plain", "plain"); err == nil {
		t.Errorf("a refused password was set")
	}
	w := f.do("POST", "/admin/users/"+itoa(plain.ID)+"/password/", url.Values{"csrf": {tok}, "password1": {"x7Gq!pZr2long"}, "password2": {"x7Gq!pZr2long"}}, c, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("set a good password: got %d", w.Code)
	}
	if _, err := f.auth.Login(context.Background(), "plain", "x7Gq!pZr2long"); err != nil {
		t.Errorf("good password not set: %v", err)
	}
}
