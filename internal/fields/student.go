package fields

import "studentapi/models"

// StudentField is one field of DRF's StudentSerializer. Validation and the
// API's OPTIONS metadata both read this one description, so they cannot drift.
type StudentField struct {
	Name, Label string
	ReadOnly    bool
	Char        *Char // a string field; nil for the integer field or a read-only one
	setStr      func(*models.Student, string)
	setInt      func(*models.Student, int64)
}

// studentFields are StudentSerializer's fields in its order.
var studentFields = []StudentField{
	{Name: "id", Label: "ID", ReadOnly: true},
	{Name: "name", Label: "Name", Char: &Char{MaxLength: 100}, setStr: func(s *models.Student, v string) { s.Name = v }},
	{Name: "roll", Label: "Roll", setInt: func(s *models.Student, v int64) { s.Roll = v }},
	{Name: "city", Label: "City", Char: &Char{MaxLength: 100}, setStr: func(s *models.Student, v string) { s.City = v }},
}

// StudentFields describes StudentSerializer's fields in its order. The result
// is a copy: changing it changes no validation.
func StudentFields() []StudentField {
	out := make([]StudentField, len(studentFields))
	for i, f := range studentFields {
		if f.Char != nil {
			c := *f.Char
			f.Char = &c
		}
		out[i] = f
	}
	return out
}

// ValidateStudent applies data to s as DRF's ModelSerializer would, reporting
// every failing field at once as *Errors. With partial (PATCH) absent fields
// are kept. Values are what DRF's parsers make: from a form always strings,
// from JSON string, json.Number, bool, nil, []any or map[string]any.
func ValidateStudent(data map[string]any, s *models.Student, partial bool) error {
	errs := &Errors{}
	for _, f := range studentFields {
		if f.ReadOnly {
			continue
		}
		raw, ok := data[f.Name]
		if !ok {
			if !partial {
				errs.Add(f.Name, MsgRequired)
			}
			continue
		}
		var msgs []string
		if f.Char != nil {
			var v string
			if v, msgs = f.Char.Clean(raw); msgs == nil {
				f.setStr(s, v)
			}
		} else {
			var v int64
			if v, msgs = (Integer{}).Clean(raw); msgs == nil {
				f.setInt(s, v)
			}
		}
		for _, m := range msgs {
			errs.Add(f.Name, m)
		}
	}
	if !errs.Empty() {
		return errs
	}
	return nil
}
