package admin

import "net/http"

// routes lists every page of the site.
func (s *site) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/static/admin.css", s.stylesheet)
	mux.HandleFunc("GET /admin/login/", s.loginForm)
	mux.HandleFunc("POST /admin/login/", s.login)
	mux.Handle("POST /admin/logout/", s.staff(s.logout))
	mux.Handle("GET /admin/{$}", s.staff(s.index))

	mux.Handle("GET /admin/tokens/{$}", s.staff(s.tokenList))
	mux.Handle("GET /admin/tokens/add/{$}", s.staff(s.tokenAddForm))
	mux.Handle("POST /admin/tokens/add/{$}", s.staff(s.tokenAdd))
	mux.Handle("GET /admin/tokens/{id}/regenerate/", s.staff(s.tokenRegenerateForm))
	mux.Handle("POST /admin/tokens/{id}/regenerate/", s.staff(s.tokenRegenerate))
	mux.Handle("GET /admin/tokens/{id}/delete/", s.staff(s.tokenDeleteForm))
	mux.Handle("POST /admin/tokens/{id}/delete/", s.staff(s.tokenDelete))

	mux.Handle("GET /admin/users/{$}", s.staff(s.userList))
	mux.Handle("GET /admin/users/add/{$}", s.staff(s.userAddForm))
	mux.Handle("POST /admin/users/add/{$}", s.staff(s.userAdd))
	mux.Handle("GET /admin/users/{id}/{$}", s.staff(s.userEditForm))
	mux.Handle("POST /admin/users/{id}/{$}", s.staff(s.userEdit))
	mux.Handle("GET /admin/users/{id}/password/", s.staff(s.userPasswordForm))
	mux.Handle("POST /admin/users/{id}/password/", s.staff(s.userPassword))
	mux.Handle("GET /admin/users/{id}/delete/", s.staff(s.userDeleteForm))
	mux.Handle("POST /admin/users/{id}/delete/", s.staff(s.userDelete))

	mux.Handle("GET /admin/students/{$}", s.staff(s.studentList))
	mux.Handle("GET /admin/students/add/{$}", s.staff(s.studentAddForm))
	mux.Handle("POST /admin/students/add/{$}", s.staff(s.studentAdd))
	mux.Handle("GET /admin/students/{id}/{$}", s.staff(s.studentEditForm))
	mux.Handle("POST /admin/students/{id}/{$}", s.staff(s.studentEdit))
	mux.Handle("GET /admin/students/{id}/delete/", s.staff(s.studentDeleteForm))
	mux.Handle("POST /admin/students/{id}/delete/", s.staff(s.studentDelete))

	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		v, _ := s.visitor(r)
		s.notFound(w, r, v)
	})
	return mux
}
