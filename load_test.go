package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// loadStudent is a student as the API answers it.
type loadStudent struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Roll int64  `json:"roll"`
	City string `json:"city"`
}

// loadClient is one of the concurrent clients of TestNoLostWrites. It owns the
// students it creates, so the order of the writes to each row is the order of
// its own acknowledged requests, and what it last saw acknowledged is what the
// table must hold.
type loadClient struct {
	n      int
	base   string
	http   *http.Client
	user   string
	token  string
	rng    *rand.Rand
	owned  map[int64]loadStudent
	tokens []string // every key /gettoken/ gave this client
}

// send makes one request and decodes a JSON answer into out (when not nil). Any
// transport error, or a status other than want, is returned as an error.
func (lc *loadClient) send(method, path, body string, want int, out any) error {
	req, err := http.NewRequest(method, lc.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if lc.token != "" && path != "/gettoken/" {
		req.Header.Set("Authorization", "Token "+lc.token)
	}
	resp, err := lc.http.Do(req)
	if err != nil {
		return fmt.Errorf("client %d: %s %s: %w", lc.n, method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("client %d: %s %s: read body: %w", lc.n, method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("client %d: %s %s: status %d, want %d; body %s", lc.n, method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("client %d: %s %s: decode %s: %w", lc.n, method, path, data, err)
		}
	}
	return nil
}

func (lc *loadClient) login() error {
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, lc.user, loadPassword)
	var got struct {
		Token string `json:"token"`
	}
	if err := lc.send(http.MethodPost, "/gettoken/", body, http.StatusOK, &got); err != nil {
		return err
	}
	lc.token = got.Token
	lc.tokens = append(lc.tokens, got.Token)
	return nil
}

// pick returns one of the client's students, or false when it owns none.
func (lc *loadClient) pick() (loadStudent, bool) {
	if len(lc.owned) == 0 {
		return loadStudent{}, false
	}
	ids := make([]int64, 0, len(lc.owned))
	for id := range lc.owned {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return lc.owned[ids[lc.rng.IntN(len(ids))]], true
}

func checkEcho(lc *loadClient, what string, got, want loadStudent) error {
	if got != want {
		return fmt.Errorf("client %d: %s answered %+v, want %+v", lc.n, what, got, want)
	}
	return nil
}

// step makes one random request and records what its acknowledgement implies.
func (lc *loadClient) step(i int) error {
	s, ok := lc.pick()
	op := lc.rng.IntN(100)
	if !ok {
		op = 0
	}
	switch {
	case op < 35: // create
		want := loadStudent{Name: fmt.Sprintf("c%d-%d", lc.n, i), Roll: int64(lc.n*1000 + i), City: "Pune"}
		var got loadStudent
		body := fmt.Sprintf(`{"name":%q,"roll":%d,"city":%q}`, want.Name, want.Roll, want.City)
		if err := lc.send(http.MethodPost, "/studentapi/", body, http.StatusCreated, &got); err != nil {
			return err
		}
		want.ID = got.ID
		if err := checkEcho(lc, "POST", got, want); err != nil {
			return err
		}
		lc.owned[got.ID] = got
	case op < 55: // replace
		want := loadStudent{ID: s.ID, Name: fmt.Sprintf("p%d-%d", lc.n, i), Roll: int64(i), City: fmt.Sprintf("city%d", i)}
		var got loadStudent
		body := fmt.Sprintf(`{"name":%q,"roll":%d,"city":%q}`, want.Name, want.Roll, want.City)
		if err := lc.send(http.MethodPut, fmt.Sprintf("/studentapi/%d/", s.ID), body, http.StatusOK, &got); err != nil {
			return err
		}
		if err := checkEcho(lc, "PUT", got, want); err != nil {
			return err
		}
		lc.owned[s.ID] = got
	case op < 75: // partial update
		want := s
		want.City = fmt.Sprintf("patched%d", i)
		var got loadStudent
		if err := lc.send(http.MethodPatch, fmt.Sprintf("/studentapi/%d/", s.ID), fmt.Sprintf(`{"city":%q}`, want.City), http.StatusOK, &got); err != nil {
			return err
		}
		if err := checkEcho(lc, "PATCH", got, want); err != nil {
			return err
		}
		lc.owned[s.ID] = got
	case op < 87: // delete
		if err := lc.send(http.MethodDelete, fmt.Sprintf("/studentapi/%d/", s.ID), "", http.StatusNoContent, nil); err != nil {
			return err
		}
		delete(lc.owned, s.ID)
	case op < 94: // read back
		var got loadStudent
		if err := lc.send(http.MethodGet, fmt.Sprintf("/studentapi/%d/", s.ID), "", http.StatusOK, &got); err != nil {
			return err
		}
		if err := checkEcho(lc, "GET", got, s); err != nil {
			return err
		}
	default: // log in again
		return lc.login()
	}
	return nil
}

// TestNoLostWrites runs 64 concurrent clients against the real server: first
// logins that race to create each user's token, then creates, replaces,
// partial updates, deletes, reads and more logins. Every request must be
// answered as expected (no 5xx, no "database is locked"), and the table must
// hold exactly what the acknowledged requests imply.
// loadPassword is the load test users' password: one Django's validators
// accept, as the test's own config keeps them on.
const loadPassword = "load-test-password-7"

func TestNoLostWrites(t *testing.T) {
	const (
		clients = 64
		users   = 4
	)
	steps := 40
	if testing.Short() {
		steps = 10
	}
	c := newTestCLI(t)
	// Logins unthrottled; users created without tokens, so the first logins race.
	config := "http:\n  shutdown_timeout: 5s\napi:\n  throttle:\n    gettoken: \"\"\n    gettoken_username: []\n"
	if err := os.WriteFile(c.config, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	c.env["STUDENTAPI_AUTH_CREATE_TOKEN_ON_USER_CREATE"] = "false"
	for u := range users {
		c.createUser(t, "createuser", fmt.Sprintf("user%d", u), loadPassword)
	}
	s := startServer(t, c)

	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	lcs := make([]*loadClient, clients)
	for n := range lcs {
		lcs[n] = &loadClient{
			n: n, base: s.url, http: hc, user: fmt.Sprintf("user%d", n%users),
			rng: rand.New(rand.NewPCG(uint64(n), 5)), owned: map[int64]loadStudent{},
		}
	}
	start := time.Now()
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for _, lc := range lcs {
		wg.Go(func() {
			if err := lc.login(); err != nil {
				errs <- err
				return
			}
			for i := range steps {
				if err := lc.step(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d clients x %d steps in %v", clients, steps, time.Since(start).Round(time.Millisecond))

	// One token per user: every login of a user's clients got the same key.
	keys := map[string]string{}
	for _, lc := range lcs {
		for _, k := range lc.tokens {
			if prev, ok := keys[lc.user]; ok && prev != k {
				t.Errorf("%s got tokens %s and %s, want one", lc.user, prev, k)
			}
			keys[lc.user] = k
		}
	}

	want := map[int64]loadStudent{}
	for _, lc := range lcs {
		for id, st := range lc.owned {
			if _, dup := want[id]; dup {
				t.Errorf("id %d acknowledged to two clients", id)
			}
			want[id] = st
		}
	}
	reader := lcs[0]
	var list []loadStudent
	if err := reader.send(http.MethodGet, "/studentapi/", "", http.StatusOK, &list); err != nil {
		t.Fatal(err)
	}
	got := map[int64]loadStudent{}
	for _, st := range list {
		got[st.ID] = st
	}
	for id, w := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("student %d (%+v) was acknowledged but is missing", id, w)
		} else if g != w {
			t.Errorf("student %d = %+v, want %+v (the last acknowledged write)", id, g, w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("student %d (%+v) is in the table but no acknowledged request leaves it there", id, g)
		}
	}
	if t.Failed() {
		return
	}
	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if out := s.stderr.String(); strings.Contains(out, "database is locked") || strings.Contains(out, "level=ERROR") {
		t.Errorf("server logged errors under load:\n%s", out)
	}
}
