package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"studentapi/models"
)

// TestConcurrentPatchesLoseNothing: PATCHes of different fields of one
// student, sent at once, each keep what they wrote. A PATCH that wrote back
// every field of the row it had read would put back the old value of a field
// another PATCH had just changed. A lost write needs an unlucky interleaving,
// so the test runs a few rounds, each checked against the values before it.
func TestConcurrentPatchesLoseNothing(t *testing.T) {
	e := newEnv(t)
	targets := []models.Student{ravi, sonam}
	for round := range 3 {
		patchConcurrently(t, e, round, targets)
		targets = e.students(t)
	}
}

// patchConcurrently sends 64 PATCHes at once to the students targets (as they
// are before the round), half of them setting a name, half a city, and checks
// that each field ends with a value some client of the round wrote.
func patchConcurrently(t *testing.T, e *env, round int, targets []models.Student) {
	t.Helper()
	const clients = 64
	type answer struct {
		code int
		body string
	}
	answers := make([]answer, clients)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		// Clients 4k and 4k+1 patch the same student, one the name, one the city.
		id := targets[(i/2)%len(targets)].ID
		body := fmt.Sprintf(`{"city":"c%d-%d"}`, round, i)
		if i%2 == 0 {
			body = fmt.Sprintf(`{"name":"n%d-%d"}`, round, i)
		}
		req := httptest.NewRequest(http.MethodPatch, fmt.Sprintf("/studentapi/%d/", id), strings.NewReader(body))
		req.Header.Set("Content-Type", jsonType)
		req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w := e.serve(req)
			answers[i] = answer{w.Code, w.Body.String()}
		}()
	}
	close(start)
	wg.Wait()

	// Who may have written each field last.
	writers := map[int64]map[string]map[string]bool{}
	for _, s := range targets {
		writers[s.ID] = map[string]map[string]bool{"name": {}, "city": {}}
	}
	for i, a := range answers {
		id := targets[(i/2)%len(targets)].ID
		field, value := "city", fmt.Sprintf("c%d-%d", round, i)
		if i%2 == 0 {
			field, value = "name", fmt.Sprintf("n%d-%d", round, i)
		}
		writers[id][field][value] = true
		if a.code != http.StatusOK {
			t.Errorf("round %d, client %d: PATCH %s=%s answered %d %s, want 200", round, i, field, value, a.code, a.body)
			continue
		}
		// The answer is the row just after this client's write: it holds
		// what the client wrote, and the whole student.
		var got map[string]any
		if err := json.Unmarshal([]byte(a.body), &got); err != nil {
			t.Errorf("round %d, client %d: answer %s: %v", round, i, a.body, err)
			continue
		}
		if got[field] != value || len(got) != models.StudentFields().Len() {
			t.Errorf("round %d, client %d: PATCH %s=%s answered %s, want the whole student with %s %q", round, i, field, value, a.body, field, value)
		}
	}
	for _, want := range targets {
		got := e.students(t)[want.ID-1]
		if !writers[want.ID]["name"][got.Name] {
			t.Errorf("round %d, student %d: name %q, want one a client wrote (before: %q)", round, want.ID, got.Name, want.Name)
		}
		if !writers[want.ID]["city"][got.City] {
			t.Errorf("round %d, student %d: city %q, want one a client wrote (before: %q)", round, want.ID, got.City, want.City)
		}
		if got.Roll != want.Roll {
			t.Errorf("round %d, student %d: roll %d, want %d (no client wrote it)", round, want.ID, got.Roll, want.Roll)
		}
	}
}

// Conditional writes that lose a race are judged again on the row as it is
// now, not refused: 16 clients PATCHing one student at once with an
// If-None-Match no version of it has all succeed (the red team saw 23 of
// 40 such writes answered 412), and so do DELETEs racing PATCHes, which
// end in 204 or a 404 for the row gone.
func TestConcurrentConditionalWritesAreJudgedAgain(t *testing.T) {
	e := newEnv(t)
	const clients = 16
	codes := make([]int, clients)
	bodies := make([]string, clients)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		body := fmt.Sprintf(`{"city":"c%d"}`, i)
		if i%2 == 0 {
			body = fmt.Sprintf(`{"name":"n%d"}`, i)
		}
		req := httptest.NewRequest(http.MethodPatch, fmt.Sprintf("/studentapi/%d/", ravi.ID), strings.NewReader(body))
		req.Header.Set("Content-Type", jsonType)
		req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
		req.Header.Set("If-None-Match", `"no-version-has-this-tag"`)
		wg.Go(func() {
			<-start
			w := e.serve(req)
			codes[i], bodies[i] = w.Code, w.Body.String()
		})
	}
	close(start)
	wg.Wait()
	for i := range clients {
		if codes[i] != http.StatusOK {
			t.Errorf("client %d: %d %s, want 200", i, codes[i], bodies[i])
		}
	}
}
