package admin

import (
	"errors"
	"net/http"
	"strings"

	"studentapi/internal/passwordvalidation"
	"studentapi/models"
)

const (
	msgRequired         = "This field is required."
	msgPasswordMismatch = "The two password fields didn’t match."
	msgOnlySuperusers   = "Only superusers may grant staff or superuser status, or act on a superuser or its token."
	// The refusals that keep somebody able to run this site.
	msgOwnActive      = "You cannot deactivate your own account."
	msgOwnStaff       = "You cannot remove your own staff status."
	msgOwnDelete      = "You cannot delete your own account."
	msgLastSuperuser  = "This is the last active superuser: deactivating, demoting or deleting it would leave nobody to run this site. Make another superuser first."
	nonFieldErrorsKey = "__all__" // Django's key for a form's errors that belong to no one field
)

type userListData struct {
	Q     string
	Rows  []models.User
	Pager pager
}

func (s *site) userList(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	q := r.URL.Query().Get("q")
	terms, ok := s.searchTerms(w, r, v, q)
	if !ok {
		return
	}
	query := models.UserQuery{Search: terms}
	count, err := s.DB.CountUsers(ctx, query)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg, offset := s.paginate(r, count)
	query.Limit, query.Offset = s.PageSize, offset
	users, err := s.DB.FindUsers(ctx, query)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "users", page{Title: "Users", Nav: "users", User: v.user, CSRF: v.csrf,
		Data: userListData{Q: q, Rows: users, Pager: pg}})
}

// userForm is the add and edit form.
type userForm struct {
	Adding      bool
	ID          int64
	Username    string
	Email       string
	IsActive    bool
	IsStaff     bool
	IsSuperuser bool
	CanGrant    bool // the visitor is a superuser
	Own         bool // the visitor's own account, which they may not delete
	Errors      fieldErrors
}

func (s *site) renderUserForm(w http.ResponseWriter, r *http.Request, v *visit, status int, f userForm) {
	title := "Change user"
	if f.Adding {
		title = "Add user"
	}
	f.CanGrant = v.user.IsSuperuser
	f.Own = !f.Adding && f.ID == v.user.ID
	s.render(w, r, status, "user_form", page{Title: title, Nav: "users", User: v.user, CSRF: v.csrf, Data: f})
}

func (s *site) userAddForm(w http.ResponseWriter, r *http.Request, v *visit) {
	s.renderUserForm(w, r, v, http.StatusOK, userForm{Adding: true, IsActive: true})
}

func checked(r *http.Request, name string) bool { return r.PostForm.Get(name) != "" }

// userAdd creates a user through models.CreateUser, so the UserCreated hook
// gives it its token as for every other way of making a user.
func (s *site) userAdd(w http.ResponseWriter, r *http.Request, v *visit) {
	f := userForm{
		Adding:      true,
		Username:    models.NormalizeUsername(strings.TrimSpace(r.PostForm.Get("username"))),
		Email:       strings.TrimSpace(r.PostForm.Get("email")),
		IsActive:    true,
		IsStaff:     checked(r, "is_staff"),
		IsSuperuser: checked(r, "is_superuser"),
		Errors:      fieldErrors{},
	}
	if (f.IsStaff || f.IsSuperuser) && !v.user.IsSuperuser {
		s.forbidden(w, r, v, msgOnlySuperusers)
		return
	}
	if f.Username == "" {
		f.Errors.add("username", msgRequired)
	} else if err := models.ValidateUsername(f.Username); err != nil {
		f.Errors.add("username", "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters, 150 at most.")
	}
	if models.ValidateEmail(f.Email) != nil { // the form words it as Django does
		f.Errors.add("email", "Enter a valid email address.")
	}
	password := s.checkPasswords(r, f.Errors, passwordvalidation.User{Username: f.Username, Email: f.Email})
	if len(f.Errors) > 0 {
		s.renderUserForm(w, r, v, http.StatusBadRequest, f)
		return
	}
	u := &models.User{Username: f.Username, Email: f.Email, IsActive: true, IsStaff: f.IsStaff || f.IsSuperuser, IsSuperuser: f.IsSuperuser}
	if err := u.SetPassword(password, s.BcryptCost); err != nil {
		s.serverError(w, r, err)
		return
	}
	err := s.DB.CreateUser(r.Context(), u)
	if errors.Is(err, models.ErrDuplicate) {
		f.Errors.add("username", "A user with that username already exists.")
		s.renderUserForm(w, r, v, http.StatusBadRequest, f)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin/users/"+itoa(u.ID)+"/", "created")
}

// checkPasswords reads password1 and password2, which must be given and
// equal, and then pass the password validators for u; a refusal's messages
// go under password2, as Django's forms put them.
func (s *site) checkPasswords(r *http.Request, errs fieldErrors, u passwordvalidation.User) string {
	p1, p2 := r.PostForm.Get("password1"), r.PostForm.Get("password2")
	if p1 == "" {
		errs.add("password1", msgRequired)
	}
	if p2 == "" {
		errs.add("password2", msgRequired)
	}
	if p1 != "" && p2 != "" && p1 != p2 {
		errs.add("password2", msgPasswordMismatch)
	}
	if len(errs["password1"]) == 0 && len(errs["password2"]) == 0 {
		var refused *passwordvalidation.Error
		if errors.As(s.PasswordValidators.Validate(p2, u), &refused) {
			for _, msg := range refused.Messages {
				errs.add("password2", msg)
			}
		}
	}
	return p1
}

// mayActOn is the one rule for what a signed-in staff user may do to an
// account, to its row and to its token alike: only a superuser may act on a
// superuser. Whoever could set a superuser's password or read its new key
// would be that superuser.
func mayActOn(actor, target *models.User) bool {
	return actor.IsSuperuser || !target.IsSuperuser
}

// target loads the user whose id is in the path, for a page that acts on it
// or on its token, or confirms such an act (the {id} of /admin/tokens/{id}/…
// is the user's: a user has one token, and the token itself is not read);
// ok false has answered: 404, or 403 when mayActOn refuses.
func (s *site) target(w http.ResponseWriter, r *http.Request, v *visit) (*models.User, bool) {
	u, ok := loadByID(s, w, r, v, s.DB.UserByID)
	if !ok {
		return nil, false
	}
	if !mayActOn(v.user, u) {
		s.forbidden(w, r, v, msgOnlySuperusers)
		return nil, false
	}
	return u, true
}

func formOf(u *models.User) userForm {
	return userForm{ID: u.ID, Username: u.Username, Email: u.Email, IsActive: u.IsActive, IsStaff: u.IsStaff, IsSuperuser: u.IsSuperuser}
}

// userEditForm shows any user; only saving it is under mayActOn's rule.
func (s *site) userEditForm(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := loadByID(s, w, r, v, s.DB.UserByID)
	if !ok {
		return
	}
	s.renderUserForm(w, r, v, http.StatusOK, formOf(u))
}

// userEdit changes the email, active flag and, for superusers, the staff and
// superuser flags: only those columns are written, so a password set or a
// login recorded since the user was read stays. Deactivating a user or
// taking its staff status ends its sessions (models.ChangeUser). Nobody may
// deactivate themselves or take their own staff status, and nobody may take
// away the last active superuser (models.ErrLastSuperuser): the form comes
// back with the reason.
func (s *site) userEdit(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	f := formOf(u)
	f.Email = strings.TrimSpace(r.PostForm.Get("email"))
	f.IsActive = checked(r, "is_active")
	f.Errors = fieldErrors{}
	staff, super := checked(r, "is_staff"), checked(r, "is_superuser")
	change := models.UserChange{Email: &f.Email, IsActive: &f.IsActive}
	if v.user.IsSuperuser {
		f.IsStaff, f.IsSuperuser = staff || super, super
		change.IsStaff, change.IsSuperuser = &f.IsStaff, &f.IsSuperuser
	} else if (staff && !u.IsStaff) || (super && !u.IsSuperuser) {
		s.forbidden(w, r, v, msgOnlySuperusers)
		return
	}
	if models.ValidateEmail(f.Email) != nil { // the form words it as Django does
		f.Errors.add("email", "Enter a valid email address.")
	}
	// A staff user who locked themselves out could not undo it.
	if u.ID == v.user.ID {
		if !f.IsActive {
			f.Errors.add("is_active", msgOwnActive)
		}
		if v.user.IsSuperuser && !f.IsStaff {
			f.Errors.add("is_staff", msgOwnStaff)
		}
	}
	if len(f.Errors) > 0 {
		s.renderUserForm(w, r, v, http.StatusBadRequest, f)
		return
	}
	err := s.DB.ChangeUser(r.Context(), u.ID, change)
	if errors.Is(err, models.ErrNotFound) {
		s.notFound(w, r, v)
		return
	}
	if errors.Is(err, models.ErrLastSuperuser) {
		f.Errors.add(nonFieldErrorsKey, msgLastSuperuser)
		s.renderUserForm(w, r, v, http.StatusBadRequest, f)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin/users/"+itoa(u.ID)+"/", "saved")
}

type passwordData struct {
	ID       int64
	Username string
	Errors   fieldErrors
}

func (s *site) userPasswordForm(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "user_password", page{Title: "Change password", Nav: "users", User: v.user, CSRF: v.csrf,
		Data: passwordData{ID: u.ID, Username: u.Username}})
}

// userPassword sets a new password, which ends the user's sessions
// (models.ChangeUser). An admin who sets their own stays signed in here, as
// Django's update_session_auth_hash keeps them: under a new session id,
// created in the transaction that changes the password, while every other
// session of theirs ends.
func (s *site) userPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	d := passwordData{ID: u.ID, Username: u.Username, Errors: fieldErrors{}}
	password := s.checkPasswords(r, d.Errors, passwordvalidation.User{Username: u.Username, Email: u.Email})
	if len(d.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "user_password", page{Title: "Change password", Nav: "users", User: v.user, CSRF: v.csrf, Data: d})
		return
	}
	hash, err := models.HashPassword(password, s.BcryptCost)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ctx := r.Context()
	change := models.UserChange{Password: &hash}
	var own *models.Session
	var ownID string
	if u.ID != v.user.ID {
		err = s.DB.ChangeUser(ctx, u.ID, change)
	} else if ownID, err = newSessionID(); err == nil {
		err = s.DB.Transaction(ctx, func(tx *models.DB) error {
			if err := tx.ChangeUser(ctx, u.ID, change); err != nil {
				return err
			}
			u.Password = hash
			sess, err := tx.CreateSession(ctx, u, ownID, s.SessionTTL)
			own = sess
			return err
		})
	}
	switch {
	case errors.Is(err, models.ErrNotFound):
		s.notFound(w, r, v)
		return
	case errors.Is(err, models.ErrUserChanged):
		// The visitor was deactivated or demoted while asking: nothing
		// changed, and their session is over.
		s.clearCookie(w, r)
		s.render(w, r, http.StatusForbidden, "error", page{Title: "Forbidden", Data: msgSessionEnded})
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	if own != nil {
		s.setSessionCookie(w, r, ownID, own)
	}
	redirectFlash(w, r, "/admin/users/"+itoa(u.ID)+"/", "password")
}

// deletable loads the user a delete page is about, refusing with 403 as
// target does, and also the visitor's own account, which nobody may delete:
// they would be signed out for good.
func (s *site) deletable(w http.ResponseWriter, r *http.Request, v *visit) (*models.User, bool) {
	u, ok := s.target(w, r, v)
	if !ok {
		return nil, false
	}
	if u.ID == v.user.ID {
		s.forbidden(w, r, v, msgOwnDelete)
		return nil, false
	}
	return u, true
}

func (s *site) userDeleteForm(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.deletable(w, r, v)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "confirm", page{Title: "Delete user", Nav: "users", User: v.user, CSRF: v.csrf, Data: confirmData{
		Question: "Delete the user " + u.Username + "?",
		Detail:   "Its token and sessions are deleted with it. This cannot be undone.",
		Button:   "Yes, delete",
		Back:     "/admin/users/" + itoa(u.ID) + "/",
		Danger:   true,
	}})
}

// userDelete deletes a user other than the visitor, with its sessions
// (models.DeleteUser), unless it is the last active superuser.
func (s *site) userDelete(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.deletable(w, r, v)
	if !ok {
		return
	}
	err := s.DB.DeleteUser(r.Context(), u.Username)
	switch {
	case errors.Is(err, models.ErrLastSuperuser):
		s.forbidden(w, r, v, msgLastSuperuser)
		return
	case err != nil && !errors.Is(err, models.ErrNotFound):
		s.serverError(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin/users/", "deleted")
}
