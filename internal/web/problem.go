package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

var statusOf = map[keyward.Code]int{
	keyward.EINVALID:       http.StatusBadRequest,
	keyward.EUNAUTHORIZED:  http.StatusUnauthorized,
	keyward.EFORBIDDEN:     http.StatusForbidden,
	keyward.ENOTFOUND:      http.StatusNotFound,
	keyward.ECONFLICT:      http.StatusConflict,
	keyward.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	keyward.ETOOMANY:       http.StatusTooManyRequests,
	keyward.EMETHOD:        http.StatusMethodNotAllowed,
	keyward.EUNAVAILABLE:   http.StatusServiceUnavailable,
}

// retryUnavailable is the Retry-After of a 503: a restarting database is
// usually back within seconds.
const retryUnavailable = "2"

// classify asks the storage whether an internal error means it cannot
// answer for now (a 503 with Retry-After, not a 500).
func (s *Server) classify(err error) error {
	if s.health != nil && keyward.ErrorCode(err) == keyward.EINTERNAL {
		return s.health.Unavailable(err)
	}
	return err
}

// Status is the HTTP status of an error: the one place that decides it.
func Status(err error) int {
	if st, ok := statusOf[keyward.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// problem writes an RFC 9457 problem+json body. Internal errors are logged
// with their cause and answered with "Internal error." only.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	err = s.classify(err)
	st := Status(err)
	body := map[string]any{
		"type":   "about:blank",
		"title":  http.StatusText(st),
		"status": st,
		"detail": keyward.ErrorMessage(err),
	}
	if rid := requestID(r); rid != "" {
		body["instance"] = "urn:keyward:request:" + rid
	}
	var e *keyward.Error
	if errors.As(err, &e) {
		if len(e.Fields) > 0 {
			body["errors"] = e.Fields
		}
		for k, v := range e.Extra {
			body[k] = v
		}
	}
	if st == http.StatusInternalServerError {
		s.log.Error("internal error", "request_id", requestID(r), "route", r.Pattern, "err", err)
	} else if e != nil && e.Err != nil {
		s.log.Warn("request refused", "request_id", requestID(r), "route", r.Pattern, "err", e.Err)
	}
	if st == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="keyward"`)
	}
	if st == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryUnavailable)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(st)
	_ = json.NewEncoder(w).Encode(body)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// problemBody documents the body problem writes: the OpenAPI document's
// Problem schema. A test validates real error answers against it.
type problemBody struct {
	Type     string               `json:"type"`
	Title    string               `json:"title"`
	Status   int                  `json:"status"`
	Detail   string               `json:"detail"`
	Instance string               `json:"instance,omitempty"`
	Errors   []keyward.FieldError `json:"errors,omitempty"`
}

// emptyInput is the body of a route that takes none: empty, or {}.
type emptyInput struct{}
