package openapi_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"studentapi/internal/openapi"
	"studentapi/internal/openapi/openapitest"
	"studentapi/models"
)

// withMotto is Student's declaration with one more field, as a new column
// would add it (motto keeps its value in City: only the schema matters here).
func withMotto() models.Fields {
	motto := models.Field{Name: "motto", Column: "motto", Label: "Motto", Kind: models.KindText, MaxLength: 20,
		Text: func(s *models.Student) *string { return &s.City }}
	return models.NewFields(append(models.StudentFields().List(), motto)...)
}

func describe(fs models.Fields, pages openapi.Pagination) openapi.API {
	return openapi.API{
		Title: "t", Version: "1", Students: fs, Keywords: []string{"Token", "Bearer"}, Pagination: pages,
		Search: "search", Ordering: "ordering", SearchFields: []string{"name"},
		Filters: []openapi.Filter{{Name: "city"}, {Name: "roll", Number: true}},
		Paths: []openapi.Path{
			{Path: "/studentapi/", Tag: "studentapi", Protected: true, Throttled: true, Negotiated: true, Database: true,
				Parses: []string{"application/x-www-form-urlencoded", "application/json"},
				Operations: []openapi.Operation{
					{Method: "GET", ID: "studentapi_list", Answer: openapi.StudentsAnswer},
					{Method: "POST", ID: "studentapi_create", Request: openapi.StudentBody, Answer: openapi.StudentAnswer},
				}},
		},
	}
}

// generic decodes a document into maps, for looking into it by path.
func generic(t *testing.T, api openapi.API, version string) map[string]any {
	t.Helper()
	doc, err := openapi.Document(api, version)
	if err != nil {
		t.Fatal(err)
	}
	b, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func dig(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

// A field added to the declaration is in the schemas of a student, with its
// bounds, in requests and answers, in both versions.
func TestDocumentFollowsDeclaration(t *testing.T) {
	for _, version := range []string{openapi.V30, openapi.V31} {
		m := generic(t, describe(withMotto(), openapi.Pagination{}), version)
		for _, schema := range []string{"Student", "StudentRequest", "PatchedStudentRequest"} {
			motto := dig(m, "components", "schemas", schema, "properties", "motto")
			if got := dig(motto, "maxLength"); got != 20.0 {
				t.Errorf("%s %s.motto maxLength = %v, want 20", version, schema, got)
			}
		}
		req, _ := dig(m, "components", "schemas", "StudentRequest", "required").([]any)
		if !slices.Contains(req, any("motto")) || slices.Contains(req, any("id")) {
			t.Errorf("%s StudentRequest required = %v, want the writable fields, motto included", version, req)
		}
		if got := dig(m, "components", "schemas", "Student", "properties", "roll", "maximum"); got != 9.223372036854776e18 {
			t.Errorf("%s roll maximum = %v, want int64's", version, got)
		}
	}
	plain := generic(t, describe(models.StudentFields(), openapi.Pagination{}), openapi.V30)
	if got := dig(plain, "components", "schemas", "Student", "properties", "motto"); got != nil {
		t.Errorf("motto without the field = %v, want none", got)
	}
}

// The differences of 3.0 and 3.1, from one description.
func TestVersions(t *testing.T) {
	pages := openapi.Pagination{PageSize: 10, PageParam: "page", PageSizeQueryParam: "page_size"}
	v30 := generic(t, describe(models.StudentFields(), pages), openapi.V30)
	v31 := generic(t, describe(models.StudentFields(), pages), openapi.V31)
	next := []string{"components", "schemas", "PaginatedStudentList", "properties", "next"}
	if got := dig(v30, next...); dig(got, "nullable") != true || dig(got, "type") != "string" {
		t.Errorf("3.0 next = %v, want a nullable string", got)
	}
	if got := dig(v31, next...); !reflect.DeepEqual(dig(got, "type"), []any{"string", "null"}) || dig(got, "nullable") != nil {
		t.Errorf("3.1 next = %v, want type [string, null]", got)
	}
	if v30["openapi"] != "3.0.3" || v31["openapi"] != "3.1.0" {
		t.Errorf("versions = %v, %v", v30["openapi"], v31["openapi"])
	}
	size := func(m map[string]any) any {
		params, _ := dig(m, "paths", "/studentapi/", "get", "parameters").([]any)
		for _, p := range params {
			if dig(p, "name") == "page_size" {
				return dig(p, "schema", "exclusiveMinimum")
			}
		}
		return nil
	}
	if got := size(v30); got != true {
		t.Errorf("3.0 page_size exclusiveMinimum = %v, want true", got)
	}
	if got := size(v31); got != 0.0 {
		t.Errorf("3.1 page_size exclusiveMinimum = %v, want 0", got)
	}
	if _, err := openapi.Document(openapi.API{}, "2.0"); err == nil {
		t.Error("Document(2.0) made a document")
	}
}

// The list is what the configuration makes it: a page and its parameters, or
// an array without them.
func TestListFollowsPagination(t *testing.T) {
	params := func(m map[string]any) []string {
		var names []string
		ps, _ := dig(m, "paths", "/studentapi/", "get", "parameters").([]any)
		for _, p := range ps {
			names = append(names, dig(p, "name").(string))
		}
		return names
	}
	ok := []string{"paths", "/studentapi/", "get", "responses", "200", "content", "application/json", "schema"}
	off := generic(t, describe(models.StudentFields(), openapi.Pagination{}), openapi.V30)
	if got := dig(off, ok...); dig(got, "type") != "array" {
		t.Errorf("unpaginated list = %v, want an array", got)
	}
	if got := params(off); slices.Contains(got, "page") || slices.Contains(got, "page_size") {
		t.Errorf("unpaginated parameters = %v, want no page", got)
	}
	on := generic(t, describe(models.StudentFields(), openapi.Pagination{PageSize: 5, PageParam: "page"}), openapi.V30)
	if got := dig(on, ok...); dig(got, "$ref") != "#/components/schemas/PaginatedStudentList" {
		t.Errorf("paginated list = %v, want the page", got)
	}
	if got := params(on); !slices.Contains(got, "page") || slices.Contains(got, "page_size") {
		t.Errorf("paginated parameters = %v, want page and no page_size", got)
	}
	want := []string{"city", "roll", "ordering", "search", "page", "If-Match", "If-None-Match"}
	if got := params(on); !slices.Equal(got, want) {
		t.Errorf("parameters = %v, want %v", got, want)
	}
}

// The YAML is the JSON, key for key.
func TestYAMLIsTheJSON(t *testing.T) {
	doc, err := openapi.Document(describe(models.StudentFields(), openapi.Pagination{PageSize: 2, PageParam: "page"}), openapi.V30)
	if err != nil {
		t.Fatal(err)
	}
	j, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	y, err := doc.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(y, []byte("{")) {
		t.Errorf("YAML in flow style: %.80s", y)
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal(j, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(y, &fromYAML); err != nil {
		t.Fatal(err)
	}
	// Through JSON again, so numbers and maps have one type on both sides.
	back, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var again any
	if err := json.Unmarshal(back, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, again) {
		t.Errorf("YAML and JSON differ:\n%s\n%s", j, y)
	}
	// And kin-openapi, which the api tests validate with, reads it as valid.
	if _, err := openapitest.Load(y); err != nil {
		t.Error(err)
	}
}

// The security scheme names every keyword a token is read with.
func TestTokenAuth(t *testing.T) {
	m := generic(t, describe(models.StudentFields(), openapi.Pagination{}), openapi.V30)
	s := dig(m, "components", "securitySchemes", "tokenAuth")
	if dig(s, "type") != "apiKey" || dig(s, "in") != "header" || dig(s, "name") != "Authorization" {
		t.Errorf("tokenAuth = %v", s)
	}
	desc, _ := dig(s, "description").(string)
	for _, want := range []string{"`Token `", "`Bearer `"} {
		if !bytes.Contains([]byte(desc), []byte(want)) {
			t.Errorf("tokenAuth description %q does not name %s", desc, want)
		}
	}
}
