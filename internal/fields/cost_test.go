package fields

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// allocated is how many bytes are allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A JSON integer given for a text field (a student's name, the username of
// /gettoken/) became str(int(n)) through big.Int, whose conversions grow
// faster than the digits: a 1 MB number, within the body limit, took seconds
// of an unauthenticated request. It is now read in one pass (issue 13, item 6).
func TestLongJSONIntegersAreCheap(t *testing.T) {
	digits := strings.Repeat("7", 1<<20)
	for _, tt := range []struct {
		name  string
		field Char
		want  []string
	}{
		{"name", Char{MaxLength: 100}, []string{msgMaxLength(100)}},
		{"username", Char{}, nil},
		{"password", Char{NoTrim: true}, nil},
	} {
		var (
			got  string
			msgs []string
		)
		n := allocated(func() { got, msgs = tt.field.Clean(json.Number(digits)) })
		// Nothing, against gigabytes; the margin is for what other
		// goroutines allocate meanwhile, which the count includes.
		if n > 256<<10 {
			t.Errorf("%s: a 1 MB integer allocated %d bytes, want under 256 KiB", tt.name, n)
		}
		if strings.Join(msgs, "|") != strings.Join(tt.want, "|") || (msgs == nil && got != digits) {
			t.Errorf("%s: got %d characters and %q, want the digits and %q", tt.name, len(got), msgs, tt.want)
		}
	}
}

// The one-pass reading of an integer is str(int(s)) for any digits, not only
// the JSON grammar's.
func TestIntegerStrings(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "000": "0", "-000": "0",
		"7": "7", "-7": "-7", "007": "7", "-007": "-7",
		"9223372036854775808": "9223372036854775808",
	} {
		if got := pythonNumberString(json.Number(in)); got != want {
			t.Errorf("pythonNumberString(%s) = %q, want %q", in, got, want)
		}
	}
}
