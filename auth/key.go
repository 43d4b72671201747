// Package auth identifies API callers by their token, as DRF's TokenAuthentication:
// it makes keys, parses the Authorization header, checks usernames and passwords,
// and offers a gin middleware that identifies the caller (and never refuses) apart
// from the guard that refuses anonymous callers. Handlers read the caller through
// User and Token, never through string keys.
package auth

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// keyBytes is DRF's key size: 20 random bytes, written as 40 lower-case hex digits.
const keyBytes = 20

// KeyLength is the length of a key as clients send it and Django's
// authtoken.token stores it: KeyLength lower-case hex digits.
const KeyLength = 2 * keyBytes

// GenerateKey returns a new random key from crypto/rand.
func GenerateKey() (string, error) {
	b := make([]byte, keyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// WellFormedKey reports whether key could have come from GenerateKey (or
// DRF's Token.generate_key), so that garbage never costs a database query
// and a fixture's key is checked before it is stored.
func WellFormedKey(key string) bool {
	if len(key) != KeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
