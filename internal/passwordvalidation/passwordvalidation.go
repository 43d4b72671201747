// Package passwordvalidation is Django's django.contrib.auth.password_validation:
// the four validators a new Django project turns on (similarity to the
// user's attributes, a minimum length, a list of common passwords, not
// entirely numeric), configured as AUTH_PASSWORD_VALIDATORS configures them
// and refusing with Django's messages, so that accounts moved from a Django
// project keep its rules. It knows nothing of the database or the web.
package passwordvalidation

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed" // the common-password list
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// User is what a password is compared with: the attributes of Django's
// User that this service keeps.
type User struct {
	Username, Email string
}

// Validator judges one password for u: nil, or an error whose text is
// Django's message.
type Validator interface {
	Validate(password string, u User) error
}

// Error is every refusal of a password, in the validators' order, as
// Django's ValidationError carries its messages.
type Error struct {
	Messages []string
}

func (e *Error) Error() string { return strings.Join(e.Messages, " ") }

// Validators is a configured list, run in order; an empty one accepts any
// password, as an empty AUTH_PASSWORD_VALIDATORS does.
type Validators []Validator

// Validate runs every validator and returns an *Error with all their
// messages, or nil, as Django's validate_password does.
func (vs Validators) Validate(password string, u User) error {
	var msgs []string
	for _, v := range vs {
		if err := v.Validate(password, u); err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if msgs == nil {
		return nil
	}
	return &Error{Messages: msgs}
}

// DefaultNames returns the validators of a new Django project's settings, in
// their order; a new slice each call, which the caller may change.
func DefaultNames() []string {
	return []string{
		"UserAttributeSimilarityValidator",
		"MinimumLengthValidator",
		"CommonPasswordValidator",
		"NumericPasswordValidator",
	}
}

// djangoModule prefixes the names in Django's settings; New accepts a name
// with or without it, so a settings entry can be copied as it is.
const djangoModule = "django.contrib.auth.password_validation."

// New returns the validator that Django's settings entry {"NAME": name,
// "OPTIONS": options} makes, with the options Django's classes take:
// user_attributes and max_similarity, min_length, password_list_path.
// Options arrive as a YAML decoder gives them (int, float64, string, []any).
func New(name string, options map[string]any) (Validator, error) {
	short := strings.TrimPrefix(name, djangoModule)
	known := map[string][]string{
		"UserAttributeSimilarityValidator": {"user_attributes", "max_similarity"},
		"MinimumLengthValidator":           {"min_length"},
		"CommonPasswordValidator":          {"password_list_path"},
		"NumericPasswordValidator":         nil,
	}
	allowed, ok := known[short]
	if !ok {
		return nil, fmt.Errorf("unknown validator %q; use one of %s (optionally prefixed %q)", name, strings.Join(DefaultNames(), ", "), djangoModule)
	}
	for k := range options {
		if !contains(allowed, k) {
			if len(allowed) == 0 {
				return nil, fmt.Errorf("%s: takes no options, got %q", short, k)
			}
			return nil, fmt.Errorf("%s: unknown option %q; it takes %s", short, k, strings.Join(allowed, ", "))
		}
	}
	switch short {
	case "UserAttributeSimilarityValidator":
		attrs := DefaultUserAttributes()
		if v, ok := options["user_attributes"]; ok {
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("%s: user_attributes must be a list of names, got %v", short, v)
			}
			attrs = nil
			for _, a := range list {
				s, ok := a.(string)
				if !ok {
					return nil, fmt.Errorf("%s: user_attributes must be a list of names, got %v", short, a)
				}
				attrs = append(attrs, s)
			}
		}
		maxSimilarity := 0.7
		if v, ok := options["max_similarity"]; ok {
			switch f := v.(type) {
			case float64:
				maxSimilarity = f
			case int:
				maxSimilarity = float64(f)
			default:
				return nil, fmt.Errorf("%s: max_similarity must be a number, got %v", short, v)
			}
		}
		return NewUserAttributeSimilarity(attrs, maxSimilarity)
	case "MinimumLengthValidator":
		n := 8
		if v, ok := options["min_length"]; ok {
			if n, ok = v.(int); !ok {
				return nil, fmt.Errorf("%s: min_length must be an integer, got %v", short, v)
			}
		}
		return MinimumLength(n), nil
	case "CommonPasswordValidator":
		if v, ok := options["password_list_path"]; ok {
			path, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s: password_list_path must be a file name, got %v", short, v)
			}
			return NewCommonPasswordFile(path)
		}
		return NewCommonPassword()
	}
	return Numeric{}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// MinimumLength is Django's MinimumLengthValidator: at least this many
// characters (code points, as Python's len counts).
type MinimumLength int

// Validate refuses a password shorter than m.
func (m MinimumLength) Validate(password string, _ User) error {
	if utf8.RuneCountInString(password) >= int(m) {
		return nil
	}
	unit := "characters"
	if m == 1 {
		unit = "character"
	}
	return fmt.Errorf("This password is too short. It must contain at least %d %s.", int(m), unit)
}

// Numeric is Django's NumericPasswordValidator: a password of digits only
// is refused.
type Numeric struct{}

// Validate refuses a password that Python's str.isdigit accepts: not
// empty, and every character a decimal digit (Nd) or one of pythonDigits.
func (Numeric) Validate(password string, _ User) error {
	if password == "" {
		return nil
	}
	for _, r := range password {
		if !unicode.IsDigit(r) && !unicode.Is(pythonDigits, r) {
			return nil
		}
	}
	return errors.New("This password is entirely numeric.")
}

// pythonDigits are the characters outside Unicode's Nd that Python's
// str.isdigit also counts (Numeric_Type=Digit: superscripts, subscripts,
// circled digits...), as Python 3.11 (Unicode 14) lists them.
var pythonDigits = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 178, Hi: 179, Stride: 1}, {Lo: 185, Hi: 185, Stride: 1}, {Lo: 4969, Hi: 4977, Stride: 1},
		{Lo: 6618, Hi: 6618, Stride: 1}, {Lo: 8304, Hi: 8304, Stride: 1}, {Lo: 8308, Hi: 8313, Stride: 1},
		{Lo: 8320, Hi: 8329, Stride: 1}, {Lo: 9312, Hi: 9320, Stride: 1}, {Lo: 9332, Hi: 9340, Stride: 1},
		{Lo: 9352, Hi: 9360, Stride: 1}, {Lo: 9450, Hi: 9450, Stride: 1}, {Lo: 9461, Hi: 9469, Stride: 1},
		{Lo: 9471, Hi: 9471, Stride: 1}, {Lo: 10102, Hi: 10110, Stride: 1}, {Lo: 10112, Hi: 10120, Stride: 1},
		{Lo: 10122, Hi: 10130, Stride: 1},
	},
	R32: []unicode.Range32{
		{Lo: 68160, Hi: 68163, Stride: 1}, {Lo: 69216, Hi: 69224, Stride: 1}, {Lo: 69714, Hi: 69722, Stride: 1},
		{Lo: 127232, Hi: 127242, Stride: 1},
	},
	LatinOffset: 2,
}

//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// CommonPassword is Django's CommonPasswordValidator: a password on the
// list, ignoring case and surrounding spaces, is refused.
type CommonPassword struct {
	passwords map[string]struct{}
}

// NewCommonPassword reads the list Django ships (embedded: Django's
// common-passwords.txt.gz, some 20,000 lower-cased passwords).
func NewCommonPassword() (*CommonPassword, error) {
	return readCommonPasswords(bytes.NewReader(commonPasswordsGz), "the embedded list")
}

// NewCommonPasswordFile reads a list of lower-cased passwords, one a line,
// gzipped or not, as Django's password_list_path option does.
func NewCommonPasswordFile(path string) (*CommonPassword, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CommonPasswordValidator: %w", err)
	}
	return readCommonPasswords(bytes.NewReader(data), path)
}

func readCommonPasswords(r io.Reader, name string) (*CommonPassword, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("CommonPasswordValidator: read %s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	c := &CommonPassword{passwords: make(map[string]struct{}, 20000)}
	sc := bufio.NewScanner(br)
	for sc.Scan() {
		c.passwords[strings.TrimSpace(sc.Text())] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("CommonPasswordValidator: read %s: %w", name, err)
	}
	return c, nil
}

// Validate refuses a password on the list.
func (c *CommonPassword) Validate(password string, _ User) error {
	if _, ok := c.passwords[strings.TrimSpace(strings.ToLower(password))]; ok {
		return errors.New("This password is too common.")
	}
	return nil
}

// DefaultUserAttributes returns the attributes Django's validator compares
// with by default (Django's list also has first_name and last_name, which
// this service does not keep; like Django, attributes a user lacks are
// skipped); a new slice each call, which the caller may change.
func DefaultUserAttributes() []string { return []string{"username", "email"} }

// UserAttributeSimilarity is Django's UserAttributeSimilarityValidator.
type UserAttributeSimilarity struct {
	attributes    []string
	maxSimilarity float64
}

// NewUserAttributeSimilarity compares passwords with the named attributes
// of the user and refuses those at least maxSimilarity alike (Django's
// default is 0.7, and its least 0.1).
func NewUserAttributeSimilarity(attributes []string, maxSimilarity float64) (*UserAttributeSimilarity, error) {
	if maxSimilarity < 0.1 {
		return nil, errors.New("UserAttributeSimilarityValidator: max_similarity must be at least 0.1")
	}
	// A copy: the caller's slice may change after, the validator must not.
	return &UserAttributeSimilarity{attributes: slices.Clone(attributes), maxSimilarity: maxSimilarity}, nil
}

// verboseNames are the names Django's messages give the attributes (the
// model fields' verbose_name).
var verboseNames = map[string]string{"username": "username", "email": "email address"}

// Validate compares the lower-cased password with each attribute and each
// run of word characters in it (an email's user and domain parts), as
// Django does: difflib's quick_ratio at or over the bound refuses, except
// where the lengths alone rule it out.
func (v *UserAttributeSimilarity) Validate(password string, u User) error {
	password = strings.ToLower(password)
	pw := []rune(password)
	for _, attr := range v.attributes {
		var value string
		switch attr {
		case "username":
			value = u.Username
		case "email":
			value = u.Email
		}
		if value == "" {
			continue
		}
		lower := strings.ToLower(value)
		parts := append(splitNonWord(lower), lower)
		for _, part := range parts {
			p := []rune(part)
			if exceedsMaximumLengthRatio(len(pw), v.maxSimilarity, len(p)) {
				continue
			}
			if quickRatio(pw, p) >= v.maxSimilarity {
				return fmt.Errorf("The password is too similar to the %s.", verboseNames[attr])
			}
		}
	}
	return nil
}

// exceedsMaximumLengthRatio is Django's shortcut: a value ten times shorter
// than the password, and shorter than maxSimilarity/2 of it, cannot be
// similar enough to matter.
func exceedsMaximumLengthRatio(passwordLen int, maxSimilarity float64, valueLen int) bool {
	return passwordLen >= 10*valueLen && float64(valueLen) < maxSimilarity/2*float64(passwordLen)
}

// quickRatio is Python's difflib.SequenceMatcher(a=a, b=b).quick_ratio():
// twice the size of the multiset intersection of the characters over the
// total length, 1 for two empty sequences. Computed in float64 as Python
// does, so the comparison with the bound is the same.
func quickRatio(a, b []rune) float64 {
	if len(a)+len(b) == 0 {
		return 1
	}
	avail := make(map[rune]int, len(b))
	for _, r := range b {
		avail[r]++
	}
	matches := 0
	for _, r := range a {
		if avail[r] > 0 {
			matches++
		}
		avail[r]--
	}
	return 2.0 * float64(matches) / float64(len(a)+len(b))
}

// splitNonWord is Python's re.split(r'\W+', s): the pieces between runs of
// non-word characters, with an empty piece where s begins or ends with one.
// A word character is a letter, a number or '_'.
func splitNonWord(s string) []string {
	isWord := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }
	var parts []string
	var cur strings.Builder
	inSep := false
	for _, r := range s {
		if isWord(r) {
			cur.WriteRune(r)
			inSep = false
			continue
		}
		if !inSep {
			parts = append(parts, cur.String())
			cur.Reset()
			inSep = true
		}
	}
	return append(parts, cur.String())
}
