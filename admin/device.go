package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"
)

// DeviceCookieName is the name of the device cookie: OWASP's "device
// cookie" against the lockout of an account by someone else's failed logins.
// A successful login gives the browser one for the username it used; a
// later login for that username from that browser then draws on a budget of
// failures of its own (see throttle.Guard), not on the username's, which an
// attacker can exhaust from anywhere.
const DeviceCookieName = "studentapi_admin_device"

// The cookie is base64url of expiry (8 bytes, Unix seconds), a random nonce,
// and an HMAC-SHA256 under Deps.DeviceKey of both and the username: it
// carries no username, and is good only for the one it was made for.
const (
	deviceNonceLen  = 16
	deviceCookieLen = 8 + deviceNonceLen + sha256.Size
)

func (s *site) deviceMAC(username string, head []byte) []byte {
	m := hmac.New(sha256.New, s.DeviceKey)
	m.Write([]byte("studentapi admin device\x00"))
	m.Write(head)
	m.Write([]byte(username))
	return m.Sum(nil)
}

// device returns the id of the request's device cookie if it is good for
// username, and "" otherwise.
func (s *site) device(r *http.Request, username string) string {
	if len(s.DeviceKey) == 0 {
		return ""
	}
	c, err := r.Cookie(DeviceCookieName)
	if err != nil || len(c.Value) != base64.RawURLEncoding.EncodedLen(deviceCookieLen) {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(raw) != deviceCookieLen {
		return ""
	}
	head, mac := raw[:8+deviceNonceLen], raw[8+deviceNonceLen:]
	if !hmac.Equal(mac, s.deviceMAC(username, head)) {
		return ""
	}
	if expires := time.Unix(int64(binary.BigEndian.Uint64(head[:8])), 0); !s.DB.Now().Before(expires) {
		return ""
	}
	return hex.EncodeToString(head[8:])
}

// setDevice gives the browser a new device cookie for username, after a
// successful login.
func (s *site) setDevice(w http.ResponseWriter, r *http.Request, username string) error {
	if len(s.DeviceKey) == 0 || s.DeviceTTL <= 0 {
		return nil
	}
	expires := s.DB.Now().Add(s.DeviceTTL).Truncate(time.Second)
	head := make([]byte, 8+deviceNonceLen, deviceCookieLen)
	binary.BigEndian.PutUint64(head, uint64(expires.Unix()))
	if _, err := rand.Read(head[8:]); err != nil {
		return fmt.Errorf("device cookie: %w", err)
	}
	value := base64.RawURLEncoding.EncodeToString(append(head, s.deviceMAC(username, head)...))
	http.SetCookie(w, s.cookie(r, DeviceCookieName, value, expires, int(s.DeviceTTL/time.Second)))
	return nil
}
