package api

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// What DRF says of a JSON body it cannot parse is Python's json module's
// error, "JSON parse error - " before it: the message of CPython's C scanner
// (Python 3.11, Debian's, which the round-trip tests run Django on) and the
// place it points at, in characters. pythonJSONError finds both by scanning
// body as that scanner does; it runs only once encoding/json has refused the
// body, whose grammar is the same but for Python's NaN and Infinity, which
// DRF refuses with a message of its own.

// constantError is DRF's refusal of NaN, Infinity and -Infinity (its
// parse_constant under STRICT_JSON), which names the constant, not a place.
func constantError(name string) *pyJSONError {
	return &pyJSONError{"Out of range float values are not JSON compliant: '" + name + "'", -1}
}

// pyJSONError is one of Python's JSONDecodeErrors: msg at the byte offset at
// (-1 for none).
type pyJSONError struct {
	msg string
	at  int
}

// pythonJSONError is what DRF answers for body after "JSON parse error - ",
// and whether Python refuses body at all (it always should when Go does).
func pythonJSONError(body []byte) (string, bool) {
	if msg, ok := pythonUTF8Error(body); ok {
		return msg, true
	}
	// DRF's stream reader decodes without the final flag: an incomplete
	// character at the very end is held back, not refused.
	body = body[:len(body)-incompleteTail(body)]
	if bytes.HasPrefix(body, []byte("\uFEFF")) {
		return "Unexpected UTF-8 BOM (decode using utf-8-sig): " + position(body, 0), true
	}
	s := pyScanner{b: body}
	end, err := s.value(s.space(0))
	if err == nil {
		if end = s.space(end); end == len(body) {
			return "", false
		}
		err = &pyJSONError{"Extra data", end}
	}
	if err.at < 0 {
		return err.msg, true
	}
	return err.msg + ": " + position(body, err.at), true
}

// pyScanner scans a JSON text as CPython's _json.c does, to find its first
// error; b is valid UTF-8, and offsets are bytes (position counts
// characters).
type pyScanner struct{ b []byte }

func (s pyScanner) space(i int) int {
	for i < len(s.b) && (s.b[i] == ' ' || s.b[i] == '\t' || s.b[i] == '\n' || s.b[i] == '\r') {
		i++
	}
	return i
}

func (s pyScanner) has(i int, lit string) bool { return bytes.HasPrefix(s.b[i:], []byte(lit)) }

// value scans the value at i (scan_once_unicode) and returns its end.
func (s pyScanner) value(i int) (int, *pyJSONError) {
	if i >= len(s.b) {
		return 0, &pyJSONError{"Expecting value", i}
	}
	switch s.b[i] {
	case '"':
		return s.str(i + 1)
	case '{':
		return s.object(i + 1)
	case '[':
		return s.array(i + 1)
	case 'n':
		if s.has(i, "null") {
			return i + 4, nil
		}
	case 't':
		if s.has(i, "true") {
			return i + 4, nil
		}
	case 'f':
		if s.has(i, "false") {
			return i + 5, nil
		}
	case 'N':
		if s.has(i, "NaN") {
			return 0, constantError("NaN")
		}
	case 'I':
		if s.has(i, "Infinity") {
			return 0, constantError("Infinity")
		}
	case '-':
		if s.has(i, "-Infinity") {
			return 0, constantError("-Infinity")
		}
	}
	return s.number(i)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number scans a number at i as _match_number_unicode does: as much as
// makes one, leaving what follows to the caller (so "01" is 0, then extra
// data), or "Expecting value" at i when none starts there.
func (s pyScanner) number(i int) (int, *pyJSONError) {
	start, b := i, s.b
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	case i < len(b) && b[i] == '0':
		i++
	default:
		return 0, &pyJSONError{"Expecting value", start}
	}
	if i+1 < len(b) && b[i] == '.' && isDigit(b[i+1]) {
		for i += 2; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		e := i
		i++
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			i++
		}
		digits := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == digits {
			i = e // no exponent after all
		}
	}
	return i, nil
}

// object scans the members after the '{' before i (_parse_object_unicode).
func (s pyScanner) object(i int) (int, *pyJSONError) {
	if i = s.space(i); i < len(s.b) && s.b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(s.b) || s.b[i] != '"' {
			return 0, &pyJSONError{"Expecting property name enclosed in double quotes", i}
		}
		end, err := s.str(i + 1)
		if err != nil {
			return 0, err
		}
		if i = s.space(end); i >= len(s.b) || s.b[i] != ':' {
			return 0, &pyJSONError{"Expecting ':' delimiter", i}
		}
		if i, err = s.value(s.space(i + 1)); err != nil {
			return 0, err
		}
		if i = s.space(i); i < len(s.b) && s.b[i] == '}' {
			return i + 1, nil
		}
		if i >= len(s.b) || s.b[i] != ',' {
			return 0, &pyJSONError{"Expecting ',' delimiter", i}
		}
		i = s.space(i + 1)
	}
}

// array scans the elements after the '[' before i (_parse_array_unicode).
func (s pyScanner) array(i int) (int, *pyJSONError) {
	if i = s.space(i); i < len(s.b) && s.b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err *pyJSONError
		if i, err = s.value(i); err != nil {
			return 0, err
		}
		if i = s.space(i); i < len(s.b) && s.b[i] == ']' {
			return i + 1, nil
		}
		if i >= len(s.b) || s.b[i] != ',' {
			return 0, &pyJSONError{"Expecting ',' delimiter", i}
		}
		i = s.space(i + 1)
	}
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }

// str scans the rest of a string whose opening quote is just before i
// (scanstring_unicode, strict).
func (s pyScanner) str(i int) (int, *pyJSONError) {
	begin, b := i-1, s.b
	for {
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			if b[i] <= 0x1f {
				return 0, &pyJSONError{"Invalid control character at", i}
			}
			i++
		}
		if i >= len(b) {
			return 0, &pyJSONError{"Unterminated string starting at", begin}
		}
		if b[i] == '"' {
			return i + 1, nil
		}
		i++ // past the backslash
		if i >= len(b) {
			return 0, &pyJSONError{"Unterminated string starting at", begin}
		}
		if b[i] != 'u' {
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
				continue
			}
			return 0, &pyJSONError{"Invalid \\escape", i - 1}
		}
		// The scanner points at the 'u', and wants a character after the
		// four digits (the closing quote at least).
		u := i
		if u+5 >= len(b) {
			return 0, &pyJSONError{"Invalid \\uXXXX escape", u}
		}
		for _, c := range b[u+1 : u+5] {
			if !isHex(c) {
				return 0, &pyJSONError{"Invalid \\uXXXX escape", u}
			}
		}
		i = u + 5
		// A high surrogate's partner is read with it: its digits must be hex
		// too, though a partner that is no low surrogate is then read again
		// as an escape of its own.
		if high := hexValue(b[u+1 : u+5]); high >= 0xD800 && high <= 0xDBFF && i+6 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
			for _, c := range b[i+2 : i+6] {
				if !isHex(c) {
					return 0, &pyJSONError{"Invalid \\uXXXX escape", i + 1}
				}
			}
			if low := hexValue(b[i+2 : i+6]); low >= 0xDC00 && low <= 0xDFFF {
				i += 6
			}
		}
	}
}

func hexValue(digits []byte) int {
	n := 0
	for _, c := range digits {
		switch {
		case isDigit(c):
			n = n<<4 | int(c-'0')
		default:
			n = n<<4 | int(c|0x20-'a'+10)
		}
	}
	return n
}

// pythonUTF8Error is Python's UnicodeDecodeError for the first byte of body
// that is not UTF-8, as DRF words it (it is a ValueError: no place but the
// bytes' own), unless that byte only starts a character the body ends in.
// Python names the bytes that began a character before one that cannot
// continue it: "bytes in position 7-8" for E2 BC then a comma.
func pythonUTF8Error(body []byte) (string, bool) {
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		if r != utf8.RuneError || n > 1 {
			i += n
			continue
		}
		if c := body[i]; c < 0xC2 || c > 0xF4 {
			return fmt.Sprintf("'utf-8' codec can't decode byte 0x%02x in position %d: invalid start byte", c, i), true
		}
		if len(body)-i == incompleteTail(body) {
			return "", false
		}
		if k := validPrefix(body[i:]); k > 1 {
			return fmt.Sprintf("'utf-8' codec can't decode bytes in position %d-%d: invalid continuation byte", i, i+k-1), true
		}
		return fmt.Sprintf("'utf-8' codec can't decode byte 0x%02x in position %d: invalid continuation byte", body[i], i), true
	}
	return "", false
}

// incompleteTail is how many bytes at the end of body begin a character
// that the body ends before: bytes a decoder told more may come holds back.
func incompleteTail(body []byte) int {
	for n := 1; n <= 3 && n <= len(body); n++ {
		tail := body[len(body)-n:]
		if !utf8.RuneStart(tail[0]) {
			continue
		}
		// CPython holds back ED and any continuation byte at the end,
		// though ED A0 to ED BF can only begin a surrogate, which it
		// refuses once the third byte comes.
		if n == 2 && tail[0] == 0xED && tail[1]&0xC0 == 0x80 {
			return n
		}
		if !utf8.FullRune(tail) && validPrefix(tail) == n {
			return n
		}
		return 0
	}
	return 0
}

// validPrefix is how many bytes at the start of p, at most one short of a
// whole character, could begin a valid one: its lead byte, and each byte after
// it that UTF-8 allows there (no overlong form, surrogate or value past
// U+10FFFF), as Python's decoder judges them; 0 for a byte that can lead
// nothing.
func validPrefix(p []byte) int {
	lo, hi := byte(0x80), byte(0xBF)
	size := 2
	switch c := p[0]; {
	case c < 0xC2 || c > 0xF4:
		return 0
	case c >= 0xF0:
		size = 4
	case c >= 0xE0:
		size = 3
	}
	switch p[0] {
	case 0xE0:
		lo = 0xA0
	case 0xED:
		hi = 0x9F
	case 0xF0:
		lo = 0x90
	case 0xF4:
		hi = 0x8F
	}
	n := 1
	for n < len(p) && n < size {
		if c := p[n]; c < lo || c > hi {
			break
		}
		lo, hi = 0x80, 0xBF
		n++
	}
	return min(n, size-1)
}
