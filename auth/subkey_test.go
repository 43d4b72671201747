package auth_test

import (
	"bytes"
	"errors"
	"testing"

	"studentapi/auth"
)

// The throttle's and the device cookies' keys come from the secret: the same
// secret gives the same keys (every instance agrees), and each use has its
// own key, unlike the secret's and unlike another secret's.
func TestSubkeys(t *testing.T) {
	secret := []byte(testSecret)
	var keys [][]byte
	for _, s := range [][]byte{secret, append(bytes.Clone(secret), '!')} {
		for _, derive := range []func([]byte) ([]byte, error){auth.ThrottleKey, auth.DeviceCookieKey} {
			k, err := derive(s)
			if err != nil {
				t.Fatal(err)
			}
			again, err := derive(bytes.Clone(s))
			if err != nil {
				t.Fatal(err)
			}
			if len(k) != 32 || !bytes.Equal(k, again) {
				t.Errorf("subkey %x then %x: want the same 32 bytes each time", k, again)
			}
			keys = append(keys, k)
		}
	}
	for i, a := range keys {
		if bytes.Contains(a, secret[:16]) {
			t.Errorf("subkey %d holds the secret", i)
		}
		for _, b := range keys[i+1:] {
			if bytes.Equal(a, b) {
				t.Errorf("two uses or two secrets share the subkey %x", a)
			}
		}
	}
	for _, derive := range []func([]byte) ([]byte, error){auth.ThrottleKey, auth.DeviceCookieKey} {
		if _, err := derive(secret[:31]); !errors.Is(err, auth.ErrShortSecret) {
			t.Errorf("a 31-byte secret: %v, want %v", err, auth.ErrShortSecret)
		}
	}
}
