package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// maxBody bounds every request body; imports have a larger limit.
const maxBody = 1 << 20

// wrap authenticates, applies the route's policy and turns a returned error
// into a problem response (API) or an error page (UI).
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			limit := int64(maxBody)
			if strings.HasSuffix(rt.pattern, "/imports") {
				limit = maxImport // the import handler reports the same limit by name
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if err := checkRequestText(r); err != nil { // input.go: before any SQL
			s.fail(w, r, rt, err)
			return
		}
		var a keyward.Actor
		if rt.action != keyward.ActPublic {
			var err error
			if rt.page {
				a, err = s.pageActor(w, r)
			} else {
				a, err = s.bearerActor(r)
			}
			if err != nil {
				s.fail(w, r, rt, err)
				return
			}
			if !rt.page {
				if ok, wait := s.limiter.allow(r.Header.Get("Authorization"), s.now()); !ok {
					secs, err := tooMany(wait)
					w.Header().Set("Retry-After", secs)
					s.fail(w, r, rt, err)
					return
				}
			}
			setLogUser(r, a.Email)
			if rt.page && a.MustChangePassword && !beforeOwnPassword[rt.pattern] {
				s.fail(w, r, rt, errMustChangePassword)
				return
			}
			if !keyward.Allowed(a.Role, rt.action) {
				err := keyward.Authorize(a, rt.action)
				if r.Method != http.MethodGet {
					// A refused change is recorded, like any other attempt.
					if rerr := s.audit.RecordDenial(r.Context(), a, rt.action, r.URL.Path); rerr != nil {
						err = rerr
					}
				}
				s.fail(w, r, rt, err)
				return
			}
		}
		if rt.page {
			if err := checkFormText(r); err != nil { // input.go: after the session, before the handler
				s.fail(w, r, rt, err)
				return
			}
		}
		if !rt.page && r.Header.Get("Idempotency-Key") != "" {
			if rt.secret {
				// A stored replay would keep the secret in the database.
				s.fail(w, r, rt, noReplay(r))
				return
			}
			if r.Method == http.MethodPost {
				s.idempotent(w, r, a, rt)
				return
			}
		}
		if err := rt.h(w, r, a); err != nil {
			s.fail(w, r, rt, err)
		}
	})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, rt route, err error) {
	if rt.page {
		s.pageError(w, r, err)
		return
	}
	s.problem(w, r, err)
}

// bearerActor resolves Authorization: Bearer TOKEN.
func (s *Server) bearerActor(r *http.Request) (keyward.Actor, error) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return keyward.Actor{}, keyward.Errorf(keyward.EUNAUTHORIZED, "missing API token: send Authorization: Bearer TOKEN")
	}
	return s.accounts.TokenActor(r.Context(), strings.TrimSpace(tok))
}

// idempotent replays the stored response of an earlier request with the same
// Idempotency-Key from the same user, so a retried POST does not act twice.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, a keyward.Actor, rt route) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		s.problem(w, r, keyward.Invalid("Idempotency-Key", "must be at most 200 characters"))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.problem(w, r, keyward.Invalid("body", "is too large"))
		return
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"), body...))
	reqHash := hex.EncodeToString(sum[:])
	claimed, prev, err := s.idempotency.ClaimIdempotency(r.Context(), a.UserID, key, reqHash)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if !claimed {
		switch {
		case prev.RequestHash != reqHash:
			s.problem(w, r, keyward.Errorf(keyward.EUNPROCESSABLE, "Idempotency-Key was already used for a different request"))
		case prev.Status == 0:
			s.problem(w, r, keyward.Errorf(keyward.ECONFLICT, "a request with this Idempotency-Key is still being processed; retry shortly"))
		default:
			w.Header().Set("Content-Type", storedContentType(prev))
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(prev.Status)
			_, _ = w.Write([]byte(prev.Body))
		}
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &recorder{header: http.Header{}}
	if err := rt.h(rec, r, a); err != nil {
		s.problem(rec, r, err)
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if err := s.idempotency.FinishIdempotency(r.Context(), a.UserID, key, rec.status, rec.body.String()); err != nil {
		s.log.Error("idempotency: store response", "request_id", requestID(r), "err", err)
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// noReplay refuses Idempotency-Key on a route whose request or answer holds a
// secret: the replay record would keep the answer (a token, a password, a
// code) and a hash of the request (from which a short PIN or code is guessed)
// in the database, its WAL and every backup.
func noReplay(r *http.Request) error {
	if r.Header.Get("Idempotency-Key") != "" {
		return keyward.Invalid("Idempotency-Key", "is not accepted where the request or the answer holds a secret; such a request is never replayed")
	}
	return nil
}

// storedContentType is problem+json for a stored error, JSON otherwise.
func storedContentType(r *keyward.StoredResponse) string {
	if r.Status >= 400 {
		return "application/problem+json"
	}
	return "application/json"
}
