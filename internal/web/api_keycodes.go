package web

import (
	"context"
	"net/http"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// API handlers of key codes: codes, requests, reveals, incidents,
// exposures, disposal, fleets and the settings.

func (s *Server) createKeyCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.keyCodes.CreateKeyCode)(w, r, a)
}

func (s *Server) getKeyCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.keyCodes.KeyCode)(w, r, a)
}

func (s *Server) listKeyCodes(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := s.keyCodes.ListKeyCodes(r.Context(), a, keyward.KeyCodeFilter{VIN: q.Get("vin"), Disposed: q.Get("disposed")}, opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) listCodeReveals(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	items, err := s.keyCodes.Reveals(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, itemsOf(items))
}

// revealedKeyCode is the answer to an authorized reveal: the one answer
// that holds a key code.
type revealedKeyCode struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
	// Words is the reveal as the log tells it: "code retrieved from …, revealed to … at …".
	Words string `json:"words"`
}

func (s *Server) revealKeyCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.KeyCodeRevealInput
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.keyCodes.RevealKeyCode(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, revealedKeyCode{Code: out.Code.Reveal(), ExpiresAt: out.ExpiresAt, Words: out.Reveal.Words()})
}

func (s *Server) openCodeIncident(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CodeNoteInput
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.keyCodes.OpenIncident(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listCodeIncidents(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	items, err := s.keyCodes.Incidents(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, itemsOf(items))
}

func (s *Server) getCodeIncident(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.keyCodes.Incident)(w, r, a)
}

// withNote is the handler of a change that takes {"note"} on {id}.
// fn is a method expression of keyward.KeyCodes, called on the server's
// service when a request comes.
func withNote[Out any](s *Server, fn func(kc keyward.KeyCodes, ctx context.Context, a keyward.Actor, id string, in keyward.CodeNoteInput) (Out, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		var in keyward.CodeNoteInput
		if err := decode(r, &in); err != nil {
			return err
		}
		out, err := fn(s.keyCodes, r.Context(), a, r.PathValue("id"), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) listCodeExposures(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	open := false
	switch v := r.URL.Query().Get("open"); v {
	case "", "false":
	case "true":
		open = true
	default:
		return keyward.Invalid("open", "must be true or false")
	}
	items, err := s.keyCodes.Exposures(r.Context(), a, open)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, itemsOf(items))
}

func (s *Server) listCodeDisposals(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	p, err := s.keyCodes.Disposals(r.Context(), a, opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) createCodeRequest(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.keyCodes.RequestCode)(w, r, a)
}

func (s *Server) getCodeRequest(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.keyCodes.CodeRequest)(w, r, a)
}

func (s *Server) listCodeRequests(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	p, err := s.keyCodes.CodeRequests(r.Context(), a, r.URL.Query().Get("key_code_id"), queryList(r, "state"), opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) codeEvidence(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CodeEvidenceInput
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.keyCodes.AddEvidence(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) approveCodeRequest(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	out, err := s.keyCodes.ApproveCode(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) createFleet(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.keyCodes.CreateFleet)(w, r, a)
}

func (s *Server) getFleet(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.keyCodes.Fleet)(w, r, a)
}

func (s *Server) listFleets(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	items, err := s.keyCodes.Fleets(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, itemsOf(items))
}

func (s *Server) addFleetVehicle(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.FleetVehicleInput
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.keyCodes.AddFleetVehicle(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) removeFleetVehicle(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	out, err := s.keyCodes.RemoveFleetVehicle(r.Context(), a, r.PathValue("id"), r.PathValue("vin"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCodeSettings(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	out, err := s.keyCodes.CodeSettings(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) setCodeSettings(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CodeSettings
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.keyCodes.SetCodeSettings(r.Context(), a, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// itemList is a list answered whole: {"items": […]}.
type itemList[T any] struct {
	Items []T `json:"items"`
}

func itemsOf[T any](items []T) itemList[T] {
	if items == nil {
		items = []T{}
	}
	return itemList[T]{Items: items}
}
