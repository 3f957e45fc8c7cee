package web

import (
	"net/http"
	"slices"
	"strings"

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

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	hook, err := s.webhooks.Webhook(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hook)
}

// updateWebhook applies a patch; a new URL passes the same network check as a new webhook's.
func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var p keyward.WebhookPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	hook, err := s.patchWebhook(r, a, r.PathValue("id"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hook)
}

func (s *Server) patchWebhook(r *http.Request, a keyward.Actor, id string, p keyward.WebhookPatch) (*keyward.Webhook, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.URL != nil {
		if err := notify.CheckURL(r.Context(), *p.URL, s.allowPriv); err != nil {
			return nil, err
		}
	}
	return s.webhooks.UpdateWebhook(r.Context(), a, id, p)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.webhooks.DeleteWebhook(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TestResult is how a test email or test event went.
type TestResult struct {
	DeliveryID string `json:"delivery_id"`
	// Status: "sent"; "failed" (Error says why, in words); "queued" when this
	// server sends tests on its schedule instead of at once.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// sendNow delivers a queued test at once when the server can.
func (s *Server) sendNow(r *http.Request, id string) TestResult {
	res := TestResult{DeliveryID: id, Status: "queued"}
	if s.deliverer == nil {
		return res
	}
	if err := s.deliverer.DeliverNow(r.Context(), id); err != nil {
		res.Status, res.Error = "failed", err.Error()
		return res
	}
	res.Status = "sent"
	return res
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	id, err := s.webhooks.QueueWebhookTest(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.sendNow(r, id))
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if _, err := s.webhooks.Webhook(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	ds, err := s.webhooks.Deliveries(r.Context(), a, r.PathValue("id"), 50)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.DeliveryRecord]{Items: ds})
}

// NotificationSettings is the notification settings as the API answers them.
type NotificationSettings struct {
	Email      EmailStatus             `json:"email"`
	Recipients []keyward.RecipientRule `json:"recipients"`
}

// EmailStatus says whether email is set up and how the latest emails went.
type EmailStatus struct {
	// Configured is unknown (false) on a server that sends on its schedule only.
	Configured bool                  `json:"configured"`
	Health     keyward.ChannelHealth `json:"health"`
}

func (s *Server) emailStatus(r *http.Request, a keyward.Actor) (EmailStatus, error) {
	h, err := s.notifications.EmailHealth(r.Context(), a)
	if err != nil {
		return EmailStatus{}, err
	}
	return EmailStatus{Configured: s.deliverer != nil && s.deliverer.EmailConfigured(), Health: *h}, nil
}

func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	st, err := s.emailStatus(r, a)
	if err != nil {
		return err
	}
	rules, err := s.notifications.Recipients(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NotificationSettings{Email: st, Recipients: rules})
}

// RecipientsInput is who gets email for one event.
type RecipientsInput struct {
	Holder    bool           `json:"holder"`
	Roles     []keyward.Role `json:"roles"`
	Addresses []string       `json:"addresses"`
}

func (s *Server) setRecipients(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in RecipientsInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if !slices.Contains(keyward.WebhookEvents, r.PathValue("event")) {
		return keyward.Errorf(keyward.ENOTFOUND, "no event %q: events are %s", r.PathValue("event"), strings.Join(keyward.WebhookEvents, ", "))
	}
	rule, err := s.notifications.SetRecipients(r.Context(), a, keyward.RecipientRule{Event: r.PathValue("event"), Holder: in.Holder, Roles: in.Roles, Addresses: in.Addresses})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rule)
}

func (s *Server) testEmail(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	id, err := s.notifications.QueueTestEmail(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.sendNow(r, id))
}
