package web

import "github.com/keyward/keyward/internal/keyward"

// accountRoutes are users, API tokens, and the sign-in, first-run setup and account pages.
func (s *Server) accountRoutes() []route {
	return []route{
		api("GET /api/v1/users", keyward.ActUserManage, s.listUsers).describe(opDoc{
			id: "listUsers", tag: "users", summary: "List user accounts",
			out:  []reply{{200, "Every account, by email. Not paginated.", keyward.Page[keyward.User]{}, ""}},
			errs: []int{401, 403},
		}),
		secret(api("POST /api/v1/users", keyward.ActUserManage, s.createUser)).describe(opDoc{
			id: "createUser", tag: "users", summary: "Create a user account",
			desc: "Only owners may create owners (403). 409 if an account with that email exists. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.UserInput{},
			out:  []reply{{201, "Created: the new account. `initial_password` is present when no password was given; the user must replace it with their own at first sign-in (`must_change_password`), before any page is shown. API tokens are not affected.", newAccount{}, ""}},
			errs: []int{400, 401, 403, 409},
		}),
		api("PATCH /api/v1/users/{id}", keyward.ActUserManage, s.updateUser).describe(opDoc{
			id: "updateUser", tag: "users", summary: "Change a user's name or role, or disable the account",
			desc: "Changes `name`, `role` or `disabled`; members left out stay as they are. Disabling ends the user's sessions and revokes their tokens. Only owners may make or unmake an owner (403). 409 when you change your own role or disable yourself, and when the change would leave no active owner.",
			in:   userUpdate{},
			out:  []reply{{200, "The updated account.", keyward.User{}, ""}},
			errs: []int{400, 401, 403, 404, 409},
		}),
		api("GET /api/v1/org", keyward.ActSelf, s.getOrg).describe(opDoc{
			id: "getOrg", tag: "users", summary: "The organization",
			out:  []reply{{200, "The organization: name and time zone.", keyward.Org{}, ""}},
			errs: []int{401},
		}),
		api("PATCH /api/v1/org", keyward.ActOrgManage, s.updateOrg).describe(opDoc{
			id: "updateOrg", tag: "users", summary: "Change the organization's name or time zone",
			desc: "Owners only. `time_zone` must be `UTC` or one of the IANA zones the settings page lists (e.g. `Europe/Berlin`); members left out stay as they are.",
			in:   keyward.OrgPatch{},
			out:  []reply{{200, "The organization after the change.", keyward.Org{}, ""}},
			errs: []int{400, 401, 403},
		}),
		// Tokens: everyone mints their own only; others' tokens are listed and
		// revoked with token.manage (the service decides, so scoped).
		secret(scoped(api("POST /api/v1/tokens", keyward.ActSelf, s.createToken))).describe(opDoc{
			id: "createToken", tag: "users", summary: "Create an API token",
			desc: "A token signs in as its user with that user's role, so you mint tokens only for yourself: `user` may be omitted or name you (compared without case or surrounding spaces); naming anyone else, whatever your role, is a 403 and writes nothing but the audit record of the refusal. An owner or admin makes a token for someone else offline with `keyward token create --user EMAIL`. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   tokenInput{},
			out:  []reply{{201, "Created: the token, shown only this once.", createdToken{}, ""}},
			errs: []int{400, 401, 403},
		}),
		scoped(api("GET /api/v1/tokens", keyward.ActSelf, s.listTokens)).describe(opDoc{
			id: "listTokens", tag: "users", summary: "List API tokens",
			desc:   "Tokens that have not been revoked, never their secret or hash, by user then age. Your own by default; `user` (a user id) or `all=true` show another user's or everyone's, for owners and admins (403 otherwise).",
			params: []param{{name: "user", in: "query", desc: "Only this user's tokens (a user id); 404 for an unknown user.", schema: `{"type":"string"}`}, {name: "all", in: "query", desc: "`true`: every user's tokens. Not with `user`.", schema: `{"type":"boolean","default":false}`}},
			out:    []reply{{200, "The tokens (no further pages).", keyward.Page[keyward.APIToken]{}, ""}},
			errs:   []int{400, 401, 403, 404},
		}),
		scoped(api("DELETE /api/v1/tokens/{id}", keyward.ActSelf, s.revokeToken)).describe(opDoc{
			id: "revokeToken", tag: "users", summary: "Revoke an API token",
			desc: "Your own token, or anyone's for owners and admins (403 otherwise). The token is refused (401) from the next request on. 404 for an unknown or already revoked token. The audit record `token.revoke` names who revoked it and whose token it was.",
			out:  []reply{{200, "The revoked token, with `revoked_at`.", keyward.APIToken{}, ""}},
			errs: []int{401, 403, 404},
		}),

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
		page("GET /settings", keyward.ActOrgManage, s.settingsPage),
		page("POST /settings", keyward.ActOrgManage, s.settingsSubmit),
		page("GET /users", keyward.ActUserManage, s.usersPage),
		page("POST /users", keyward.ActUserManage, s.usersCreate),
		page("POST /users/{id}", keyward.ActUserManage, s.usersUpdate),
		page("POST /users/{id}/invite", keyward.ActUserManage, s.usersInvite),
		page("GET /invite", keyward.ActPublic, s.invitePage),
		page("POST /invite", keyward.ActPublic, s.inviteSubmit),
		page("GET /account/new-password", keyward.ActSelf, s.newPasswordPage),
		page("POST /account/new-password", keyward.ActSelf, s.newPasswordSubmit),
	}
}
