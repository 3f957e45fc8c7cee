package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/notify"
)

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.WebhookInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if err := notify.CheckURL(r.Context(), in.URL, s.allowPriv); err != nil {
		return err
	}
	hook, err := s.webhooks.CreateWebhook(r.Context(), a, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, hook)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	hooks, err := s.webhooks.Webhooks(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.Webhook]{Items: hooks})
}
