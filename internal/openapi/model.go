package openapi

import (
	"encoding/json"
	"net/http"

	"studentapi/internal/ordered"
)

// The document's objects, those of OpenAPI 3.0 and 3.1 that this API needs,
// with their keys in the order the specification lists them.

// Doc is an OpenAPI document.
type Doc struct {
	OpenAPI    string                    `json:"openapi"`
	Info       Info                      `json:"info"`
	Servers    []Server                  `json:"servers,omitempty"`
	Paths      ordered.Object[*PathItem] `json:"paths"`
	Components Components                `json:"components"`
	Security   []map[string][]string     `json:"security,omitempty"`
	Tags       []Tag                     `json:"tags,omitempty"`
}

// Info is the document's info object.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// Server is where the API is served.
type Server struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

// Tag groups operations.
type Tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Components are the named schemas, answers and security schemes.
type Components struct {
	Schemas         map[string]*Schema         `json:"schemas"`
	Responses       map[string]*Response       `json:"responses"`
	SecuritySchemes map[string]*SecurityScheme `json:"securitySchemes"`
}

// SecurityScheme is how a client authenticates.
type SecurityScheme struct {
	Type        string `json:"type"`
	In          string `json:"in"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// PathItem holds a path's operations.
type PathItem struct {
	Get    *OperationObject `json:"get,omitempty"`
	Put    *OperationObject `json:"put,omitempty"`
	Post   *OperationObject `json:"post,omitempty"`
	Delete *OperationObject `json:"delete,omitempty"`
	Head   *OperationObject `json:"head,omitempty"`
	Patch  *OperationObject `json:"patch,omitempty"`
}

func (p *PathItem) set(method string, o *OperationObject) {
	switch method {
	case http.MethodGet:
		p.Get = o
	case http.MethodPut:
		p.Put = o
	case http.MethodPost:
		p.Post = o
	case http.MethodDelete:
		p.Delete = o
	case http.MethodHead:
		p.Head = o
	case http.MethodPatch:
		p.Patch = o
	}
}

// Operations are the path's operations by method.
func (p *PathItem) Operations() map[string]*OperationObject {
	m := map[string]*OperationObject{}
	for method, o := range map[string]*OperationObject{http.MethodGet: p.Get, http.MethodPut: p.Put, http.MethodPost: p.Post,
		http.MethodDelete: p.Delete, http.MethodHead: p.Head, http.MethodPatch: p.Patch} {
		if o != nil {
			m[method] = o
		}
	}
	return m
}

// OperationObject is one operation.
type OperationObject struct {
	OperationID string                `json:"operationId"`
	Summary     string                `json:"summary,omitempty"`
	Tags        []string              `json:"tags,omitempty"`
	Parameters  []*Parameter          `json:"parameters,omitempty"`
	RequestBody *RequestBody          `json:"requestBody,omitempty"`
	Security    []map[string][]string `json:"security"`
	Responses   map[string]*Response  `json:"responses"`
}

// Parameter is a path, query or header parameter.
type Parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *Schema `json:"schema"`
}

// RequestBody is what an operation takes.
type RequestBody struct {
	Content  ordered.Object[*MediaType] `json:"content"`
	Required bool                       `json:"required,omitempty"`
}

// Response is one answer, or a reference to a named one.
type Response struct {
	Ref         string                     `json:"$ref,omitempty"`
	Description string                     `json:"description,omitempty"`
	Headers     ordered.Object[*Header]    `json:"headers,omitempty"`
	Content     ordered.Object[*MediaType] `json:"content,omitempty"`
}

// Header is a header of an answer.
type Header struct {
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *Schema `json:"schema"`
}

// MediaType is the schema of a body in one media type.
type MediaType struct {
	Schema *Schema `json:"schema"`
}

// Schema is a JSON schema, as each version of OpenAPI writes it.
type Schema struct {
	closed bool // the schema false: nothing matches (additionalProperties: false)

	Ref   string `json:"$ref,omitempty"`
	Title string `json:"title,omitempty"`
	// Type is a string, or in 3.1 a list of them.
	Type                 any                     `json:"type,omitempty"`
	Format               string                  `json:"format,omitempty"`
	Description          string                  `json:"description,omitempty"`
	Nullable             bool                    `json:"nullable,omitempty"` // 3.0 only
	ReadOnly             bool                    `json:"readOnly,omitempty"`
	WriteOnly            bool                    `json:"writeOnly,omitempty"`
	Enum                 []any                   `json:"enum,omitempty"`
	MinLength            *int                    `json:"minLength,omitempty"`
	MaxLength            *int                    `json:"maxLength,omitempty"`
	Pattern              string                  `json:"pattern,omitempty"`
	Minimum              *int64                  `json:"minimum,omitempty"`
	Maximum              *int64                  `json:"maximum,omitempty"`
	ExclusiveMinimum     any                     `json:"exclusiveMinimum,omitempty"` // 3.0: bool; 3.1: a number
	Items                *Schema                 `json:"items,omitempty"`
	Properties           ordered.Object[*Schema] `json:"properties,omitempty"`
	AdditionalProperties *Schema                 `json:"additionalProperties,omitempty"`
	Required             []string                `json:"required,omitempty"`
	AnyOf                []*Schema               `json:"anyOf,omitempty"`
	Example              any                     `json:"example,omitempty"`
}

// MarshalJSON writes the schema, or false for the one nothing matches.
func (s *Schema) MarshalJSON() ([]byte, error) {
	if s.closed {
		return []byte("false"), nil
	}
	type plain Schema // without this method
	return json.Marshal((*plain)(s))
}
