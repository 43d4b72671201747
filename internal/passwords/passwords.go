// Package passwords reads and writes password hashes in Django's formats, so
// that a user table moved over from Django keeps every password working.
//
// Check verifies these formats, as Django's hashers write them:
//
//	pbkdf2_sha256$<iterations>$<salt>$<base64 hash>     (Django's default)
//	pbkdf2_sha1$<iterations>$<salt>$<base64 hash>
//	argon2$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>   (and argon2i)
//	bcrypt_sha256$$2b$<cost>$<salt and hash>          (bcrypt of the hex SHA-256 of the password)
//	bcrypt$$2b$<cost>$<salt and hash>                 (plain bcrypt: reads the first 72 bytes only)
//	scrypt$<N>$<salt>$<r>$<p>$<base64 hash>
//
// A password starting with "!" is Django's unusable password: it matches
// nothing. Every comparison is in constant time (bcrypt's own, or
// crypto/subtle's); the key derivations are golang.org/x/crypto's.
//
// A stored hash names its own cost, so a hash with absurd parameters would
// make one login cost minutes or gigabytes, and a login needs no account.
// Check refuses, as ErrTooCostly and without computing anything, parameters
// beyond these limits, each a few times Django 5.x's defaults (in brackets):
// PBKDF2 iterations up to MaxPBKDF2Iterations (1,000,000 in 5.2, 1,200,000
// in 6.0); bcrypt cost up to MaxBcryptCost (12); argon2 memory up to
// MaxArgon2Memory KiB (102,400), memory × passes up to MaxArgon2Work
// (204,800) and lanes up to MaxArgon2Parallelism (8); scrypt memory, which is
// 128·r·N bytes for its table plus 128·r·p for its blocks, up to
// MaxScryptMemory (16 MiB; Django itself, with OpenSSL's default maxmem,
// verifies none over 32 MiB), and N·r·p up to MaxScryptWork (2^17). One check
// may still take a quarter of a GiB (argon2): the caller bounds how many run
// at once (auth.Authenticator does).
//
// Hash writes this service's own format, Django's bcrypt_sha256, so the
// hashes it makes also work in Django; MustUpdate says which stored hashes a
// successful login should replace with one of those, as Django's must_update.
package passwords

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// UnusablePrefix starts Django's unusable passwords (UNUSABLE_PASSWORD_PREFIX):
// set_unusable_password stores it with random characters after it, and no
// password matches it.
const UnusablePrefix = "!"

// Unusable returns a new unusable password, as Django's make_password(None):
// UnusablePrefix and 40 random letters and digits, which no password hashes
// to (the randomness keeps two such rows from looking alike).
func Unusable() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 40)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("unusable password: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return UnusablePrefix + string(b), nil
}

// The limits on a stored hash's parameters; see the package comment.
const (
	MaxPBKDF2Iterations  = 4_000_000
	MaxBcryptCost        = 14      // also the highest auth.bcrypt_cost
	MaxArgon2Memory      = 1 << 18 // KiB: 256 MiB
	MaxArgon2Work        = 1 << 20 // KiB × passes: Django's memory for 10 passes
	MaxArgon2Parallelism = 16
	MaxScryptMemory      = 1 << 26 // bytes: 128·r·(N+p), 64 MiB
	MaxScryptWork        = 1 << 19 // N·r·p
)

// The errors Check and Validate return, wrapped with the detail.
var (
	// ErrUnknownAlgorithm: the hash names no algorithm this package
	// verifies (or is not a Django hash at all).
	ErrUnknownAlgorithm = errors.New("unknown password hash algorithm")
	// ErrMalformed: the hash names a known algorithm but cannot be read.
	ErrMalformed = errors.New("malformed password hash")
	// ErrTooCostly: the hash's parameters are beyond this package's limits.
	ErrTooCostly = errors.New("password hash parameters beyond the limits")
)

// The algorithm names, as the part of a hash before its first "$".
const (
	PBKDF2SHA256 = "pbkdf2_sha256"
	PBKDF2SHA1   = "pbkdf2_sha1"
	Argon2       = "argon2"
	BcryptSHA256 = "bcrypt_sha256"
	Bcrypt       = "bcrypt"
	Scrypt       = "scrypt"
)

// verifier is a parsed hash: verify computes the one key derivation the hash
// asks for and compares in constant time.
type verifier struct {
	algorithm string
	verify    func(password string) (bool, error)
	// cost is bcrypt's cost for the bcrypt formats, for MustUpdate.
	cost int
}

// parse reads encoded without computing any hash: every format and limit
// check happens here, before any work is done.
func parse(encoded string) (*verifier, error) {
	name, rest, _ := strings.Cut(encoded, "$")
	switch name {
	case PBKDF2SHA256:
		return parsePBKDF2(name, rest, sha256.New, sha256.Size)
	case PBKDF2SHA1:
		return parsePBKDF2(name, rest, sha1.New, sha1.Size)
	case Argon2:
		return parseArgon2(rest)
	case BcryptSHA256:
		return parseBcrypt(name, rest, prehash)
	case Bcrypt:
		return parseBcrypt(name, rest, truncate72)
	case Scrypt:
		return parseScrypt(rest)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownAlgorithm, name)
}

// Check reports whether password matches encoded, a hash in one of Django's
// formats. An unusable password ("!…") matches nothing and is no error. An
// unknown algorithm is ErrUnknownAlgorithm, an unreadable hash ErrMalformed,
// parameters beyond the limits ErrTooCostly; none of them computes anything.
func Check(encoded, password string) (bool, error) {
	if strings.HasPrefix(encoded, UnusablePrefix) {
		return false, nil
	}
	v, err := parse(encoded)
	if err != nil {
		return false, err
	}
	return v.verify(password)
}

// Validate returns nil if Check can verify encoded, or encoded is an unusable
// password, and why not otherwise (ErrUnknownAlgorithm, ErrMalformed or
// ErrTooCostly), computing nothing.
func Validate(encoded string) error {
	if strings.HasPrefix(encoded, UnusablePrefix) {
		return nil
	}
	_, err := parse(encoded)
	return err
}

// Known reports whether encoded can be stored as a user's password: an
// unusable password, or a hash Check can verify (a supported algorithm,
// readable, within the limits). An import refuses what is not Known, so
// that no imported user meets an error at login.
func Known(encoded string) bool { return Validate(encoded) == nil }

// Algorithm returns the algorithm encoded names (the part before its first
// "$") and whether it is one Check supports, by name alone: a malformed hash
// of a supported algorithm is known here, and an error for Check. An unusable
// password names none: "", false.
func Algorithm(encoded string) (name string, known bool) {
	if strings.HasPrefix(encoded, UnusablePrefix) {
		return "", false
	}
	name, _, _ = strings.Cut(encoded, "$")
	switch name {
	case PBKDF2SHA256, PBKDF2SHA1, Argon2, BcryptSHA256, Bcrypt, Scrypt:
		return name, true
	}
	return name, false
}

// DjangoName returns the algorithm encoded names when it is the name of one
// of Django's hashers: those Check verifies, and Django's others that it does
// not (md5, sha1, unsalted_md5, unsalted_sha1, crypt). Anything else is "":
// what precedes the first "$" of a string that is no Django hash may be a
// password stored in the clear, and must not be shown.
func DjangoName(encoded string) string {
	name, known := Algorithm(encoded)
	switch {
	case known:
		return name
	case name == "md5" || name == "sha1" || name == "unsalted_md5" || name == "unsalted_sha1" || name == "crypt":
		return name
	}
	return ""
}

// Hash returns this service's own hash of password: Django's bcrypt_sha256
// at the given bcrypt cost, bcrypt over the hex SHA-256 of the password so
// that bcrypt's 72-byte limit never lets a longer password match its prefix.
func Hash(password string, cost int) (string, error) {
	if cost < bcrypt.MinCost || cost > MaxBcryptCost {
		return "", fmt.Errorf("hash password: bcrypt cost %d is outside %d to %d", cost, bcrypt.MinCost, MaxBcryptCost)
	}
	h, err := bcrypt.GenerateFromPassword(prehash(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return BcryptSHA256 + "$" + string(h), nil
}

// MustUpdate reports whether a login that just proved its password against
// encoded should store Hash(password, cost) instead, as Django's must_update:
// true for every hash but this service's own format at this cost (and for a
// malformed one, which no login proves). An unusable password has nothing to
// update: no password proves it.
func MustUpdate(encoded string, cost int) bool {
	if strings.HasPrefix(encoded, UnusablePrefix) {
		return false
	}
	v, err := parse(encoded)
	return err != nil || v.algorithm != BcryptSHA256 || v.cost != cost
}

// prehash is bcrypt_sha256's input: the hex SHA-256 of the password.
func prehash(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	return []byte(hex.EncodeToString(sum[:]))
}

// truncate72 is plain bcrypt's input: the password's first 72 bytes, all
// that bcrypt reads, so that a longer password matches as it does in Django
// (x/crypto's bcrypt ignores the rest as well; cutting here does not rely on
// it).
func truncate72(password string) []byte {
	return []byte(password[:min(len(password), 72)])
}

// decimal parses a positive decimal parameter, digits only: no sign, space
// or underscore, which Python's int() would take but Django never writes.
func decimal(s string) (uint64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

func malformed(algorithm, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, algorithm, fmt.Sprintf(format, args...))
}

func tooCostly(algorithm, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrTooCostly, algorithm, fmt.Sprintf(format, args...))
}

// parsePBKDF2 reads "<iterations>$<salt>$<base64 hash>". Django's salt is
// used as its own text, not decoded.
func parsePBKDF2(name, rest string, h func() hash.Hash, size int) (*verifier, error) {
	f := strings.Split(rest, "$")
	if len(f) != 3 {
		return nil, malformed(name, "want iterations$salt$hash, got %d fields", len(f))
	}
	iterations, ok := decimal(f[0])
	if !ok {
		return nil, malformed(name, "iterations %q", f[0])
	}
	if iterations > MaxPBKDF2Iterations {
		return nil, tooCostly(name, "%d iterations, at most %d", iterations, MaxPBKDF2Iterations)
	}
	salt := f[1]
	if salt == "" {
		return nil, malformed(name, "empty salt")
	}
	want, err := base64.StdEncoding.Strict().DecodeString(f[2])
	if err != nil || len(want) != size {
		return nil, malformed(name, "hash is not %d bytes of base64", size)
	}
	return &verifier{algorithm: name, verify: func(password string) (bool, error) {
		got, err := pbkdf2.Key(h, password, []byte(salt), int(iterations), size)
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		return subtle.ConstantTimeCompare(got, want) == 1, nil
	}}, nil
}

// parseBcrypt reads bcrypt's own "$2b$<cost>$<53 characters>" after the
// algorithm's "$" (so Django's hashes read "bcrypt$$2b$…"). input turns the
// password into what bcrypt is given.
func parseBcrypt(name, rest string, input func(string) []byte) (*verifier, error) {
	if len(rest) != 60 || rest[0] != '$' || rest[1] != '2' || !strings.ContainsRune("aby", rune(rest[2])) || rest[3] != '$' || rest[6] != '$' {
		return nil, malformed(name, "not a $2b$ bcrypt hash of 60 characters")
	}
	for _, c := range rest[7:] {
		if !(c == '.' || c == '/' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return nil, malformed(name, "character %q outside bcrypt's base64", c)
		}
	}
	cost, ok := decimal(rest[4:6])
	if !ok || cost < uint64(bcrypt.MinCost) || cost > uint64(bcrypt.MaxCost) {
		return nil, malformed(name, "cost %q", rest[4:6])
	}
	if cost > MaxBcryptCost {
		return nil, tooCostly(name, "cost %d, at most %d", cost, MaxBcryptCost)
	}
	stored := []byte(rest)
	return &verifier{algorithm: name, cost: int(cost), verify: func(password string) (bool, error) {
		err := bcrypt.CompareHashAndPassword(stored, input(password))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, nil
		default:
			return false, fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
		}
	}}, nil
}

// argon2Version is the only argon2 version x/crypto computes, and the one
// argon2-cffi has written since 2016 ("v=19").
const argon2Version = 19

// parseArgon2 reads Django's "argon2$" followed by argon2's own encoding,
// "<variety>$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>", salt and hash
// in unpadded base64.
func parseArgon2(rest string) (*verifier, error) {
	f := strings.Split(rest, "$")
	if len(f) != 5 {
		return nil, malformed(Argon2, "want variety$v=19$m=,t=,p=$salt$hash, got %d fields", len(f))
	}
	key := argon2.IDKey
	switch f[0] {
	case "argon2id":
	case "argon2i":
		key = argon2.Key
	default:
		return nil, malformed(Argon2, "variety %q (argon2id and argon2i are supported)", f[0])
	}
	if f[1] != "v="+strconv.Itoa(argon2Version) {
		return nil, malformed(Argon2, "version %q (v=%d is supported)", f[1], argon2Version)
	}
	params := map[string]uint64{}
	for _, kv := range strings.Split(f[2], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, ok := decimal(v)
		if !ok || (k != "m" && k != "t" && k != "p") {
			return nil, malformed(Argon2, "parameter %q", kv)
		}
		if _, dup := params[k]; dup {
			return nil, malformed(Argon2, "parameter %q given twice", k)
		}
		params[k] = n
	}
	m, t, p := params["m"], params["t"], params["p"]
	if len(params) != 3 {
		return nil, malformed(Argon2, "parameters %q: want m, t and p", f[2])
	}
	// Argon2 needs 8 KiB of memory per lane; x/crypto would quietly raise
	// it, which would compute something else than the hash stored.
	if m < 8*p {
		return nil, malformed(Argon2, "memory %d KiB is under 8 KiB per lane (%d lanes)", m, p)
	}
	if p > MaxArgon2Parallelism || m > MaxArgon2Memory || m*t > MaxArgon2Work {
		return nil, tooCostly(Argon2, "m=%d,t=%d,p=%d, at most m=%d, m×t=%d, p=%d",
			m, t, p, MaxArgon2Memory, MaxArgon2Work, MaxArgon2Parallelism)
	}
	salt, err := base64.RawStdEncoding.DecodeString(f[3])
	if err != nil || len(salt) < 8 {
		return nil, malformed(Argon2, "salt is not 8 bytes or more of unpadded base64")
	}
	want, err := base64.RawStdEncoding.DecodeString(f[4])
	if err != nil || len(want) < 4 || len(want) > 1024 {
		return nil, malformed(Argon2, "hash is not 4 to 1024 bytes of unpadded base64")
	}
	return &verifier{algorithm: Argon2, verify: func(password string) (bool, error) {
		got := key([]byte(password), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
		return subtle.ConstantTimeCompare(got, want) == 1, nil
	}}, nil
}

// parseScrypt reads Django's "scrypt$<N>$<salt>$<r>$<p>$<base64 hash>";
// as for PBKDF2 the salt is used as its own text.
func parseScrypt(rest string) (*verifier, error) {
	f := strings.Split(rest, "$")
	if len(f) != 5 {
		return nil, malformed(Scrypt, "want N$salt$r$p$hash, got %d fields", len(f))
	}
	var nrp [3]uint64
	for i, s := range []string{f[0], f[2], f[3]} {
		n, ok := decimal(s)
		if !ok {
			return nil, malformed(Scrypt, "parameter %q", s)
		}
		nrp[i] = n
	}
	n, r, p := nrp[0], nrp[1], nrp[2]
	if n < 2 || n&(n-1) != 0 {
		return nil, malformed(Scrypt, "N=%d is not a power of 2", n)
	}
	// Each bound before the products, so that none overflows. scrypt holds
	// a table of 128·r·N bytes and p blocks of 128·r bytes at once.
	if n > MaxScryptMemory || r > MaxScryptMemory || p > MaxScryptMemory ||
		128*r*(n+p) > MaxScryptMemory || n*r*p > MaxScryptWork {
		return nil, tooCostly(Scrypt, "N=%d r=%d p=%d, at most 128·r·(N+p)=%d bytes and N·r·p=%d",
			n, r, p, MaxScryptMemory, MaxScryptWork)
	}
	salt := f[1]
	if salt == "" {
		return nil, malformed(Scrypt, "empty salt")
	}
	want, err := base64.StdEncoding.Strict().DecodeString(f[4])
	if err != nil || len(want) < 16 || len(want) > 1024 {
		return nil, malformed(Scrypt, "hash is not 16 to 1024 bytes of base64")
	}
	return &verifier{algorithm: Scrypt, verify: func(password string) (bool, error) {
		got, err := scrypt.Key([]byte(password), []byte(salt), int(n), int(r), int(p), len(want))
		if err != nil {
			return false, fmt.Errorf("%w: %s: %w", ErrMalformed, Scrypt, err)
		}
		return subtle.ConstantTimeCompare(got, want) == 1, nil
	}}, nil
}
