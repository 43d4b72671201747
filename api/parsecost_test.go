//go:build !race

package api

// What a request body costs to parse: memory stays near the body's size
// whatever its shape, as the README promises. Nothing downstream reads the
// contents of a nested list or object, so parsing never builds them, and
// only the fields a view reads are kept.
//
// Built without the race detector only, whose instrumentation allocates on
// its own: scripts/test.sh runs these tests in a phase of their own.

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// costBodyLimit is the default http.body_limit.
const costBodyLimit = 1 << 20

// fill repeats item, separated by sep, between head and tail, as many times
// as fit in costBodyLimit bytes.
func fill(head, item, sep, tail string) string {
	n := (costBodyLimit - len(head) - len(tail)) / (len(item) + len(sep))
	return head + strings.Repeat(item+sep, n-1) + item + tail
}

// fillKeys is an object of distinct keys, as many as fit in costBodyLimit.
func fillKeys(format, sep, head, tail string) string {
	var b strings.Builder
	b.WriteString(head)
	for i := 0; ; i++ {
		item := fmt.Sprintf(format, i)
		if b.Len()+len(item)+len(sep)+len(tail) > costBodyLimit {
			break
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(item)
	}
	b.WriteString(tail)
	return b.String()
}

// deepItem is a list nested as deep as prepareJSON allows inside a field.
var deepItem = strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1)

// parseCost is the bytes parseBody allocates for one body, read through the
// body limit as the router reads it: the least of a few runs, so that
// another test's allocations are not counted.
func parseCost(t *testing.T, contentType, body string) uint64 {
	t.Helper()
	gin.SetMode(gin.TestMode)
	best := ^uint64(0)
	for range 3 {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodPost, "/studentapi/", strings.NewReader(body))
		c.Request.Header.Set("Content-Type", contentType)
		c.Request.Body = http.MaxBytesReader(nil, c.Request.Body, costBodyLimit)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		data, err := parseBody(c, "username", "password", "name", "roll", "city")
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(data)
		if err != nil && !answerable(err) {
			t.Fatalf("parseBody: %v: not a contract 4xx", err)
		}
		best = min(best, after.TotalAlloc-before.TotalAlloc)
	}
	return best
}

func partsBody(parts int, value string) (string, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := range parts {
		if err := w.WriteField("f"+strconv.Itoa(i), value); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return w.FormDataContentType(), b.String()
}

// TestParseCostIsBoundedBySize: a body of up to the default limit, of any
// shape, costs at most a few times its size to parse. Reading the body
// (io.ReadAll) is about twice its size of that.
func TestParseCostIsBoundedBySize(t *testing.T) {
	const jsonType, formType = "application/json", "application/x-www-form-urlencoded"
	smallParts, smallPartsBody := partsBody(1000, "1")
	bigParts, bigPartsBody := partsBody(1000, strings.Repeat("x", 900))
	tests := []struct {
		name, contentType, body string
	}{
		{"flat login", jsonType, `{"username":"alice","password":"pw"}`},
		{"long string", jsonType, fill(`{"name":"`, "x", "", `"}`)},
		{"long escaped string", jsonType, fill(`{"name":"`, `\u00e9`, "", `"}`)},
		{"lone surrogates", jsonType, fill(`{"name":"`, `\ud800`, "", `"}`)},
		{"empty objects in a field", jsonType, fill(`{"username":[`, "{}", ",", `],"password":"x"}`)},
		{"empty lists in a field", jsonType, fill(`{"name":[`, "[]", ",", `]}`)},
		{"numbers in a field", jsonType, fill(`{"name":[`, "1", ",", `]}`)},
		{"strings in a field", jsonType, fill(`{"name":[`, `""`, ",", `]}`)},
		{"objects with keys in a field", jsonType, fill(`{"name":[`, `{"a":1}`, ",", `]}`)},
		{"deep lists in a field", jsonType, fill(`{"name":[`, deepItem, ",", `]}`)},
		{"distinct keys", jsonType, fillKeys(`"a%d":1`, ",", "{", "}")},
		{"distinct keys with nested values", jsonType, fillKeys(`"a%d":[]`, ",", "{", "}")},
		{"distinct escaped keys", jsonType, fillKeys(`"\u0061%d":1`, ",", "{", "}")},
		{"one key repeated", jsonType, fill(`{`, `"name":"x"`, ",", `}`)},
		{"escaped key repeated", jsonType, fill(`{`, `"n\u0061me":1`, ",", `}`)},
		{"top-level list of objects", jsonType, fill(`[`, "{}", ",", `]`)},
		{"top-level list of numbers", jsonType, fill(`[`, "1", ",", `]`)},
		{"syntax error at the end", jsonType, fill(`{"name":[`, "{}", ",", `],`)},
		{"form of distinct keys", formType, fillKeys("a%d=1", "&", "", "")},
		{"form of 10000 distinct keys", formType, fillKeys("a%d=1", "&", "", "")[:strings.Index(fillKeys("a%d=1", "&", "", ""), "a10000=")]},
		{"form of one key repeated", formType, fill("", "name=x", "&", "")},
		{"multipart of 1000 small parts", smallParts, smallPartsBody},
		{"multipart of 1000 large parts", bigParts, bigPartsBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.body) > costBodyLimit {
				t.Fatalf("body is %d bytes, over the limit", len(tt.body))
			}
			got := parseCost(t, tt.contentType, tt.body)
			bound := 4*uint64(len(tt.body)) + 64<<10
			if strings.HasPrefix(tt.contentType, "multipart/") {
				// mime/multipart reads each part's headers into a map of
				// their own, about 1.3 KiB a part, and there are at most
				// 1000 parts; no value but the named ones is kept.
				bound += 2 << 20
			}
			t.Logf("%d bytes cost %d (%.1fx)", len(tt.body), got, float64(got)/float64(len(tt.body)))
			if got > bound {
				t.Errorf("a %d-byte body cost %d bytes to parse, want at most %d", len(tt.body), got, bound)
			}
		})
	}
}

// BenchmarkParseStudentJSON is parseBody on an ordinary create body, the
// parse in every POST /studentapi/.
func BenchmarkParseStudentJSON(b *testing.B) {
	gin.SetMode(gin.TestMode)
	const body = `{"name":"Bench","roll":7,"city":"Pune"}`
	b.ReportAllocs()
	for b.Loop() {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodPost, "/studentapi/", strings.NewReader(body))
		c.Request.Header.Set("Content-Type", "application/json")
		if _, err := parseBody(c, "username", "password", "name", "roll", "city"); err != nil {
			b.Fatal(err)
		}
	}
}
