package api

import (
	"fmt"
	"math"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"studentapi/internal/fields"
	"studentapi/models"
)

// The query parameters of /studentapi/, as DRF's filter backends read them:
// DjangoFilterBackend (city, roll, roll__gte, roll__lte), SearchFilter (search)
// and OrderingFilter (ordering).
const (
	searchParam   = "search"
	orderingParam = "ordering"
)

// cityParam is the list's filter on the exact city.
const cityParam = "city"

// rollFilters are the list's filters on the roll, django-filter's
// NumberFilters: a decimal number, bounding the roll. The OpenAPI document
// lists them from here (schema.go).
var rollFilters = []struct {
	param       string
	description string
	apply       func(*models.StudentQuery, *big.Rat)
}{
	{"roll", "Only the student with this roll.", exactBound},
	{"roll__gte", "Only students whose roll is at least this number.", lowerBound},
	{"roll__lte", "Only students whose roll is at most this number.", upperBound},
}

const msgEnterNumber = "Enter a number."

// maxNumberLength bounds a filter's number, in characters, before it is
// parsed: converting digits to binary costs more than their count (60,000
// digits took 90 ms of big.Rat). A roll has at most 19 digits, so the bound
// leaves room for any way of writing one. Django's DecimalField has no such
// bound; the message is that of Django's max_length.
const maxNumberLength = 100

func msgNumberTooLong(n int) string {
	return fmt.Sprintf("Ensure this value has at most %d characters (it has %d).", maxNumberLength, n)
}

// maxExponent is where clampExponent cuts an exponent off: beyond it a number
// of at most maxNumberLength digits is either out of 64 bits or strictly
// between -1 and 1 (or zero), whatever the exponent's size.
const maxExponent = 2 * maxNumberLength

// decimalLiteral is what Python's Decimal reads as a finite number (big.Rat
// alone would also take fractions and 0x prefixes).
var decimalLiteral = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// searchSeparators turns a search parameter into words as SearchFilter does:
// NULs dropped, commas as spaces. Built once: a Replacer compiles a table on
// first use, which cost more than the rest of a detail request when it was
// built for every request.
var searchSeparators = strings.NewReplacer("\x00", "", ",", " ")

type queryKey struct{}

// queryParams is the request's query string, parsed once for negotiation and
// the view alike; nil, which reads as empty, when there is none, so a plain
// GET parses nothing.
func queryParams(c *gin.Context) url.Values {
	if c.Request.URL.RawQuery == "" {
		return nil
	}
	if v, ok := c.Get(queryKey{}); ok {
		if params, ok := v.(url.Values); ok {
			return params
		}
	}
	params := c.Request.URL.Query()
	c.Set(queryKey{}, params)
	return params
}

// lastValue is params' value for key as Django's QueryDict.get answers it:
// the last of repeated values ("?page=2&page=1" is page 1), "" for none.
// url.Values.Get answers the first.
func lastValue(params url.Values, key string) string {
	v := params[key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// studentQuery reads the filter, search and ordering parameters. A filter value
// that is not a number is a field error, as django-filter reports it, and so
// is a search beyond the bounds of fields.SearchErrors.
func studentQuery(params url.Values) (models.StudentQuery, error) {
	var q models.StudentQuery
	if len(params) == 0 {
		return q, nil // most requests: nothing to read, and nothing to allocate
	}
	last := func(k string) string { return lastValue(params, k) }
	if city := last(cityParam); city != "" {
		q.City = &city
	}
	errs := &fields.Errors{}
	for _, f := range rollFilters {
		raw := strings.TrimSpace(last(f.param))
		if raw == "" {
			continue // django-filter ignores empty values
		}
		if len(raw) > maxNumberLength {
			if n := utf8.RuneCountInString(raw); n > maxNumberLength {
				errs.Add(f.param, msgNumberTooLong(n))
				continue
			}
		}
		raw = fields.DecimalText(raw)
		if !decimalLiteral.MatchString(raw) {
			errs.Add(f.param, msgEnterNumber)
			continue
		}
		literal, ok := clampExponent(raw)
		if !ok {
			errs.Add(f.param, msgEnterNumber)
			continue
		}
		r, ok := new(big.Rat).SetString(literal)
		if !ok {
			errs.Add(f.param, msgEnterNumber)
			continue
		}
		f.apply(&q, r)
	}
	if search := last(searchParam); search != "" {
		q.Search = strings.Fields(searchSeparators.Replace(search))
		for _, msg := range fields.SearchErrors(q.Search) {
			errs.Add(searchParam, msg)
		}
	}
	if !errs.Empty() {
		return q, errs
	}
	for term := range strings.SplitSeq(last(orderingParam), ",") {
		term = strings.TrimSpace(term)
		name, desc := strings.CutPrefix(term, "-")
		// Unknown fields are dropped, as OrderingFilter does, and so is a
		// column already ordered by, which could change no order: the
		// ORDER BY has at most one term per column, however long the list.
		if f, ok := models.StudentFields().Lookup(name); ok && !orderedBy(q.Ordering, f.Column) {
			q.Ordering = append(q.Ordering, models.Order{Column: f.Column, Desc: desc})
		}
	}
	return q, nil
}

func orderedBy(ordering []models.Order, column string) bool {
	for _, o := range ordering {
		if o.Column == column {
			return true
		}
	}
	return false
}

// clampExponent returns a decimal literal (one decimalLiteral matches) with an
// exponent beyond ±maxExponent replaced by ±maxExponent, which big.Rat can
// read in microseconds where 1e999999 took 90 ms, and which means the same to
// the bounds below (see maxExponent). An exponent beyond 64 bits is not a
// number, as Python's Decimal refuses it.
func clampExponent(literal string) (string, bool) {
	i := strings.IndexAny(literal, "eE")
	if i < 0 {
		return literal, true
	}
	exp, err := strconv.ParseInt(literal[i+1:], 10, 64)
	switch {
	case err != nil:
		return "", false
	case exp > maxExponent:
		return literal[:i] + "e" + strconv.Itoa(maxExponent), true
	case exp < -maxExponent:
		return literal[:i] + "e-" + strconv.Itoa(maxExponent), true
	}
	return literal, true
}

var (
	minInt64 = new(big.Rat).SetInt64(math.MinInt64)
	maxInt64 = new(big.Rat).SetInt64(math.MaxInt64)
)

// exactBound: roll = r matches nothing unless r is an integer in range.
func exactBound(q *models.StudentQuery, r *big.Rat) {
	if !r.IsInt() || r.Cmp(minInt64) < 0 || r.Cmp(maxInt64) > 0 {
		q.Empty = true
		return
	}
	v := r.Num().Int64()
	q.Roll = &v
}

// lowerBound: roll >= r, i.e. roll >= ceil(r).
func lowerBound(q *models.StudentQuery, r *big.Rat) {
	switch {
	case r.Cmp(minInt64) <= 0:
		return
	case r.Cmp(maxInt64) > 0:
		q.Empty = true
		return
	}
	v := ceil(r)
	q.RollMin = &v
}

// upperBound: roll <= r, i.e. roll <= floor(r).
func upperBound(q *models.StudentQuery, r *big.Rat) {
	switch {
	case r.Cmp(maxInt64) >= 0:
		return
	case r.Cmp(minInt64) < 0:
		q.Empty = true
		return
	}
	v := floor(r)
	q.RollMax = &v
}

func floor(r *big.Rat) int64 {
	n := new(big.Int)
	n.Div(r.Num(), r.Denom()) // Euclidean division floors for a positive divisor
	return n.Int64()
}

func ceil(r *big.Rat) int64 {
	f := floor(r)
	if r.IsInt() {
		return f
	}
	return f + 1
}
