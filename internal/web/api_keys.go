package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.custody.CreateKey)(w, r, a)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return list(func(r *http.Request, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.Key], error) {
		q := r.URL.Query()
		return s.custody.Keys(r.Context(), a, keyward.KeyFilter{Symbol: q.Get("symbol"), Status: q.Get("status"),
			HolderID: q.Get("holder_id"), Query: q.Get("q"), ListOptions: opt})
	})(w, r, a)
}

func (s *Server) getKey(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.custody.Key)(w, r, a)
}

func (s *Server) keyHistory(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return list(func(r *http.Request, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.Event], error) {
		return s.custody.History(r.Context(), a, r.PathValue("id"), opt)
	})(w, r, a)
}

// apiMove is the API handler of a custody move (keyward.CustodyMoves):
// check-out and check-in take their own bodies, the others a CustodyInput;
// the answer to a lost key adds what it opens and the next step.
func (s *Server) apiMove(action string) handler {
	switch action {
	case keyward.CustodyCheckout:
		return s.checkoutKey
	case keyward.CustodyCheckin:
		return s.checkinKey
	case keyward.CustodyLost:
		return s.reportKeyLost
	}
	return s.moveKey(action)
}

func (s *Server) checkoutKey(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CheckoutInput
	if err := decode(r, &in); err != nil {
		return err
	}
	k, err := s.custody.Checkout(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, k)
}

func (s *Server) checkinKey(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CheckinInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	k, err := s.custody.Checkin(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, k)
}

// moveKey serves issue, return, transfer, found and destroy.
func (s *Server) moveKey(action string) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		var in keyward.CustodyInput
		if err := decodeOptional(r, &in); err != nil {
			return err
		}
		k, err := s.custody.Move(r.Context(), a, r.PathValue("id"), action, in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, k)
	}
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return list(func(r *http.Request, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.AuditRecord], error) {
		q := r.URL.Query()
		return s.audit.Audit(r.Context(), a, keyward.AuditFilter{Action: q.Get("action"), Actor: q.Get("actor"), SubjectID: q.Get("subject_id"), SubjectType: q.Get("subject_type"), ListOptions: opt})
	})(w, r, a)
}

func (s *Server) updateKey(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.KeyPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	k, err := s.custody.UpdateKey(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, k)
}
