package web

import "github.com/keyward/keyward/internal/keyward"

// webhookRoutes are the webhooks that receive events such as checkout.overdue.
func (s *Server) webhookRoutes() []route {
	return []route{
		secret(api("POST /api/v1/webhooks", keyward.ActWebhookManage, s.createWebhook)).describe(opDoc{
			id: "createWebhook", tag: "webhooks", summary: "Subscribe a URL to events",
			desc: "A delivery is a `POST` of JSON `{\"event\", \"at\", \"data\"}` with the header `X-Keyward-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>`. `checkout.overdue` is delivered exactly once per overdue check-out. A URL that resolves to a loopback or private address is a 400 unless the server runs with `KEYWARD_ALLOW_PRIVATE_WEBHOOKS=1`. `Idempotency-Key` is refused (400): the request or the answer holds a secret, which a stored replay would keep in the database.",
			in:   keyward.WebhookInput{},
			out:  []reply{{201, "Created: the new webhook.", keyward.Webhook{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/webhooks", keyward.ActWebhookManage, s.listWebhooks).describe(opDoc{
			id: "listWebhooks", tag: "webhooks", summary: "List webhook subscriptions",
			out:  []reply{{200, "Every subscription. Not paginated; secrets are never shown.", keyward.Page[keyward.Webhook]{}, ""}},
			errs: []int{401, 403},
		}),
	}
}
