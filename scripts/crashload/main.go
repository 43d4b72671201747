// Command crashload is the client side of scripts/crashtest.sh. "load" writes
// students through the API with several workers until the server goes away
// (it is killed with SIGKILL), recording every acknowledged write, and the one
// request of each worker that was in flight when the server died. "check",
// run against the restarted server, compares the table with that record:
// every acknowledged create, update and delete must be there, an in-flight
// request may or may not have landed, and nothing else may have changed. It
// then takes the table as the record for the next round.
//
//	crashload load  -url http://127.0.0.1:8000 -token KEY -state state.json
//	crashload check -url http://127.0.0.1:8000 -token KEY -state state.json
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

// student is a row as the API answers it.
type student struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Roll int64  `json:"roll"`
	City string `json:"city"`
}

// state is what the client knows after a round of load.
type state struct {
	Round int               `json:"round"`
	Rows  map[int64]student `json:"rows"` // acknowledged: must be in the table as written
	// Maybe are rows an in-flight PUT or PATCH may have changed to, or an
	// in-flight DELETE may have removed (Deleted true); Created are in-flight
	// creates, which may be in the table under an id the client never learnt.
	Maybe   map[int64]maybe `json:"maybe"`
	Created []student       `json:"created"`
	Acked   int             `json:"acked"` // acknowledged writes in the last round
}

type maybe struct {
	Student student `json:"student"`
	Deleted bool    `json:"deleted"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crashload load|check -url URL -token KEY -state FILE")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8000", "server base URL")
	token := fs.String("token", "", "API token")
	path := fs.String("state", "crashload.json", "state file")
	workers := fs.Int("workers", 8, "concurrent writers (load)")
	if err := fs.Parse(os.Args[2:]); err != nil {
		os.Exit(2)
	}
	c := client{base: *base, token: *token, http: &http.Client{Timeout: 30 * time.Second}}
	var err error
	switch os.Args[1] {
	case "load":
		err = load(c, *path, *workers)
	case "check":
		err = check(c, *path)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashload:", err)
		os.Exit(1)
	}
}

type client struct {
	base, token string
	http        *http.Client
}

// errGone is a request that got no answer: the server died under it.
var errGone = errors.New("no answer")

func (c client) do(method, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Token "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w: %v", method, path, errGone, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w: %v", method, path, errGone, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func readState(path string) (*state, error) {
	st := &state{Rows: map[int64]student{}, Maybe: map[int64]maybe{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if st.Rows == nil {
		st.Rows = map[int64]student{}
	}
	if st.Maybe == nil {
		st.Maybe = map[int64]maybe{}
	}
	return st, nil
}

func writeState(path string, st *state) error {
	data, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// load splits the known rows among the workers (each row has one writer, so
// its last acknowledged value is well defined) and writes until every worker
// has lost the server.
func load(c client, path string, workers int) error {
	st, err := readState(path)
	if err != nil {
		return err
	}
	if len(st.Maybe) > 0 || len(st.Created) > 0 {
		return errors.New("state has unresolved in-flight writes: run check first")
	}
	st.Round++
	ids := make([]int64, 0, len(st.Rows))
	for id := range st.Rows {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	var mu sync.Mutex
	var wg sync.WaitGroup
	var failures []error
	st.Acked = 0
	for w := range workers {
		owned := map[int64]student{}
		for i := w; i < len(ids); i += workers {
			owned[ids[i]] = st.Rows[ids[i]]
		}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(st.Round), uint64(w)))
			for i := 0; ; i++ {
				err := step(c, rng, st.Round, w, i, owned, &mu, st)
				if errors.Is(err, errGone) {
					return
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if err := writeState(path, st); err != nil {
		return err
	}
	fmt.Printf("crashload: round %d: %d acknowledged writes, %d rows, %d in flight at the kill\n",
		st.Round, st.Acked, len(st.Rows), len(st.Maybe)+len(st.Created))
	return errors.Join(failures...)
}

// step makes one write and records it in st: acknowledged, or in flight when
// the server went away.
func step(c client, rng *rand.Rand, round, w, i int, owned map[int64]student, mu *sync.Mutex, st *state) error {
	var pick student
	if len(owned) > 0 {
		keys := make([]int64, 0, len(owned))
		for id := range owned {
			keys = append(keys, id)
		}
		slices.Sort(keys)
		pick = owned[keys[rng.IntN(len(keys))]]
	}
	op := rng.IntN(10)
	if pick.ID == 0 {
		op = 0
	}
	switch {
	case op < 6:
		want := student{Name: fmt.Sprintf("r%d-w%d-%d", round, w, i), Roll: int64(i), City: "Crashville"}
		var got student
		err := c.do(http.MethodPost, "/studentapi/", want, http.StatusCreated, &got)
		mu.Lock()
		defer mu.Unlock()
		if errors.Is(err, errGone) {
			st.Created = append(st.Created, want)
			return err
		}
		if err != nil {
			return err
		}
		owned[got.ID] = got
		st.Rows[got.ID] = got
	case op < 9:
		want := student{ID: pick.ID, Name: pick.Name, Roll: pick.Roll + 1, City: fmt.Sprintf("r%d-%d", round, i)}
		var got student
		err := c.do(http.MethodPut, fmt.Sprintf("/studentapi/%d/", pick.ID), want, http.StatusOK, &got)
		mu.Lock()
		defer mu.Unlock()
		if errors.Is(err, errGone) {
			st.Maybe[pick.ID] = maybe{Student: want}
			return err
		}
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("PUT %d answered %+v, want %+v", pick.ID, got, want)
		}
		owned[got.ID] = got
		st.Rows[got.ID] = got
	default:
		err := c.do(http.MethodDelete, fmt.Sprintf("/studentapi/%d/", pick.ID), nil, http.StatusNoContent, nil)
		mu.Lock()
		defer mu.Unlock()
		if errors.Is(err, errGone) {
			st.Maybe[pick.ID] = maybe{Student: pick, Deleted: true}
			return err
		}
		if err != nil {
			return err
		}
		delete(owned, pick.ID)
		delete(st.Rows, pick.ID)
	}
	st.Acked++
	return nil
}

// check compares the table with the record, then makes the table the record.
func check(c client, path string) error {
	st, err := readState(path)
	if err != nil {
		return err
	}
	var list []student
	if err := c.do(http.MethodGet, "/studentapi/", nil, http.StatusOK, &list); err != nil {
		return err
	}
	table := make(map[int64]student, len(list))
	for _, s := range list {
		table[s.ID] = s
	}
	var problems []error
	for id, want := range st.Rows {
		got, ok := table[id]
		m, inFlight := st.Maybe[id]
		switch {
		case ok && got == want:
		case inFlight && m.Deleted && !ok:
		case inFlight && !m.Deleted && ok && got == m.Student:
		case !ok:
			problems = append(problems, fmt.Errorf("acknowledged student %d %+v is missing", id, want))
		default:
			problems = append(problems, fmt.Errorf("student %d is %+v, want the acknowledged %+v", id, got, want))
		}
	}
	for id, got := range table {
		if _, known := st.Rows[id]; known {
			continue
		}
		i := slices.IndexFunc(st.Created, func(s student) bool {
			return s.Name == got.Name && s.Roll == got.Roll && s.City == got.City
		})
		if i < 0 {
			problems = append(problems, fmt.Errorf("student %d %+v is in the table, but no acknowledged or in-flight write made it", id, got))
			continue
		}
		st.Created = slices.Delete(st.Created, i, i+1)
	}
	if err := errors.Join(problems...); err != nil {
		return err
	}
	fmt.Printf("crashload: round %d: all %d acknowledged rows present and as written (%d rows in the table)\n", st.Round, len(st.Rows), len(table))
	st.Rows, st.Maybe, st.Created = table, map[int64]maybe{}, nil
	return writeState(path, st)
}
