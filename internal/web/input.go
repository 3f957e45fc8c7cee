package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/keyward"
)

// Every text a request carries to the store must be UTF-8 without NUL:
// PostgreSQL refuses anything else (SQLSTATE 22021) and SQLite would keep it,
// so the two would answer differently. These checks run in wrap before any
// SQL, on every route; JSON bodies are checked by checkJSON in decode.

// cleanText reports whether s is UTF-8 text without NUL.
func cleanText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkRequestText checks what arrives before the body: the path (an id that
// cannot be read is an unknown id, a 404), every query parameter and the
// Idempotency-Key header (each a 400 naming it).
func checkRequestText(r *http.Request) error {
	if !cleanText(r.URL.Path) {
		return keyward.Errorf(keyward.ENOTFOUND, "not found: the path is not UTF-8 text")
	}
	if r.URL.RawQuery != "" {
		q, _ := url.ParseQuery(r.URL.RawQuery) // a malformed pair is dropped, as r.URL.Query() does
		if err := checkValues(q, "query"); err != nil {
			return err
		}
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" && !cleanText(k) {
		return keyward.Invalid("Idempotency-Key", ruleText)
	}
	return nil
}

// checkFormText checks a posted form (page routes): every field's values and
// the names of uploaded files. It parses the form, as pageActor does for CSRF.
func checkFormText(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if err := parseForm(r); err != nil {
		return err
	}
	if err := checkValues(r.PostForm, "form"); err != nil {
		return err
	}
	if r.MultipartForm != nil {
		for name, files := range r.MultipartForm.File {
			for _, f := range files {
				if !cleanText(f.Filename) {
					return keyward.Invalid(name, "file names "+ruleText)
				}
			}
		}
	}
	return nil
}

// checkValues names the first parameter whose name or value is not clean
// text; what says where a bad name was found ("query" or "form").
func checkValues(vs url.Values, what string) error {
	for name, values := range vs {
		if !cleanText(name) {
			return keyward.Invalid(what, "parameter names "+ruleText)
		}
		for _, v := range values {
			if !cleanText(v) {
				return keyward.Invalid(name, ruleText)
			}
		}
	}
	return nil
}
