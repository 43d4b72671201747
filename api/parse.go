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
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"studentapi/internal/fields"
)

// parsedMediaTypes are the request formats every write endpoint accepts, in the
// order DRF's default parsers list them (also the "parses" of OPTIONS).
var parsedMediaTypes = []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}

// requestData is a parsed request body, as DRF's request.data: from JSON, values
// are string, json.Number, bool, nil, []any or map[string]any; from a form,
// always strings (the last of repeated fields, as a QueryDict answers).
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
// when a view asks, so that a refused request never costs a read.
func parseBody(c *gin.Context) (requestData, error) {
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
		return parseJSON(body)
	case "application/x-www-form-urlencoded":
		// Like Django's QueryDict, keep what parses and ignore broken pairs.
		values, _ := url.ParseQuery(string(body))
		return formData(values), nil
	case "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" {
			return nil, errParse("Multipart form parse error - Invalid boundary in multipart: None")
		}
		form, err := multipart.NewReader(bytes.NewReader(body), boundary).ReadForm(int64(len(body)) + 1)
		if err != nil {
			return nil, errParse("Multipart form parse error - " + err.Error())
		}
		defer func() { _ = form.RemoveAll() }()
		return formData(form.Value), nil
	}
	return nil, errUnsupportedMediaType(contentType)
}

func formData(values map[string][]string) requestData {
	data := make(requestData, len(values))
	for k, v := range values {
		if len(v) > 0 {
			// Django decodes form bytes with errors="replace".
			data[strings.ToValidUTF8(k, "\uFFFD")] = strings.ToValidUTF8(v[len(v)-1], "\uFFFD")
		}
	}
	return data
}

// parseJSON decodes one JSON value into requestData. A value that is not an
// object is refused the way DRF's serializers refuse it.
func parseJSON(body []byte) (requestData, error) {
	if !utf8.Valid(body) {
		return nil, errParse("JSON parse error - body is not valid UTF-8")
	}
	body, err := prepareJSON(body)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errParse("JSON parse error - " + describeJSONError(body, err))
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		off := len(body) - len(rest)
		return nil, errParse("JSON parse error - Extra data: " + position(body, off))
	}
	switch v := v.(type) {
	case map[string]any:
		return requestData(v), nil
	case nil:
		return nil, nonFieldError("No data provided")
	default:
		return nil, nonFieldError(fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pythonTypeName(v)))
	}
}

func describeJSONError(body []byte, err error) string {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		// Offset counts the offending byte; Python points at it.
		return syntax.Error() + ": " + position(body, int(syntax.Offset)-1)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "Expecting value: " + position(body, len(body))
	}
	return err.Error()
}

// position says where a byte offset is, in the words of Python's json module.
func position(body []byte, off int) string {
	off = min(max(off, 0), len(body))
	line := 1 + bytes.Count(body[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(body[:off], '\n')
	return fmt.Sprintf("line %d column %d (char %d)", line, col, utf8.RuneCount(body[:off]))
}

// pythonTypeName names a JSON value's type as DRF's message does.
func pythonTypeName(v any) string {
	switch v := v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case bool:
		return "bool"
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return "float"
		}
		return "int"
	}
	return "dict"
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
