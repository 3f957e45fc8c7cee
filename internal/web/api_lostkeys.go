package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// lostKeyReply is the answer of POST /api/v1/keys/{id}/lost: the key after
// the move, as before, and for those who may read the inventory what it opens
// now and the next step.
type lostKeyReply struct {
	keyward.Key
	LostKey *keyward.LostKey `json:"lost_key,omitempty"`
}

// reportKeyLost is the lost move of the API with the lost key's doors added.
// The move has committed when they are read: a failure to read them is
// logged and leaves them out, it does not turn the move into an error.
func (s *Server) reportKeyLost(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CustodyInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	k, err := s.custody.Move(r.Context(), a, r.PathValue("id"), keyward.CustodyLost, in)
	if err != nil {
		return err
	}
	out := lostKeyReply{Key: *k}
	if keyward.Allowed(a.Role, keyward.ActInventoryRead) {
		lk, err := s.lostKeys.LostKey(r.Context(), a, k.ID)
		if err != nil {
			s.log.Error("lost key: reading its doors", "request_id", requestID(r), "key_id", k.ID, "err", err)
		} else {
			out.LostKey = lk
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getLostKey(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.lostKeys.LostKey)(w, r, a)
}

func (s *Server) createWorkList(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.lostKeys.CreateWorkList)(w, r, a)
}

func (s *Server) listWorkLists(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ls, err := s.lostKeys.WorkLists(r.Context(), a, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.WorkList]{Items: ls})
}

func (s *Server) getWorkList(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.lostKeys.WorkList)(w, r, a)
}

func (s *Server) completeWorkItem(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.ItemDoneInput
	if err := decode(r, &in); err != nil {
		return err
	}
	wl, err := s.lostKeys.CompleteWorkItem(r.Context(), a, r.PathValue("id"), r.PathValue("item"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wl)
}

func (s *Server) listOpenWork(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	work, err := s.lostKeys.OpenWork(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.OpenWork]{Items: work})
}
