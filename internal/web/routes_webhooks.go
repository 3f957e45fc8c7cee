package web

import "github.com/keyward/keyward/internal/keyward"

const eventsDoc = "Events: `checkout.overdue` (a check-out became overdue), `key.lost`, `key.found`, `seal.broken` (a sealed envelope opened), `secret.revealed` (a lockbox code, credential PIN, bittings or pinning chart was revealed: what, by whom and why, never the secret) and `offboarding.opened`."

// webhookRoutes are the webhooks that receive events such as
// checkout.overdue, who gets email for which event, and the notification
// settings page.
func (s *Server) webhookRoutes() []route {
	return []route{
		secret(api("POST /api/v1/webhooks", keyward.ActWebhookManage, s.createWebhook)).describe(opDoc{
			id: "createWebhook", tag: "webhooks", summary: "Subscribe a URL to events",
			desc: "A delivery is a `POST` of JSON `{\"event\", \"at\", \"data\"}` with the header `X-Keyward-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>`. Every event is queued in the transaction of the change that causes it and delivered exactly once, however many servers share the database; `checkout.overdue` exactly once per overdue check-out. " + eventsDoc + " A URL that resolves to a loopback or private address is a 400 unless the server runs with `KEYWARD_ALLOW_PRIVATE_WEBHOOKS=1`. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.WebhookInput{},
			out:  []reply{{201, "Created: the new webhook.", keyward.Webhook{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/webhooks", keyward.ActWebhookManage, s.listWebhooks).describe(opDoc{
			id: "listWebhooks", tag: "webhooks", summary: "List webhook subscriptions",
			out:  []reply{{200, "Every subscription with its health. Not paginated; secrets are never shown.", keyward.Page[keyward.Webhook]{}, ""}},
			errs: []int{401, 403},
		}),
		api("GET /api/v1/webhooks/{id}", keyward.ActWebhookManage, s.getWebhook).describe(opDoc{
			id: "getWebhook", tag: "webhooks", summary: "One webhook subscription",
			out:  []reply{{200, "The subscription with its health; never its secret.", keyward.Webhook{}, ""}},
			errs: []int{401, 403, 404},
		}),
		secret(api("PATCH /api/v1/webhooks/{id}", keyward.ActWebhookManage, s.updateWebhook)).describe(opDoc{
			id: "updateWebhook", tag: "webhooks", summary: "Change, pause or resume a webhook",
			desc: "Fields left out stay as they are. A new `url` passes the same address check as a new webhook's and starts a clean delivery record. A paused webhook gets no new events; what was already queued for it waits until it is resumed. `Idempotency-Key` is refused (400): the request may hold a secret.",
			in:   keyward.WebhookPatch{},
			out:  []reply{{200, "The subscription after the change.", keyward.Webhook{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		api("DELETE /api/v1/webhooks/{id}", keyward.ActWebhookManage, s.deleteWebhook).describe(opDoc{
			id: "deleteWebhook", tag: "webhooks", summary: "Delete a webhook",
			desc: "Deliveries still queued for it are cancelled.",
			out:  []reply{{204, "Deleted; no content.", nil, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		api("POST /api/v1/webhooks/{id}/test", keyward.ActWebhookManage, s.testWebhook).describe(opDoc{
			id: "testWebhook", tag: "webhooks", summary: "Send a test event to a webhook",
			desc: "Queues a `webhook.test` event, signed like every delivery, and sends it at once. The answer says whether the receiver accepted it and, if not, why in words. No body.",
			out:  []reply{{200, "How the test went.", TestResult{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		api("GET /api/v1/webhooks/{id}/deliveries", keyward.ActWebhookManage, s.webhookDeliveries).describe(opDoc{
			id: "listWebhookDeliveries", tag: "webhooks", summary: "A webhook's recent deliveries",
			out:  []reply{{200, "Its latest 50 deliveries, newest first, each with its status and last error in words.", keyward.Page[keyward.DeliveryRecord]{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("GET /api/v1/notifications", keyward.ActWebhookManage, s.getNotifications).describe(opDoc{
			id: "getNotifications", tag: "webhooks", summary: "Email status and who gets email for what",
			desc: "Whether this server has a mail server, how the latest emails went, and every event's recipients (the default where none was chosen).",
			out:  []reply{{200, "The notification settings.", NotificationSettings{}, ""}},
			errs: []int{401, 403},
		}),
		api("PUT /api/v1/notifications/recipients/{event}", keyward.ActWebhookManage, s.setRecipients).describe(opDoc{
			id: "setRecipients", tag: "webhooks", summary: "Choose who gets email for an event",
			desc:   "`holder` (overdue, lost and found keys only) emails the key's holder; `roles` every active user of those roles (owners when none of the roles has a user); `addresses` up to 20 fixed addresses. " + eventsDoc,
			params: []param{{name: "event", in: "path", desc: "The event, such as `key.lost`.", schema: `{"type":"string"}`, required: true}},
			in:     RecipientsInput{},
			out:    []reply{{200, "The event's recipients after the change.", keyward.RecipientRule{}, ""}},
			errs:   []int{400, 401, 403, 404},
		}),
		api("POST /api/v1/notifications/test-email", keyward.ActWebhookManage, s.testEmail).describe(opDoc{
			id: "testEmail", tag: "webhooks", summary: "Send a test email to yourself",
			desc: "Sends a test email to the signed-in user's address at once; the answer says whether the mail server took it and, if not, why in words. No body.",
			out:  []reply{{200, "How the test went.", TestResult{}, ""}},
			errs: []int{400, 401, 403, 409},
		}),

		page("GET /settings/notifications", keyward.ActWebhookManage, s.notificationsPage),
		page("POST /settings/notifications/test-email", keyward.ActWebhookManage, s.notificationsTestEmail),
		page("POST /settings/notifications/recipients", keyward.ActWebhookManage, s.notificationsRecipients),
		page("POST /settings/notifications/webhooks", keyward.ActWebhookManage, s.notificationsAddWebhook),
		page("GET /settings/notifications/webhooks/{id}", keyward.ActWebhookManage, s.webhookPage),
		page("POST /settings/notifications/webhooks/{id}", keyward.ActWebhookManage, s.webhookEdit),
		page("POST /settings/notifications/webhooks/{id}/pause", keyward.ActWebhookManage, s.webhookPause),
		page("POST /settings/notifications/webhooks/{id}/resume", keyward.ActWebhookManage, s.webhookResume),
		page("POST /settings/notifications/webhooks/{id}/delete", keyward.ActWebhookManage, s.webhookDelete),
		page("POST /settings/notifications/webhooks/{id}/test", keyward.ActWebhookManage, s.webhookTest),
	}
}
