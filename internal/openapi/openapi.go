// Package openapi writes the OpenAPI document of the service, as
// drf-spectacular writes a DRF project's, from a description the API gives
// of itself (API): its paths and operations, taken from its route table, and
// the fields of a student, taken from models' declaration of them, the same
// one that validation and OPTIONS read. Nothing here is a hand-kept copy of
// what a request may send or what an answer holds: a field added to the
// declaration, or a route to the table, is in the document.
//
// One description gives both versions: OpenAPI 3.0.3 (what drf-spectacular
// writes and what most generators read) and 3.1, which writes a null type
// and an exclusive bound differently.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"studentapi/internal/ordered"
	"studentapi/models"
)

// The versions of OpenAPI that Document writes.
const (
	V30 = "3.0.3"
	V31 = "3.1.0"
)

// API is what the service says of itself.
type API struct {
	Title, Version, Description string
	// Students is the declaration of a student's fields.
	Students models.Fields
	// Keywords are the Authorization schemes a token is read with; the
	// first is the challenge of a 401.
	Keywords []string
	// Pagination is the list's; a zero PageSize is none (a plain array).
	Pagination Pagination
	// Filters are the list's query parameters that narrow it (city, roll…).
	Filters []Filter
	// Search and Ordering name the list's search and ordering parameters;
	// SearchFields are the fields a search term is looked for in.
	Search, Ordering string
	SearchFields     []string
	Paths            []Path
	// Tags describe the paths' tags, in the order the document lists them.
	Tags []Tag
}

// Pagination is DRF's PageNumberPagination as configured.
type Pagination struct {
	PageSize           int
	PageParam          string
	PageSizeQueryParam string // empty: clients cannot choose
	MaxPageSize        int    // 0: no cap
}

// Filter is one query parameter of the list that narrows it.
type Filter struct {
	Name        string
	Number      bool // a decimal number, as django-filter's NumberFilter; else a string
	Description string
}

// Path is one path of the API and how its operations are reached.
type Path struct {
	Path string // OpenAPI's template, e.g. "/studentapi/{id}/"
	Tag  string
	// Protected paths need a token (401 without one).
	Protected bool
	// Throttled paths may answer 429.
	Throttled bool
	// Negotiated paths choose a renderer by ?format= and Accept (404, 406).
	Negotiated bool
	// Database paths read the database (503 when it does not answer).
	Database bool
	// Parses are the media types a request body may have.
	Parses     []string
	Operations []Operation
}

// Operation is one method of a path.
type Operation struct {
	Method      string // upper case, as net/http names it
	ID, Summary string
	Request     Body
	Answer      Answer
}

// Body is what a request sends.
type Body uint8

// The request bodies of the API's operations.
const (
	NoBody Body = iota
	StudentBody
	PatchedStudentBody // every field optional, as a PATCH
	CredentialsBody    // username and password, for a token
)

// Answer is what a successful request receives.
type Answer uint8

// The successful answers of the API's operations.
const (
	NoContent Answer = iota // 204
	StudentAnswer
	StudentsAnswer // the list: a page, or an array without pagination
	TokenAnswer
	HealthAnswer
)

// Document is the OpenAPI document of api in version (V30 or V31).
func Document(api API, version string) (*Doc, error) {
	if version != V30 && version != V31 {
		return nil, fmt.Errorf("openapi: version %q: want %s or %s", version, V30, V31)
	}
	b := &builder{api: api, v31: version == V31}
	return b.document(), nil
}

// JSON is d as indented JSON.
func (d *Doc) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("openapi: encode json: %w", err)
	}
	return buf.Bytes(), nil
}

// YAML is d as YAML, its keys in the order of the JSON.
func (d *Doc) YAML() ([]byte, error) {
	j, err := d.JSON()
	if err != nil {
		return nil, err
	}
	// JSON is YAML: read as a node, it keeps its keys' order, which a
	// map would sort; written in block style it reads as YAML is written.
	var n yaml.Node
	if err := yaml.Unmarshal(j, &n); err != nil {
		return nil, fmt.Errorf("openapi: read json as yaml: %w", err)
	}
	blockStyle(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("openapi: encode yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("openapi: encode yaml: %w", err)
	}
	return buf.Bytes(), nil
}

// blockStyle drops the flow style and quotes of JSON; the encoder quotes a
// string again where plain text would read as something else ("200").
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

type builder struct {
	api API
	v31 bool
}

func (b *builder) document() *Doc {
	d := &Doc{
		Info: Info{Title: b.api.Title, Version: b.api.Version, Description: b.api.Description},
		Components: Components{
			Schemas:         b.schemas(),
			Responses:       b.sharedResponses(),
			SecuritySchemes: map[string]*SecurityScheme{"tokenAuth": b.tokenAuth()},
		},
	}
	d.OpenAPI = V30
	if b.v31 {
		d.OpenAPI = V31
	}
	// The server that serves the document: a relative URL, so the same
	// document serves every host it is fetched from.
	d.Servers = []Server{{URL: "/", Description: "The server this document is served by."}}
	d.Tags = b.api.Tags
	for _, p := range b.api.Paths {
		item := &PathItem{}
		for _, op := range p.Operations {
			item.set(op.Method, b.operation(p, op))
		}
		d.Paths = append(d.Paths, ordered.Member[*PathItem]{Key: p.Path, Value: item})
	}
	return d
}

func (b *builder) tokenAuth() *SecurityScheme {
	var quoted []string
	for _, k := range b.api.Keywords {
		quoted = append(quoted, "`"+k+" `")
	}
	first := "Token"
	if len(b.api.Keywords) > 0 {
		first = b.api.Keywords[0]
	}
	return &SecurityScheme{
		Type: "apiKey", In: "header", Name: "Authorization",
		Description: "Token-based authentication with required prefix " + strings.Join(quoted, " or ") +
			": send `Authorization: " + first + " <key>`, the key that POST /gettoken/ answers.",
	}
}

// ref is a reference to the component schema name.
func ref(name string) *Schema { return &Schema{Ref: "#/components/schemas/" + name} }

func responseRef(name string) *Response { return &Response{Ref: "#/components/responses/" + name} }

// nullable makes s also take null: nullable in 3.0, a type list in 3.1.
func (b *builder) nullable(s *Schema) *Schema {
	if b.v31 {
		s.Type = []string{s.Type.(string), "null"}
	} else {
		s.Nullable = true
	}
	return s
}

// above makes s's numbers greater than n: a flag on minimum in 3.0, a bound
// of its own in 3.1.
func (b *builder) above(s *Schema, n int64) *Schema {
	if b.v31 {
		s.ExclusiveMinimum = n
	} else {
		s.Minimum, s.ExclusiveMinimum = &n, true
	}
	return s
}

func int64Bounds() (*int64, *int64) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	return &lo, &hi
}

// fieldSchema is one declared field, as DRF's serializer field describes it.
func fieldSchema(f models.Field) *Schema {
	s := &Schema{Title: f.Label, ReadOnly: f.ReadOnly}
	switch f.Kind {
	case models.KindText:
		s.Type = "string"
		if f.MaxLength > 0 {
			n := f.MaxLength
			s.MaxLength = &n
		}
		one := 1
		if !f.ReadOnly {
			s.MinLength = &one // DRF's CharField refuses a blank value
		}
	case models.KindInteger:
		s.Type, s.Format = "integer", "int64"
		s.Minimum, s.Maximum = int64Bounds()
	}
	return s
}

// studentExample is a student of the README's walk-through, by field name.
var studentExample = map[string]any{"id": 1, "name": "Ravi", "roll": 101, "city": "Ranchi"}

// studentSchema is a student: all fields (in a request, the writable ones),
// all required unless partial.
func (b *builder) studentSchema(request, partial bool) *Schema {
	s := &Schema{Type: "object"}
	if !request {
		s.AdditionalProperties = closed // what the service sends, and nothing else
	}
	example := ordered.Object[any]{}
	for _, f := range b.api.Students.List() {
		if request && f.ReadOnly {
			continue
		}
		fs := fieldSchema(f)
		if request {
			fs.ReadOnly = false
		}
		s.Properties = append(s.Properties, ordered.Member[*Schema]{Key: f.Name, Value: fs})
		if !partial {
			s.Required = append(s.Required, f.Name)
		}
		if v, ok := studentExample[f.Name]; ok && !partial {
			example = append(example, ordered.Member[any]{Key: f.Name, Value: v})
		}
	}
	if partial {
		example = ordered.Object[any]{{Key: "city", Value: "Pune"}} // the README's PATCH
	}
	if len(example) > 0 {
		s.Example = example
	}
	return s
}

func (b *builder) schemas() map[string]*Schema {
	str := func() *Schema { return &Schema{Type: "string"} }
	m := map[string]*Schema{
		"Student":               b.studentSchema(false, false),
		"StudentRequest":        b.studentSchema(true, false),
		"PatchedStudentRequest": b.studentSchema(true, true),
		"AuthTokenRequest": {
			Type: "object",
			Properties: ordered.Object[*Schema]{
				{Key: "username", Value: &Schema{Type: "string", WriteOnly: true, MinLength: ptr(1), MaxLength: ptr(models.UsernameMaxLength)}},
				{Key: "password", Value: &Schema{Type: "string", WriteOnly: true, MinLength: ptr(1)}},
			},
			Required: []string{"username", "password"},
			Example:  ordered.Object[any]{{Key: "username", Value: "admin"}, {Key: "password", Value: "change-me-now"}},
		},
		"AuthToken": {
			Type:                 "object",
			AdditionalProperties: closed,
			Properties: ordered.Object[*Schema]{
				{Key: "token", Value: &Schema{Type: "string", ReadOnly: true}},
				{Key: "user_id", Value: &Schema{Type: "integer", Format: "int64", ReadOnly: true}},
				{Key: "email", Value: &Schema{Type: "string", ReadOnly: true}},
			},
			Required: []string{"token", "user_id", "email"},
			Example:  ordered.Object[any]{{Key: "token", Value: "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, {Key: "user_id", Value: 1}, {Key: "email", Value: "admin@example.com"}},
		},
		"Detail": {
			Type:                 "object",
			Description:          "DRF's answer to a request it refuses as a whole.",
			Properties:           ordered.Object[*Schema]{{Key: "detail", Value: str()}},
			AdditionalProperties: closed,
			Required:             []string{"detail"},
			Example:              ordered.Object[any]{{Key: "detail", Value: "Authentication credentials were not provided."}},
		},
		// Open to more members than detail: what a user may quote from a
		// 500 to whoever reads the log (a request id, say) may grow.
		"ServerError": {
			Type:        "object",
			Description: "The answer to a fault of the server, with the request's id (X-Request-ID) to quote to whoever reads the log.",
			Properties:  ordered.Object[*Schema]{{Key: "detail", Value: str()}, {Key: "request_id", Value: str()}},
			Required:    []string{"detail"},
			Example:     ordered.Object[any]{{Key: "detail", Value: "Internal server error."}, {Key: "request_id", Value: "6f1c0e5b2a9d4c7e8f3a1b2c3d4e5f60"}},
		},
		"ValidationError": {
			Type: "object",
			Description: "DRF's field errors: each field (or non_field_errors, or a query parameter) " +
				"with its messages.",
			AdditionalProperties: &Schema{Type: "array", Items: str()},
			Example:              ordered.Object[any]{{Key: "roll", Value: []string{"A valid integer is required."}}},
		},
		"Health": {
			Type:                 "object",
			Properties:           ordered.Object[*Schema]{{Key: "status", Value: &Schema{Type: "string", Enum: []any{"ok"}}}},
			AdditionalProperties: closed,
			Required:             []string{"status"},
		},
	}
	if b.api.Pagination.PageSize > 0 {
		link := func(example string) *Schema {
			s := b.nullable(&Schema{Type: "string", Format: "uri"})
			s.Example = example
			return s
		}
		m["PaginatedStudentList"] = &Schema{
			Type: "object",
			Properties: ordered.Object[*Schema]{
				{Key: "count", Value: &Schema{Type: "integer", Format: "int64", Minimum: ptr(int64(0)), Example: 123}},
				{Key: "next", Value: link("http://api.example.org/studentapi/?page=4")},
				{Key: "previous", Value: link("http://api.example.org/studentapi/?page=2")},
				{Key: "results", Value: &Schema{Type: "array", Items: ref("Student")}},
			},
			Required:             []string{"count", "next", "previous", "results"},
			AdditionalProperties: closed,
		}
	}
	return m
}

// closed is additionalProperties: false, on the schemas of answers: the
// service's bodies hold the properties listed and no other, and a test that
// checks answers against the document fails on one that holds more.
var closed = &Schema{closed: true}

func ptr[T any](v T) *T { return &v }

// errorBody is the JSON content of an error answer.
func errorBody(schema string) ordered.Object[*MediaType] {
	return ordered.Object[*MediaType]{{Key: "application/json", Value: &MediaType{Schema: ref(schema)}}}
}

// sharedResponses are the error answers, named once and referred to by the
// operations that may give them.
func (b *builder) sharedResponses() map[string]*Response {
	retryAfter := func(what string) ordered.Object[*Header] {
		return ordered.Object[*Header]{{Key: "Retry-After", Value: &Header{Description: what, Required: true, Schema: &Schema{Type: "integer", Minimum: ptr(int64(0))}}}}
	}
	detail := func(text string) *Response { return &Response{Description: text, Content: errorBody("Detail")} }
	shared := map[string]*Response{
		"BadRequest": {
			Description: "The request is malformed (a body that does not parse, a Host that is not allowed) " +
				"or a field or query parameter is invalid.",
			Content: ordered.Object[*MediaType]{{Key: "application/json", Value: &MediaType{Schema: &Schema{AnyOf: []*Schema{ref("ValidationError"), ref("Detail")}}}}},
		},
		"Unauthorized": {
			Description: "No token, or one that is not valid.",
			Headers: ordered.Object[*Header]{{Key: "WWW-Authenticate", Value: &Header{Description: "The scheme to send the token with.",
				Required: true, Schema: &Schema{Type: "string", Example: b.tokenKeyword()}}}},
			Content: errorBody("Detail"),
		},
		"Forbidden":            detail("Refused: HTTPS is required, or HTTP Basic credentials sent to /gettoken/ are wrong."),
		"NotFound":             detail("No such object, page or format."),
		"MethodNotAllowed":     {Description: "The path does not take this method; Allow lists those it does.", Headers: ordered.Object[*Header]{{Key: "Allow", Value: &Header{Required: true, Schema: &Schema{Type: "string"}}}}, Content: errorBody("Detail")},
		"NotAcceptable":        detail("No renderer of the path satisfies the Accept header."),
		"PreconditionFailed":   detail("If-Match names no current representation, or If-None-Match on a write names the current one."),
		"PayloadTooLarge":      detail("The request body is larger than http.max_body_bytes."),
		"UnsupportedMediaType": detail("The request body's Content-Type is none the path parses."),
		"TooManyRequests":      {Description: "Throttled.", Headers: retryAfter("Seconds to wait before trying again."), Content: errorBody("Detail")},
		"InternalServerError":  {Description: "A fault of the server; the cause is in its log.", Content: errorBody("ServerError")},
		"ServiceUnavailable":   {Description: "The database does not answer, or not in time.", Headers: retryAfter("Seconds to wait before trying again."), Content: errorBody("Detail")},
		"InsufficientStorage":  detail("The database has no room for the write (a full disk, or database.sqlite.max_size); reads go on, and writes work again once space is freed."),
		"NotModified":          {Description: "The client's copy, named by If-None-Match, is current.", Headers: b.etagHeader(true)},
	}
	for _, r := range shared {
		r.Headers = append(r.Headers, requestIDHeader())
	}
	return shared
}

// requestIDHeader is X-Request-ID, on every answer: the client's own id
// when it sent a sane one, else one the server made.
func requestIDHeader() ordered.Member[*Header] {
	return ordered.Member[*Header]{Key: "X-Request-ID", Value: &Header{
		Description: "The request's id: the client's X-Request-ID when it sent 1 to 128 visible ASCII characters, else a new one. Log lines of the request carry it. The server sets it on every answer; a router embedded without api.Protect does not.",
		Schema:      &Schema{Type: "string", MaxLength: ptr(128)}}}
}

func (b *builder) tokenKeyword() string {
	if len(b.api.Keywords) > 0 {
		return b.api.Keywords[0]
	}
	return "Token"
}

// etagHeader is the ETag of an answer; not required of a list, which has
// none once it outgrows 64 KiB and is streamed as it is read.
func (b *builder) etagHeader(required bool) ordered.Object[*Header] {
	what := "The strong entity tag of the JSON body, for If-None-Match and If-Match."
	if !required {
		what += " A list longer than 64 KiB is streamed as it is read and has none."
	}
	return ordered.Object[*Header]{{Key: "ETag", Value: &Header{Description: what,
		Required: required, Schema: &Schema{Type: "string", Example: `"1b2e8f9c0d3a4e5f60718293a4b5c6d7"`}}}}
}

func (b *builder) operation(p Path, op Operation) *OperationObject {
	o := &OperationObject{OperationID: op.ID, Summary: op.Summary, Responses: map[string]*Response{}}
	if p.Tag != "" {
		o.Tags = []string{p.Tag}
	}
	if p.Protected {
		o.Security = []map[string][]string{{"tokenAuth": {}}}
	} else {
		o.Security = []map[string][]string{{}} // no token needed
	}
	for _, seg := range strings.Split(p.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := seg[1 : len(seg)-1]
			o.Parameters = append(o.Parameters, &Parameter{Name: name, In: "path", Required: true,
				Description: "A unique integer value identifying this student.",
				Schema:      &Schema{Type: "integer", Format: "int64"}})
		}
	}
	read := op.Method == "GET" && (op.Answer == StudentAnswer || op.Answer == StudentsAnswer)
	write := strings.Contains(p.Path, "{") && (op.Method == "PUT" || op.Method == "PATCH" || op.Method == "DELETE")
	if op.Answer == StudentsAnswer {
		o.Parameters = append(o.Parameters, b.listParameters()...)
	}
	if read {
		o.Parameters = append(o.Parameters, &Parameter{Name: "If-Match", In: "header",
			Description: "Answer only if the representation is the one named (its ETag) or exists (*); 412 if not. A list long enough to stream has no ETag, so only * passes it.",
			Schema:      &Schema{Type: "string"}},
			&Parameter{Name: "If-None-Match", In: "header",
				Description: "Entity tags of the client's copy: 304 if one is current.", Schema: &Schema{Type: "string"}})
		o.Responses["304"] = responseRef("NotModified")
		o.Responses["412"] = responseRef("PreconditionFailed")
	}
	if write {
		o.Parameters = append(o.Parameters, &Parameter{Name: "If-Match", In: "header",
			Description: "Write only if the student is still as the client saw it (its ETag), or exists (*); 412 if not.",
			Schema:      &Schema{Type: "string"}},
			&Parameter{Name: "If-None-Match", In: "header",
				Description: "Write only if the student is not as named (one of its ETags), or does not exist (*); 412 if it is.",
				Schema:      &Schema{Type: "string"}})
		o.Responses["412"] = responseRef("PreconditionFailed")
	}
	if op.Request != NoBody {
		o.RequestBody = b.requestBody(p, op.Request)
		o.Responses["413"] = responseRef("PayloadTooLarge")
		o.Responses["415"] = responseRef("UnsupportedMediaType")
	}
	o.Responses[successStatus(op)] = b.answer(op, read || op.Method == "PUT" || op.Method == "PATCH")
	o.Responses["400"] = responseRef("BadRequest")
	o.Responses["403"] = responseRef("Forbidden")
	o.Responses["500"] = responseRef("InternalServerError")
	if p.Protected {
		o.Responses["401"] = responseRef("Unauthorized")
	}
	if p.Negotiated {
		o.Responses["404"] = responseRef("NotFound")
		o.Responses["406"] = responseRef("NotAcceptable")
	}
	if p.Throttled {
		o.Responses["429"] = responseRef("TooManyRequests")
	}
	if p.Database {
		o.Responses["503"] = responseRef("ServiceUnavailable")
		if op.Method != "GET" {
			o.Responses["507"] = responseRef("InsufficientStorage")
		}
	}
	return o
}

func successStatus(op Operation) string {
	switch {
	case op.Answer == NoContent:
		return "204"
	case op.Method == "POST" && op.Answer == StudentAnswer:
		return "201"
	}
	return "200"
}

func (b *builder) answer(op Operation, tagged bool) *Response {
	var schema *Schema
	switch op.Answer {
	case NoContent:
		return &Response{Description: "Done; no body.", Headers: ordered.Object[*Header]{requestIDHeader()}}
	case StudentAnswer:
		schema = ref("Student")
	case StudentsAnswer:
		if b.api.Pagination.PageSize > 0 {
			schema = ref("PaginatedStudentList")
		} else {
			schema = &Schema{Type: "array", Items: ref("Student")}
		}
	case TokenAnswer:
		schema = ref("AuthToken")
	case HealthAnswer:
		schema = ref("Health")
	}
	r := &Response{Description: "OK", Content: ordered.Object[*MediaType]{{Key: "application/json", Value: &MediaType{Schema: schema}}}}
	if tagged {
		r.Headers = b.etagHeader(op.Answer != StudentsAnswer)
	}
	r.Headers = append(r.Headers, requestIDHeader())
	return r
}

func (b *builder) requestBody(p Path, body Body) *RequestBody {
	var schema *Schema
	switch body {
	case StudentBody:
		schema = ref("StudentRequest")
	case PatchedStudentBody:
		schema = ref("PatchedStudentRequest")
	case CredentialsBody:
		schema = ref("AuthTokenRequest")
	}
	rb := &RequestBody{Required: body != PatchedStudentBody}
	// JSON first: generators take the first media type as the default.
	types := append([]string(nil), p.Parses...)
	sort.SliceStable(types, func(i, j int) bool { return types[i] == "application/json" && types[j] != "application/json" })
	for _, t := range types {
		rb.Content = append(rb.Content, ordered.Member[*MediaType]{Key: t, Value: &MediaType{Schema: schema}})
	}
	return rb
}

func (b *builder) listParameters() []*Parameter {
	var ps []*Parameter
	for _, f := range b.api.Filters {
		s := &Schema{Type: "string"}
		if f.Number {
			// double: a generated client's float64, where its float32
			// would round a roll.
			s.Type, s.Format = "number", "double"
		}
		ps = append(ps, &Parameter{Name: f.Name, In: "query", Description: f.Description, Schema: s})
	}
	var names []string
	for _, f := range b.api.Students.List() {
		names = append(names, "`"+f.Name+"`")
	}
	if b.api.Ordering != "" {
		ps = append(ps, &Parameter{Name: b.api.Ordering, In: "query",
			Description: "Which fields to use when ordering the results: a comma-separated list of " +
				strings.Join(names, ", ") + ", each descending with a leading `-`; others are ignored.",
			Schema: &Schema{Type: "string", Example: "-roll,name"}})
	}
	if b.api.Search != "" {
		ps = append(ps, &Parameter{Name: b.api.Search, In: "query",
			Description: "A search term: each word (split at spaces and commas) must occur, ignoring case, in one of " +
				strings.Join(b.api.SearchFields, ", ") + ".",
			Schema: &Schema{Type: "string"}})
	}
	if pg := b.api.Pagination; pg.PageSize > 0 {
		ps = append(ps, &Parameter{Name: pg.PageParam, In: "query",
			Description: "A page number within the paginated result set, or `last`.",
			Schema:      &Schema{Type: "string", Pattern: `^([0-9]+|last)$`, Example: "2"}})
		if pg.PageSizeQueryParam != "" {
			s := b.above(&Schema{Type: "integer"}, 0)
			if pg.MaxPageSize > 0 {
				s.Description = fmt.Sprintf("Larger sizes are cut to %d.", pg.MaxPageSize)
			}
			ps = append(ps, &Parameter{Name: pg.PageSizeQueryParam, In: "query",
				Description: fmt.Sprintf("Number of results to return per page (default %d).", pg.PageSize),
				Schema:      s})
		}
	}
	return ps
}
