package web

import (
	"context"
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// revealing wraps every handler that shows a secret (a lockbox code, a PIN,
// bittings, a pinning chart, and key codes as they come), API and page
// alike: it is the web's one place for keyward.MayReveal's outcome. The
// store's gate decides; this says it to the person:
//
//   - in a grace period, the answer carries the warning with the deadline
//     (the page's notice, the API's Keyward-Notice header);
//   - refused for a missing authenticator, a page shows "Set up your
//     authenticator app to see codes" with the link (403); the API answers
//     403 with the rule (authenticator_required) and the deadline.
func (s *Server) revealing(page bool, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		st, err := s.accounts.RevealStanding(r.Context(), a)
		if err != nil {
			return err
		}
		if msg := st.GraceWarning(s.now()); msg != "" {
			w.Header().Set("Keyward-Notice", msg)
			r = r.WithContext(context.WithValue(r.Context(), ctxRevealNotice, msg))
		}
		err = h(w, r, a)
		if page && keyward.IsAuthenticatorRequired(err) {
			return s.render(w, r, a, http.StatusForbidden, "enrol_to_reveal", "Set up your authenticator app to see codes",
				map[string]any{"Message": keyward.ErrorMessage(err), "Deadline": st.Deadline})
		}
		return err
	}
}

// revealNotice is the grace-period warning revealing put on the request.
func revealNotice(r *http.Request) string {
	msg, _ := r.Context().Value(ctxRevealNotice).(string)
	return msg
}
