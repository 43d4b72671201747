package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"studentapi/internal/ordered"
)

// This file is DRF's browsable API, kept small: a browser (Accept: text/html)
// gets the JSON answer pretty-printed inside an HTML page with the request and
// response lines, the headers a client would see, and forms for the writes the
// view allows. The API takes a token in the Authorization header, which a plain
// HTML form cannot send, so static/browsable.js submits the forms with fetch and
// swaps in the page that comes back. Everything the page loads is served from
// this binary, so a strict Content-Security-Policy holds.

//go:embed templates/browsable.html templates/schemadocs.html static
var browsableFiles embed.FS

var browsablePage = template.Must(template.ParseFS(browsableFiles, "templates/browsable.html"))

// browsableCSP lets the page load only its own script and stylesheet: no
// inline code, no framing, no posting forms elsewhere.
const browsableCSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// viewKey holds the browsableView of the view that answers a request, set by
// view.chain, so the page can carry the view's name and forms.
type viewKey struct{}

// browsableView is what the page needs to know of the view answering.
type browsableView struct {
	view    *view
	keyword string // the Authorization scheme the forms send the token with
}

// browsableHeaders are the response headers the page lists: those the view
// sets. The security headers come from Protect, around the whole server; in
// Django they come from middleware, which runs after the page is rendered, so
// DRF's page never shows them either.
var browsableHeaders = []string{"Allow", "Content-Type", "Retry-After", "Vary", challengeHeader}

type browsableData struct {
	Name, Description string
	Keyword           string
	Method, Path      string
	Status            string
	Headers           []browsableHeader
	Body              []browsableSegment
	Forms             []browsableForm
	Delete            bool
	Options           bool
}

type browsableHeader struct{ Name, Value string }

// browsableSegment is a run of the pretty-printed JSON; a string that is a URL
// gets a link, as DRF's urlize_quoted_links does.
type browsableSegment struct{ Text, URL string }

type browsableForm struct {
	Method string
	Fields []browsableField
}

type browsableField struct {
	Name, Label, Type, Value string
}

// writeBrowsable answers with the browsable page around body, the JSON answer,
// keeping status. If the page cannot be rendered the JSON answer goes out as is.
func writeBrowsable(c *gin.Context, status int, body []byte) {
	writeBrowsableCut(c, status, body, "")
}

// writeBrowsableCut is writeBrowsable for a body that is only the start of
// the answer, a list too long to show (see stream.go): note, after the JSON,
// says so. Pretty-printing takes many times the JSON's size in memory, so a
// page never holds a whole list of any length.
func writeBrowsableCut(c *gin.Context, status int, body []byte, note string) {
	data := browsableData{
		Method: c.Request.Method,
		Path:   c.Request.URL.RequestURI(),
		Status: fmt.Sprintf("HTTP %d %s", status, http.StatusText(status)),
		Body:   browsableBody(body),
	}
	if note != "" {
		data.Body = append(data.Body, browsableSegment{Text: "\n\n" + note})
	}
	if v, _ := c.Get(viewKey{}); v != nil {
		bv := v.(*browsableView)
		data.Name, data.Description, data.Keyword = bv.view.name, bv.view.description, bv.keyword
		data.Options = true
		if status == http.StatusOK {
			data.Forms = browsableForms(c, bv.view, body)
			_, data.Delete = bv.view.methods[http.MethodDelete]
		}
	}
	h := c.Writer.Header()
	for _, name := range browsableHeaders {
		value := headerValue(h, name)
		if name == "Content-Type" {
			value = jsonRenderer.mediaType // what a JSON client would get
		}
		if value != "" {
			data.Headers = append(data.Headers, browsableHeader{name, value})
		}
	}
	var page bytes.Buffer
	if err := browsablePage.Execute(&page, data); err != nil {
		c.Data(status, jsonRenderer.mediaType, body)
		return
	}
	h.Set("Content-Security-Policy", browsableCSP)
	c.Data(status, "text/html; charset=utf-8", page.Bytes())
}

// jsonString matches one JSON string token; outside strings, JSON has no quotes.
var jsonString = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// browsableBody indents the JSON by four spaces, as DRF's browsable API does,
// and marks the strings that are http(s) URLs.
func browsableBody(body []byte) []browsableSegment {
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "    "); err != nil {
		return []browsableSegment{{Text: string(body)}}
	}
	text := pretty.String()
	var out []browsableSegment
	last := 0
	for _, loc := range jsonString.FindAllStringIndex(text, -1) {
		var s string
		if json.Unmarshal([]byte(text[loc[0]:loc[1]]), &s) != nil || !browsableLink(s) {
			continue
		}
		out = append(out,
			browsableSegment{Text: text[last : loc[0]+1]},
			browsableSegment{Text: text[loc[0]+1 : loc[1]-1], URL: s},
		)
		last = loc[1] - 1
	}
	return append(out, browsableSegment{Text: text[last:]})
}

func browsableLink(s string) bool {
	return (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")) &&
		!strings.ContainsAny(s, " \t\r\n")
}

// browsableForms are the forms of the view's OPTIONS actions, as DRF builds its
// HTML forms from the serializer: POST empty, PUT filled with the object the
// answer shows. The view decides which actions apply (PUT only for an object
// that exists); a failure to decide shows no form.
func browsableForms(c *gin.Context, v *view, body []byte) []browsableForm {
	if v.actions == nil {
		return nil
	}
	actions, err := v.actions(c)
	if err != nil {
		return nil
	}
	// The values of the object the answer shows; a list shows none.
	var current map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&current); err != nil {
		current = nil
	}

	var forms []browsableForm
	for _, method := range slices.Sorted(maps.Keys(actions)) {
		fields, ok := actions[method].(ordered.Object[fieldInfo])
		if !ok {
			continue
		}
		form := browsableForm{Method: method}
		for _, f := range fields {
			if f.Value.ReadOnly {
				continue
			}
			field := browsableField{Name: f.Key, Label: f.Value.Label, Type: "text"}
			if f.Value.Type == "integer" {
				field.Type = "number"
			}
			if method != http.MethodPost {
				if v, ok := current[f.Key]; ok && v != nil {
					field.Value = fmt.Sprint(v)
				}
			}
			form.Fields = append(form.Fields, field)
		}
		forms = append(forms, form)
	}
	return forms
}

// browsableAsset is one embedded file of static/, with its validator. Its
// bytes stay in the binary and are read from there at each request: a copy
// on the heap (Swagger UI is near 2 MB) would cost memory from start-up on.
type browsableAsset struct {
	name        string
	size        int64
	contentType string
	etag        string
}

// browsableAssets serves the page's script and stylesheet from static/. Only
// those files exist; anything else is 404 like any unknown path.
func browsableAssets() (gin.HandlerFunc, error) {
	assets := map[string]browsableAsset{}
	err := fs.WalkDir(browsableFiles, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := browsableFiles.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		sum := sha256.New()
		size, err := io.Copy(sum, f)
		if err != nil {
			return err
		}
		assets[strings.TrimPrefix(name, "static/")] = browsableAsset{
			name:        name,
			size:        size,
			contentType: mime.TypeByExtension(path.Ext(name)),
			etag:        `"` + hex.EncodeToString(sum.Sum(nil)[:8]) + `"`,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("browsable api assets: %w", err)
	}
	return func(c *gin.Context) {
		a, ok := assets[strings.TrimPrefix(c.Param("file"), "/")]
		if !ok || a.contentType == "" {
			abort(c, errNotFound)
			return
		}
		h := c.Writer.Header()
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache")
		if c.GetHeader("If-None-Match") == a.etag {
			c.Status(http.StatusNotModified)
			c.Writer.WriteHeaderNow()
			return
		}
		f, err := browsableFiles.Open(a.name)
		if err != nil {
			abort(c, fmt.Errorf("browsable api asset %s: %w", a.name, err))
			return
		}
		defer f.Close()
		c.DataFromReader(http.StatusOK, a.size, a.contentType, f, nil)
	}, nil
}
