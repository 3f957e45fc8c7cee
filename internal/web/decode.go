package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// decode reads one JSON object into v: unknown fields, wrong types, trailing
// data and oversized bodies are 400s that name the field.
func decode(r *http.Request, v any) error {
	// The body is read as JSON whatever Content-Type says: curl's default
	// form type would otherwise turn a correct request into a 400.
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return keyward.Invalid("body", "must be a single JSON object")
	}
	return nil
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
		return keyward.Invalid(field, "must be a JSON "+jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return keyward.Invalid(name, "is not a known field")
	}
	// Time values (due_at) fail their own parse.
	var perr interface{ Error() string }
	if errors.As(err, &perr) && strings.Contains(err.Error(), "parsing time") {
		return keyward.Invalid("due_at", "must be an RFC 3339 time such as 2026-05-01T17:00:00Z")
	}
	return keyward.Invalid("body", "is not valid JSON")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "float64", "uint":
		return "number"
	case "slice":
		return "array"
	}
	return "object"
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
