package auth

import (
	"errors"
	"unicode/utf8"
)

// Failure is an authentication failure with DRF's message; it always means 401.
type Failure struct{ Detail string }

func (f *Failure) Error() string { return "authentication failed: " + f.Detail }

// The failures DRF's TokenAuthentication reports, word for word.
var (
	ErrNotAuthenticated = &Failure{"Authentication credentials were not provided."}
	ErrNoCredentials    = &Failure{"Invalid token header. No credentials provided."}
	ErrSpaces           = &Failure{"Invalid token header. Token string should not contain spaces."}
	ErrInvalidChars     = &Failure{"Invalid token header. Token string should not contain invalid characters."}
	ErrInvalidToken     = &Failure{"Invalid token."}
	ErrInactive         = &Failure{"User inactive or deleted."}
)

// errAnonymous means the header does not name the scheme its parser reads
// (a token keyword for ParseHeader, Basic for ParseBasic).
var errAnonymous = errors.New("no credentials of this scheme")

// ParseHeader extracts the key from the Authorization header values the way DRF
// does: the value is split on runs of ASCII whitespace, the first word must equal
// one of keywords ignoring ASCII case only, and exactly one more word must follow.
// It returns errAnonymous when the header is absent or names another scheme.
func ParseHeader(values []string, keywords ...string) (string, error) {
	if len(values) == 0 {
		return "", errAnonymous
	}
	if len(values) > 1 {
		// Several headers can only be read as one value with extra words in it;
		// never pick one of them.
		return "", ErrSpaces
	}
	words := asciiFields(values[0])
	if len(words) == 0 || !isKeyword(words[0], keywords) {
		return "", errAnonymous
	}
	switch {
	case len(words) == 1:
		return "", ErrNoCredentials
	case len(words) > 2:
		return "", ErrSpaces
	case !utf8.ValidString(words[1]):
		return "", ErrInvalidChars
	}
	return words[1], nil
}

// IsAnonymous reports whether err from ParseHeader or ParseBasic means that
// the header names another scheme, or is absent: no credentials to check.
func IsAnonymous(err error) bool { return errors.Is(err, errAnonymous) }

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// asciiFields splits s like Python's bytes.split(): on ASCII whitespace only, so
// that a non-breaking space stays inside a word as it does in DRF.
func asciiFields(s string) []string {
	var out []string
	start := -1
	for i := 0; i < len(s); i++ {
		if isASCIISpace(s[i]) {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// isKeyword reports whether word is one of keywords, ignoring ASCII case.
func isKeyword(word string, keywords []string) bool {
	for _, k := range keywords {
		if asciiEqualFold(word, k) {
			return true
		}
	}
	return false
}

// asciiEqualFold compares ignoring ASCII case only; strings.EqualFold would also
// fold Unicode (the Kelvin sign matches "k"), which DRF does not.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
