package fields

import (
	"strconv"
	"unicode/utf8"
)

// The bounds of a search (the API's ?search=, the admin's ?q=). Every term is
// a substring match against whole columns of every row, so a search costs its
// number of terms times the table: 490 terms once took ten seconds on 50,000
// students, and 20,000 terms made a statement the database refused. A term
// longer than the longest value a searched column holds (100 characters for a
// student's name and city) could match nothing anyway. DRF's SearchFilter has
// no bounds; these are a documented difference.
const (
	MaxSearchTerms      = 10
	MaxSearchTermLength = 100 // characters, counted as max_length counts them
)

// SearchErrors returns the messages for search terms beyond the bounds, in
// DRF's words for a field, or nil when they are within.
func SearchErrors(terms []string) []string {
	var msgs []string
	if len(terms) > MaxSearchTerms {
		msgs = append(msgs, "Ensure this field has no more than "+strconv.Itoa(MaxSearchTerms)+" terms.")
	}
	for _, t := range terms {
		// Bytes first: a term within the bound in bytes is within it in
		// characters, so the common case counts nothing.
		if len(t) > MaxSearchTermLength && utf8.RuneCountInString(t) > MaxSearchTermLength {
			msgs = append(msgs, "Ensure each term has no more than "+strconv.Itoa(MaxSearchTermLength)+" characters.")
			break
		}
	}
	return msgs
}
