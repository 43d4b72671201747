package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"studentapi/internal/fields"
)

// parsedMediaTypes are the request formats every write endpoint accepts, in the
// order DRF's default parsers list them (also the "parses" of OPTIONS).
var parsedMediaTypes = []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}

// requestData is the fields a view reads of a parsed request body, as DRF's
// request.data holds them: from JSON, values are string, json.Number, bool,
// nil, or an empty []any or map[string]any standing for a list or an object
// (its contents are never read, only refused by type, so never built); from a
// form, always strings (the last of repeated fields, as a QueryDict answers).
// Other fields of the body are dropped as it is parsed, as DRF's serializers
// ignore them, so that what a body costs never grows with how many it has.
type requestData map[string]any

// errCutOff marks a body that could not be read to its end: the client hung up
// or stalled until the server's read timeout. Nobody waits for an answer.
var errCutOff = errors.New("request body cut off")

// errMalformedBody marks a body whose framing is broken (bad chunked
// encoding, a broken trailer): the client is still there and gets DRF's
// ParseError, but the rest of the stream cannot be trusted, so the
// connection is closed after the answer.
var errMalformedBody = errors.New("malformed request body")

// cutOff reports whether err, from reading a request body, is the connection
// ending or stalling (an early EOF, a reset, a read deadline) rather than the
// bytes that came being malformed. net/http's chunked reader reports broken
// framing as plain errors ("invalid byte in chunk length", "malformed chunked
// encoding", a line too long), none of which is one of these.
func cutOff(err error) bool {
	var netErr net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr)
}

// parseBody reads and parses the body on demand, as DRF reads request.data only
// when a view asks, so that a refused request never costs a read. It keeps the
// top-level fields called names, the only ones the view reads.
func parseBody(c *gin.Context, names ...string) (requestData, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return nil, err
		case cutOff(err):
			return nil, fmt.Errorf("read body: %w: %w", errCutOff, err)
		}
		return nil, fmt.Errorf("read body: %w: %w", errMalformedBody, err)
	}
	if len(body) == 0 {
		// An empty body is an empty object whatever its Content-Type, as in DRF.
		return requestData{}, nil
	}
	contentType := c.Request.Header.Get("Content-Type")
	mediaType, params, err := mime.ParseMediaType(contentType)
	// Like Django's parse_header, a broken parameter is skipped, not the type.
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return nil, errUnsupportedMediaType(contentType)
	}
	switch mediaType {
	case "application/json":
		return parseJSON(body, names)
	case "application/x-www-form-urlencoded":
		// Like Django's QueryDict, keep what parses and ignore broken pairs.
		values, _ := url.ParseQuery(string(body))
		return formData(values, names), nil
	case "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" {
			return nil, errParse("Multipart form parse error - Invalid boundary in multipart: None")
		}
		return multipartData(body, boundary, names)
	}
	return nil, errUnsupportedMediaType(contentType)
}

// formData is the fields called names of a parsed form.
func formData(values map[string][]string, names []string) requestData {
	data := make(requestData, len(names))
	for k, v := range values {
		// Django decodes form bytes with errors="replace".
		if k = strings.ToValidUTF8(k, "\uFFFD"); len(v) > 0 && slices.Contains(names, k) {
			data[k] = strings.ToValidUTF8(v[len(v)-1], "\uFFFD")
		}
	}
	return data
}

// maxParts is how many parts a multipart body may have, as many as
// mime/multipart's ReadForm allows (and Django's DATA_UPLOAD_MAX_NUMBER_FIELDS).
const maxParts = 1000

// multipartData is the fields called names of a multipart form, the last
// of a repeated one, as DRF's request.data answers them. Only their values
// are read; every other part is stepped over unread, and so is a file: ReadForm
// kept every value and file of up to 1000 parts, some 2 KiB a part beside
// the values, whatever the view would read of them. A file named as a field
// is that field's value in DRF (request.data appends the files after the
// values), which its serializer refuses by type: it stands as an empty
// object, refused the same way.
func multipartData(body []byte, boundary string, names []string) (requestData, error) {
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	data := make(requestData, len(names))
	var files []string
	for parts := 0; ; parts++ {
		p, err := r.NextPart()
		if err == io.EOF {
			for _, name := range files {
				data[name] = map[string]any{}
			}
			return data, nil
		}
		if err != nil {
			return nil, errParse("Multipart form parse error - " + err.Error())
		}
		if parts == maxParts {
			return nil, errParse("Multipart form parse error - " + multipart.ErrMessageTooLarge.Error())
		}
		// Django decodes form bytes with errors="replace".
		name := strings.ToValidUTF8(p.FormName(), "\uFFFD")
		if !slices.Contains(names, name) {
			continue
		}
		if p.FileName() != "" {
			files = append(files, name)
			continue
		}
		value, err := io.ReadAll(p)
		if err != nil {
			return nil, errParse("Multipart form parse error - " + err.Error())
		}
		data[name] = strings.ToValidUTF8(string(value), "\uFFFD")
	}
}

// parseJSON checks that body is one JSON value, with the errors of Python's
// json module, and keeps of a top-level object only the fields named: a view
// reads nothing else, as DRF's serializers ignore unknown keys. A value that
// is not an object is refused the way DRF's serializers refuse it.
//
// Nothing is built for what no view reads: a nested list or object stands as
// an empty placeholder of its type (serializers only ever refuse one by its
// type), and an unnamed key costs nothing, so that parsing a body of any
// shape costs about its size. Decoding the whole tree cost some 50 times the
// body for `[{},{},...]`, and one map entry per distinct key.
func parseJSON(body []byte, names []string) (requestData, error) {
	given, body, err := jsonText(body)
	if err != nil {
		return nil, err
	}
	// Unmarshal checks the whole body without building anything and hands
	// over the value in place; a json.Decoder would copy the body again.
	var v rawValue
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, errParse("JSON parse error - " + describeJSONError(given, err))
	}
	switch v[0] {
	case '{':
		return objectFields(v, names), nil
	case 'n':
		return nil, nonFieldError("No data provided")
	}
	return nil, nonFieldError(fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pythonTypeName(v)))
}

// jsonText is body ready for a JSON decoder (decodedText, then
// prepareJSON), and given, the text as decoded, which a refusal's place is
// counted in.
func jsonText(body []byte) (given, prepared []byte, err error) {
	if given, err = decodedText(body); err != nil {
		return nil, nil, err
	}
	if prepared, err = prepareJSON(given); err != nil {
		return nil, nil, err
	}
	return given, prepared, nil
}

// decodedText is body as DRF's stream decoder hands it to the json module:
// refused in Python's words at the first byte that is not UTF-8, except
// that a character cut off by the end of the body is held back, and what
// comes before it parsed.
func decodedText(body []byte) ([]byte, error) {
	if utf8.Valid(body) {
		return body, nil
	}
	if msg, bad := pythonUTF8Error(body); bad {
		return nil, errParse("JSON parse error - " + msg)
	}
	return body[:len(body)-incompleteTail(body)], nil
}

// rawValue is a JSON value as it stands in the body, neither copied nor
// decoded.
type rawValue []byte

// UnmarshalJSON keeps b, a slice of the text Unmarshal was given.
func (r *rawValue) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// objectFields is the named members of obj, a valid JSON object: the last of
// a repeated key wins, as in Python's json module.
func objectFields(obj []byte, names []string) requestData {
	var found [8][]byte // the last value of each name; more names spill
	last := found[:0]
	if len(names) <= len(found) {
		last = found[:len(names)]
	} else {
		last = make([][]byte, len(names))
	}
	var scratch []byte // a key with escapes, decoded
	for i := skipSpace(obj, 1); obj[i] != '}'; {
		end := stringEnd(obj, i)
		key := obj[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			scratch = appendUnquoted(scratch[:0], key)
			key = scratch
		}
		i = skipSpace(obj, skipSpace(obj, end)+1) // past the colon
		end = valueEnd(obj, i)
		for n, name := range names {
			if string(key) == name {
				last[n] = obj[i:end]
			}
		}
		if i = skipSpace(obj, end); obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	data := make(requestData, len(names))
	for n, raw := range last {
		if raw != nil {
			data[names[n]] = jsonValue(raw)
		}
	}
	return data
}

// jsonValue is the value of raw, one valid JSON value, as json.Decoder with
// UseNumber makes it, except that a list or an object is empty.
func jsonValue(raw []byte) any {
	switch raw[0] {
	case '{':
		return map[string]any{}
	case '[':
		return []any{}
	case '"':
		inner := raw[1 : len(raw)-1]
		if bytes.IndexByte(inner, '\\') < 0 {
			return string(inner) // valid UTF-8: checked before
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			panic(fmt.Sprintf("api: a checked JSON string does not decode: %v", err))
		}
		return s
	case 't':
		return true
	case 'f':
		return false
	case 'n':
		return nil
	}
	return json.Number(raw)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// stringEnd is the index just past the valid JSON string starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++ // the escaped byte; \uXXXX's digits are plain bytes
		case '"':
			return i + 1
		}
	}
}

// valueEnd is the index just past the valid JSON value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i
}

// appendUnquoted appends the text of s, the inside of a valid JSON string, to
// dst, decoding escapes as encoding/json does (a lone surrogate is U+FFFD; see
// prepareJSON for why none is left).
func appendUnquoted(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			dst = append(dst, s[i])
			continue
		}
		i++
		switch s[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(s, i+1)
			i += 4 // at the escape's last digit
			if utf16.IsSurrogate(rune(r)) {
				lo, ok := hex4(s, i+3)
				pair := utf16.DecodeRune(rune(r), rune(lo))
				if ok && s[i+1] == '\\' && s[i+2] == 'u' && pair != utf8.RuneError {
					r = int(pair)
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, rune(r))
		default: // " \\ /
			dst = append(dst, s[i])
		}
	}
	return dst
}

// describeJSONError is what DRF says of body after "JSON parse error - ":
// Python's words (pythonJSONError), or Go's should Python find nothing wrong,
// which no body is known to do.
func describeJSONError(body []byte, err error) string {
	if msg, ok := pythonJSONError(body); ok {
		return msg
	}
	return err.Error()
}

// position says where a byte offset is, in the words of Python's json
// module, which counts characters, not bytes.
func position(body []byte, off int) string {
	off = min(max(off, 0), len(body))
	line := 1 + bytes.Count(body[:off], []byte("\n"))
	col := 1 + utf8.RuneCount(body[bytes.LastIndexByte(body[:off], '\n')+1:off])
	return fmt.Sprintf("line %d column %d (char %d)", line, col, utf8.RuneCount(body[:off]))
}

// pythonTypeName names the type of v, one valid JSON value, as DRF's message
// does.
func pythonTypeName(v []byte) string {
	switch v[0] {
	case '{':
		return "dict"
	case '[':
		return "list"
	case '"':
		return "str"
	case 't', 'f':
		return "bool"
	}
	if bytes.ContainsAny(v, ".eE") {
		return "float"
	}
	return "int"
}

// maxJSONDepth bounds nesting: DRF fails with a 500 past Python's recursion
// limit; here it is a plain parse error long before that.
const maxJSONDepth = 64

// prepareJSON checks the nesting depth and marks lone surrogate escapes (see
// fields.MarkSurrogate: Go's decoder would turn them into U+FFFD, while DRF
// refuses them by name), in one pass that tracks whether it is inside a string.
func prepareJSON(body []byte) ([]byte, error) {
	depth, inString := 0, false
	var out []byte // nil until a lone surrogate needs rewriting
	last := 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !inString {
			switch c {
			case '"':
				inString = true
			case '[', '{':
				if depth++; depth > maxJSONDepth {
					return nil, errParse(fmt.Sprintf("JSON parse error - nesting deeper than %d levels: %s", maxJSONDepth, position(body, i)))
				}
			case ']', '}':
				depth--
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 < len(body) && body[i+1] == 'u' {
				code, ok := hex4(body, i+2)
				if ok && code >= 0xD800 && code <= 0xDFFF {
					paired := false
					if code < 0xDC00 && i+7 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
						if low, ok := hex4(body, i+8); ok && low >= 0xDC00 && low <= 0xDFFF {
							paired = true
						}
					}
					if paired {
						i += 11 // skip both halves of a proper pair
						continue
					}
					if out == nil {
						// A rewrite is shorter than its escape.
						out = make([]byte, 0, len(body))
					}
					out = append(out, body[last:i]...)
					out = utf8.AppendRune(out, fields.MarkSurrogate(rune(code)))
					last = i + 6
					i += 5
					continue
				}
			}
			i++ // skip the escaped character
		}
	}
	if out == nil {
		return body, nil
	}
	return append(out, body[last:]...), nil
}

func hex4(b []byte, at int) (int, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n := 0
	for _, c := range b[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			n = n*16 + int(c-'0')
		case 'a' <= c && c <= 'f':
			n = n*16 + int(c-'a'+10)
		case 'A' <= c && c <= 'F':
			n = n*16 + int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return n, true
}
