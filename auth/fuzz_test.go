package auth

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParseHeader: any header value either names no token (anonymous), fails
// with one of DRF's messages, or yields a single valid-UTF-8 word without ASCII
// white space; and it never panics.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"", "Token", "Token abc", "token  abc", "Token a b", "Bearer x", "Token\tabc", "Token \xff", "To\u212aen x", "Token\u00a0x"} {
		f.Add(s, "Token")
	}
	f.Add("Bearer k", "Bearer")
	f.Fuzz(func(t *testing.T, value, keyword string) {
		key, err := ParseHeader([]string{value}, keyword)
		if err != nil {
			var failure *Failure
			if !IsAnonymous(err) && !errors.As(err, &failure) {
				t.Fatalf("ParseHeader(%q) = unexpected error %v", value, err)
			}
			return
		}
		if key == "" || !utf8.ValidString(key) {
			t.Fatalf("ParseHeader(%q) = key %q", value, key)
		}
		for i := 0; i < len(key); i++ {
			if isASCIISpace(key[i]) {
				t.Fatalf("ParseHeader(%q) = key %q with white space", value, key)
			}
		}
	})
}
