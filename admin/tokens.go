package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"studentapi/auth"
	"studentapi/models"
)

// keyPrefixLen is how much of a key the list shows: enough to tell keys
// apart, too little to use.
const keyPrefixLen = 8

type tokenRow struct {
	UserID    int64
	Username  string
	KeyPrefix string // empty when the key cannot be opened
	Created   time.Time
}

type tokenListData struct {
	Q     string
	Rows  []tokenRow
	Pager pager
}

func (s *site) tokenList(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	q := r.URL.Query().Get("q")
	terms, ok := s.searchTerms(w, r, v, q)
	if !ok {
		return
	}
	query := models.TokenQuery{Search: terms}
	count, err := s.DB.CountTokens(ctx, query)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg, offset := s.paginate(r, count)
	query.Limit, query.Offset = s.PageSize, offset
	tokens, err := s.DB.FindTokens(ctx, query)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := tokenListData{Q: q, Pager: pg}
	for _, t := range tokens {
		row := tokenRow{UserID: t.UserID, Created: t.Created}
		if t.User != nil {
			row.Username = t.User.Username
		}
		if len(t.Key) >= keyPrefixLen {
			row.KeyPrefix = t.Key[:keyPrefixLen]
		}
		d.Rows = append(d.Rows, row)
	}
	s.render(w, r, http.StatusOK, "tokens", page{Title: "Tokens", Nav: "tokens", User: v.user, CSRF: v.csrf, Data: d})
}

type tokenAddData struct {
	Username string
	Errors   fieldErrors
}

func (s *site) tokenAddForm(w http.ResponseWriter, r *http.Request, v *visit) {
	d := tokenAddData{Username: r.URL.Query().Get("username")}
	s.render(w, r, http.StatusOK, "token_add", page{Title: "Add token", Nav: "tokens", User: v.user, CSRF: v.csrf, Data: d})
}

// tokenAdd creates a token for a user named in a text box (DRF's admin offers
// a dropdown of every user, which does not scale).
func (s *site) tokenAdd(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	d := tokenAddData{Username: strings.TrimSpace(r.PostForm.Get("username")), Errors: fieldErrors{}}
	var u *models.User
	var err error
	if d.Username == "" {
		d.Errors.add("username", "This field is required.")
	} else if u, err = s.DB.UserByUsername(ctx, d.Username); errors.Is(err, models.ErrNotFound) {
		d.Errors.add("username", "No user has this username.")
	} else if err != nil {
		s.serverError(w, r, err)
		return
	} else if !mayActOn(v.user, u) {
		s.forbidden(w, r, v, msgOnlySuperusers)
		return
	}
	if len(d.Errors) == 0 {
		key, err := auth.GenerateKey()
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		t, err := s.DB.CreateToken(ctx, u.ID, key)
		switch {
		case errors.Is(err, models.ErrDuplicate):
			d.Errors.add("username", "This user already has a token; regenerate it instead.")
		case err != nil:
			s.serverError(w, r, err)
			return
		default:
			s.showKey(w, r, v, http.StatusCreated, "Token created", u, t)
			return
		}
	}
	s.render(w, r, http.StatusBadRequest, "token_add", page{Title: "Add token", Nav: "tokens", User: v.user, CSRF: v.csrf, Data: d})
}

type tokenKeyData struct {
	Username string
	Key      string
}

// showKey shows a new key in full, once, as drf_create_token prints it; the
// list shows only its prefix afterwards.
func (s *site) showKey(w http.ResponseWriter, r *http.Request, v *visit, status int, title string, u *models.User, t *models.Token) {
	s.render(w, r, status, "token_key", page{Title: title, Nav: "tokens", User: v.user, CSRF: v.csrf,
		Data: tokenKeyData{Username: u.Username, Key: t.Key}})
}

type confirmData struct {
	Question string
	Detail   string
	Button   string
	Back     string
	Danger   bool
}

func (s *site) tokenRegenerateForm(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "confirm", page{Title: "Regenerate token", Nav: "tokens", User: v.user, CSRF: v.csrf, Data: confirmData{
		Question: "Regenerate the token of " + u.Username + "?",
		Detail:   "The current key stops working at once; clients must be given the new one.",
		Button:   "Yes, regenerate",
		Back:     "/admin/tokens/",
	}})
}

// tokenRegenerate is drf_create_token -r: the old key is gone the moment the
// new one exists.
func (s *site) tokenRegenerate(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	key, err := auth.GenerateKey()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	t, err := s.DB.ReplaceToken(r.Context(), u.ID, key)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.showKey(w, r, v, http.StatusOK, "Token regenerated", u, t)
}

func (s *site) tokenDeleteForm(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "confirm", page{Title: "Delete token", Nav: "tokens", User: v.user, CSRF: v.csrf, Data: confirmData{
		Question: "Delete the token of " + u.Username + "?",
		Detail:   "The key stops working at once. The user gets a new token at the next login.",
		Button:   "Yes, delete",
		Back:     "/admin/tokens/",
		Danger:   true,
	}})
}

func (s *site) tokenDelete(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	err := s.DB.DeleteToken(r.Context(), u.ID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		s.serverError(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin/tokens/", "deleted")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
