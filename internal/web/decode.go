package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// decode reads one JSON object into v. Before encoding/json sees the body,
// checkJSON refuses what it would let through (a repeated member, a member in
// another letter case, invalid UTF-8 or NUL in a string, a time that is not an
// RFC 3339 string) and names the member by its path; unknown members, wrong
// types, trailing data and oversized bodies are 400s too.
func decode(r *http.Request, v any) error { return decodeBody(r, v, false) }

// decodeOptional is decode for a body that may be left out: an empty body is {}.
func decodeOptional(r *http.Request, v any) error { return decodeBody(r, v, true) }

// noBody is every route that takes no body: it accepts an empty body or {}
// and refuses anything else, as decode would.
func noBody(r *http.Request) error { return decodeBody(r, &struct{}{}, true) }

func decodeBody(r *http.Request, v any, optional bool) error {
	// The body is read as JSON whatever Content-Type says: curl's default
	// form type would otherwise turn a correct request into a 400.
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if optional && len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return nil
	}
	if err := checkJSON(body, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	return nil
}

// readBody reads the whole body (bounded by wrap's MaxBytesReader) into one
// buffer sized by Content-Length when the client sent one.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	n := 512
	if r.ContentLength > 0 && r.ContentLength < maxBody {
		n = int(r.ContentLength) + 1 // +1: the read that sees EOF needs no new buffer
	}
	buf := make([]byte, 0, n)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, decodeError(err)
		}
	}
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return keyward.Invalid("body", "must be a JSON object")
	case errors.As(err, &tooBig):
		return keyward.Invalid("body", fmt.Sprintf("must be at most %d bytes", tooBig.Limit))
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return keyward.Invalid("body", "is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return keyward.Invalid(field, "must be a JSON "+jsonKind(typ.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return keyward.Invalid(name, "is not a known field")
	}
	// checkJSON names a member whose own parser (a time) refuses it; anything
	// else a type refuses is named as the body, never guessed.
	return keyward.Invalid("body", "holds a value its member does not accept")
}

// listOptions reads ?cursor= and ?limit=.
func listOptions(r *http.Request) (keyward.ListOptions, error) {
	opt := keyward.ListOptions{Cursor: r.URL.Query().Get("cursor")}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return opt, keyward.Invalid("limit", "must be a number from 1 to 500")
		}
		opt.Limit = n
	}
	return opt, nil
}
