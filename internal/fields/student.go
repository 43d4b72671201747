package fields

import "studentapi/models"

// ValidateStudent applies data to s as DRF's ModelSerializer would, reporting
// every failing field at once as *Errors. With partial (PATCH) absent fields
// are kept. Values are what DRF's parsers make: from a form always strings,
// from JSON string, json.Number, bool, nil, []any or map[string]any. The
// fields and their rules are models.StudentFields.
func ValidateStudent(data map[string]any, s *models.Student, partial bool) error {
	return validate(models.StudentFields(), data, s, partial)
}

// Named is the names of the writable fields of models.StudentFields that
// data sets, in their declared order: the fields a partial ValidateStudent
// changes, and all a PATCH writes (models.DB.UpdateStudentFields). Keys that
// are no such field (unknown, read-only) are ignored, as ValidateStudent
// ignores them.
func Named(data map[string]any) []string {
	return named(models.StudentFields(), data)
}

// named is Named for the fields declared by fs.
func named(fs models.Fields, data map[string]any) []string {
	var names []string
	for i := range fs.Len() {
		if f := fs.At(i); !f.ReadOnly {
			if _, ok := data[f.Name]; ok {
				names = append(names, f.Name)
			}
		}
	}
	return names
}

// validate is ValidateStudent for the fields declared by fs.
func validate(fs models.Fields, data map[string]any, s *models.Student, partial bool) error {
	errs := &Errors{}
	for i := range fs.Len() {
		f := fs.At(i)
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
		switch f.Kind {
		case models.KindText:
			var v string
			if v, msgs = (Char{MaxLength: f.MaxLength}).Clean(raw); msgs == nil {
				*f.Text(s) = v
			}
		case models.KindInteger:
			var v int64
			if v, msgs = (Integer{}).Clean(raw); msgs == nil {
				*f.Int(s) = v
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
