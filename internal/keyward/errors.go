// Package keyward holds Keyward's domain types, the service contracts the
// store implements, the error vocabulary and the policy table. It imports
// nothing of ours, so every other package can depend on it.
package keyward

import (
	"errors"
	"fmt"
	"strings"
)

// Code is an error kind that stays stable across the store, the API and the CLI.
type Code string

const (
	EINVALID       Code = "invalid"
	EUNAUTHORIZED  Code = "unauthorized"
	EFORBIDDEN     Code = "forbidden"
	ENOTFOUND      Code = "not_found"
	ECONFLICT      Code = "conflict"
	EUNPROCESSABLE Code = "unprocessable"
	ETOOMANY       Code = "too_many_requests"
	EMETHOD        Code = "method_not_allowed" // the route exists, not with this method
	// EUNAVAILABLE: the storage cannot answer for now (the database is
	// restarting or out of reach, its disk is full); the same request may
	// work later, and nothing of it was written.
	EUNAVAILABLE Code = "unavailable"
	EINTERNAL    Code = "internal"
)

// FieldError names one input field and the rule it broke.
type FieldError struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

// Error is the one error type that carries a user-facing message. Err is the
// cause: it is logged, never sent to a client.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// Extra members added to the problem body (e.g. import row errors).
	Extra map[string]any
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, " [%s: %s]", f.Field, f.Rule)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given code with a formatted user message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds an EINVALID error for one field.
func Invalid(field, rule string) *Error {
	return &Error{Code: EINVALID, Message: field + ": " + rule, Fields: []FieldError{{Field: field, Rule: rule}}}
}

// ErrorCode returns the code of err, EINTERNAL for anything that is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the user message of err; internal errors never show their cause.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Validator collects field errors so a request reports all of them at once.
type Validator struct{ fields []FieldError }

// Check records rule for field unless ok.
func (v *Validator) Check(ok bool, field, rule string) {
	if !ok {
		v.fields = append(v.fields, FieldError{Field: field, Rule: rule})
	}
}

// Err returns nil or an EINVALID error listing every failed check.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msgs := make([]string, len(v.fields))
	for i, f := range v.fields {
		msgs[i] = f.Field + ": " + f.Rule
	}
	return &Error{Code: EINVALID, Message: strings.Join(msgs, "; "), Fields: v.fields}
}
