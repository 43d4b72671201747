// Package fields is DRF's serializer fields: CharField and IntegerField with
// DRF's exact coercion rules and messages, and the validation of a Student by
// the fields models.StudentFields declares. The API and the admin site both
// validate through it, so a form and a request say the same thing about the
// same value.
package fields

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MsgRequired is DRF's message for a field the data leaves out.
const MsgRequired = "This field is required."

// The other messages of DRF's fields, word for word.
const (
	msgNull         = "This field may not be null."
	msgBlank        = "This field may not be blank."
	msgNotString    = "Not a valid string."
	msgNullChars    = "Null characters are not allowed."
	msgInvalidInt   = "A valid integer is required."
	msgIntTooLong   = "String value too large."
	maxIntStringLen = 1000
)

func msgMaxLength(n int) string {
	return "Ensure this field has no more than " + strconv.Itoa(n) + " characters."
}

// Char describes a DRF CharField.
type Char struct {
	MaxLength int  // 0: no limit
	NoTrim    bool // DRF's trim_whitespace=False, as for passwords
}

// Clean turns a raw value into a string, or returns DRF's error messages. A
// raw value is what DRF's parsers make: string, json.Number, bool, nil, []any
// or map[string]any.
func (f Char) Clean(v any) (string, []string) {
	var s string
	switch v := v.(type) {
	case nil:
		return "", []string{msgNull}
	case string:
		s = v
	case json.Number:
		s = pythonNumberString(v)
	default: // bool, list, object
		return "", []string{msgNotString}
	}
	if s == "" || (!f.NoTrim && pythonStrip(s) == "") {
		return "", []string{msgBlank}
	}
	if !f.NoTrim {
		s = pythonStrip(s)
	}
	var errs []string
	if f.MaxLength > 0 && utf8.RuneCountInString(s) > f.MaxLength {
		errs = append(errs, msgMaxLength(f.MaxLength))
	}
	if strings.ContainsRune(s, 0) {
		errs = append(errs, msgNullChars)
	}
	if r, ok := loneSurrogate(s); ok {
		errs = append(errs, fmt.Sprintf("Surrogate characters are not allowed: U+%X.", r))
	}
	return s, errs
}

// Integer describes a DRF IntegerField over a 64-bit column.
type Integer struct{}

// trailingZeroDecimal is DRF's re_decimal, `\.0*\s*$`: "10.0" and "10." count
// as 10. Python's \s is what str.isspace() accepts, wider than RE2's.
var trailingZeroDecimal = regexp.MustCompile(`\.0*[\t\n\v\f\r\x1c-\x1f\x{85}\p{Z}]*$`)

// Clean turns a raw value into an integer, or returns DRF's error messages.
func (Integer) Clean(v any) (int64, []string) {
	switch v := v.(type) {
	case nil:
		return 0, []string{msgNull}
	case json.Number:
		return jsonInteger(v)
	case string:
		if utf8.RuneCountInString(v) > maxIntStringLen { // Python's len()
			return 0, []string{msgIntTooLong}
		}
		n, ok := PythonInt(trailingZeroDecimal.ReplaceAllString(v, ""))
		if !ok {
			return 0, []string{msgInvalidInt}
		}
		return n, nil
	}
	return 0, []string{msgInvalidInt}
}

// jsonInteger accepts a JSON number that DRF would turn into an integer: any
// integer literal in range, or a float whose Python str() is "<digits>.0".
func jsonInteger(n json.Number) (int64, []string) {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, []string{msgInvalidInt}
		}
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	// Python writes floats from 1e16 up in exponent form, which int() refuses.
	if err != nil || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) >= 1e16 {
		return 0, []string{msgInvalidInt}
	}
	return int64(f), nil
}

// PythonInt parses s as Python's int(s) does: surrounding whitespace, an optional
// sign, decimal digits of any script, single underscores between digits. It
// reports false for anything else and for values outside 64 bits.
func PythonInt(s string) (int64, bool) {
	// int() trims Unicode white space, but not the separators \x1c-\x1f that
	// str.strip() also trims.
	s = strings.TrimFunc(s, unicode.IsSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	// The magnitude is accumulated in a uint64, bounded by what the sign
	// allows, so that parsing a key on every request allocates nothing.
	limit := uint64(math.MaxInt64)
	if neg {
		limit++ // -(MinInt64) is one more than MaxInt64
	}
	var n uint64
	prevUnderscore := true // no leading underscore
	for _, r := range s {
		if r == '_' {
			if prevUnderscore {
				return 0, false
			}
			prevUnderscore = true
			continue
		}
		d, ok := digitValue(r)
		if !ok {
			return 0, false
		}
		if n > (limit-uint64(d))/10 {
			return 0, false // beyond 64 bits
		}
		n = n*10 + uint64(d)
		prevUnderscore = false
	}
	if prevUnderscore {
		return 0, false
	}
	if neg {
		return int64(-n), true // wraps to MinInt64 for its own magnitude
	}
	return int64(n), true
}

// DecimalText is s as Python's Decimal reads its digits: every Unicode
// decimal digit as its ASCII digit, and the underscores it drops wherever
// they stand ("1_000", even "_1"). Anything else is left for the caller's
// grammar to refuse. s itself when it holds neither, as it almost always
// does.
func DecimalText(s string) string {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] != '_' && s[i] < utf8.RuneSelf
	}
	if plain {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch d, ok := digitValue(r); {
		case r == '_':
		case ok:
			b.WriteByte(byte('0' + d))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// digitValue is the value of a Unicode decimal digit. Every run of decimal
// digits in Unicode starts at a zero and comes in tens.
func digitValue(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if !unicode.IsDigit(r) {
		return 0, false
	}
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int(r-start) % 10, true
}

// pythonStrip trims what Python's str.strip() trims: Unicode white space plus
// the ASCII separators \x1c-\x1f.
func pythonStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
	})
}

// pythonNumberString is str() of the number Python's json module would make.
func pythonNumberString(n json.Number) string {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		return integerString(s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return s
	}
	return pythonFloatRepr(f)
}

// integerString is str(int(s)) for a string of digits with an optional minus
// sign: without leading zeros, and "0" for any zero. It is read in one pass,
// not through big.Int, whose conversions grow faster than the digits: a 1 MB
// number took seconds and gigabytes of allocation.
func integerString(s string) string {
	digits, neg := strings.CutPrefix(s, "-")
	trimmed := strings.TrimLeft(digits, "0")
	switch {
	case trimmed == "":
		return "0"
	case len(trimmed) == len(digits):
		return s // as JSON writes every integer but -0
	case neg:
		return "-" + trimmed
	}
	return trimmed
}

// pythonFloatRepr formats f as Python's repr(float): the shortest round-trip
// digits, fixed notation for exponents from -4 to 15 (with ".0" when integral),
// exponent notation with at least two exponent digits otherwise.
func pythonFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // e.g. -1.2345e+16
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	return mant + "e" + sign + fmtExp(exp)
}

func fmtExp(exp int) string {
	if exp < 10 {
		return "0" + strconv.Itoa(exp)
	}
	return strconv.Itoa(exp)
}

// surrogateBase marks a lone UTF-16 surrogate from a \uXXXX escape: Go's JSON
// decoder would silently turn it into U+FFFD, while DRF refuses the field with
// "Surrogate characters are not allowed". The JSON parser rewrites \uD800 as
// the plane-16 code point U+10D800 (and so on) so that Char can name it.
const surrogateBase = 0x100000

// MarkSurrogate is the code point that stands for the lone UTF-16 surrogate
// code (0xD800 to 0xDFFF) in a decoded string, for Char.Clean to refuse.
func MarkSurrogate(code rune) rune { return surrogateBase + code }

// loneSurrogate finds a rune marked by MarkSurrogate.
func loneSurrogate(s string) (rune, bool) {
	for _, r := range s {
		if r >= surrogateBase+0xD800 && r <= surrogateBase+0xDFFF {
			return r - surrogateBase, true
		}
	}
	return 0, false
}
