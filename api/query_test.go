package api_test

// Tests of the list features a DRF user reaches for after the basics:
// pagination, search, ordering, filters and throttling, with DRF's bodies.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"studentapi/api"
	"studentapi/auth"
	"studentapi/internal/openapi/openapitest"
	"studentapi/internal/testdb"
	"studentapi/internal/throttle"
	"studentapi/models"
)

// externalKeyring protects token keys in tests as the server's secret does.
func externalKeyring(t *testing.T) *auth.Keyring {
	t.Helper()
	k, err := auth.NewKeyring([]byte("a test secret of at least thirty-two bytes"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type listEnv struct {
	router http.Handler
	db     *models.DB
	token  string
}

// newListEnv builds the real router over a fresh database with one user and
// five students: Ravi 10 Ranchi, Sonam 7 Pune, Ranjit 12 Chennai, Amit 3 Delhi,
// Zed 5 Ranchi (ids 1 to 5).
func newListEnv(t *testing.T, tune func(*api.Deps)) *listEnv {
	t.Helper()
	return newSeededEnv(t, "lister", []models.Student{
		{Name: "Ravi", Roll: 10, City: "Ranchi"}, {Name: "Sonam", Roll: 7, City: "Pune"},
		{Name: "Ranjit", Roll: 12, City: "Chennai"}, {Name: "Amit", Roll: 3, City: "Delhi"},
		{Name: "Zed", Roll: 5, City: "Ranchi"},
	}, tune)
}

// newSeededEnv builds the real router over a fresh database with one user
// (password "pw") and the given students; tune adjusts the router's Deps.
func newSeededEnv(t *testing.T, username string, students []models.Student, tune func(*api.Deps)) *listEnv {
	t.Helper()
	gin.SetMode(gin.TestMode)
	ctx := context.Background()
	src := testdb.New(t)
	db, err := models.Connect(models.Source{Driver: src.Driver, Path: src.Path, DSN: src.DSN}, models.Options{Keys: externalKeyring(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	auth.ConnectTokenReceiver(db.Signals)
	u := &models.User{Username: username, Email: username[:1] + "@example.com", IsActive: true}
	if err := u.SetPassword("pw", 4); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	tok, err := db.TokenOf(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range students {
		if err := db.CreateStudent(ctx, &s); err != nil {
			t.Fatal(err)
		}
	}
	deps := api.Deps{DB: db, Auth: auth.New(db, "Token", 4, auth.Options{}), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BodyLimit: 1 << 20}
	if tune != nil {
		tune(&deps)
	}
	r, err := api.NewRouter(deps)
	if err != nil {
		t.Fatal(err)
	}
	// Every answer is checked against the OpenAPI document the router
	// serves for this configuration (pagination, throttles).
	validated, _ := openapitest.Validating(t, r, "/schema/")
	return &listEnv{router: validated, db: db, token: tok.Key}
}

func (e *listEnv) do(t *testing.T, method, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	return w
}

func (e *listEnv) get(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	return e.do(t, http.MethodGet, target, "Authorization", "Token "+e.token)
}

const (
	ravi   = `{"id":1,"name":"Ravi","roll":10,"city":"Ranchi"}`
	sonam  = `{"id":2,"name":"Sonam","roll":7,"city":"Pune"}`
	ranjit = `{"id":3,"name":"Ranjit","roll":12,"city":"Chennai"}`
	amit   = `{"id":4,"name":"Amit","roll":3,"city":"Delhi"}`
	zed    = `{"id":5,"name":"Zed","roll":5,"city":"Ranchi"}`
)

func arr(items ...string) string { return "[" + strings.Join(items, ",") + "]" }

type listCase struct {
	name, target string
	wantStatus   int
	wantBody     string
}

func runListCases(t *testing.T, e *listEnv, cases []listCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			w := e.get(t, tt.target)
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("GET %s = %d %s\nwant %d %s", tt.target, w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestListWithoutPagination(t *testing.T) {
	e := newListEnv(t, nil)
	runListCases(t, e, []listCase{
		{"plain array by id", "/studentapi/", 200, arr(ravi, sonam, ranjit, amit, zed)},
		{"page ignored when off", "/studentapi/?page=2", 200, arr(ravi, sonam, ranjit, amit, zed)},
		{"search every term, any field, any case", "/studentapi/?search=RAN%20ch", 200, arr(ravi, ranjit, zed)},
		{"search terms split on commas", "/studentapi/?search=ran,pune", 200, "[]"},
		{"search one field each", "/studentapi/?search=so,pu", 200, arr(sonam)},
		{"search percent literal", "/studentapi/?search=%25", 200, "[]"},
		{"search underscore literal", "/studentapi/?search=_", 200, "[]"},
		{"search sql metacharacters", "/studentapi/?search=%27%3B%20DROP%20TABLE%20students%3B--", 200, "[]"},
		{"ordering", "/studentapi/?ordering=-city,roll", 200, arr(zed, ravi, sonam, amit, ranjit)},
		{"ordering with unknown fields ignored", "/studentapi/?ordering=bogus,roll,password", 200, arr(amit, zed, sonam, ravi, ranjit)},
		{"ordering all unknown keeps id order", "/studentapi/?ordering=name;DROP,%25", 200, arr(ravi, sonam, ranjit, amit, zed)},
		{"filter city exact", "/studentapi/?city=Ranchi", 200, arr(ravi, zed)},
		{"filter city case-sensitive", "/studentapi/?city=ranchi", 200, "[]"},
		{"filter roll", "/studentapi/?roll=7", 200, arr(sonam)},
		{"filter roll decimal matches nothing", "/studentapi/?roll=7.5", 200, "[]"},
		{"filter roll range", "/studentapi/?roll__gte=5&roll__lte=10", 200, arr(ravi, sonam, zed)},
		{"filter roll range decimal bounds", "/studentapi/?roll__gte=4.5&roll__lte=9.9", 200, arr(sonam, zed)},
		{"empty filter ignored", "/studentapi/?city=&roll=", 200, arr(ravi, sonam, ranjit, amit, zed)},
		{"bad filter value", "/studentapi/?roll=abc&roll__lte=0x10", 400, `{"roll":["Enter a number."],"roll__lte":["Enter a number."]}`},
		// django-filter reads a number with Python's Decimal: any Unicode
		// digits, underscores dropped; not infinities or NaN.
		{"filter roll in Arabic-Indic digits", "/studentapi/?roll=%D9%A7", 200, arr(sonam)},
		{"filter roll in full-width digits", "/studentapi/?roll=%EF%BC%97", 200, arr(sonam)},
		{"filter roll with underscores", "/studentapi/?roll__gte=0_5&roll__lte=1_0", 200, arr(ravi, sonam, zed)},
		{"filter roll Infinity and NaN", "/studentapi/?roll__gte=Infinity&roll__lte=NaN", 400, `{"roll__gte":["Enter a number."],"roll__lte":["Enter a number."]}`},
		{"filter roll of underscores alone", "/studentapi/?roll=_", 400, `{"roll":["Enter a number."]}`},
		{"all composed", "/studentapi/?search=r&roll__gte=5&ordering=-roll&city=Ranchi", 200, arr(ravi, zed)},
		{"detail honours filters", "/studentapi/1/?city=Pune", 404, `{"detail":"Not found."}`},
		{"detail within filters", "/studentapi/1/?city=Ranchi", 200, ravi},
	})
}

func TestPagination(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.Pagination = api.Pagination{PageSize: 2, PageSizeQueryParam: "page_size", MaxPageSize: 3}
	})
	page := func(count int, next, previous string, items ...string) string {
		link := func(s string) string {
			if s == "-" {
				return "null"
			}
			return `"http://example.com/studentapi/` + s + `"`
		}
		return `{"count":` + itoa(count) + `,"next":` + link(next) + `,"previous":` + link(previous) + `,"results":` + arr(items...) + `}`
	}
	runListCases(t, e, []listCase{
		{"first page", "/studentapi/", 200, page(5, "?page=2", "-", ravi, sonam)},
		{"middle page; link to page 1 drops page", "/studentapi/?page=2", 200, page(5, "?page=3", "", ranjit, amit)},
		{"last page", "/studentapi/?page=3", 200, page(5, "-", "?page=2", zed)},
		{"page=last", "/studentapi/?page=last", 200, page(5, "-", "?page=2", zed)},
		// A QueryDict answers the last of repeated values; DRF's links keep
		// every value of the other parameters.
		{"repeated page: the last counts", "/studentapi/?page=3&page=2", 200, page(5, "?page=3", "", ranjit, amit)},
		{"repeated page size: the last counts", "/studentapi/?page_size=50&page_size=1&page=2", 200, page(5, "?page=3&page_size=50&page_size=1", "?page_size=50&page_size=1", sonam)},
		{"page size from the client", "/studentapi/?page_size=1&page=2", 200, page(5, "?page=3&page_size=1", "?page_size=1", sonam)},
		{"page size capped", "/studentapi/?page_size=50", 200, page(5, "?page=2&page_size=50", "-", ravi, sonam, ranjit)},
		{"bad page size falls back", "/studentapi/?page_size=-1", 200, page(5, "?page=2&page_size=-1", "-", ravi, sonam)},
		{"query keys sorted in links", "/studentapi/?z=1&ordering=-roll&page=2", 200, page(5, "?ordering=-roll&page=3&z=1", "?ordering=-roll&z=1", sonam, zed)},
		{"with search", "/studentapi/?search=ran", 200, page(3, "?page=2&search=ran", "-", ravi, ranjit)},
		{"empty result is page 1", "/studentapi/?city=Nowhere", 200, `{"count":0,"next":null,"previous":null,"results":[]}`},
		{"page 0", "/studentapi/?page=0", 404, `{"detail":"Invalid page."}`},
		{"page past the end", "/studentapi/?page=4", 404, `{"detail":"Invalid page."}`},
		{"page not a number", "/studentapi/?page=abc", 404, `{"detail":"Invalid page."}`},
		{"page 2 of an empty result", "/studentapi/?city=Nowhere&page=2", 404, `{"detail":"Invalid page."}`},
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPaginationLinksTrustProxiesOnlyWhenConfigured(t *testing.T) {
	for _, tt := range []struct {
		name    string
		proxies []string
		want    string
	}{
		{"untrusted proxy headers ignored", nil, `"next":"http://example.com/studentapi/?page=2"`},
		// httptest requests come from 192.0.2.1.
		{"trusted proxy believed", []string{"192.0.2.0/24"}, `"next":"https://api.example.org/studentapi/?page=2"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newListEnv(t, func(d *api.Deps) {
				d.Pagination = api.Pagination{PageSize: 2}
				d.Proxies = trusted(t, tt.proxies...)
			})
			w := e.do(t, http.MethodGet, "/studentapi/", "Authorization", "Token "+e.token,
				"X-Forwarded-Proto", "https", "X-Forwarded-Host", "api.example.org")
			if !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("body %s does not contain %s", w.Body, tt.want)
			}
		})
	}
}

func limiter(t *testing.T, rate string) *throttle.Limiter {
	t.Helper()
	r, err := throttle.ParseRate(rate)
	if err != nil {
		t.Fatal(err)
	}
	return throttle.New(r, nil)
}

func TestUserThrottle(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) { d.Throttles.User = limiter(t, "2/minute") })
	for i := 0; i < 2; i++ {
		if w := e.get(t, "/studentapi/"); w.Code != 200 {
			t.Fatalf("request %d: %d, want 200", i+1, w.Code)
		}
	}
	w := e.get(t, "/studentapi/")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("third request: %d, want 429", w.Code)
	}
	if got, want := w.Body.String(), `{"detail":"Request was throttled. Expected available in 60 seconds."}`; got != want {
		t.Errorf("body %s, want %s", got, want)
	}
	if got := w.Header().Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After %q, want 60", got)
	}
	// Authentication comes first: an anonymous request is 401, not 429.
	if w := e.do(t, http.MethodGet, "/studentapi/"); w.Code != 401 {
		t.Errorf("anonymous: %d, want 401", w.Code)
	}
	// Throttling comes before the method check.
	if w := e.do(t, http.MethodPut, "/studentapi/", "Authorization", "Token "+e.token); w.Code != 429 {
		t.Errorf("throttled PUT on the list: %d, want 429", w.Code)
	}
}

func TestAnonThrottleOnRoot(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) { d.Throttles.Anon = limiter(t, "1/second") })
	if w := e.do(t, http.MethodGet, "/"); w.Code != 200 {
		t.Fatalf("first: %d", w.Code)
	}
	w := e.do(t, http.MethodGet, "/")
	if w.Code != 429 || w.Body.String() != `{"detail":"Request was throttled. Expected available in 1 second."}` || w.Header().Get("Retry-After") != "1" {
		t.Errorf("got %d %s Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
}

func TestGetTokenThrottle(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) { d.Throttles.GetToken = limiter(t, "3/minute") })
	login := func(password string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader("username=lister&password="+password))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		e.router.ServeHTTP(w, req)
		return w
	}
	for i := 0; i < 3; i++ {
		if w := login("wrong"); w.Code != 400 {
			t.Fatalf("attempt %d: %d, want 400", i+1, w.Code)
		}
	}
	// Even the right password is refused once throttled: the attempt never
	// reaches the password check.
	w := login("pw")
	if w.Code != 429 || !strings.HasPrefix(w.Body.String(), `{"detail":"Request was throttled. Expected available in `) {
		t.Errorf("got %d %s, want 429", w.Code, w.Body)
	}
	if ra := w.Header().Get("Retry-After"); ra == "" {
		t.Error("no Retry-After")
	}
}

func TestGetTokenUsernameThrottle(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.Throttles.Logins = loginGuard(t, throttle.NewMemory(0), "2/minute", "100/hour")
	})
	login := func(ip, username, password string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader("username="+username+"&password="+password))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = ip + ":1234"
		w := httptest.NewRecorder()
		e.router.ServeHTTP(w, req)
		return w
	}
	// Attempts from different addresses still count against one username.
	for i, ip := range []string{"192.0.2.1", "192.0.2.2"} {
		if w := login(ip, "lister", "wrong"); w.Code != 400 {
			t.Fatalf("attempt %d: %d, want 400", i+1, w.Code)
		}
	}
	w := login("192.0.2.3", "lister", "pw")
	if w.Code != 429 || w.Body.String() != `{"detail":"Request was throttled. Expected available in 60 seconds."}` || w.Header().Get("Retry-After") != "60" {
		t.Errorf("third attempt: %d %s Retry-After %q, want 429 after 60 seconds", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	// Another username is not affected.
	if w := login("192.0.2.3", "someone", "x"); w.Code != 400 {
		t.Errorf("other username: %d, want 400", w.Code)
	}
	// A body with errors is refused before any attempt is counted.
	if w := login("192.0.2.3", "", "x"); w.Code != 400 || w.Body.String() != `{"username":["This field may not be blank."]}` {
		t.Errorf("blank username: %d %s", w.Code, w.Body)
	}
}

func TestLogout(t *testing.T) {
	e := newListEnv(t, nil)
	tok := "Token " + e.token
	cases := []struct {
		name, method, auth string
		wantStatus         int
		wantBody           string
	}{
		{"anonymous", http.MethodPost, "", 401, `{"detail":"Authentication credentials were not provided."}`},
		{"wrong method", http.MethodGet, tok, 405, `{"detail":"Method \"GET\" not allowed."}`},
		{"logout", http.MethodPost, tok, 204, ""},
		{"the key is gone", http.MethodPost, tok, 401, `{"detail":"Invalid token."}`},
	}
	for _, tt := range cases {
		var headers []string
		if tt.auth != "" {
			headers = []string{"Authorization", tt.auth}
		}
		w := e.do(t, tt.method, "/logout/", headers...)
		if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
			t.Errorf("%s: %d %s, want %d %s", tt.name, w.Code, w.Body, tt.wantStatus, tt.wantBody)
		}
		if got := w.Header().Get("Allow"); got != "POST, OPTIONS" {
			t.Errorf("%s: Allow %q, want POST, OPTIONS", tt.name, got)
		}
	}
	if w := e.get(t, "/studentapi/"); w.Code != 401 {
		t.Errorf("the logged-out key still reads students: %d", w.Code)
	}
	// The next login makes a new key.
	req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader(`{"username":"lister","password":"pw"}`))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	if w.Code != 200 || strings.Contains(w.Body.String(), e.token) {
		t.Errorf("login after logout: %d %s, want 200 with a new key", w.Code, w.Body)
	}
}

// Throttles key anonymous clients by the address a trusted proxy forwards,
// and ignore X-Forwarded-For from anyone else.
func TestAnonThrottleBehindProxy(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.Throttles.Anon = limiter(t, "1/minute")
		d.Proxies = trusted(t, "10.0.0.5")
	})
	root := func(remote, xff string) int {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", xff)
		w := httptest.NewRecorder()
		e.router.ServeHTTP(w, req)
		return w.Code
	}
	for _, tt := range []struct {
		name, remote, xff string
		want              int
	}{
		{"first client through the proxy", "10.0.0.5:1", "203.0.113.1", 200},
		{"second client through the proxy has its own budget", "10.0.0.5:1", "203.0.113.2", 200},
		{"first client again", "10.0.0.5:1", "203.0.113.1", 429},
		{"direct client", "192.0.2.7:1", "203.0.113.3", 200},
		{"direct client cannot escape by forging the header", "192.0.2.7:1", "203.0.113.4", 429},
	} {
		if got := root(tt.remote, tt.xff); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
