package admin

import (
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"studentapi/models"
)

const (
	msgRequired         = "This field is required."
	msgPasswordMismatch = "The two password fields didn’t match."
	msgOnlySuperusers   = "Only superusers may grant staff or superuser status, or change a superuser."
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
	Errors      fieldErrors
}

func (s *site) renderUserForm(w http.ResponseWriter, r *http.Request, v *visit, status int, f userForm) {
	title := "Change user"
	if f.Adding {
		title = "Add user"
	}
	f.CanGrant = v.user.IsSuperuser
	s.render(w, r, status, "user_form", page{Title: title, Nav: "users", User: v.user, CSRF: v.csrf, Data: f})
}

func (s *site) userAddForm(w http.ResponseWriter, r *http.Request, v *visit) {
	s.renderUserForm(w, r, v, http.StatusOK, userForm{Adding: true, IsActive: true})
}

func checked(r *http.Request, name string) bool { return r.PostForm.Get(name) != "" }

// validEmail accepts an empty address (Django's email is optional) or one
// address without a display name.
func validEmail(s string) bool {
	if s == "" {
		return true
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// userAdd creates a user through models.CreateUser, so the UserCreated hook
// gives it its token as for every other way of making a user.
func (s *site) userAdd(w http.ResponseWriter, r *http.Request, v *visit) {
	f := userForm{
		Adding:      true,
		Username:    strings.TrimSpace(r.PostForm.Get("username")),
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
	if !validEmail(f.Email) {
		f.Errors.add("email", "Enter a valid email address.")
	}
	password := checkPasswords(r, f.Errors)
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
// equal.
func checkPasswords(r *http.Request, errs fieldErrors) string {
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
	return p1
}

// target loads the user of /admin/users/{id}/…; ok false has answered. Staff
// who are not superusers may not touch a superuser.
func (s *site) target(w http.ResponseWriter, r *http.Request, v *visit) (*models.User, bool) {
	u, ok := loadByID(s, w, r, v, s.DB.UserByID)
	if !ok {
		return nil, false
	}
	if u.IsSuperuser && !v.user.IsSuperuser && r.Method != http.MethodGet {
		s.forbidden(w, r, v, msgOnlySuperusers)
		return nil, false
	}
	return u, true
}

func formOf(u *models.User) userForm {
	return userForm{ID: u.ID, Username: u.Username, Email: u.Email, IsActive: u.IsActive, IsStaff: u.IsStaff, IsSuperuser: u.IsSuperuser}
}

func (s *site) userEditForm(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	s.renderUserForm(w, r, v, http.StatusOK, formOf(u))
}

// userEdit changes the email, active flag and, for superusers, the staff and
// superuser flags. Deactivating a user ends its sessions.
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
	if v.user.IsSuperuser {
		f.IsStaff, f.IsSuperuser = staff || super, super
	} else if (staff && !u.IsStaff) || (super && !u.IsSuperuser) {
		s.forbidden(w, r, v, msgOnlySuperusers)
		return
	}
	if !validEmail(f.Email) {
		f.Errors.add("email", "Enter a valid email address.")
		s.renderUserForm(w, r, v, http.StatusBadRequest, f)
		return
	}
	wasActive := u.IsActive
	u.Email, u.IsActive, u.IsStaff, u.IsSuperuser = f.Email, f.IsActive, f.IsStaff, f.IsSuperuser
	if err := s.DB.UpdateUser(r.Context(), u); err != nil {
		s.serverError(w, r, err)
		return
	}
	if wasActive && !u.IsActive {
		if err := s.DB.DeleteSessionsOf(r.Context(), u.ID); err != nil {
			s.serverError(w, r, err)
			return
		}
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

// userPassword sets a new password and ends the user's sessions; the
// visitor's own is started afresh, as Django's update_session_auth_hash keeps
// the one who changed it signed in.
func (s *site) userPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	d := passwordData{ID: u.ID, Username: u.Username, Errors: fieldErrors{}}
	password := checkPasswords(r, d.Errors)
	if len(d.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "user_password", page{Title: "Change password", Nav: "users", User: v.user, CSRF: v.csrf, Data: d})
		return
	}
	if err := u.SetPassword(password, s.BcryptCost); err != nil {
		s.serverError(w, r, err)
		return
	}
	ctx := r.Context()
	if err := s.DB.UpdateUser(ctx, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.DB.DeleteSessionsOf(ctx, u.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	if u.ID == v.user.ID {
		if err := s.startSession(ctx, w, r, u); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	redirectFlash(w, r, "/admin/users/"+itoa(u.ID)+"/", "password")
}

func (s *site) userDeleteForm(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
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

func (s *site) userDelete(w http.ResponseWriter, r *http.Request, v *visit) {
	u, ok := s.target(w, r, v)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := s.DB.DeleteSessionsOf(ctx, u.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.DB.DeleteUser(ctx, u.Username); err != nil && !errors.Is(err, models.ErrNotFound) {
		s.serverError(w, r, err)
		return
	}
	if u.ID == v.user.ID {
		s.clearCookie(w, r)
		redirectFlash(w, r, "/admin/login/", "deleted")
		return
	}
	redirectFlash(w, r, "/admin/users/", "deleted")
}
