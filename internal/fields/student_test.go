package fields

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"studentapi/models"
)

// withMotto is the declaration of a student with one more field, motto, as a
// maintainer would add it to models.StudentFields. For want of a field of its
// own in Student, motto keeps its value in City: this test is about which
// fields are validated, not where they are stored.
func withMotto() models.Fields {
	motto := models.Field{Name: "motto", Column: "motto", Label: "Motto", Kind: models.KindText, MaxLength: 20,
		Text: func(s *models.Student) *string { return &s.City }}
	return models.NewFields(append(models.StudentFields().List(), motto)...)
}

// A field added to the declaration is validated by its rules: required,
// bounded by its max_length, trimmed and stored: validation lists no field by
// hand.
func TestStudentFieldDerived(t *testing.T) {
	fs := withMotto()
	tests := []struct {
		name    string
		data    map[string]any
		partial bool
		want    string // the messages for motto; "" when valid
		city    string // where motto keeps its value, when valid
	}{
		{"missing", map[string]any{"name": "A", "roll": "1", "city": "B"}, false, MsgRequired, ""},
		{"missing, partial", map[string]any{}, true, "", ""},
		{"too long", map[string]any{"name": "A", "roll": "1", "city": "B", "motto": strings.Repeat("m", 21)}, false, msgMaxLength(20), ""},
		{"valid", map[string]any{"name": "A", "roll": "1", "city": "B", "motto": " Be kind "}, false, "", "Be kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s models.Student
			err := validate(fs, tc.data, &s, tc.partial)
			var invalid *Errors
			if errors.As(err, &invalid) {
				if got := strings.Join(invalid.Messages("motto"), " "); got != tc.want {
					t.Errorf("motto: %q, want %q", got, tc.want)
				}
				return
			}
			if err != nil || tc.want != "" {
				t.Fatalf("validate = %v, want motto refused with %q", err, tc.want)
			}
			if s.City != tc.city {
				t.Errorf("motto stored as %q, want %q", s.City, tc.city)
			}
		})
	}
}

// Named lists the writable declared fields a body sets, in declared order,
// and nothing else: what a PATCH writes.
func TestNamed(t *testing.T) {
	tests := []struct {
		data map[string]any
		want []string
	}{
		{map[string]any{}, nil},
		{map[string]any{"id": "9", "extra": "x"}, nil},
		{map[string]any{"city": "C", "name": nil}, []string{"name", "city"}},
		{map[string]any{"motto": "m", "roll": "1", "id": 3}, []string{"roll", "motto"}},
	}
	for _, tt := range tests {
		if got := named(withMotto(), tt.data); !slices.Equal(got, tt.want) {
			t.Errorf("named(%v) = %q, want %q", tt.data, got, tt.want)
		}
	}
	if got, want := Named(map[string]any{"city": "C", "motto": "m"}), []string{"city"}; !slices.Equal(got, want) {
		t.Errorf("Named = %q, want %q", got, want)
	}
}
