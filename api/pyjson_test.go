package api

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// JSON bodies that do not parse are refused in DRF's words, place included:
// api/testdata/drf_json_errors.json holds what DRF's own JSONParser answers
// for each (scripts/drf_json_errors.py asks it). The body goes to POST
// /gettoken/ through the router, so the whole way a body is read counts;
// one DRF accepts must not be refused as malformed here.
func TestJSONErrorsInDRFsWords(t *testing.T) {
	raw, err := os.ReadFile("testdata/drf_json_errors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors struct {
		Cases []struct {
			BodyHex string  `json:"body_hex"`
			Detail  *string `json:"detail"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors.Cases) < 50 {
		t.Fatalf("%d cases, want the file's 70 or so", len(vectors.Cases))
	}
	e := newEnv(t)
	for _, c := range vectors.Cases {
		body, err := hex.DecodeString(c.BodyHex)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/gettoken/", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", jsonType)
		w := e.serve(req)
		if c.Detail == nil {
			if strings.Contains(w.Body.String(), "JSON parse error") {
				t.Errorf("%q: %d %s, want it parsed, as DRF does", body, w.Code, w.Body)
			}
			continue
		}
		want, _ := json.Marshal(map[string]string{"detail": *c.Detail})
		if w.Code != http.StatusBadRequest || w.Body.String() != strings.ReplaceAll(string(want), `\u003c`, "<") {
			t.Errorf("%q:\n got %d %s\nwant 400 %s", body, w.Code, w.Body, want)
		}
	}
}
