package api

// Cost bounded per request (issue 13, item 6): input that once made a query
// or a parse cost far more than its size is refused, or handled, before
// anything expensive runs.

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"studentapi/auth"
	"studentapi/models"
)

func searchPath(path string, terms ...string) string {
	return path + "?" + url.Values{"search": {strings.Join(terms, " ")}}.Encode()
}

func repeatTerms(term string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = term
	}
	return out
}

const (
	bodyTooManyTerms = `{"search":["Ensure this field has no more than 10 terms."]}`
	bodyTermTooLong  = `{"search":["Ensure each term has no more than 100 characters."]}`
)

// costCase is a GET whose answer is checked; failures name the case, never
// the path, which may be tens of kilobytes.
type costCase struct {
	name, path string
	token      string
	wantStatus int
	wantBody   string
}

func runCostCases(t *testing.T, e *env, cases []costCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			w := e.serve(scenario{path: tt.path, token: tt.token}.request(e))
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %.300s, want %d %s", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestSearchIsBounded(t *testing.T) {
	e := newEnv(t)
	runCostCases(t, e, []costCase{
		{name: "ten terms are searched", path: searchPath("/studentapi/", repeatTerms("r", 10)...), token: "alice",
			wantStatus: 200, wantBody: "[" + raviJSON + "]"},
		{name: "eleven terms are refused", path: searchPath("/studentapi/", repeatTerms("a", 11)...), token: "alice",
			wantStatus: 400, wantBody: bodyTooManyTerms},
		{name: "twenty thousand terms are refused", path: searchPath("/studentapi/", repeatTerms("ab", 20000)...), token: "alice",
			wantStatus: 400, wantBody: bodyTooManyTerms},
		{name: "commas separate terms too", path: "/studentapi/?search=" + strings.Repeat("a,", 11), token: "alice",
			wantStatus: 400, wantBody: bodyTooManyTerms},
		{name: "a term of 100 characters is searched", path: searchPath("/studentapi/", strings.Repeat("é", 100)), token: "alice",
			wantStatus: 200, wantBody: "[]"},
		{name: "a term of 101 characters is refused", path: searchPath("/studentapi/", strings.Repeat("é", 101)), token: "alice",
			wantStatus: 400, wantBody: bodyTermTooLong},
		{name: "a term of 50,000 bytes is refused", path: searchPath("/studentapi/", strings.Repeat("x", 50000)), token: "alice",
			wantStatus: 400, wantBody: bodyTermTooLong},
		{name: "both limits at once", path: searchPath("/studentapi/", append(repeatTerms("a", 11), strings.Repeat("x", 101))...), token: "alice",
			wantStatus: 400, wantBody: `{"search":["Ensure this field has no more than 10 terms.","Ensure each term has no more than 100 characters."]}`},
		{name: "the detail endpoint applies the same limits", path: searchPath("/studentapi/1/", repeatTerms("a", 11)...), token: "alice",
			wantStatus: 400, wantBody: bodyTooManyTerms},
		{name: "a detail within the limits", path: searchPath("/studentapi/1/", "ra", "an"), token: "alice",
			wantStatus: 200, wantBody: raviJSON},
		{name: "the limits come after authentication", path: searchPath("/studentapi/", repeatTerms("a", 11)...),
			wantStatus: 401, wantBody: bodyNotProvided},
	})
}

func TestNumbersAreCheap(t *testing.T) {
	e := newEnv(t)
	both := "[" + raviJSON + "," + sonamJSON + "]"
	digits := strings.Repeat("9", 6000)
	runCostCases(t, e, []costCase{
		{"6,000 digits are refused before parsing", "/studentapi/?roll=" + digits, "alice", 400,
			`{"roll":["Ensure this value has at most 100 characters (it has 6000)."]}`},
		{"every bound is refused alike", "/studentapi/?roll__gte=" + digits + "&roll__lte=-" + digits, "alice", 400,
			`{"roll__gte":["Ensure this value has at most 100 characters (it has 6000)."],"roll__lte":["Ensure this value has at most 100 characters (it has 6001)."]}`},
		{"100 characters are a number", "/studentapi/?roll=" + strings.Repeat("0", 98) + "10", "alice", 200, "[" + raviJSON + "]"},
		{"the detail endpoint refuses too", "/studentapi/1/?roll=" + digits, "alice", 400,
			`{"roll":["Ensure this value has at most 100 characters (it has 6000)."]}`},
		// A short literal with a huge exponent once cost 90 ms of big.Rat;
		// its meaning is kept without computing 10^999999.
		{"a huge exact value matches nothing", "/studentapi/?roll=1e999999", "alice", 200, "[]"},
		{"a huge lower bound matches nothing", "/studentapi/?roll__gte=1E%2B999999", "alice", 200, "[]"},
		{"a huge upper bound is no bound", "/studentapi/?roll__lte=1.5e999999", "alice", 200, both},
		{"a huge negative upper bound matches nothing", "/studentapi/?roll__lte=-1e999999", "alice", 200, "[]"},
		{"a huge negative lower bound is no bound", "/studentapi/?roll__gte=-1e999999", "alice", 200, both},
		{"a tiny positive upper bound is zero", "/studentapi/?roll__lte=1e-999999", "alice", 200, "[]"},
		{"a tiny negative lower bound is zero", "/studentapi/?roll__gte=-1e-999999", "alice", 200, both},
		{"a tiny exact value matches nothing", "/studentapi/?roll=1e-999999", "alice", 200, "[]"},
		{"zero with any exponent is zero", "/studentapi/?roll__gte=0e999999", "alice", 200, both},
		{"an exponent past big.Rat's", "/studentapi/?roll__lte=1e1000001", "alice", 200, both},
		// Python's Decimal refuses it too.
		{"an exponent past 64 bits", "/studentapi/?roll__lte=1e99999999999999999999999", "alice", 400, `{"roll__lte":["Enter a number."]}`},
		{"a fraction scaled to an integer", "/studentapi/?roll=0.07e2", "alice", 200, "[" + sonamJSON + "]"},
		{"digits scaled down to an integer", "/studentapi/?roll=" + "7" + strings.Repeat("0", 90) + "e-90", "alice", 200, "[" + sonamJSON + "]"},
	})
}

// allocated is how many bytes are allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A number's cost does not grow with its exponent: a bound of 1e999999 was a
// 400 KB big.Rat (10^999999), computed to learn it exceeds 64 bits.
func TestHugeExponentsAreNotComputed(t *testing.T) {
	for _, raw := range []string{"1e999999", "-1e999999", "1e-999999", "9.99e999999"} {
		for _, param := range []string{"roll", "roll__gte", "roll__lte"} {
			params := url.Values{param: {raw}}
			// Some KiB; 10^999999 alone is 400 KiB. The margin is for what
			// other goroutines allocate meanwhile, which the count includes.
			if n := allocated(func() { _, _ = studentQuery(params) }); n > 256<<10 {
				t.Errorf("%s=%s allocated %d bytes, want under 256 KiB", param, raw, n)
			}
		}
	}
}

// Repeating a column in ?ordering= changes no order, and a repeated list
// once made an ORDER BY the database refused.
func TestOrderingRepeatsAreDropped(t *testing.T) {
	e := newEnv(t)
	runCostCases(t, e, []costCase{
		{"twenty thousand repeats", "/studentapi/?ordering=" + strings.Repeat("roll,-name,", 20000), "alice", 200,
			"[" + sonamJSON + "," + raviJSON + "]"},
		{"the first direction wins", "/studentapi/?ordering=-roll,roll", "alice", 200, "[" + raviJSON + "," + sonamJSON + "]"},
	})
	q, err := studentQuery(url.Values{"ordering": {strings.Repeat("-roll,id,name,city,roll,", 1000)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Ordering) != 4 {
		t.Errorf("ordering of 5,000 repeated terms: %d columns, want 4", len(q.Ordering))
	}
}

// seedStudents is a statement that adds n students, named and living
// in places no search of the tests below finds, in one go on either backend.
func seedStudents(n int) string {
	return "INSERT INTO students (name, roll, city) " +
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " + strconv.Itoa(n) + ") " +
		"SELECT 'student number ' || x, x, 'somewhere near town ' || x FROM c"
}

// A statement past database.query_timeout is cut off and answered as the
// database being busy: 503 with Retry-After in the contract's words, a
// warning that says so, and no line of log that grows with the statement.
func TestSlowQueryAnswers503(t *testing.T) {
	e := newEnv(t)
	if _, err := e.raw.Exec(seedStudents(100000)); err != nil {
		t.Fatal(err)
	}
	db, err := models.Connect(models.Source{Driver: e.src.Driver, Path: e.src.Path, DSN: e.src.DSN},
		models.Options{Keys: testKeyring(t), Log: e.log, QueryTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// Paginated, so that the statement cut off is the count, before any byte
	// of the answer: a list cut off once it has begun to stream can no
	// longer be a 503 (see stream.go), and where the cut falls would depend
	// on the machine's speed.
	router, err := NewRouter(Deps{DB: db, Auth: auth.New(db, "Token", 4, auth.Options{}), Log: slog.New(slog.NewTextHandler(e.log, nil)), BodyLimit: 1 << 20,
		Pagination: Pagination{PageSize: 10}})
	if err != nil {
		t.Fatal(err)
	}
	// Ten terms every row has: each of the 100,000 rows is read and matched
	// twenty times, some hundreds of milliseconds on either backend.
	req := scenario{path: searchPath("/studentapi/", strings.Fields("st ud en nu mb er so me wh re")...), token: "alice"}.request(e)
	w := httptest.NewRecorder()
	router.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" ||
		w.Body.String() != `{"detail":"Service temporarily unavailable."}` {
		t.Errorf("got %d, Retry-After %q, %.300s; want 503, 5 and the contract's detail", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	log := e.log.String()
	if !strings.Contains(log, "database query timed out") {
		t.Errorf("the log does not say the query timed out:\n%.2000s", log)
	}
	for i, line := range strings.Split(log, "\n") {
		if len(line) > 1024 {
			t.Errorf("line %d of the log has %d bytes: %.300s…", i+1, len(line), line)
		}
	}
}
