// Package ordered is a JSON object whose members keep the order they were
// put in, which a Go map's would not: DRF writes a serializer's fields, and
// its OPTIONS metadata, in their declared order, and an OpenAPI document
// reads best in the order it was written.
package ordered

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Object is a JSON object of members in order.
type Object[V any] []Member[V]

// Member is one member of an Object.
type Member[V any] struct {
	Key   string
	Value V
}

// MarshalJSON writes the members in order, compactly and without escaping
// HTML's characters, as DRF's JSONRenderer writes (`<` stays `<`).
func (o Object[V]) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(m.Key); err != nil {
			return nil, fmt.Errorf("encode the key %q: %w", m.Key, err)
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(m.Value); err != nil {
			return nil, fmt.Errorf("encode the value of %q: %w", m.Key, err)
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// Lookup finds the member called key.
func (o Object[V]) Lookup(key string) (V, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Value, true
		}
	}
	var zero V
	return zero, false
}
