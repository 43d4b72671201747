package api_test

// Tests of the login throttle against the attacks of issue 13: memory
// exhaustion through throttle keys, and locking a known user out.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"studentapi/api"
	"studentapi/internal/throttle"
)

var loginSecret = []byte("the login tests' throttle secret")

// loginGuard limits failed logins per username at rates, counted in store,
// and trusts an address for a day after it logged in.
func loginGuard(t *testing.T, store throttle.Store, rates ...string) *throttle.Guard {
	t.Helper()
	var limiters []*throttle.Limiter
	for _, rate := range rates {
		r, err := throttle.ParseRate(rate)
		if err != nil {
			t.Fatal(err)
		}
		l, err := throttle.NewWithStore(r, store, loginSecret, nil)
		if err != nil {
			t.Fatal(err)
		}
		limiters = append(limiters, l)
	}
	marks, err := throttle.NewMarks(throttle.NewMemory(0), loginSecret, 24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	return throttle.NewGuard(limiters, marks)
}

// postLogin sends a JSON /gettoken/ from ip through the router.
func (e *listEnv) postLogin(t *testing.T, ip, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = ip + ":1234"
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	return w
}

// login is postLogin of a username and password (JSON strings).
func (e *listEnv) login(t *testing.T, ip, username, password string) int {
	t.Helper()
	return e.postLogin(t, ip, fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)).Code
}

func heapInUse(t *testing.T) uint64 {
	t.Helper()
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestLongUsernamesDoNotExhaustMemory is the red team's attack: distinct
// usernames of a mebibyte each, from many addresses. Each once stayed in the
// throttle's memory for the hour of the 100/hour limit; now such a username is
// refused before anything is stored, with DRF's max_length message.
func TestLongUsernamesDoNotExhaustMemory(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.BodyLimit = 2 << 20
		d.Throttles.Logins = loginGuard(t, throttle.NewMemory(0), "5/minute", "100/hour")
	})
	const attempts = 40
	long := strings.Repeat("a", 1<<20)
	before := heapInUse(t)
	for i := range attempts {
		body := fmt.Sprintf(`{"username":"%s%d","password":"x"}`, long, i)
		w := e.postLogin(t, fmt.Sprintf("192.0.2.%d", i%200+1), body)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("attempt %d: %d %.200s, want 400", i+1, w.Code, w.Body)
		}
		if i == 0 {
			if got, want := w.Body.String(), `{"username":["Ensure this field has no more than 150 characters."]}`; got != want {
				t.Errorf("body %s, want %s", got, want)
			}
		}
	}
	after := heapInUse(t)
	runtime.KeepAlive(e) // the router and its limiters are what must stay small
	// Kept, the usernames alone would be 2 MiB an attempt (one copy per
	// limiter): 80 MiB. A bounded server keeps next to nothing of them.
	const bound = 24 << 20
	if after > before && after-before > bound {
		t.Errorf("heap grew by %d MiB over %d attempts, want under %d MiB", (after-before)>>20, attempts, bound>>20)
	}
}

// TestManyUsernamesKeepTheStoreBounded sends thousands of distinct usernames
// of the longest length allowed, each a failed login counted at two rates:
// the memory store holds no more than its cap, whatever arrives, and the
// heap does not grow with the usernames.
func TestManyUsernamesKeepTheStoreBounded(t *testing.T) {
	const max, usernames = 250, 2000
	store := throttle.NewMemory(max)
	e := newListEnv(t, func(d *api.Deps) {
		d.Throttles.Logins = loginGuard(t, store, "5/minute", "100/hour")
	})
	// 150 characters of four bytes each: the most a username can hold.
	long := strings.Repeat("\U0001D51E", 145)
	before := heapInUse(t)
	for i := range usernames {
		if got := e.login(t, fmt.Sprintf("198.51.100.%d", i%250+1), fmt.Sprintf("%s%05d", long, i), "x"); got != http.StatusBadRequest {
			t.Fatalf("attempt %d: %d, want 400", i+1, got)
		}
		if n := store.Len(); n > max {
			t.Fatalf("after %d usernames the store holds %d entries, want at most %d", i+1, n, max)
		}
	}
	if n := store.Len(); n < max/2 {
		t.Errorf("the store holds %d entries: the failures were not counted", n)
	}
	after := heapInUse(t)
	runtime.KeepAlive(e)
	// The store's 250 entries are some 50 KB; the usernames, kept, 2.4 MB.
	if after > before && after-before > 4<<20 {
		t.Errorf("heap grew by %d KiB over %d usernames", (after-before)>>10, usernames)
	}
}

// A username is refused by its length in characters, as Django counts them,
// after trimming as DRF does, and before the password is checked or
// anything throttled.
func TestGetTokenUsernameLength(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.Throttles.Logins = loginGuard(t, throttle.NewMemory(0), "1/minute")
	})
	tooLong := `{"username":["Ensure this field has no more than 150 characters."]}`
	for _, tt := range []struct {
		name, body string
		want       int
		wantBody   string
	}{
		{"151 ASCII", `{"username":"` + strings.Repeat("a", 151) + `","password":"x"}`, 400, tooLong},
		{"151 characters of two bytes", `{"username":"` + strings.Repeat("é", 151) + `","password":"x"}`, 400, tooLong},
		{"and no password", `{"username":"` + strings.Repeat("a", 151) + `"}`, 400,
			`{"username":["Ensure this field has no more than 150 characters."],"password":["This field is required."]}`},
		// The only attempt the 1/minute budget allows: the refusals above took none.
		{"150 characters of two bytes, spaces around", `{"username":"  ` + strings.Repeat("é", 150) + `  ","password":"x"}`, 400,
			`{"non_field_errors":["Unable to log in with provided credentials."]}`},
		{"the budget is now spent", `{"username":"` + strings.Repeat("é", 150) + `","password":"x"}`, 429,
			`{"detail":"Request was throttled. Expected available in 60 seconds."}`},
	} {
		w := e.postLogin(t, "192.0.2.1", tt.body)
		if w.Code != tt.want || w.Body.String() != tt.wantBody {
			t.Errorf("%s: %d %s, want %d %s", tt.name, w.Code, w.Body, tt.want, tt.wantBody)
		}
	}
}

// A successful login costs nothing on the username's budget: many of them,
// from many addresses, leave every failure of the budget to the next guesser.
func TestGetTokenSuccessCostsNothing(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.Throttles.Logins = loginGuard(t, throttle.NewMemory(0), "5/minute", "100/hour")
	})
	for i := range 20 {
		if got := e.login(t, fmt.Sprintf("192.0.2.%d", i+1), "lister", "pw"); got != http.StatusOK {
			t.Fatalf("login %d: %d, want 200", i+1, got)
		}
	}
	for i := range 5 {
		if got := e.login(t, "203.0.113.1", "lister", "guess"); got != http.StatusBadRequest {
			t.Fatalf("failure %d: %d, want 400: successes were counted", i+1, got)
		}
	}
	if got := e.login(t, "203.0.113.1", "lister", "guess"); got != http.StatusTooManyRequests {
		t.Errorf("sixth failure: %d, want 429", got)
	}
}

// Parallel wrong guesses cannot overrun the budget: each reserves its cost
// before the password is checked.
func TestGetTokenParallelGuesses(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.Throttles.Logins = loginGuard(t, throttle.NewMemory(0), "5/minute")
	})
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[int]int{}
	)
	for i := range 20 {
		wg.Go(func() {
			code := e.login(t, fmt.Sprintf("203.0.113.%d", i+1), "lister", "guess")
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[http.StatusBadRequest] != 5 || codes[http.StatusTooManyRequests] != 15 {
		t.Errorf("answers %v, want 5 checked (400) and 15 throttled (429)", codes)
	}
}

// TestGetTokenLockout is issue 13's item 2 on the API: five failures for a
// username from anywhere stop new addresses, but not one that logged in as
// that user before; the limit per address still applies to it.
func TestGetTokenLockout(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.Throttles.GetToken = limiter(t, "3/minute")
		d.Throttles.Logins = loginGuard(t, throttle.NewMemory(0), "5/minute", "100/hour")
	})
	const owner, stranger = "192.0.2.10", "198.51.100.5"
	if got := e.login(t, owner, "lister", "pw"); got != http.StatusOK {
		t.Fatalf("the owner's login: %d", got)
	}
	// Five guesses from three addresses (each under its own limit of 3).
	for i, ip := range []string{"203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.2", "203.0.113.3"} {
		if got := e.login(t, ip, "lister", "guess"); got != http.StatusBadRequest {
			t.Fatalf("guess %d: %d, want 400", i+1, got)
		}
	}
	for _, tt := range []struct {
		name, ip, password string
		want               int
	}{
		{"another guess", "203.0.113.4", "guess", http.StatusTooManyRequests},
		{"the right password, new address", stranger, "pw", http.StatusTooManyRequests},
		{"the owner's address", owner, "pw", http.StatusOK},
		{"the owner's address again", owner, "pw", http.StatusOK},
		{"the owner's address, over its own limit", owner, "pw", http.StatusTooManyRequests},
	} {
		if got := e.login(t, tt.ip, "lister", tt.password); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

// Basic credentials on /gettoken/ are checked as DRF's BasicAuthentication
// would, so they are a second way to try a password: their failures spend the
// same per-username budget as the body's, and the address limit comes first.
func TestGetTokenBasicGuessesAreThrottled(t *testing.T) {
	e := newListEnv(t, func(d *api.Deps) {
		d.Throttles.GetToken = limiter(t, "4/minute")
		d.Throttles.Logins = loginGuard(t, throttle.NewMemory(0), "3/minute")
	})
	guessAs := func(ip, username, password string) int {
		req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(username, password)
		req.RemoteAddr = ip + ":1234"
		w := httptest.NewRecorder()
		e.router.ServeHTTP(w, req)
		return w.Code
	}
	guess := func(ip, password string) int { return guessAs(ip, "lister", password) }
	for i, ip := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		if got := guess(ip, "guess"); got != http.StatusForbidden {
			t.Fatalf("Basic guess %d: %d, want 403", i+1, got)
		}
	}
	if got := guess("203.0.113.4", "pw"); got != http.StatusTooManyRequests {
		t.Errorf("Basic with the right password after three failures: %d, want 429", got)
	}
	if got := e.login(t, "203.0.113.5", "lister", "pw"); got != http.StatusTooManyRequests {
		t.Errorf("a body login after three Basic failures: %d, want 429", got)
	}
	// One address spraying a password over many usernames: each username's
	// budget is fresh, the address's is not.
	for i := range 4 {
		if got := guessAs("198.51.100.7", fmt.Sprintf("user%d", i), "guess"); got != http.StatusForbidden {
			t.Fatalf("spray %d: %d, want 403", i+1, got)
		}
	}
	if got := guessAs("198.51.100.7", "user4", "guess"); got != http.StatusTooManyRequests {
		t.Errorf("fifth request from one address: %d, want 429", got)
	}
}
