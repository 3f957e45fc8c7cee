package web

import "github.com/keyward/keyward/internal/keyward"

// pageRoutes are the HTML routes: sign-in and account pages here, the
// inventory and logbook pages in entityPages.
func (s *Server) pageRoutes() []route {
	rs := []route{
		page("GET /static/", keyward.ActPublic, s.static),
		page("GET /login", keyward.ActPublic, s.loginPage),
		page("POST /login", keyward.ActPublic, s.login),
		page("GET /login/totp", keyward.ActPublic, s.totpPage),
		page("POST /login/totp", keyward.ActPublic, s.totpSubmit),
		page("POST /logout", keyward.ActSelf, s.logout),
		page("GET /setup", keyward.ActPublic, s.setupPage),
		page("POST /setup", keyward.ActPublic, s.setupSubmit),
		page("GET /account", keyward.ActSelf, s.accountPage),
		page("POST /account/password", keyward.ActSelf, s.accountPassword),
		page("POST /account/totp", keyward.ActSelf, s.accountTOTP),
		page("POST /account/org", keyward.ActOrgManage, s.accountOrg),
		page("GET /users", keyward.ActUserManage, s.usersPage),
		page("POST /users", keyward.ActUserManage, s.usersCreate),
		page("POST /users/{id}", keyward.ActUserManage, s.usersUpdate),
	}
	return append(rs, s.entityPages()...)
}
