package web

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

const (
	sessionCookie = "kw_session"
	preCSRFCookie = "kw_precsrf"
)

// funcsIn are the template functions; times show in the organization's zone.
func funcsIn(loc *time.Location) template.FuncMap {
	format := func(layout string) func(t any) string {
		return func(t any) string {
			switch v := t.(type) {
			case time.Time:
				if !v.IsZero() {
					return v.In(loc).Format(layout)
				}
			case *time.Time:
				if v != nil && !v.IsZero() {
					return v.In(loc).Format(layout)
				}
			}
			return ""
		}
	}
	return template.FuncMap{
		"statusText": statusText,
		"storageAction": func(action string) string {
			if label, ok := storageActionLabels[action]; ok {
				return label
			}
			return action
		},
		"fmtTime": format("2006-01-02 15:04 MST"),
		// fmtDate is for what is a day, not a moment (an acknowledgement).
		"fmtDate":    format("2006-01-02"),
		"sourceText": func(src string) string { return sourceWords[src] },
		"allowed":    func(role keyward.Role, action string) bool { return keyward.Allowed(role, keyward.Action(action)) },
		"roles":      func() []keyward.Role { return keyward.Roles },
		// copiesExist says how many copies of a key are under control.
		"copiesExist": copiesExist,
		"roleWords":   func(r keyward.Role) string { return keyward.RoleWords[r] },
		"emptyFor":    emptyFor,
		"copyRule": func(policy string) string {
			for _, c := range copyRules {
				if c.Value == policy {
					return c.Label
				}
			}
			return policy
		},
		// codeState and codeStep say a code request's state and step in words.
		"codeState": codeStateLabel,
		"codeStep":  codeStepLabel,
		// dict hands a sub-template named values: dict "A" 1 "B" 2.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				if k, ok := kv[i].(string); ok {
					m[k] = kv[i+1]
				}
			}
			return m
		},
		// zones hands the zone-select template the list and the zone chosen.
		"zones": func(list []keyward.ZoneGroup, current string) map[string]any {
			return map[string]any{"Zones": list, "Current": current}
		},
	}
}

// pageData is what every template gets.
type pageData struct {
	Title   string
	Actor   keyward.Actor
	CSRF    string
	Flash   string
	Error   string
	Fields  map[string]string
	Data    any
	Now     time.Time
	Path    string
	OrgName string
	// Search is what the header's search box holds: the query on the search page.
	Search string
	// Notice is a warning beside a secret just shown: the user's time to set
	// up an authenticator is running out (revealing).
	Notice string
}

// parsedPages caches each page parsed with the layout. It is never executed
// itself: pageTemplate clones it and binds the request's time zone.
var parsedPages sync.Map // name → *template.Template

func pageTemplate(name string, loc *time.Location) (*template.Template, error) {
	cached, ok := parsedPages.Load(name)
	if !ok {
		// The parts (templates/part_*.html) are shared by several pages.
		t, err := template.New("layout.html").Funcs(funcsIn(time.UTC)).ParseFS(templateFS, "templates/layout.html", "templates/part_*.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		cached, _ = parsedPages.LoadOrStore(name, t)
	}
	t, err := cached.(*template.Template).Clone()
	if err != nil {
		return nil, err
	}
	return t.Funcs(funcsIn(loc)), nil
}

// orgZone is the organization's time zone, UTC if it does not load.
func orgZone(name string) *time.Location {
	if l, err := time.LoadLocation(name); err == nil {
		return l
	}
	return time.UTC
}

// zone is the time zone that forms read times in and pages show them in.
func (s *Server) zone(r *http.Request) *time.Location {
	if org, err := s.accounts.Org(r.Context()); err == nil {
		return orgZone(org.TimeZone)
	}
	return time.UTC
}

// render executes templates/<name>.html inside the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, name, title string, data any) error {
	pd := pageData{Title: title, Actor: a, Data: data, Now: s.now(), Path: r.URL.Path, Flash: r.URL.Query().Get("flash"), Notice: revealNotice(r)}
	if r.URL.Path == "/search" {
		pd.Search = r.URL.Query().Get("q")
	}
	loc := time.UTC
	if org, err := s.accounts.Org(r.Context()); err == nil {
		pd.OrgName = org.Name
		loc = orgZone(org.TimeZone)
	}
	t, err := pageTemplate(name, loc)
	if err != nil {
		return err
	}
	if c, err := r.Cookie(sessionCookie); err == nil && a.UserID != "" {
		if key, err := s.accounts.CSRFKey(r.Context()); err == nil {
			pd.CSRF = auth.CSRFToken(key, c.Value)
		}
	} else {
		pd.CSRF = s.preCSRF(w, r)
	}
	if fe, ok := data.(formError); ok {
		pd.Error, pd.Fields, pd.Data = fe.msg, fe.fields, fe.data
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, pd); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status) // security headers: Server.securityHeaders, on every response
	_, err = w.Write(labelCells(buf.Bytes()))
	return err
}

// formError re-renders a form with the service's message and per-field rules.
type formError struct {
	msg    string
	fields map[string]string
	data   any
}

func newFormError(err error, data any) formError {
	fe := formError{msg: keyward.ErrorMessage(err), fields: map[string]string{}, data: data}
	var e *keyward.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			fe.fields[f.Field] = f.Rule
		}
	}
	return fe
}

// preCSRF is the double-submit token for forms shown before sign-in.
func (s *Server) preCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCSRFCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: preCSRFCookie, Value: v, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	return v
}

func checkPreCSRF(r *http.Request) error {
	c, err := r.Cookie(preCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		return keyward.Errorf(keyward.EFORBIDDEN, "the form expired; reload the page and try again")
	}
	return nil
}

var errNeedMFA = errors.New("second factor needed")

// pageActor resolves the session cookie and, for a POST, checks the CSRF token.
func (s *Server) pageActor(w http.ResponseWriter, r *http.Request) (keyward.Actor, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return keyward.Actor{}, keyward.Errorf(keyward.EUNAUTHORIZED, "sign in first")
	}
	a, mfa, err := s.accounts.Session(r.Context(), c.Value)
	if err != nil {
		return keyward.Actor{}, err
	}
	if !mfa {
		return keyward.Actor{}, errNeedMFA
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := parseForm(r); err != nil {
			return keyward.Actor{}, err
		}
		key, err := s.accounts.CSRFKey(r.Context())
		if err != nil {
			return keyward.Actor{}, err
		}
		if !auth.CheckCSRF(key, c.Value, r.PostFormValue("csrf")) {
			return keyward.Actor{}, keyward.Errorf(keyward.EFORBIDDEN, "the form expired or came from another site; reload the page and try again")
		}
	}
	return a, nil
}

// pageError shows an error page; a missing session goes to the sign-in page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNeedMFA) {
		http.Redirect(w, r, "/login/totp", http.StatusSeeOther)
		return
	}
	if errors.Is(err, errMustChangePassword) {
		http.Redirect(w, r, "/account/new-password", http.StatusSeeOther)
		return
	}
	err = s.classify(err)
	st := Status(err)
	if st == http.StatusUnauthorized {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if st == http.StatusInternalServerError {
		s.log.Error("internal error", "request_id", requestID(r), "route", r.Pattern, "err", err)
	}
	if st == http.StatusServiceUnavailable {
		s.log.Warn("storage unavailable", "request_id", requestID(r), "route", r.Pattern, "err", errors.Unwrap(err))
		w.Header().Set("Retry-After", retryUnavailable)
	}
	if rerr := s.render(w, r, keyward.Actor{}, st, "error", http.StatusText(st), map[string]any{"Status": st, "Message": keyward.ErrorMessage(err)}); rerr != nil {
		http.Error(w, keyward.ErrorMessage(err), st)
	}
}

func (s *Server) setSession(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int((12 * time.Hour).Seconds())})
}

func (s *Server) static(w http.ResponseWriter, r *http.Request, _ keyward.Actor) error {
	sub, _ := fs.Sub(staticFS, "static")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.StripPrefix("/static/", http.FileServerFS(sub)).ServeHTTP(w, r)
	return nil
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// parseForm reads a posted form, so an oversized upload is reported as too
// large rather than as a missing CSRF token.
func parseForm(r *http.Request) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(8 << 20)
	} else {
		err = r.ParseForm()
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return keyward.Invalid("body", fmt.Sprintf("must be at most %d MiB", tooBig.Limit>>20))
	}
	return keyward.Invalid("body", "is not a valid form")
}
