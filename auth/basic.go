package auth

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// The failures of DRF's BasicAuthentication, word for word. Unlike the token
// failures they come from an authentication class that DRF's default list
// puts after SessionAuthentication, so a view answers them with 403 and no
// WWW-Authenticate (see api's basic step).
var (
	ErrBasicNoCredentials = &Failure{"Invalid basic header. No credentials provided."}
	ErrBasicSpaces        = &Failure{"Invalid basic header. Credentials string should not contain spaces."}
	ErrBasicEncoding      = &Failure{"Invalid basic header. Credentials not correctly base64 encoded."}
	ErrBasicCredentials   = &Failure{"Invalid username/password."}
)

// ParseBasic reads HTTP Basic credentials the way DRF's BasicAuthentication
// does: the first word must be "basic" in any ASCII case (else errAnonymous:
// see IsAnonymous), exactly one word must follow, and it must be base64 of
// "username:password" (UTF-8, or Latin-1 when it is not UTF-8; no colon is
// an empty password). Several headers are read as one value joined by commas,
// as a WSGI server hands them to Django.
func ParseBasic(values []string) (username, password string, err error) {
	if len(values) == 0 {
		return "", "", errAnonymous
	}
	words := asciiFields(strings.Join(values, ","))
	if len(words) == 0 || !asciiEqualFold(words[0], "basic") {
		return "", "", errAnonymous
	}
	switch {
	case len(words) == 1:
		return "", "", ErrBasicNoCredentials
	case len(words) > 2:
		return "", "", ErrBasicSpaces
	}
	raw, err := base64.StdEncoding.DecodeString(base64Alphabet(words[1]))
	if err != nil {
		return "", "", ErrBasicEncoding
	}
	decoded := string(raw)
	if !utf8.Valid(raw) {
		decoded = latin1(raw)
	}
	username, password, _ = strings.Cut(decoded, ":")
	return username, password, nil
}

// base64Alphabet drops what Python's base64.b64decode discards before
// decoding (it does not validate by default): every byte outside the
// standard alphabet and its padding.
func base64Alphabet(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '+', r == '/', r == '=':
			return r
		}
		return -1
	}, s)
}

// latin1 decodes b as ISO-8859-1, where every byte is the code point of the
// same number.
func latin1(b []byte) string {
	runes := make([]rune, len(b))
	for i, c := range b {
		runes[i] = rune(c)
	}
	return string(runes)
}
