package web

import (
	"net/http"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// API handlers of duplication control: copy requests, signatories, the
// authorization card and the copy settings.

func (s *Server) createCopyRequest(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.duplication.RequestCopies)(w, r, a)
}

func (s *Server) listCopyRequests(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	p, err := s.duplication.CopyRequests(r.Context(), a, queryList(r, "state"), opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) getCopyRequest(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.duplication.CopyRequest)(w, r, a)
}

func (s *Server) copyEvidence(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CopyEvidenceInput
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.duplication.AcceptEvidence(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// copyStep is the handler of a step that takes no body: approve, produce.
func (s *Server) copyStep(step string) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		if err := noBody(r); err != nil {
			return err
		}
		var out *keyward.CopyRequest
		var err error
		switch step {
		case keyward.CopyStepApprove:
			out, err = s.duplication.Approve(r.Context(), a, r.PathValue("id"))
		case keyward.CopyStepProduce:
			out, err = s.duplication.Produce(r.Context(), a, r.PathValue("id"))
		default:
			return keyward.Errorf(keyward.EINTERNAL, "copy step %q takes a body", step)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// copyDecision is the handler of a step with a reason: deny, escalate, cancel.
func (s *Server) copyDecision(step string) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		var in keyward.CopyDecisionInput
		if err := decode(r, &in); err != nil {
			return err
		}
		decide := s.duplication.Cancel
		switch step {
		case keyward.CopyStepDeny:
			decide = s.duplication.Deny
		case keyward.CopyStepEscalate:
			decide = s.duplication.Escalate
		}
		out, err := decide(r.Context(), a, r.PathValue("id"), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) copyHandOver(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.HandOverInput
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.duplication.HandOver(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getKeywayControl(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.duplication.KeywayControl)(w, r, a)
}

func (s *Server) addSignatory(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.SignatoryInput
	if err := decode(r, &in); err != nil {
		return err
	}
	sg, err := s.duplication.AddSignatory(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, sg)
}

func (s *Server) removeSignatory(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.duplication.RemoveSignatory(r.Context(), a, r.PathValue("id"), r.PathValue("holder_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) setAuthorizationCard(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CardInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.duplication.SetCard(r.Context(), a, r.PathValue("id"), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getCopySettings(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	set, err := s.duplication.CopySettings(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}

func (s *Server) setCopySettings(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CopySettings
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.duplication.SetCopySettings(r.Context(), a, in); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, in)
}

// joinCodes lists values for a description: a`, `b`, `c (the caller adds the outer backquotes).
func joinCodes(values []string) string { return strings.Join(values, "`, `") }

// queryList reads a list parameter given as repeats, commas or both
// (?state=a,b&state=c), without blanks.
func queryList(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, it := range strings.Split(v, ",") {
			if it = strings.TrimSpace(it); it != "" {
				out = append(out, it)
			}
		}
	}
	return out
}
