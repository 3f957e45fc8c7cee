package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

func (s *Server) createKeySystem(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.KeySystemInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ks, err := s.keySystems.CreateKeySystem(r.Context(), a, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ks)
}

func (s *Server) listKeySystems(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	items, err := s.keySystems.KeySystems(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.KeySystemSummary]{Items: items})
}

func (s *Server) getKeySystem(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ks, err := s.keySystems.KeySystem(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ks)
}

func (s *Server) revealBittings(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.RevealInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	items, err := s.keySystems.Reveal(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.RevealedBitting]{Items: items})
}

func (s *Server) assignOpening(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.AssignInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.keySystems.Assign(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) getCylinder(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	c, err := s.keySystems.Cylinder(r.Context(), a, r.PathValue("id"), r.PathValue("opening"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) revealPinning(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.PinningRevealInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	c, err := s.keySystems.RevealPinning(r.Context(), a, r.PathValue("id"), r.PathValue("opening"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) getKeyAudit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ks, err := s.keySystems.KeySystem(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if ks.Audit == nil {
		return writeJSON(w, http.StatusOK, keyward.KeyAudit{Findings: []keyward.AuditFinding{}})
	}
	return writeJSON(w, http.StatusOK, ks.Audit)
}

func (s *Server) runKeyAudit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	au, err := s.keySystems.RunAudit(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, au)
}

func (s *Server) reportLostKey(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.LostKeyInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.keySystems.ReportLost(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) getRekeyPlan(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.keySystems.Plan(r.Context(), a, r.PathValue("id"), r.PathValue("plan"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) completePlanItem(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.ItemDoneInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.keySystems.CompleteItem(r.Context(), a, r.PathValue("id"), r.PathValue("plan"), r.PathValue("item"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
