package fields

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Errors is DRF's validation error body, {"field": ["message", ...]}, with
// the fields kept in the order they were first reported, which is the
// serializer's order: a Go map would sort them.
type Errors struct{ fields []fieldMessages }

type fieldMessages struct {
	field string
	msgs  []string
}

// Add reports msg against field, after any message it already has.
func (e *Errors) Add(field, msg string) {
	for i := range e.fields {
		if e.fields[i].field == field {
			e.fields[i].msgs = append(e.fields[i].msgs, msg)
			return
		}
	}
	e.fields = append(e.fields, fieldMessages{field, []string{msg}})
}

// Empty reports whether no field has a message.
func (e *Errors) Empty() bool { return len(e.fields) == 0 }

// Messages are the messages of one field, in the order they were added; nil
// when it has none.
func (e *Errors) Messages(field string) []string {
	for _, f := range e.fields {
		if f.field == field {
			return append([]string(nil), f.msgs...)
		}
	}
	return nil
}

func (e *Errors) Error() string {
	b, _ := e.MarshalJSON()
	return "validation failed: " + string(b)
}

// MarshalJSON writes the errors object in order, compact and without escaping
// <, > and & as HTML, as DRF's JSONRenderer does.
func (e *Errors) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	encode := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode json: %w", err)
		}
		buf.Truncate(buf.Len() - 1) // Encode ends with a newline
		return nil
	}
	buf.WriteByte('{')
	for i, f := range e.fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := encode(f.field); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := encode(f.msgs); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
