package api

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"studentapi/models"
)

// wantStudents checks the whole table after a request.
func wantStudents(want ...models.Student) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		t.Helper()
		if got := e.students(t); !reflect.DeepEqual(got, want) {
			t.Errorf("students = %+v, want %+v", got, want)
		}
	}
}

var (
	ravi  = models.Student{ID: 1, Name: "Ravi", Roll: 10, City: "Ranchi"}
	sonam = models.Student{ID: 2, Name: "Sonam", Roll: 7, City: "Pune"}
)

// CONTRACT section 4: the requests of the Student endpoints.
func TestStudents(t *testing.T) {
	list := "[" + raviJSON + "," + sonamJSON + "]"
	created := models.Student{ID: 3, Name: "Amit", Roll: 3, City: "Delhi"}
	runScenarios(t, []scenario{
		{name: "list ordered by id", path: "/studentapi/", token: "alice",
			wantStatus: 200, wantBody: list, wantHeaders: headers("Allow", allowList, "Vary", "Accept")},
		{name: "list ordered by id after updates", path: "/studentapi/", token: "alice",
			setup: func(t *testing.T, e *env) {
				s := sonam
				s.Name = "Aaron" // would sort first by name
				if err := e.db.UpdateStudent(context.Background(), &s); err != nil {
					t.Fatal(err)
				}
			},
			wantStatus: 200, wantBody: "[" + raviJSON + `,{"id":2,"name":"Aaron","roll":7,"city":"Pune"}]`},
		{name: "empty list", path: "/studentapi/", token: "alice",
			setup: func(t *testing.T, e *env) {
				for _, id := range []int64{1, 2} {
					if err := e.db.DeleteStudent(context.Background(), id); err != nil {
						t.Fatal(err)
					}
				}
			},
			wantStatus: 200, wantBody: "[]"},
		{name: "create", method: "POST", path: "/studentapi/", token: "alice",
			body: `{"name":"Amit","roll":3,"city":"Delhi"}`, contentType: jsonType,
			wantStatus: 201, wantBody: `{"id":3,"name":"Amit","roll":3,"city":"Delhi"}`,
			wantHeaders: headers("Location", "", "Allow", allowList),
			check:       wantStudents(ravi, sonam, created)},
		{name: "create ignores id and unknown fields", method: "POST", path: "/studentapi/", token: "alice",
			body: `{"id":1,"name":"Amit","roll":3,"city":"Delhi","password":"x","extra":{"a":[1]}}`, contentType: jsonType,
			wantStatus: 201, wantBody: `{"id":3,"name":"Amit","roll":3,"city":"Delhi"}`,
			check: wantStudents(ravi, sonam, created)},
		{name: "create with charset parameter", method: "POST", path: "/studentapi/", token: "alice",
			body: `{"name":"Amit","roll":3,"city":"Delhi"}`, contentType: "application/json; charset=utf-8",
			wantStatus: 201, wantBody: `{"id":3,"name":"Amit","roll":3,"city":"Delhi"}`},
		{name: "retrieve", path: "/studentapi/1/", token: "alice",
			wantStatus: 200, wantBody: raviJSON, wantHeaders: headers("Allow", allowDetail, "Vary", "Accept")},
		{name: "retrieve with leading zeros and sign", path: "/studentapi/+002/", token: "alice",
			wantStatus: 200, wantBody: sonamJSON},
		{name: "update", method: "PUT", path: "/studentapi/1/", token: "alice",
			body: `{"name":"Ravi Kumar","roll":11,"city":"Patna"}`, contentType: jsonType,
			wantStatus: 200, wantBody: `{"id":1,"name":"Ravi Kumar","roll":11,"city":"Patna"}`,
			wantHeaders: headers("Allow", allowDetail),
			check:       wantStudents(models.Student{ID: 1, Name: "Ravi Kumar", Roll: 11, City: "Patna"}, sonam)},
		{name: "update ignores id in the body", method: "PUT", path: "/studentapi/1/", token: "alice",
			body: `{"id":2,"name":"R","roll":1,"city":"C"}`, contentType: jsonType,
			wantStatus: 200, wantBody: `{"id":1,"name":"R","roll":1,"city":"C"}`,
			check: wantStudents(models.Student{ID: 1, Name: "R", Roll: 1, City: "C"}, sonam)},
		{name: "update requires every field", method: "PUT", path: "/studentapi/1/", token: "alice",
			body: `{"name":"Ravi Kumar"}`, contentType: jsonType,
			wantStatus: 400, wantBody: `{"roll":["This field is required."],"city":["This field is required."]}`},
		{name: "update with empty object", method: "PUT", path: "/studentapi/1/", token: "alice",
			body: `{}`, contentType: jsonType,
			wantStatus: 400, wantBody: `{"name":["This field is required."],"roll":["This field is required."],"city":["This field is required."]}`},
		{name: "partial update", method: "PATCH", path: "/studentapi/1/", token: "alice",
			body: `{"city":"Patna"}`, contentType: jsonType,
			wantStatus: 200, wantBody: `{"id":1,"name":"Ravi","roll":10,"city":"Patna"}`,
			check: wantStudents(models.Student{ID: 1, Name: "Ravi", Roll: 10, City: "Patna"}, sonam)},
		{name: "partial update with empty object", method: "PATCH", path: "/studentapi/1/", token: "alice",
			body: `{}`, contentType: jsonType,
			wantStatus: 200, wantBody: raviJSON, check: wantStudents(ravi, sonam)},
		{name: "partial update with no body", method: "PATCH", path: "/studentapi/1/", token: "alice",
			wantStatus: 200, wantBody: raviJSON, check: wantStudents(ravi, sonam)},
		{name: "partial update validates what it gets", method: "PATCH", path: "/studentapi/1/", token: "alice",
			body: `{"roll":"abc","city":""}`, contentType: jsonType,
			wantStatus: 400, wantBody: `{"roll":["A valid integer is required."],"city":["This field may not be blank."]}`},
		{name: "delete", method: "DELETE", path: "/studentapi/1/", token: "alice",
			wantStatus: 204, wantBody: "", wantHeaders: headers("Content-Type", "", "Allow", allowDetail),
			check: wantStudents(sonam)},
		{name: "delete ignores a body", method: "DELETE", path: "/studentapi/1/", token: "alice",
			body: `{"id":2}`, contentType: jsonType,
			wantStatus: 204, wantBody: "", wantHeaders: headers("Content-Type", ""),
			check: wantStudents(sonam)},
		{name: "delete twice", method: "DELETE", path: "/studentapi/1/", token: "alice",
			setup: func(t *testing.T, e *env) {
				if err := e.db.DeleteStudent(context.Background(), 1); err != nil {
					t.Fatal(err)
				}
			},
			wantStatus: 404, wantBody: bodyNotFound, wantHeaders: headers("Allow", allowDetail)},

		// Ids that name no student.
		{name: "missing id", path: "/studentapi/99/", token: "alice", wantStatus: 404, wantBody: bodyNotFound, wantHeaders: headers("Allow", allowDetail)},
		{name: "id 0", path: "/studentapi/0/", token: "alice", wantStatus: 404, wantBody: bodyNotFound, wantHeaders: headers("Allow", allowDetail)},
		{name: "id -1", path: "/studentapi/-1/", token: "alice", wantStatus: 404, wantBody: bodyNotFound, wantHeaders: headers("Allow", allowDetail)},
		{name: "id abc", path: "/studentapi/abc/", token: "alice", wantStatus: 404, wantBody: bodyNotFound, wantHeaders: headers("Allow", allowDetail)},
		{name: "id 1.5", path: "/studentapi/1.5/", token: "alice", wantStatus: 404, wantBody: bodyNotFound, wantHeaders: headers("Allow", allowDetail)},
		{name: "id beyond 64 bits", path: "/studentapi/99999999999999999999/", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "id read as int() reads it", path: "/studentapi/%202%20/", token: "alice", wantStatus: 200, wantBody: sonamJSON},
		{name: "id as SQL", path: "/studentapi/1%20OR%201=1/", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "PUT to a missing id", method: "PUT", path: "/studentapi/99/", token: "alice",
			body: `{"name":"A","roll":1,"city":"B"}`, contentType: jsonType, wantStatus: 404, wantBody: bodyNotFound},
		{name: "PATCH to a missing id", method: "PATCH", path: "/studentapi/99/", token: "alice",
			body: `{"name":"A"}`, contentType: jsonType, wantStatus: 404, wantBody: bodyNotFound},
		{name: "DELETE a missing id", method: "DELETE", path: "/studentapi/99/", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "DELETE id beyond 64 bits", method: "DELETE", path: "/studentapi/18446744073709551617/", token: "alice", wantStatus: 404, wantBody: bodyNotFound},

		// Other methods.
		{name: "PUT on the list", method: "PUT", path: "/studentapi/", token: "alice",
			body: `{"name":"A","roll":1,"city":"B"}`, contentType: jsonType,
			wantStatus: 405, wantBody: `{"detail":"Method \"PUT\" not allowed."}`, wantHeaders: headers("Allow", allowList)},
		{name: "PATCH on the list", method: "PATCH", path: "/studentapi/", token: "alice",
			wantStatus: 405, wantBody: `{"detail":"Method \"PATCH\" not allowed."}`, wantHeaders: headers("Allow", allowList)},
		{name: "DELETE on the list", method: "DELETE", path: "/studentapi/", token: "alice",
			wantStatus: 405, wantBody: `{"detail":"Method \"DELETE\" not allowed."}`, wantHeaders: headers("Allow", allowList)},
		{name: "POST on a detail", method: "POST", path: "/studentapi/1/", token: "alice",
			body: `{"name":"A","roll":1,"city":"B"}`, contentType: jsonType,
			wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`, wantHeaders: headers("Allow", allowDetail)},
		{name: "POST on a missing detail", method: "POST", path: "/studentapi/99/", token: "alice",
			wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`, wantHeaders: headers("Allow", allowDetail)},
		{name: "TRACE on the list", method: "TRACE", path: "/studentapi/", token: "alice",
			wantStatus: 405, wantBody: `{"detail":"Method \"TRACE\" not allowed."}`, wantHeaders: headers("Allow", allowList)},
		{name: "unknown method on the list", method: "PROPFIND", path: "/studentapi/", token: "alice",
			wantStatus: 405, wantBody: `{"detail":"Method \"PROPFIND\" not allowed."}`, wantHeaders: headers("Allow", allowList)},
		{name: "unknown method on a detail", method: "PURGE", path: "/studentapi/1/", token: "alice",
			wantStatus: 405, wantBody: `{"detail":"Method \"PURGE\" not allowed."}`, wantHeaders: headers("Allow", allowDetail)},
		{name: "unknown method anonymous", method: "PURGE", path: "/studentapi/1/",
			wantStatus: 401, wantBody: bodyNotProvided, wantHeaders: headers("Allow", allowDetail)},
		{name: "unknown method on an unknown path", method: "PURGE", path: "/nowhere/", token: "alice",
			wantStatus: 404, wantBody: bodyNotFound},
	})
}

// CONTRACT section 4, validation: every failing field reported at once.
func TestStudentValidation(t *testing.T) {
	long := strings.Repeat("x", 101)
	hundred := strings.Repeat("é", 100)
	post := func(name, body string, wantStatus int, wantBody string) scenario {
		return scenario{name: name, method: "POST", path: "/studentapi/", token: "alice",
			body: body, contentType: jsonType, wantStatus: wantStatus, wantBody: wantBody}
	}
	created := func(name, roll, city string) string {
		return `{"id":3,"name":"` + name + `","roll":` + roll + `,"city":"` + city + `"}`
	}
	const (
		required = `["This field is required."]`
		null     = `["This field may not be null."]`
		blank    = `["This field may not be blank."]`
		tooLong  = `["Ensure this field has no more than 100 characters."]`
		notStr   = `["Not a valid string."]`
		badInt   = `["A valid integer is required."]`
	)
	runScenarios(t, []scenario{
		post("all absent", `{}`, 400, `{"name":`+required+`,"roll":`+required+`,"city":`+required+`}`),
		post("one absent", `{"name":"A","roll":1}`, 400, `{"city":`+required+`}`),
		post("all null", `{"name":null,"roll":null,"city":null}`, 400, `{"name":`+null+`,"roll":`+null+`,"city":`+null+`}`),
		post("all blank", `{"name":"","roll":"","city":""}`, 400, `{"name":`+blank+`,"roll":`+badInt+`,"city":`+blank+`}`),
		post("only spaces", `{"name":"   ","roll":1,"city":"\t\n "}`, 400, `{"name":`+blank+`,"city":`+blank+`}`),
		post("mixed failures in serializer order", `{"city":[],"roll":"x","name":null}`, 400, `{"name":`+null+`,"roll":`+badInt+`,"city":`+notStr+`}`),

		// Strings.
		post("trimmed", `{"name":"  Amit  ","roll":3,"city":"\tDelhi\n"}`, 201, created("Amit", "3", "Delhi")),
		post("inner spaces kept", `{"name":"Amit  Kumar","roll":3,"city":"New Delhi"}`, 201, created("Amit  Kumar", "3", "New Delhi")),
		post("101 characters", `{"name":"`+long+`","roll":1,"city":"`+long+`"}`, 400, `{"name":`+tooLong+`,"city":`+tooLong+`}`),
		post("100 characters", `{"name":"`+long[1:]+`","roll":1,"city":"C"}`, 201, created(long[1:], "1", "C")),
		post("100 code points of two bytes", `{"name":"`+hundred+`","roll":1,"city":"C"}`, 201, created(hundred, "1", "C")),
		post("101 code points of two bytes", `{"name":"`+hundred+`é","roll":1,"city":"C"}`, 400, `{"name":`+tooLong+`}`),
		post("100 characters after trimming", `{"name":"  `+long[1:]+`  ","roll":1,"city":"C"}`, 201, created(long[1:], "1", "C")),
		post("number as name", `{"name":123,"roll":1,"city":45.5}`, 201, created("123", "1", "45.5")),
		post("float as name is Python's str", `{"name":1e3,"roll":1,"city":1E20}`, 201, created("1000.0", "1", "1e+20")),
		post("negative zero as name", `{"name":-0.0,"roll":1,"city":-0}`, 201, created("-0.0", "1", "0")),
		post("huge integer as name", `{"name":123456789012345678901234567890,"roll":1,"city":"C"}`, 201, created("123456789012345678901234567890", "1", "C")),
		post("list as name", `{"name":["a"],"roll":1,"city":[]}`, 400, `{"name":`+notStr+`,"city":`+notStr+`}`),
		post("object as name", `{"name":{"a":1},"roll":1,"city":{}}`, 400, `{"name":`+notStr+`,"city":`+notStr+`}`),
		post("bool as name", `{"name":true,"roll":1,"city":false}`, 400, `{"name":`+notStr+`,"city":`+notStr+`}`),
		post("no HTML escaping", `{"name":"<b>&amp;</b>","roll":1,"city":"a>b"}`, 201, created("<b>&amp;</b>", "1", "a>b")),
		post("unicode kept", `{"name":"रवि","roll":1,"city":"\u00e9\ud83d\ude00"}`, 201, created("रवि", "1", "é😀")),

		// Roll.
		post("roll 10", `{"name":"A","roll":10,"city":"C"}`, 201, created("A", "10", "C")),
		post("roll -5", `{"name":"A","roll":-5,"city":"C"}`, 201, created("A", "-5", "C")),
		post("roll string 10", `{"name":"A","roll":"10","city":"C"}`, 201, created("A", "10", "C")),
		post("roll string with spaces", `{"name":"A","roll":" 7 ","city":"C"}`, 201, created("A", "7", "C")),
		post("roll 10.0", `{"name":"A","roll":10.0,"city":"C"}`, 201, created("A", "10", "C")),
		post("roll string 10.0", `{"name":"A","roll":"10.0","city":"C"}`, 201, created("A", "10", "C")),
		post("roll string 10.", `{"name":"A","roll":"10.","city":"C"}`, 201, created("A", "10", "C")),
		post("roll 1e3 is the float 1000.0", `{"name":"A","roll":1e3,"city":"C"}`, 201, created("A", "1000", "C")),
		post("roll string +5", `{"name":"A","roll":"+5","city":"C"}`, 201, created("A", "5", "C")),
		post("roll -0.0", `{"name":"A","roll":-0.0,"city":"C"}`, 201, created("A", "0", "C")),
		post("roll string -0", `{"name":"A","roll":"-0","city":"C"}`, 201, created("A", "0", "C")),
		post("roll max int64", `{"name":"A","roll":9223372036854775807,"city":"C"}`, 201, created("A", "9223372036854775807", "C")),
		post("roll min int64", `{"name":"A","roll":"-9223372036854775808","city":"C"}`, 201, created("A", "-9223372036854775808", "C")),
		post("roll 10.5", `{"name":"A","roll":10.5,"city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll string 10.5", `{"name":"A","roll":"10.5","city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll abc", `{"name":"A","roll":"abc","city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll string 1e3", `{"name":"A","roll":"1e3","city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll true", `{"name":"A","roll":true,"city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll false", `{"name":"A","roll":false,"city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll 30 digits", `{"name":"A","roll":123456789012345678901234567890,"city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll string 30 digits", `{"name":"A","roll":"123456789012345678901234567890","city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll max int64 plus one", `{"name":"A","roll":9223372036854775808,"city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll 1e400", `{"name":"A","roll":1e400,"city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll 1e16 float", `{"name":"A","roll":1e16,"city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll list", `{"name":"A","roll":[1],"city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll object", `{"name":"A","roll":{},"city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll empty string", `{"name":"A","roll":"","city":"C"}`, 400, `{"roll":`+badInt+`}`),
		post("roll hex string", `{"name":"A","roll":"0x10","city":"C"}`, 400, `{"roll":`+badInt+`}`),

		// PUT validates like POST; PATCH only what it is given.
		{name: "PUT reports every field", method: "PUT", path: "/studentapi/1/", token: "alice",
			body: `{"name":"","roll":10.5,"city":null}`, contentType: jsonType,
			wantStatus: 400, wantBody: `{"name":` + blank + `,"roll":` + badInt + `,"city":` + null + `}`},
		{name: "PUT trims and coerces", method: "PUT", path: "/studentapi/2/", token: "alice",
			body: `{"name":" 42 ","roll":" 7 ","city":123}`, contentType: jsonType,
			wantStatus: 200, wantBody: `{"id":2,"name":"42","roll":7,"city":"123"}`,
			check: wantStudents(ravi, models.Student{ID: 2, Name: "42", Roll: 7, City: "123"})},
		{name: "PATCH null", method: "PATCH", path: "/studentapi/1/", token: "alice",
			body: `{"name":null}`, contentType: jsonType, wantStatus: 400, wantBody: `{"name":` + null + `}`},
		{name: "PATCH too long", method: "PATCH", path: "/studentapi/1/", token: "alice",
			body: `{"city":"` + long + `"}`, contentType: jsonType, wantStatus: 400, wantBody: `{"city":` + tooLong + `}`},
		{name: "PATCH roll string", method: "PATCH", path: "/studentapi/1/", token: "alice",
			body: `{"roll":"+5"}`, contentType: jsonType, wantStatus: 200, wantBody: `{"id":1,"name":"Ravi","roll":5,"city":"Ranchi"}`,
			check: wantStudents(models.Student{ID: 1, Name: "Ravi", Roll: 5, City: "Ranchi"}, sonam)},
	})
}

// CONTRACT section 4, bodies: JSON, form and multipart, and body-level errors.
func TestStudentBodies(t *testing.T) {
	amit := `{"id":3,"name":"Amit","roll":3,"city":"Delhi"}`
	allRequired := `{"name":["This field is required."],"roll":["This field is required."],"city":["This field is required."]}`
	post := func(name, contentType, body string, wantStatus int, wantBody string) scenario {
		return scenario{name: name, method: "POST", path: "/studentapi/", token: "alice",
			body: body, contentType: contentType, wantStatus: wantStatus, wantBody: wantBody}
	}
	prefix := func(s scenario) scenario { s.bodyPrefix = true; return s }
	runScenarios(t, []scenario{
		// Forms: values are strings, coerced like JSON strings.
		post("form", formType, "name=Amit&roll=3&city=Delhi", 201, amit),
		post("form with charset", formType+"; charset=utf-8", "name=Amit&roll=3&city=Delhi", 201, amit),
		post("upper-case media type", "Application/JSON", `{"name":"Amit","roll":3,"city":"Delhi"}`, 201, amit),
		post("broken parameter skipped", "application/json; charset", `{"name":"Amit","roll":3,"city":"Delhi"}`, 201, amit),
		post("multipart with a broken boundary parameter", "multipart/form-data; boundary", multipartBody("name", "A"), 400,
			`{"detail":"Multipart form parse error - Invalid boundary in multipart: None"}`),
		post("form coerces and trims", formType, "name=+Amit+&roll=+3+&city=Delhi&id=9", 201, amit),
		post("form last duplicate wins", formType, "name=First&name=Amit&roll=1&roll=3&city=Delhi", 201, amit),
		post("form blank and bad roll", formType, "name=&roll=abc&city=Delhi", 400, `{"name":["This field may not be blank."],"roll":["A valid integer is required."]}`),
		post("form missing fields", formType, "name=Amit", 400, `{"roll":["This field is required."],"city":["This field is required."]}`),
		post("form no HTML escaping", formType, "name=%3Cscript%3E&roll=3&city=a%26b", 201, `{"id":3,"name":"<script>","roll":3,"city":"a&b"}`),
		post("multipart", mpType, multipartBody("name", "Amit", "roll", "3", "city", "Delhi"), 201, amit),
		post("multipart last duplicate wins", mpType, multipartBody("name", "First", "roll", "1", "name", "Amit", "city", "Delhi", "roll", "3"), 201, amit),
		post("multipart errors", mpType, multipartBody("name", " ", "roll", "1.5"), 400, `{"name":["This field may not be blank."],"roll":["A valid integer is required."],"city":["This field is required."]}`),
		post("JSON last duplicate key wins", jsonType, `{"name":"First","roll":"x","name":"Amit","roll":3,"city":"Delhi"}`, 201, amit),
		{name: "PUT as a form", method: "PUT", path: "/studentapi/1/", token: "alice",
			body: "name=R&roll=1&city=C", contentType: formType,
			wantStatus: 200, wantBody: `{"id":1,"name":"R","roll":1,"city":"C"}`},
		{name: "PATCH as multipart", method: "PATCH", path: "/studentapi/1/", token: "alice",
			body: multipartBody("roll", "11"), contentType: mpType,
			wantStatus: 200, wantBody: `{"id":1,"name":"Ravi","roll":11,"city":"Ranchi"}`},

		// Empty bodies are empty objects.
		post("no body, no Content-Type", "", "", 400, allRequired),
		post("no body, JSON", jsonType, "", 400, allRequired),
		post("no body, text/plain", "text/plain", "", 400, allRequired),
		post("no body, form", formType, "", 400, allRequired),

		// Unsupported media types.
		post("text/plain", "text/plain", "name=Amit", 415, `{"detail":"Unsupported media type \"text/plain\" in request."}`),
		post("body without Content-Type", "", `{"name":"Amit","roll":3,"city":"Delhi"}`, 415, `{"detail":"Unsupported media type \"\" in request."}`),
		post("application/xml", "application/xml", "<a/>", 415, `{"detail":"Unsupported media type \"application/xml\" in request."}`),
		post("type with a quoted parameter", `text/plain; charset="utf-8"`, "x", 415, `{"detail":"Unsupported media type \"text/plain; charset=\"utf-8\"\" in request."}`),
		post("JSON-ish suffix", "application/vnd.api+json", `{}`, 415, `{"detail":"Unsupported media type \"application/vnd.api+json\" in request."}`),
		{name: "PATCH text/plain", method: "PATCH", path: "/studentapi/1/", token: "alice",
			body: "x", contentType: "text/plain",
			wantStatus: 415, wantBody: `{"detail":"Unsupported media type \"text/plain\" in request."}`},

		// JSON that is not an object.
		post("JSON null", jsonType, "null", 400, `{"non_field_errors":["No data provided"]}`),
		post("JSON array", jsonType, `[{"name":"Amit","roll":3,"city":"Delhi"}]`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`),
		post("JSON integer", jsonType, "5", 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got int."]}`),
		post("JSON float", jsonType, "5.5", 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got float."]}`),
		post("JSON string", jsonType, `"x"`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}`),
		post("JSON bool", jsonType, "true", 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got bool."]}`),
		{name: "PATCH JSON array", method: "PATCH", path: "/studentapi/1/", token: "alice",
			body: "[]", contentType: jsonType,
			wantStatus: 400, wantBody: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},

		// Malformed JSON.
		post("JSON empty value", jsonType, `{"name":}`, 400, `{"detail":"JSON parse error - Expecting value: line 1 column 9 (char 8)"}`),
		prefix(post("JSON truncated", jsonType, `{"name":"Amit"`, 400, `{"detail":"JSON parse error - `)),
		prefix(post("JSON trailing data", jsonType, `{"name":"Amit","roll":3,"city":"Delhi"} {}`, 400, `{"detail":"JSON parse error - Extra data: line 1 column 41 (char 40)`)),
		post("JSON single quotes", jsonType, `{'name':'Amit'}`, 400, `{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"}`),
		post("JSON trailing comma", jsonType, `{"name":"Amit",}`, 400, `{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 16 (char 15)"}`),
		post("JSON error on line 2", jsonType, "{\n\"a\":1 x}", 400, `{"detail":"JSON parse error - Expecting ',' delimiter: line 2 column 7 (char 8)"}`),
		prefix(post("JSON invalid UTF-8", jsonType, "{\"name\":\"\xff\"}", 400, `{"detail":"JSON parse error - `)),
		prefix(post("JSON NaN", jsonType, `{"name":"A","roll":NaN,"city":"C"}`, 400, `{"detail":"JSON parse error - `)),
		prefix(post("only spaces as JSON", jsonType, "   ", 400, `{"detail":"JSON parse error - `)),
		{name: "PUT malformed JSON", method: "PUT", path: "/studentapi/1/", token: "alice",
			body: "{", contentType: jsonType, bodyPrefix: true,
			wantStatus: 400, wantBody: `{"detail":"JSON parse error - `},

		// Multipart without a usable boundary.
		prefix(post("multipart without boundary", "multipart/form-data", multipartBody("name", "A"), 400, `{"detail":"Multipart form parse error - `)),
		prefix(post("multipart wrong boundary", "multipart/form-data; boundary=nope", multipartBody("name", "A"), 400, `{"detail":"Multipart form parse error - `)),
	})
}
