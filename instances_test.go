package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"studentapi/internal/testdb"
)

// These tests run two servers against one PostgreSQL database, as several
// instances behind a load balancer do. They skip without a server (see
// internal/testdb); scripts/test.sh gives them one.

// twoInstances starts two servers on one fresh PostgreSQL database, with the
// login throttles off so that the tests' bursts of logins go through.
func twoInstances(t *testing.T) (c *testCLI, a, b *testServer) {
	t.Helper()
	c = newTestCLIOn(t, testdb.Postgres(t))
	// The tests' short passwords need Django's validators off, as newTestCLIOn has them.
	config := "http:\n  shutdown_timeout: 5s\nauth:\n  password_validators: []\napi:\n  throttle:\n    gettoken: \"\"\n    gettoken_username: []\n"
	if err := os.WriteFile(c.config, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	c.mustRun(t, "", "migrate")
	return c, startServer(t, c), startServer(t, c)
}

func tokenHeader(key string) http.Header {
	return http.Header{"Authorization": {"Token " + key}}
}

// checkKey asks every server for the student list with key and checks the
// status each gives.
func checkKey(t *testing.T, client *http.Client, what, key string, want int, servers ...*testServer) {
	t.Helper()
	for i, s := range servers {
		resp, body := do(t, client, http.MethodGet, s.url+"/studentapi/", "", tokenHeader(key))
		if resp.StatusCode != want {
			t.Errorf("%s, on instance %d: status %d, want %d; body %s", what, i+1, resp.StatusCode, want, body)
		}
	}
}

func TestInstancesRevokeAtOnce(t *testing.T) {
	c, a, b := twoInstances(t)
	c.createUser(t, "createsuperuser", "alice", "pw")
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	first := getToken(t, client, a.url, "alice", "pw")
	checkKey(t, client, "a key from instance 1", first, http.StatusOK, a, b)

	resp, body := do(t, client, http.MethodPost, a.url+"/logout/", "", tokenHeader(first))
	checkStatus(t, resp, body, http.StatusNoContent)
	checkKey(t, client, "the key logged out on instance 1", first, http.StatusUnauthorized, b, a)

	second := getToken(t, client, b.url, "alice", "pw")
	if second == first {
		t.Fatal("login after logout gave the old key")
	}
	checkKey(t, client, "a key from instance 2", second, http.StatusOK, a, b)

	third := createToken(t, c, "-r", "alice")
	checkKey(t, client, "the key replaced with drf_create_token -r", second, http.StatusUnauthorized, a, b)
	checkKey(t, client, "the key from drf_create_token -r", third, http.StatusOK, a, b)

	adminRegenerate(t, a, "alice", "pw")
	checkKey(t, client, "the key regenerated in the admin of instance 1", third, http.StatusUnauthorized, b, a)
	fourth := createToken(t, c, "alice") // the existing token
	if fourth == third {
		t.Fatal("the admin did not replace the key")
	}
	checkKey(t, client, "the key from the admin", fourth, http.StatusOK, b, a)
	if got := getToken(t, client, b.url, "alice", "pw"); got != fourth {
		t.Errorf("login on instance 2 gave %s, want the admin's key %s", got, fourth)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// adminRegenerate logs into the admin site of s as a staff user and
// regenerates that user's own token there.
func adminRegenerate(t *testing.T, s *testServer, username, password string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, body := do(t, client, http.MethodPost, s.url+"/admin/login/", url.Values{"username": {username}, "password": {password}}.Encode(), formHeader)
	checkStatus(t, resp, body, http.StatusOK) // after the redirect to /admin/
	resp, body = do(t, client, http.MethodGet, s.url+"/admin/tokens/", "", nil)
	checkStatus(t, resp, body, http.StatusOK)
	link := regexp.MustCompile(`/admin/tokens/(\d+)/regenerate/`).FindStringSubmatch(body)
	csrf := csrfField.FindStringSubmatch(body)
	if link == nil || csrf == nil {
		t.Fatalf("GET /admin/tokens/: no regenerate link or csrf token in %s", body)
	}
	resp, body = do(t, client, http.MethodPost, s.url+link[0], url.Values{"csrf": {csrf[1]}}.Encode(), formHeader)
	checkStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(body, "Token regenerated") {
		t.Fatalf("POST %s: no confirmation in %s", link[0], body)
	}
}

func TestInstancesConcurrentFirstLogins(t *testing.T) {
	c, a, b := twoInstances(t)
	c.env["STUDENTAPI_AUTH_CREATE_TOKEN_ON_USER_CREATE"] = "false"
	const users, logins = 4, 16
	for i := range users {
		c.createUser(t, "createuser", fmt.Sprintf("user%d", i), "pw")
	}
	delete(c.env, "STUDENTAPI_AUTH_CREATE_TOKEN_ON_USER_CREATE")
	db := c.openDB(t)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: logins}}
	defer client.CloseIdleConnections()

	for i := range users {
		username := fmt.Sprintf("user%d", i)
		if _, err := db.TokenOf(t.Context(), mustUser(t, db, username).ID); err == nil {
			t.Fatalf("%s has a token before logging in", username)
		}
		keys := make([]string, logins)
		errs := make([]error, logins)
		var wg sync.WaitGroup
		for j := range logins {
			s := []*testServer{a, b}[j%2]
			wg.Go(func() {
				form := url.Values{"username": {username}, "password": {"pw"}}.Encode()
				resp, err := client.Post(s.url+"/gettoken/", "application/x-www-form-urlencoded", strings.NewReader(form))
				if err != nil {
					errs[j] = err
					return
				}
				defer resp.Body.Close()
				var got struct {
					Token string `json:"token"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
					errs[j] = fmt.Errorf("status %d, decode error %v", resp.StatusCode, err)
					return
				}
				keys[j] = got.Token
			})
		}
		wg.Wait()
		stored, err := db.TokenOf(t.Context(), mustUser(t, db, username).ID)
		if err != nil {
			t.Fatalf("%s: token after the logins: %v", username, err)
		}
		for j := range logins {
			if errs[j] != nil {
				t.Errorf("%s, login %d: %v", username, j, errs[j])
			} else if keys[j] != stored.Key {
				t.Errorf("%s, login %d (instance %d) got %s, want the one stored token %s", username, j, j%2+1, keys[j], stored.Key)
			}
		}
	}
}

func TestInstancesConcurrentCreates(t *testing.T) {
	c, a, b := twoInstances(t)
	c.createUser(t, "createuser", "alice", "pw")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	key := getToken(t, client, a.url, "alice", "pw")

	const writers, each = 8, 25
	var (
		mu      sync.Mutex
		created = map[int64]string{} // id: name, of every 201
		failed  []string
		wg      sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				s := []*testServer{a, b}[(w+i)%2]
				name := fmt.Sprintf("w%d-%d", w, i)
				body := fmt.Sprintf(`{"name": %q, "roll": %d, "city": "Pune"}`, name, w*1000+i)
				req, _ := http.NewRequest(http.MethodPost, s.url+"/studentapi/", strings.NewReader(body))
				req.Header.Set("Authorization", "Token "+key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("%s: %v", name, err))
					mu.Unlock()
					continue
				}
				var got struct {
					ID   int64  `json:"id"`
					Name string `json:"name"`
				}
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode != http.StatusCreated || err != nil {
					failed = append(failed, fmt.Sprintf("%s: status %d, decode error %v", name, resp.StatusCode, err))
				} else if prev, dup := created[got.ID]; dup {
					failed = append(failed, fmt.Sprintf("%s and %s both got id %d", prev, name, got.ID))
				} else {
					created[got.ID] = got.Name
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, f := range failed {
		t.Error(f)
	}
	if len(created) != writers*each {
		t.Errorf("%d creates acknowledged, want %d", len(created), writers*each)
	}
	for i, s := range []*testServer{a, b} {
		resp, body := do(t, client, http.MethodGet, s.url+"/studentapi/", "", tokenHeader(key))
		checkStatus(t, resp, body, http.StatusOK)
		var list []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatalf("instance %d: decode list: %v", i+1, err)
		}
		if len(list) != len(created) {
			t.Errorf("instance %d lists %d students, want the %d acknowledged", i+1, len(list), len(created))
		}
		for _, st := range list {
			if created[st.ID] != st.Name {
				t.Errorf("instance %d lists %d %q, acknowledged as %q", i+1, st.ID, st.Name, created[st.ID])
			}
		}
	}
}

// TestInstancesShareLoginLimits sets api.throttle.store: database, so that the
// per-username login limit holds across instances: attempts spread over both
// run out one budget, in the API and the admin alike.
func TestInstancesShareLoginLimits(t *testing.T) {
	c := newTestCLIOn(t, testdb.Postgres(t))
	config := "http:\n  shutdown_timeout: 5s\nauth:\n  password_validators: []\napi:\n  throttle:\n    store: database\n    gettoken: \"\"\n    gettoken_username: [3/minute]\n"
	if err := os.WriteFile(c.config, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	c.createUser(t, "createsuperuser", "alice", "pw")
	a, b := startServer(t, c), startServer(t, c)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	wrong := url.Values{"username": {"alice"}, "password": {"wrong"}}.Encode()

	for _, s := range []*testServer{a, b, a} {
		resp, body := do(t, client, http.MethodPost, s.url+"/gettoken/", wrong, formHeader)
		checkStatus(t, resp, body, http.StatusBadRequest)
	}
	for i, s := range []*testServer{b, a} {
		resp, body := do(t, client, http.MethodPost, s.url+"/gettoken/", wrong, formHeader)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("attempt %d over the shared limit, on instance %d: %d (Retry-After %q) %s; want 429",
				4+i, []int{2, 1}[i], resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	// The admin login counts against the same budget.
	resp, body := do(t, client, http.MethodPost, b.url+"/admin/login/", url.Values{"username": {"alice"}, "password": {"pw"}}.Encode(), formHeader)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("admin login on instance 2 over the shared limit: %d, want 429; body %s", resp.StatusCode, body)
	}
}
