package passwords_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"studentapi/internal/passwords"
)

// vector is one hash from testdata/django_vectors.json, which
// scripts/django_hash_vectors.py makes with Django's own hashers.
type vector struct {
	Algorithm    string   `json:"algorithm"`
	Producer     string   `json:"producer"`
	Encoded      string   `json:"encoded"`
	Password     string   `json:"password"`
	Wrong        []string `json:"wrong"`
	AlsoAccepted []string `json:"also_accepted"`
	DefaultCost  bool     `json:"default_cost"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/django_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("testdata/django_vectors.json: %v", err)
	}
	return doc.Vectors
}

// Every hash Django made verifies with its password and with what Django
// also accepts (plain bcrypt's first 72 bytes), and with nothing else. Under
// the race detector a hash at Django's default cost (argon2's 100 MiB, bcrypt's
// 12) takes seconds, so there only its right password is checked: the wrong
// ones of the same formats are checked on the cheap vectors.
func TestDjangoVectors(t *testing.T) {
	vectors := loadVectors(t)
	seen := map[string]int{}
	for _, v := range vectors {
		seen[v.Algorithm]++
		if name, known := passwords.Algorithm(v.Encoded); name != v.Algorithm || !known {
			t.Errorf("Algorithm(%q) = %q, %v; want %q, true", v.Encoded, name, known, v.Algorithm)
		}
		if !passwords.Known(v.Encoded) {
			t.Errorf("Known(%q) = false: %v", v.Encoded, passwords.Validate(v.Encoded))
		}
		check := func(password string, want bool) {
			t.Helper()
			got, err := passwords.Check(v.Encoded, password)
			if err != nil || got != want {
				t.Errorf("%s (%s): Check(%q, %q) = %v, %v; want %v, nil", v.Algorithm, v.Producer, v.Encoded, password, got, err, want)
			}
		}
		check(v.Password, true)
		for _, p := range v.AlsoAccepted {
			check(p, true)
		}
		if v.DefaultCost && raceEnabled {
			continue
		}
		for _, p := range v.Wrong {
			check(p, false)
		}
	}
	for _, name := range []string{"pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt"} {
		if seen[name] == 0 {
			t.Errorf("no vector for %s", name)
		}
	}
}

// Plain bcrypt reads 72 bytes, as Django's does; the vectors must show it,
// or the truncation above is untested.
func TestVectorsCoverBcryptTruncation(t *testing.T) {
	for _, v := range loadVectors(t) {
		if v.Algorithm == "bcrypt" && len(v.Password) > 72 && len(v.AlsoAccepted) > 0 {
			return
		}
	}
	t.Error("no plain bcrypt vector over 72 bytes with a password Django also accepts")
}

// A vector's encoded hash with one part changed: every way of breaking it is
// an error, never a panic and never a match.
func TestMalformed(t *testing.T) {
	const argon = "argon2$argon2id$v=19$m=102400,t=2,p=8$a1V5dEFGalZTUmVkRzZucDRNNGIzMg$XT9sT1oPgkr82V3r3TnJtg"
	const pbkdf = "pbkdf2_sha256$1000$gDcFgT6oYsaOplthkDeAMi$Qrw37Y+CuZ7kpLcFAJ2XkRSgpMgmsB7a5AYbpCaYcpA="
	const bcr = "bcrypt$$2b$04$Rp/6A3EL95S2JDcN2GOVhOwUVdR63Bnt8ni0RH6/NXBexzCtIcG7."
	const scr = "scrypt$1024$BUE4vKWl3dKfoiNX0qYSpF$8$1$Gl5ad42vNoUTqWj9g8k/zPxZK9fMFguMcjCucHzMgAtwV4eAiP8vCu+q+s3Hu1JcpKhk9f9nm0GuMR10gzvXAg=="
	tests := []struct {
		name, encoded string
		want          error
	}{
		{"empty", "", passwords.ErrUnknownAlgorithm},
		{"plain text", "secret", passwords.ErrUnknownAlgorithm},
		{"unknown algorithm", "md5$salt$5f4dcc3b5aa765d61d8327deb882cf99", passwords.ErrUnknownAlgorithm},
		{"unsalted md5", "5f4dcc3b5aa765d61d8327deb882cf99", passwords.ErrUnknownAlgorithm},
		{"algorithm in capitals", strings.ToUpper(pbkdf[:13]) + pbkdf[13:], passwords.ErrUnknownAlgorithm},
		{"algorithm alone", "pbkdf2_sha256", passwords.ErrMalformed},
		{"pbkdf2 truncated", pbkdf[:len(pbkdf)-5], passwords.ErrMalformed},
		{"pbkdf2 missing salt", "pbkdf2_sha256$1000$Qrw37Y+CuZ7kpLcFAJ2XkRSgpMgmsB7a5AYbpCaYcpA=", passwords.ErrMalformed},
		{"pbkdf2 empty salt", "pbkdf2_sha256$1000$$Qrw37Y+CuZ7kpLcFAJ2XkRSgpMgmsB7a5AYbpCaYcpA=", passwords.ErrMalformed},
		{"pbkdf2 bad base64", strings.Replace(pbkdf, "Qrw3", "Qr!3", 1), passwords.ErrMalformed},
		{"pbkdf2 extra field", pbkdf + "$x", passwords.ErrMalformed},
		{"pbkdf2 zero iterations", strings.Replace(pbkdf, "$1000$", "$0$", 1), passwords.ErrMalformed},
		{"pbkdf2 negative iterations", strings.Replace(pbkdf, "$1000$", "$-1000$", 1), passwords.ErrMalformed},
		{"pbkdf2 signed iterations", strings.Replace(pbkdf, "$1000$", "$+1000$", 1), passwords.ErrMalformed},
		{"pbkdf2 iterations overflow", strings.Replace(pbkdf, "$1000$", "$99999999999999999999999$", 1), passwords.ErrMalformed},
		{"pbkdf2 billions of iterations", strings.Replace(pbkdf, "$1000$", "$4000000000$", 1), passwords.ErrTooCostly},
		{"pbkdf2_sha1 with a sha256 hash", strings.Replace(pbkdf, "pbkdf2_sha256", "pbkdf2_sha1", 1), passwords.ErrMalformed},
		{"bcrypt truncated", bcr[:len(bcr)-1], passwords.ErrMalformed},
		{"bcrypt without the $", "bcrypt$" + bcr[8:], passwords.ErrMalformed},
		{"bcrypt bad character", bcr[:len(bcr)-1] + "!", passwords.ErrMalformed},
		{"bcrypt bad version", strings.Replace(bcr, "$2b$", "$3b$", 1), passwords.ErrMalformed},
		{"bcrypt cost under 4", strings.Replace(bcr, "$04$", "$03$", 1), passwords.ErrMalformed},
		{"bcrypt cost not a number", strings.Replace(bcr, "$04$", "$0x$", 1), passwords.ErrMalformed},
		{"bcrypt cost 31", strings.Replace(bcr, "$04$", "$31$", 1), passwords.ErrTooCostly},
		{"bcrypt_sha256 cost 20", "bcrypt_sha256" + strings.Replace(bcr, "$04$", "$20$", 1)[6:], passwords.ErrTooCostly},
		{"argon2 truncated", argon[:len(argon)-30], passwords.ErrMalformed},
		{"argon2 argon2d", strings.Replace(argon, "argon2id", "argon2d", 1), passwords.ErrMalformed},
		{"argon2 version 16", strings.Replace(argon, "v=19", "v=16", 1), passwords.ErrMalformed},
		{"argon2 no version", strings.Replace(argon, "$v=19", "", 1), passwords.ErrMalformed},
		{"argon2 missing parallelism", strings.Replace(argon, ",p=8", "", 1), passwords.ErrMalformed},
		{"argon2 parameter twice", strings.Replace(argon, "p=8", "m=8", 1), passwords.ErrMalformed},
		{"argon2 unknown parameter", strings.Replace(argon, "p=8", "x=8", 1), passwords.ErrMalformed},
		{"argon2 zero passes", strings.Replace(argon, "t=2", "t=0", 1), passwords.ErrMalformed},
		{"argon2 memory under 8 KiB a lane", strings.Replace(argon, "m=102400", "m=63", 1), passwords.ErrMalformed},
		{"argon2 bad salt", strings.Replace(argon, "$a1V5", "$a!V5", 1), passwords.ErrMalformed},
		{"argon2 padded hash", argon + "==", passwords.ErrMalformed},
		{"argon2 terabytes", strings.Replace(argon, "m=102400", "m=4294967295", 1), passwords.ErrTooCostly},
		{"argon2 many passes", strings.Replace(argon, "t=2", "t=1000", 1), passwords.ErrTooCostly},
		{"argon2 255 lanes", strings.Replace(argon, "p=8", "p=255", 1), passwords.ErrTooCostly},
		{"argon2 lanes overflow", strings.Replace(argon, "p=8", "p=18446744073709551615", 1), passwords.ErrMalformed},
		{"scrypt truncated", scr[:len(scr)-3], passwords.ErrMalformed},
		{"scrypt missing field", strings.Replace(scr, "$8$1$", "$8$", 1), passwords.ErrMalformed},
		{"scrypt N not a power of 2", strings.Replace(scr, "$1024$", "$1000$", 1), passwords.ErrMalformed},
		{"scrypt N of 1", strings.Replace(scr, "$1024$", "$1$", 1), passwords.ErrMalformed},
		{"scrypt huge N", strings.Replace(scr, "$1024$", "$1099511627776$", 1), passwords.ErrTooCostly},
		{"scrypt huge r", strings.Replace(scr, "$8$1$", "$9223372036854775807$1$", 1), passwords.ErrTooCostly},
		{"scrypt huge p", strings.Replace(scr, "$8$1$", "$8$9223372036854775807$", 1), passwords.ErrTooCostly},
		{"scrypt N·r·p too much", strings.Replace(scr, "$8$1$", "$8$4096$", 1), passwords.ErrTooCostly},
		{"scrypt a GiB of blocks", strings.Replace(strings.Replace(scr, "$1024$", "$2$", 1), "$8$1$", "$1$8388608$", 1), passwords.ErrTooCostly},
		{"scrypt bad base64", strings.Replace(scr, "$Gl5a", "$G!5a", 1), passwords.ErrMalformed},
	}
	for _, tt := range tests {
		ok, err := passwords.Check(tt.encoded, "correct horse")
		if ok || !errors.Is(err, tt.want) {
			t.Errorf("%s: Check(%q) = %v, %v; want false, %v", tt.name, tt.encoded, ok, err, tt.want)
		}
		if got := passwords.Validate(tt.encoded); !errors.Is(got, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, got, tt.want)
		}
		if passwords.Known(tt.encoded) {
			t.Errorf("%s: Known(%q) = true", tt.name, tt.encoded)
		}
	}
}

// Each limit admits its own value and refuses the next, computing nothing
// either way (Validate), so that the limits are the ones documented.
func TestLimits(t *testing.T) {
	const salt, pbkdfHash = "gDcFgT6oYsaOplthkDeAMi", "Qrw37Y+CuZ7kpLcFAJ2XkRSgpMgmsB7a5AYbpCaYcpA="
	const argonTail, bcryptTail = "$a1V5dEFGalZTUmVkRzZucDRNNGIzMg$XT9sT1oPgkr82V3r3TnJtg", "Rp/6A3EL95S2JDcN2GOVhOwUVdR63Bnt8ni0RH6/NXBexzCtIcG7."
	const scryptHash = "Gl5ad42vNoUTqWj9g8k/zPxZK9fMFguMcjCucHzMgAtwV4eAiP8vCu+q+s3Hu1JcpKhk9f9nm0GuMR10gzvXAg=="
	pbkdf := func(iterations int) string { return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iterations, salt, pbkdfHash) }
	bcr := func(cost int) string { return fmt.Sprintf("bcrypt_sha256$$2b$%02d$%s", cost, bcryptTail) }
	argon := func(m, t, p int) string {
		return fmt.Sprintf("argon2$argon2id$v=19$m=%d,t=%d,p=%d%s", m, t, p, argonTail)
	}
	scr := func(n, r, p int) string { return fmt.Sprintf("scrypt$%d$%s$%d$%d$%s", n, salt, r, p, scryptHash) }
	tests := []struct{ within, beyond string }{
		{pbkdf(passwords.MaxPBKDF2Iterations), pbkdf(passwords.MaxPBKDF2Iterations + 1)},
		{bcr(passwords.MaxBcryptCost), bcr(passwords.MaxBcryptCost + 1)},
		{argon(passwords.MaxArgon2Memory, 1, 8), argon(passwords.MaxArgon2Memory+1, 1, 8)},
		{argon(passwords.MaxArgon2Work/10, 10, 8), argon(passwords.MaxArgon2Work/10+1, 10, 8)},
		{argon(102400, 2, passwords.MaxArgon2Parallelism), argon(102400, 2, passwords.MaxArgon2Parallelism+1)},
		// 128·r·(N+p) bytes: 64 MiB is N=2^16 at r=8 with p up to 0, so
		// at p=1 the largest N within is 2^15.
		{scr(1<<15, 8, 1), scr(1<<16, 8, 1)},
		{scr(1<<14, 8, 4), scr(1<<14, 8, 5)}, // N·r·p: 2^19 is p=4 at Django's N and r
	}
	for _, tt := range tests {
		if err := passwords.Validate(tt.within); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", tt.within, err)
		}
		if err := passwords.Validate(tt.beyond); !errors.Is(err, passwords.ErrTooCostly) {
			t.Errorf("Validate(%q) = %v, want ErrTooCostly", tt.beyond, err)
		}
	}
}

// Django's unusable passwords ("!" and 40 random characters, or "!" alone
// from older versions) match nothing, not even an empty password or the
// rest of the string, and are no error: an import keeps them.
func TestUnusable(t *testing.T) {
	for _, encoded := range []string{"!", "!aTMbNaRpNb3g3xqhE1b0Ui0X9aZSHEBUGIQ5jCdT", "!pbkdf2_sha256$1000$gDcFgT6oYsaOplthkDeAMi$Qrw37Y+CuZ7kpLcFAJ2XkRSgpMgmsB7a5AYbpCaYcpA="} {
		for _, password := range []string{"", encoded, encoded[1:], "correct horse"} {
			if ok, err := passwords.Check(encoded, password); ok || err != nil {
				t.Errorf("Check(%q, %q) = %v, %v; want false, nil", encoded, password, ok, err)
			}
		}
		if !passwords.Known(encoded) {
			t.Errorf("Known(%q) = false, want true", encoded)
		}
		if name, known := passwords.Algorithm(encoded); name != "" || known {
			t.Errorf("Algorithm(%q) = %q, %v; want \"\", false", encoded, name, known)
		}
		if passwords.MustUpdate(encoded, 4) {
			t.Errorf("MustUpdate(%q) = true, want false", encoded)
		}
	}
}

func TestHash(t *testing.T) {
	long := strings.Repeat("x", 72)
	encoded, err := passwords.Hash(long+"tail", 4)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "bcrypt_sha256$$2a$04$") {
		t.Errorf("Hash = %q, want Django's bcrypt_sha256 at cost 4", encoded)
	}
	for password, want := range map[string]bool{long + "tail": true, long: false, long + "tails": false} {
		if got, err := passwords.Check(encoded, password); err != nil || got != want {
			t.Errorf("Check(Hash, %q) = %v, %v; want %v, nil", password, got, err, want)
		}
	}
	for _, cost := range []int{0, 3, passwords.MaxBcryptCost + 1} {
		if _, err := passwords.Hash("pw", cost); err == nil {
			t.Errorf("Hash at cost %d: no error; a cost Check refuses must not be written", cost)
		}
	}
}

// MustUpdate is true for every stored hash but this service's own format at
// the configured cost, as Django's must_update for its preferred hasher.
func TestMustUpdate(t *testing.T) {
	own, err := passwords.Hash("pw", 5)
	if err != nil {
		t.Fatal(err)
	}
	if passwords.MustUpdate(own, 5) {
		t.Errorf("MustUpdate(own hash, its cost) = true")
	}
	if !passwords.MustUpdate(own, 6) {
		t.Errorf("MustUpdate(own hash, another cost) = false")
	}
	for _, v := range loadVectors(t) {
		if !passwords.MustUpdate(v.Encoded, 12) && (v.Algorithm != "bcrypt_sha256" || !strings.Contains(v.Encoded, "$12$")) {
			t.Errorf("MustUpdate(%q, 12) = false", v.Encoded)
		}
	}
}

// Check never panics, whatever the stored string; a match needs a real hash.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"", "!", "pbkdf2_sha256$1$a$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"pbkdf2_sha1$1$a$AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"argon2$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
		"argon2$argon2i$v=19$m=16,t=1,p=2$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
		"bcrypt$$2b$04$Rp/6A3EL95S2JDcN2GOVhOwUVdR63Bnt8ni0RH6/NXBexzCtIcG7.",
		"bcrypt_sha256$$2b$04$Rp/6A3EL95S2JDcN2GOVhOwUVdR63Bnt8ni0RH6/NXBexzCtIcG7.",
		"scrypt$2$s$1$1$AAAAAAAAAAAAAAAAAAAAAA==",
	} {
		f.Add(s, "pw")
	}
	f.Fuzz(func(t *testing.T, encoded, password string) {
		ok, err := passwords.Check(encoded, password)
		if ok && err != nil {
			t.Errorf("Check(%q) = true with error %v", encoded, err)
		}
		if ok && !passwords.Known(encoded) {
			t.Errorf("Check(%q) matched a hash Known refuses", encoded)
		}
	})
}

func TestDjangoName(t *testing.T) {
	for encoded, want := range map[string]string{
		"pbkdf2_sha256$1000$salt$hash":          "pbkdf2_sha256",
		"bcrypt_sha256$broken":                  "bcrypt_sha256", // by name alone
		"md5$salt$hash":                         "md5",
		"md5$$5f4dcc3b5aa765d61d8327deb882cf99": "md5", // Django's unsalted md5
		"sha1$salt$hash":                        "sha1",
		"unsalted_sha1$$hash":                   "unsalted_sha1",
		"crypt$$abc":                            "crypt",
		"hunter2$x":                             "", // a password in the clear
		"hunter2":                               "",
		"5f4dcc3b5aa765d61d8327deb882cf99":      "",
		"!md5$salt$hash":                        "", // unusable
		"":                                      "",
	} {
		if got := passwords.DjangoName(encoded); got != want {
			t.Errorf("DjangoName(%q) = %q, want %q", encoded, got, want)
		}
	}
}

func TestUnusableIsUnusable(t *testing.T) {
	a, err := passwords.Unusable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := passwords.Unusable()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a, passwords.UnusablePrefix) || len(a) != 41 || a == b {
		t.Errorf("Unusable() = %q then %q; want %q and 40 random characters, different each time", a, b, passwords.UnusablePrefix)
	}
	if ok, err := passwords.Check(a, a[1:]); ok || err != nil {
		t.Errorf("Check(%q, its own tail) = %v, %v; want false, nil", a, ok, err)
	}
}
