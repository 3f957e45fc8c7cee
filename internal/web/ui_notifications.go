package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/notify"
)

// The notification settings page: email status and a test email, who gets
// email for which event, and the webhooks with their deliveries.

// roleWords names each role as the recipients form lists it.
var roleWords = map[keyward.Role]string{
	keyward.RoleOwner: "Owners", keyward.RoleAdmin: "Admins", keyward.RoleManager: "Managers",
	keyward.RoleAdvisor: "Advisors (service desk)", keyward.RoleTechnician: "Technicians", keyward.RoleAuditor: "Auditors",
}

type choice struct {
	Value, Label string
	Checked      bool
}

type recipientsView struct {
	Event, Words string
	HolderEvent  bool
	Holder       bool
	Roles        []choice
	Addresses    string
	Failed       bool // the form the error on the page belongs to
}

type webhookRow struct {
	keyward.Webhook
	EventWords []string
}

type notificationsView struct {
	EmailConfigured bool
	Email           keyward.ChannelHealth
	Me              string
	Recipients      []recipientsView
	Webhooks        []webhookRow
	Events          []choice // for the add form
	New             keyward.WebhookInput
}

func eventChoices(checked []string) []choice {
	out := make([]choice, 0, len(keyward.WebhookEvents))
	for _, e := range keyward.WebhookEvents {
		out = append(out, choice{Value: e, Label: keyward.EventWords(e), Checked: slices.Contains(checked, e)})
	}
	return out
}

func eventWordsOf(events []string) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = keyward.EventWords(e)
	}
	return out
}

func (s *Server) notificationsView(r *http.Request, a keyward.Actor, failedEvent string, posted *keyward.RecipientRule) (*notificationsView, error) {
	v := &notificationsView{Me: a.Email, Events: eventChoices([]string{keyward.EventCheckoutOverdue, keyward.EventKeyLost})}
	st, err := s.emailStatus(r, a)
	if err != nil {
		return nil, err
	}
	v.EmailConfigured, v.Email = st.Configured, st.Health
	rules, err := s.notifications.Recipients(r.Context(), a)
	if err != nil {
		return nil, err
	}
	for _, rule := range rules {
		if posted != nil && rule.Event == posted.Event {
			rule = *posted // show what was typed, with its error
		}
		rv := recipientsView{Event: rule.Event, Words: keyward.EventWords(rule.Event), Holder: rule.Holder,
			HolderEvent: slices.Contains(keyward.HolderEvents, rule.Event), Addresses: strings.Join(rule.Addresses, ", "), Failed: rule.Event == failedEvent}
		for _, role := range keyward.RecipientRoles {
			rv.Roles = append(rv.Roles, choice{Value: string(role), Label: roleWords[role], Checked: slices.Contains(rule.Roles, role)})
		}
		v.Recipients = append(v.Recipients, rv)
	}
	hooks, err := s.webhooks.Webhooks(r.Context(), a)
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		v.Webhooks = append(v.Webhooks, webhookRow{Webhook: h, EventWords: eventWordsOf(h.Events)})
	}
	return v, nil
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	v, err := s.notificationsView(r, a, "", nil)
	if err != nil {
		return err
	}
	return s.render(w, r, a, http.StatusOK, "notifications", "Notifications", v)
}

// renderNotifications shows the page again with err's message (and, for a
// recipients form, its fields).
func (s *Server) renderNotifications(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, ferr error, fix func(*notificationsView), failedEvent string, posted *keyward.RecipientRule) error {
	v, err := s.notificationsView(r, a, failedEvent, posted)
	if err != nil {
		return err
	}
	if fix != nil {
		fix(v)
	}
	return s.render(w, r, a, status, "notifications", "Notifications", newFormError(ferr, v))
}

func (s *Server) notificationsTestEmail(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	id, err := s.notifications.QueueTestEmail(r.Context(), a)
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderNotifications(w, r, a, st, err, nil, "", nil) })
	}
	res := s.sendNow(r, id)
	switch res.Status {
	case "sent":
		return redirectFlash(w, r, "/settings/notifications", "Test email sent to "+a.Email+". Check your inbox (and the spam folder).")
	case "queued":
		return redirectFlash(w, r, "/settings/notifications", "Test email to "+a.Email+" is queued and goes out within a minute.")
	}
	msg := keyward.Errorf(keyward.ECONFLICT, "The test email to %s could not be sent: %s", a.Email, res.Error)
	return s.renderNotifications(w, r, a, http.StatusOK, msg, nil, "", nil)
}

// splitAddresses reads addresses separated by commas, semicolons, spaces or lines.
func splitAddresses(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
}

func (s *Server) notificationsRecipients(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	rule := keyward.RecipientRule{Event: r.PostFormValue("event"), Holder: r.PostFormValue("holder") == "1",
		Addresses: splitAddresses(r.PostFormValue("addresses")), Roles: []keyward.Role{}}
	for _, role := range r.PostForm["roles"] {
		rule.Roles = append(rule.Roles, keyward.Role(role))
	}
	if _, err := s.notifications.SetRecipients(r.Context(), a, rule); err != nil {
		return formRefused(err, func(st int) error { return s.renderNotifications(w, r, a, st, err, nil, rule.Event, &rule) })
	}
	return redirect(w, r, "/settings/notifications?flash="+url.QueryEscape("Saved who gets email when: "+strings.ToLower(keyward.EventWords(rule.Event))+".")+"#recipients")
}

func (s *Server) notificationsAddWebhook(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.WebhookInput{URL: strings.TrimSpace(r.PostFormValue("url")), Secret: r.PostFormValue("secret"), Events: r.PostForm["events"]}
	refused := func(err error) error {
		return formRefused(err, func(st int) error {
			return s.renderNotifications(w, r, a, st, err, func(v *notificationsView) {
				v.New, v.Events = keyward.WebhookInput{URL: in.URL, Events: in.Events}, eventChoices(in.Events)
			}, "", nil)
		})
	}
	if err := in.Validate(); err != nil {
		return refused(err)
	}
	if err := notify.CheckURL(r.Context(), in.URL, s.allowPriv); err != nil {
		return refused(err)
	}
	hook, err := s.webhooks.CreateWebhook(r.Context(), a, in)
	if err != nil {
		return refused(err)
	}
	return redirectFlash(w, r, "/settings/notifications/webhooks/"+hook.ID, "Webhook added. Send a test event to check that it arrives.")
}

type webhookView struct {
	Hook       keyward.Webhook
	EventWords []string
	Events     []choice
	Deliveries []deliveryRow
}

type deliveryRow struct {
	keyward.DeliveryRecord
	Words string
}

func (s *Server) webhookView(r *http.Request, a keyward.Actor, id string) (*webhookView, error) {
	h, err := s.webhooks.Webhook(r.Context(), a, id)
	if err != nil {
		return nil, err
	}
	ds, err := s.webhooks.Deliveries(r.Context(), a, id, 20)
	if err != nil {
		return nil, err
	}
	v := &webhookView{Hook: *h, EventWords: eventWordsOf(h.Events), Events: eventChoices(h.Events)}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, deliveryRow{DeliveryRecord: d, Words: keyward.EventWords(d.Event)})
	}
	return v, nil
}

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	v, err := s.webhookView(r, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, a, http.StatusOK, "webhook", "Webhook", v)
}

func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, ferr error, fix func(*webhookView)) error {
	v, err := s.webhookView(r, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if fix != nil {
		fix(v)
	}
	return s.render(w, r, a, status, "webhook", "Webhook", newFormError(ferr, v))
}

func (s *Server) webhookEdit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	to, events := strings.TrimSpace(r.PostFormValue("url")), r.PostForm["events"]
	p := keyward.WebhookPatch{URL: &to, Events: events}
	if p.Events == nil {
		p.Events = []string{} // none ticked: refused, naming events
	}
	if sec := r.PostFormValue("secret"); sec != "" {
		p.Secret = &sec
	}
	if _, err := s.patchWebhook(r, a, r.PathValue("id"), p); err != nil {
		return formRefused(err, func(st int) error {
			return s.renderWebhook(w, r, a, st, err, func(v *webhookView) { v.Hook.URL, v.Events = to, eventChoices(events) })
		})
	}
	return redirectFlash(w, r, "/settings/notifications/webhooks/"+r.PathValue("id"), "Saved.")
}

func (s *Server) webhookPaused(w http.ResponseWriter, r *http.Request, a keyward.Actor, paused bool, msg string) error {
	if _, err := s.webhooks.UpdateWebhook(r.Context(), a, r.PathValue("id"), keyward.WebhookPatch{Paused: &paused}); err != nil {
		return err
	}
	return redirectFlash(w, r, "/settings/notifications/webhooks/"+r.PathValue("id"), msg)
}

func (s *Server) webhookPause(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.webhookPaused(w, r, a, true, "Paused: no new events are sent to it until you resume it.")
}

func (s *Server) webhookResume(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.webhookPaused(w, r, a, false, "Resumed: events are sent to it again, starting with any that waited.")
}

func (s *Server) webhookDelete(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := s.webhooks.DeleteWebhook(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	return redirectFlash(w, r, "/settings/notifications", "Webhook deleted.")
}

func (s *Server) webhookTest(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	id, err := s.webhooks.QueueWebhookTest(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	res := s.sendNow(r, id)
	switch res.Status {
	case "sent":
		return redirectFlash(w, r, "/settings/notifications/webhooks/"+r.PathValue("id"), "Test event delivered: the receiving server accepted it.")
	case "queued":
		return redirectFlash(w, r, "/settings/notifications/webhooks/"+r.PathValue("id"), "Test event queued; it goes out within a minute.")
	}
	return s.renderWebhook(w, r, a, http.StatusOK, keyward.Errorf(keyward.ECONFLICT, "The test event was not delivered: %s", res.Error), nil)
}
