package web

// Generated once from the hand-written document this replaced; edit freely.

// sealField describes new_seal_number on a custody move.
const sealField = "The seal now on the sealed envelope the key is kept in, when the move takes the key out of it or puts it back: required then, never the broken seal, and refused otherwise."

// openapiFrame is the part of the OpenAPI document that is not a route or a
// schema: info, tags, security, and the shared parameters and error responses.
const openapiFrame = `{
 "openapi": "3.1.0",
 "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
 "info": {
  "title": "Keyward API",
  "version": "1",
  "summary": "Key control: inventory, key custody, audit log.",
  "description": "JSON over HTTP under ` + "`" + `/api/v1` + "`" + `. Send ` + "`" + `Authorization: Bearer TOKEN` + "`" + ` (create one with ` + "`" + `keyward token create` + "`" + ` or ` + "`" + `POST /api/v1/tokens` + "`" + `). Errors are RFC 9457 ` + "`" + `application/problem+json` + "`" + `. Lists answer ` + "`" + `{\"items\": […], \"next\": \"…\"}` + "`" + `; pass a non-empty ` + "`" + `next` + "`" + ` as ` + "`" + `?cursor=` + "`" + ` for the following page. Every response carries ` + "`" + `X-Request-Id` + "`" + `. Each API token may make ` + "`" + `KEYWARD_API_RATE` + "`" + ` requests per second to each server process (default 50, with bursts of 100); over that the answer is 429 with ` + "`" + `Retry-After` + "`" + ` in seconds."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "security": [
  {
   "bearer": []
  }
 ],
 "tags": [
  {
   "name": "system",
   "description": "Health, metrics and this document."
  },
  {
   "name": "inventory",
   "description": "Sites, openings and keyways."
  },
  {
   "name": "holders",
   "description": "People who hold keys."
  },
  {
   "name": "keys",
   "description": "Physical key copies and their logbooks."
  },
  {
   "name": "custody",
   "description": "Moving keys between storage and holders."
  },
  {
   "name": "storage",
   "description": "Cabinets, lockboxes, envelopes and designated holders; key homes and tags."
  },
  {
   "name": "credentials",
   "description": "PIN codes, cards and fobs."
  },
  {
   "name": "offboarding",
   "description": "Collecting everything from a leaving holder."
  },
  {
   "name": "keysystems",
   "description": "Master key systems: key tree, keying schedule, pinning, cross-key audit, lost-key rekey plans."
  },
  {
   "name": "imports",
   "description": "Spreadsheet import and CSV export."
  },
  {
   "name": "webhooks",
   "description": "Event deliveries to other systems."
  },
  {
   "name": "audit",
   "description": "The tamper-evident audit log."
  },
  {
   "name": "users",
   "description": "Accounts and API tokens."
  }
 ],
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "An API token from ` + "`" + `keyward token create` + "`" + ` or ` + "`" + `POST /api/v1/tokens` + "`" + `."
   }
  },
  "parameters": {
   "Id": {
    "name": "id",
    "in": "path",
    "required": true,
    "description": "The object's id.",
    "schema": {
     "type": "string"
    }
   },
   "Cursor": {
    "name": "cursor",
    "in": "query",
    "required": false,
    "description": "The ` + "`" + `next` + "`" + ` value of the previous page.",
    "schema": {
     "type": "string"
    }
   },
   "Limit": {
    "name": "limit",
    "in": "query",
    "required": false,
    "description": "Page size.",
    "schema": {
     "type": "integer",
     "minimum": 1,
     "maximum": 500
    }
   },
   "IdempotencyKey": {
    "name": "Idempotency-Key",
    "in": "header",
    "required": false,
    "description": "Makes a retried POST safe: a repeat of the same request by the same user with the same key replays the first response (with ` + "`" + `Idempotent-Replayed: true` + "`" + `) instead of acting again. A key is remembered for 24 hours. At most 200 characters. Not accepted (400) where the request or the answer holds a secret (tokens, users, codes, PINs, bittings, webhook keys): those operations do not list this header.",
    "schema": {
     "type": "string",
     "maxLength": 200
    }
   }
  },
  "responses": {
   "BadRequest": {
    "description": "Bad input: malformed JSON, an unknown field, a broken rule, a bad ` + "`" + `limit` + "`" + ` or ` + "`" + `cursor` + "`" + `. ` + "`" + `errors` + "`" + ` names the fields.",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "Unauthorized": {
    "description": "No token, or the token is unknown, revoked or its user is disabled.",
    "headers": {
     "WWW-Authenticate": {
      "schema": {
       "type": "string",
       "const": "Bearer realm=\"keyward\""
      }
     }
    },
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "Forbidden": {
    "description": "The token's role may not do this (the refusal is recorded in the audit log).",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "NotFound": {
    "description": "No object with that id.",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "Conflict": {
    "description": "Conflicts with the current state, e.g. a key that is not in a status this action starts from, or a name already taken.",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "IdempotencyMismatch": {
    "description": "The ` + "`" + `Idempotency-Key` + "`" + ` was already used by this user for a different request.",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "InternalError": {
    "description": "Internal error; the detail is only \"Internal error.\".",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "TooManyRequests": {
    "description": "More requests per second than this token is allowed; retry after the seconds in ` + "`" + `Retry-After` + "`" + `.",
    "headers": {
     "Retry-After": {
      "description": "Seconds to wait before retrying.",
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    },
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   }
  }
 }
}`

// schemaDocs are the descriptions, examples and bounds a client author needs,
// by schema name and JSON field; the types and fields themselves come from
// the Go types (TestSchemaDocsMatchTypes fails when a field here is gone).
var schemaDocs = map[string]schemaDoc{
	"APIToken": {desc: "An API token as listed: never its secret or hash.", fields: map[string]string{
		"id":         `{"description":"Opaque identifier."}`,
		"user_id":    `{"description":"The user it signs in as."}`,
		"revoked_at": `{"description":"Set in the answer of a revoke."}`,
	}},
	"APITokenPage": {desc: "API tokens (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"CardInput": {desc: "A keyway's authorization card number: sealed, compared, never returned.", fields: map[string]string{
		"number": `{"minLength":1,"maxLength":64}`,
	}, required: []string{"number"}},
	"CopyDecisionInput": {fields: map[string]string{
		"reason": `{"minLength":1,"maxLength":2000}`,
	}, required: []string{"reason"}},
	"CopyEvidence": {desc: "What the counter checked for a restricted keyway, by whom and when; never the card."},
	"CopyEvidenceInput": {fields: map[string]string{
		"id_type":            `{"description":"One of the IDType values, or a common spelling of one (\u0060driver_license\u0060, \u0060drivers_license\u0060 → \u0060driving_licence\u0060)."}`,
		"id_last4":           `{"description":"The last four letters or digits of the ID.","pattern":"^[A-Za-z0-9]{4}$"}`,
		"authorization_card": `{"description":"The card number shown; compared with the keyway's card, never stored with the request."}`,
	}, required: []string{"signatory_holder_id", "id_type", "id_last4", "authorization_card"}},
	"CopyRequest": {desc: "A request for new copies of one key's symbol and keyway, with its evidence, approvals, produced copies and (single request only) history.", fields: map[string]string{
		"id":                 `{"description":"Opaque identifier."}`,
		"key_id":             `{"description":"The key the copies are cut from."}`,
		"policy":             `{"description":"The keyway's duplication policy when the request was made."}`,
		"approvals_required": `{"description":"How many managers approve it, fixed when it was made (0 for an open keyway).","minimum":0,"maximum":3}`,
		"keys":               `{"description":"The copies produced for it."}`,
	}},
	"CopyRequestInput": {fields: map[string]string{
		"count":         `{"description":"How many new copies: a whole number from 1 to 20.","minimum":1,"maximum":20}`,
		"reason":        `{"description":"Required for a \u0060dnd\u0060 or \u0060restricted\u0060 keyway.","maxLength":2000}`,
		"for_holder_id": `{"description":"Who will receive the copies; a holder's own request is for themselves."}`,
	}, required: []string{"key_id", "count"}},
	"CopyRequestPage": {desc: "One page of copy requests, newest first.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"CopySettings": {desc: "The organization's duplication settings.", fields: map[string]string{
		"approvals_required": `{"description":"How many different managers approve a dnd or restricted request.","minimum":1,"maximum":3}`,
		"two_person_rule":    `{"description":"Whoever checked the ID does not also approve.","default":false}`,
	}, required: []string{"approvals_required"}},
	"HandOverInput": {fields: map[string]string{
		"note": `{"maxLength":2000}`,
	}, required: []string{"holder_id"}},
	"KeywayControl": {desc: "A keyway's duplication control: its signatories and whether an authorization card is on file (never the number)."},
	"Signatory":     {desc: "A holder registered to authorize copies of a keyway, until `until` or until removed."},
	"SignatoryInput": {fields: map[string]string{
		"until": `{"description":"When the registration ends (RFC 3339, in the future); omitted: until removed."}`,
	}, required: []string{"holder_id"}},
	"AssignInput": {fields: map[string]string{
		"opening_id": `{"minLength":1}`,
		"symbol":     `{"pattern":"^[A-Za-z0-9._]{1,32}$"}`,
		"cross_keys": `{"description":"Further symbols that also operate the cylinder.","maxItems":50}`,
	}, required: []string{"opening_id", "symbol"}},
	"AuditFinding": {desc: "A key that operates a cylinder it is not listed for.", fields: map[string]string{
		"chambers": `{"description":"Positions where the key rides another key's shear line."}`,
	}},
	"AuditRecordPage": {desc: "One page of the audit log, newest first.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"AuditRecord": {desc: "One entry of the tamper-evident audit log.", fields: map[string]string{
		"seq":          `{"description":"Position in the log.","minimum":1}`,
		"id":           `{"description":"Opaque identifier."}`,
		"action":       `{"examples":["key.checkout","site.create","denied.key.custody"]}`,
		"subject_type": `{"examples":["key","user","route"]}`,
		"details":      `{"description":"A JSON object as a string, secrets already redacted."}`,
		"prev_hash":    `{"description":"Hash of the previous record."}`,
		"hash":         `{"description":"Hash chaining this record to the previous one."}`,
	}},
	"BreakSealInput": {fields: map[string]string{
		"reason":          `{"minLength":1,"maxLength":2000}`,
		"new_seal_number": `{"description":"Must differ from the broken seal.","minLength":1,"maxLength":64}`,
	}, required: []string{"reason", "new_seal_number"}},
	"CheckinInput": {desc: "An optional note, and the new seal when the key goes back into the sealed envelope it is kept in; the body may be empty.", fields: map[string]string{
		"note":            `{"maxLength":2000}`,
		"new_seal_number": `{"description":"` + sealField + `","minLength":1,"maxLength":64}`,
	}},
	"CheckoutInput": {fields: map[string]string{
		"holder_id":       `{"description":"An existing holder.","minLength":1}`,
		"due_at":          `{"description":"RFC 3339; must be in the future."}`,
		"note":            `{"maxLength":2000}`,
		"new_seal_number": `{"description":"` + sealField + `","minLength":1,"maxLength":64}`,
	}, required: []string{"holder_id", "due_at"}},
	"CodeChangeInput": {desc: "A lockbox's new code and why it changes: the reason is recorded, the code is sealed and never echoed.", fields: map[string]string{
		"code":   `{"minLength":1,"maxLength":32,"pattern":"^[ -~]+$"}`,
		"reason": `{"minLength":1,"maxLength":2000}`,
	}, required: []string{"code", "reason"}},
	"CodeRevealInput": {desc: "Why the secret is revealed: required, recorded with the reveal.", fields: map[string]string{
		"reason": `{"minLength":1,"maxLength":2000}`,
	}, required: []string{"reason"}},
	"CreatedToken": {desc: "A new API token.", fields: map[string]string{
		"token": `{"description":"The bearer token, shown only this once.","examples":["kw_…"]}`,
		"id":    `{"description":"The token's id, for listing and revoking."}`,
	}},
	"CreatedUser": {desc: "A new account.", fields: map[string]string{
		"id":               `{"description":"Opaque identifier."}`,
		"holder_id":        `{"description":"Empty when the account is not linked to a holder."}`,
		"initial_password": `{"description":"The generated password, shown only this once; present when the request gave none."}`,
	}},
	"Credential": {desc: "A PIN code, card or fob held by a holder for a set of openings.", fields: map[string]string{
		"id":      `{"description":"Opaque identifier."}`,
		"number":  `{"description":"A card's or fob's number."}`,
		"has_pin": `{"description":"A PIN credential's PIN is sealed; it is only revealed."}`,
	}},
	"CredentialInput": {fields: map[string]string{
		"label":       `{"maxLength":200}`,
		"number":      `{"description":"Required for a card or fob; not for a PIN.","maxLength":64}`,
		"pin":         `{"description":"Required for a PIN credential; only that kind.","pattern":"^[0-9]{4,12}$"}`,
		"holder_id":   `{"minLength":1}`,
		"opening_ids": `{"minItems":1,"maxItems":500,"uniqueItems":true}`,
		"valid_from":  `{"description":"Omitted: now."}`,
		"valid_until": `{"description":"After \u0060valid_from\u0060 and in the future."}`,
	}, required: []string{"kind", "holder_id", "opening_ids"}},
	"CredentialPage": {desc: "One page of credentials.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"CustodyInput": {desc: "The body may be empty.", fields: map[string]string{
		"holder_id":       `{"description":"Required for issue and transfer; must be empty for the other moves."}`,
		"note":            `{"maxLength":2000}`,
		"new_seal_number": `{"description":"` + sealField + `","minLength":1,"maxLength":64}`,
	}},
	"Cylinder": {desc: "An opening keyed in the system.", fields: map[string]string{
		"key_list": `{"description":"Symbols that operate it: the keyed symbol, its masters, the top master key, cross keys and theirs."}`,
	}},
	"DayCount": {fields: map[string]string{
		"n": `{"minimum":0}`,
	}},
	"DayCountPage": {desc: "A daily series (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"EmptyInput": {desc: "No fields; the body may be empty or `{}`."},
	"Event": {desc: "One line of a key's logbook.", fields: map[string]string{
		"id":             `{"description":"Opaque identifier."}`,
		"actor":          `{"description":"Email of who acted."}`,
		"holder_id":      `{"description":"The holder the key went to, when the action names one."}`,
		"from_holder_id": `{"description":"In a transfer, the holder who gave the key (\u0060holder_id\u0060 received it)."}`,
		"due_at":         `{"description":"Set on check-outs."}`,
		"stamp":          `{"description":"The key's stamp, in a holder's logbook, which spans keys."}`,
	}},
	"EventPage": {desc: "Custody events (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"FieldError": {fields: map[string]string{
		"field": `{"description":"The input field, e.g. \u0060due_at\u0060, \u0060body\u0060, \u0060limit\u0060."}`,
		"rule":  `{"description":"The rule it broke, e.g. \u0060must be in the future\u0060."}`,
	}},
	"Health": {fields: map[string]string{
		"status": `{"const":"ok"}`,
	}},
	"Holder": {desc: "A person who can hold keys.", fields: map[string]string{
		"id":    `{"description":"Opaque identifier."}`,
		"email": `{"description":"May be empty."}`,
		"phone": `{"description":"Absent when not set."}`,
	}},
	"HolderInput": {fields: map[string]string{
		"name":              `{"minLength":1,"maxLength":200}`,
		"email":             `{"description":"An email address, or empty.","maxLength":254}`,
		"phone":             `{"maxLength":40}`,
		"kind":              `{"default":"staff"}`,
		"signatory":         `{"default":false}`,
		"emergency_contact": `{"default":false}`,
	}, required: []string{"name"}},
	"HolderPage": {desc: "One page of holders.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"HookInput": {fields: map[string]string{
		"key_id":          `{"description":"A key in storage.","minLength":1}`,
		"hook":            `{"description":"A cabinet hook number from 1.","minimum":0}`,
		"new_seal_number": `{"description":"Required when the key goes into a sealed envelope, or out of one to come here: the seal now on that envelope, never the broken one.","minLength":1,"maxLength":64}`,
		"reason":          `{"description":"Why the sealed envelope is opened; required with new_seal_number.","maxLength":2000}`,
	}, required: []string{"key_id"}},
	"ImportProblem": {desc: "A problem detail whose `errors` are the cells that cannot be imported.", fields: map[string]string{
		"type":   `{"const":"about:blank"}`,
		"title":  `{"examples":["Unprocessable Entity"]}`,
		"status": `{"const":422}`,
		"rows":   `{"description":"Data rows in the file.","minimum":0}`,
	}},
	"ImportReport": {desc: "The outcome of a dry run.", fields: map[string]string{
		"rows":   `{"description":"Data rows in the file.","minimum":0}`,
		"errors": `{"description":"Empty when the file would import."}`,
	}},
	"ImportResult": {desc: "A completed import.", fields: map[string]string{
		"rows": `{"description":"Rows imported.","minimum":0}`,
	}},
	"ImportRowError": {desc: "One cell that cannot be imported.", fields: map[string]string{
		"row":    `{"description":"1-based data row; 0 is the header (e.g. a missing column).","minimum":0}`,
		"column": `{"examples":["symbol","due_at"]}`,
		"rule":   `{"examples":["must name an existing keyway"]}`,
	}},
	"Key": {desc: "One physical stamped copy of a key.", fields: map[string]string{
		"id":          `{"description":"Opaque identifier."}`,
		"symbol":      `{"examples":["AA1"]}`,
		"copy_number": `{"description":"1, 2, … per symbol.","minimum":1}`,
		"stamp":       `{"description":"Symbol and copy number as stamped on the key.","examples":["AA1-3"]}`,
		"holder_id":   `{"description":"Who has the key (issued, checked out) or lost it. Absent otherwise."}`,
		"due_at":      `{"description":"When a checked-out key is due back. Absent otherwise."}`,
	}},
	"KeyAudit": {desc: "The cross-key audit of a whole system."},
	"KeyHome": {desc: "Where a key belongs when it is in storage.", fields: map[string]string{
		"hook":        `{"minimum":1}`,
		"seal_number": `{"description":"The current seal of the envelope the key is kept in."}`,
	}},
	"KeyInput": {fields: map[string]string{
		"keyway_id":   `{"description":"An existing keyway.","minLength":1}`,
		"symbol":      `{"examples":["AA1","GGM"],"pattern":"^[A-Za-z0-9._]{1,32}$"}`,
		"copy_number": `{"description":"Omitted or 0: the next free copy number for the symbol.","minimum":0,"maximum":100000}`,
	}, required: []string{"keyway_id", "symbol"}},
	"KeyPage": {desc: "All matching keys (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"KeySpec": {desc: "A key section's keying specification (see keying.md).", fields: map[string]string{
		"positions": `{"minimum":1}`,
		"macs":      `{"description":"Maximum adjacent cut specification; 0 only in a manufacturer row the math does not model (\u0060modeled: false\u0060).","minimum":0}`,
		"step":      `{"description":"At least 1 in any spec the math applies to; 0 only in a manufacturer row the math does not model (\u0060modeled: false\u0060), such as Medeco.","minimum":0}`,
	}},
	"KeySymbol": {desc: "One key of the tree, without its bitting.", fields: map[string]string{
		"id":       `{"description":"Opaque identifier."}`,
		"parent":   `{"description":"Absent for the top master key."}`,
		"copies":   `{"description":"Stamped copies in circulation.","minimum":0}`,
		"openings": `{"description":"Opening ids whose cylinder is keyed to this symbol."}`,
	}},
	"KeySystem": {desc: "A master key system: key tree, keying schedule, latest audit, rekey plans. Never holds a bitting.", fields: map[string]string{
		"id":            `{"description":"Opaque identifier."}`,
		"symbols":       `{"description":"Generation order, parents before children."}`,
		"macs_rejected": `{"minimum":0}`,
		"lost_reports":  `{"description":"Stamped copies of the system's symbols reported lost through the custody flow; plan_id is empty until a rekey plan answers one."}`,
	}},
	"KeySystemInput": {fields: map[string]string{
		"name":               `{"minLength":1,"maxLength":200}`,
		"manufacturer":       `{"description":"A modeled manufacturer spec name, e.g. \u0060schlage_sc4\u0060, or else the name of an organization keying spec (\u0060GET /api/v1/keying-specs\u0060), whose house limits on master pins then apply to every pinning; or give \u0060spec\u0060, not both."}`,
		"tmk":                `{"description":"The top master key's bitting; omitted: a random valid one.","maxLength":64}`,
		"levels":             `{"description":"\u0060[change]\u0060, \u0060[master, change]\u0060 or \u0060[grand, master, change]\u0060.","minItems":1,"maxItems":3}`,
		"top_symbol":         `{"examples":["AA","A","GGM"],"pattern":"^[A-Za-z0-9._]{1,32}$"}`,
		"masters_needed":     `{"description":"Optional: the masters the system must give (all levels counted; a 2-level system has none besides its top key). More than the progression's MACS-valid masters is a 400 on this field naming the available count; nothing is written.","minimum":0}`,
		"change_keys_needed": `{"description":"Optional: the change keys each master must give (in a 2-level system, the top key's change keys), checked over \u0060masters_needed\u0060 masters or, without it, every master. More than the progression gives is a 400 on this field naming the available count; nothing is written.","minimum":0}`,
	}, required: []string{"name", "levels"}},
	"KeySystemLevel": {desc: "One level of a key system.", fields: map[string]string{
		"sequence": `{"description":"The positions this level progresses."}`,
		"columns":  `{"description":"Explicit columns: position → depths."}`,
	}},
	"KeySystemSummary": {desc: "A key system in a list.", fields: map[string]string{
		"id": `{"description":"Opaque identifier."}`,
	}},
	"KeySystemSummaryPage": {desc: "Key systems (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"KeyingSpec": {desc: "A spec key systems are generated from: a row of the manufacturer table (keying.md §7) with its confidence note, or one of the organization's own.", fields: map[string]string{
		"name":       `{"description":"What \u0060KeySystemInput.manufacturer\u0060 names."}`,
		"label":      `{"description":"The key section, or the organization spec's name."}`,
		"modeled":    `{"description":"False: a key system cannot use this row (Medeco, unverified depths)."}`,
		"confidence": `{"description":"Manufacturer rows only."}`,
		"note":       `{"description":"Manufacturer rows: sources and caveats; organization specs: the note given."}`,
		"pins":       `{"description":"Manufacturer rows: pin counts offered."}`,
		"id":         `{"description":"Organization specs only."}`,
		"created_at": `{"description":"Organization specs only."}`,
	}},
	"KeyingSpecInput": {desc: "An organization keying spec: a locksmith's house rules for a key section.", fields: map[string]string{
		"name": `{"description":"Unique among keying specs, the manufacturer table's included (409).","minLength":1,"maxLength":64}`,
		"note": `{"maxLength":2000}`,
		"spec": `{"description":"\u0060spec.name\u0060 is ignored. An invalid member is a 400 naming it, e.g. \u0060spec.macs\u0060."}`,
	}, required: []string{"name", "spec"}},
	"KeyingSpecPage": {desc: "The manufacturer table, then the organization's specs by name (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"Keyway": {desc: "A key profile, e.g. a restricted keyway of one manufacturer.", fields: map[string]string{
		"id": `{"description":"Opaque identifier."}`,
	}},
	"KeywayInput": {fields: map[string]string{
		"name":         `{"minLength":1,"maxLength":200}`,
		"manufacturer": `{"maxLength":200}`,
	}, required: []string{"name", "duplication_policy"}},
	"KeywayPage": {desc: "One page of keyways.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"LostKeyInput": {fields: map[string]string{
		"symbol": `{"pattern":"^[A-Za-z0-9._]{1,32}$"}`,
		"key_id": `{"description":"The stamped copy, if known."}`,
		"note":   `{"maxLength":2000}`,
	}, required: []string{"symbol"}},
	"LostDoor": {desc: "A door a lost key opens, and how."},
	"LostKey": {desc: "What a lost key opens now, and the next step.", fields: map[string]string{
		"system_id":        `{"description":"The key system of its symbol; absent outside key systems."}`,
		"doors":            `{"description":"Every door it opens now: by how (intended, incidental, schedule), then site and door."}`,
		"plan_id":          `{"description":"The latest rekey plan for its symbol, if any."}`,
		"work_list_id":     `{"description":"The open (else the latest) work list for its symbol, if any."}`,
		"work_list_status": `{"enum":["open","done"]}`,
		"plan_status":      `{"enum":["open","done"]}`,
	}},
	"LostKeyReply": {desc: "The key after it is reported lost; `lost_key` for those who may read the inventory.", fields: map[string]string{
		"lost_key": `{"description":"Every door the key opens now and the next step."}`,
	}},
	"WorkListInput": {desc: "The lost key whose doors to list, or the copy found outside Keyward: one of `key_id` and `uncontrolled_copy_id`, not both.", fields: map[string]string{
		"key_id":               `{"description":"A lost key outside any key system."}`,
		"uncontrolled_copy_id": `{"description":"A copy found outside Keyward (POST /api/v1/uncontrolled-copies) of a key outside any key system."}`,
		"note":                 `{"maxLength":2000}`,
	}},
	"WorkList": {desc: "The work list of a lost key outside key systems, or of a copy of one found outside Keyward: one door each to rekey or replace.", fields: map[string]string{
		"id":                `{"description":"Opaque identifier."}`,
		"status":            `{"enum":["open","done"]}`,
		"key_id":            `{"description":"The lost key; empty for a list that answers a copy found outside Keyward."}`,
		"stamp":             `{"description":"The lost key's stamp; empty for a list that answers a copy found outside Keyward."}`,
		"uncontrolled_copy": `{"description":"The copy found outside Keyward that the list answers, if it answers one."}`,
	}},
	"CopyCount": {desc: "Every copy of one symbol of one keyway: under control, destroyed, and found outside Keyward.", fields: map[string]string{
		"controlled":   `{"description":"Copies registered, imported or produced that were not destroyed; lost ones count until found or destroyed.","minimum":0}`,
		"by_status":    `{"description":"The controlled copies by status: every status but destroyed, zeros included; they add up to controlled.","additionalProperties":{"type":"integer","minimum":0}}`,
		"destroyed":    `{"description":"Copies written off; not under control.","minimum":0}`,
		"copies":       `{"description":"Single symbol only: each copy, destroyed ones too, by copy number, with where it is now."}`,
		"uncontrolled": `{"description":"Copies found outside Keyward, newest first."}`,
		"exposure":     `{"description":"Single symbol with uncontrolled copies only: what such a copy opens and the next step, as for a lost key of the symbol."}`,
	}},
	"CopyCountPage": {desc: "One page of counts, by keyway name then symbol.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"SymbolCopy": {desc: "One copy of a symbol and where it is now.", fields: map[string]string{
		"holder_name": `{"description":"Who has it (issued, checked out) or last had it (lost)."}`,
		"home":        `{"description":"Its storage place, if it has one."}`,
		"lost_at":     `{"description":"When a lost copy was reported lost."}`,
	}},
	"UncontrolledCopy": {desc: "A copy found that Keyward never made or registered: \"a copy we never made\".", fields: map[string]string{
		"id":       `{"description":"Opaque identifier."}`,
		"where":    `{"description":"Where it was found."}`,
		"in_hand":  `{"description":"True: it was taken back; false: it is still out there."}`,
		"found_by": `{"description":"The user who recorded it."}`,
		"exposure": `{"description":"In the answer to recording it: every door it opens now and the next step, the same as for a lost key of its symbol."}`,
	}},
	"UncontrolledCopyInput": {desc: "A copy found outside Keyward.", fields: map[string]string{
		"keyway_id": `{"minLength":1}`,
		"symbol":    `{"description":"The symbol stamped on it; matched to the keyway's copies ignoring case.","pattern":"^\\s*[A-Za-z0-9._]{1,32}\\s*$"}`,
		"where":     `{"description":"Where it was found.","minLength":1,"maxLength":200}`,
		"note":      `{"maxLength":2000}`,
		"in_hand":   `{"description":"It was taken back (and is kept or destroyed); otherwise it is still out there.","default":false}`,
	}, required: []string{"keyway_id", "symbol", "where"}},
	"WorkItem": {desc: "One door of a work list.", fields: map[string]string{
		"id":       `{"description":"Opaque identifier."}`,
		"new_keys": `{"description":"The keys that open the door since it was done; empty before."}`,
	}},
	"WorkListPage": {desc: "Work lists, newest first (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"OpenWork": {desc: "An open rekey plan or work list.", fields: map[string]string{
		"kind": `{"enum":["plan","work_list"]}`,
	}},
	"OpenWorkPage": {desc: "Open rekey work (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"ItemDoneInput": {desc: "Marks a rekey plan item or a work-list door done.", fields: map[string]string{
		"confirm":  `{"description":"Must be true: marking done changes what opens a door."}`,
		"method":   `{"description":"A work-list door only: whether its lock was rekeyed or replaced."}`,
		"new_keys": `{"description":"The keys (symbols as stamped, outside any key system) that open the door now: required for a replaced cylinder and a work-list door, empty otherwise.","maxItems":20,"items":{"type":"string","pattern":"^[A-Za-z0-9._]{1,32}$"}}`,
		"note":     `{"maxLength":2000}`,
	}, required: []string{"confirm"}},
	"Me": {desc: "The account a token acts for.", fields: map[string]string{
		"id":        `{"description":"The user id."}`,
		"holder_id": `{"description":"Empty unless the account is linked to a holder."}`,
	}},
	"Offboarding": {desc: "A leaving holder and everything they still hold, until cleared.", fields: map[string]string{
		"id":          `{"description":"Opaque identifier."}`,
		"keys":        `{"description":"Keys still to collect."}`,
		"credentials": `{"description":"Credentials still to revoke."}`,
		"storage":     `{"description":"Storage places still to release."}`,
		"outstanding": `{"minimum":0}`,
	}},
	"OffboardingInput": {desc: "The body may be empty.", fields: map[string]string{
		"note": `{"maxLength":2000}`,
	}},
	"OffboardingPage": {desc: "Open offboardings (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"Opening": {desc: "Something a key opens.", fields: map[string]string{
		"id": `{"description":"Opaque identifier."}`,
	}},
	"OpeningAccess": {desc: "Who can open an opening, and where every key is now.", fields: map[string]string{
		"symbols":           `{"description":"The opening's keying schedule, as entered by hand."}`,
		"operating_symbols": `{"description":"Every symbol whose keys operate the opening: the schedule's, the masters above them in a key system, and the key list of the current cylinder pinning. \u0060keys\u0060 are the keys of these symbols."}`,
	}},
	"OpeningInput": {fields: map[string]string{
		"site_id": `{"description":"An existing site.","minLength":1}`,
		"name":    `{"minLength":1,"maxLength":200}`,
	}, required: []string{"site_id", "name", "kind"}},
	"OpeningKey": {desc: "A key that operates an opening, and where it is now."},
	"OpeningPage": {desc: "One page of openings.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"OperatingSymbol": {desc: "A key symbol whose keys operate an opening, and why.", fields: map[string]string{
		"tier":   `{"description":"The symbol's place in its key system; absent outside key systems."}`,
		"source": `{"description":"\u0060schedule\u0060: entered in the opening's keying schedule; \u0060pinning\u0060: in the key list of its current cylinder pinning; \u0060master\u0060: a master above a scheduled symbol."}`,
		"system": `{"description":"The name of the key system the symbol belongs to."}`,
	}},
	"PinChamber": {desc: "One chamber of a pinning chart, in depth units."},
	"Pinning": {desc: "One pinning of a cylinder, current or past.", fields: map[string]string{
		"id": `{"description":"Opaque identifier."}`,
	}},
	"PinningChart": {desc: "A revealed pinning with the bittings of its key list."},
	"PlanItem": {desc: "One step of a rekey plan.", fields: map[string]string{
		"id":       `{"description":"Opaque identifier."}`,
		"new_keys": `{"description":"The keys that open the door after the step: for \u0060rekey\u0060 the key list it is re-pinned for; for \u0060replace_cylinder\u0060 the keys recorded when it was done."}`,
	}},
	"Problem": {desc: "An RFC 9457 problem detail (`application/problem+json`).", fields: map[string]string{
		"type":     `{"const":"about:blank"}`,
		"title":    `{"description":"The HTTP status text.","examples":["Bad Request"]}`,
		"status":   `{"minimum":400,"maximum":599}`,
		"detail":   `{"description":"What went wrong, for people."}`,
		"instance": `{"description":"\u0060urn:keyward:request:\u0060 and the request id (also in \u0060X-Request-Id\u0060)."}`,
		"errors":   `{"description":"Present on validation errors."}`,
	}},
	"RekeyPlan": {desc: "The tracked answer to a lost key.", fields: map[string]string{
		"id":            `{"description":"Opaque identifier."}`,
		"intended":      `{"description":"Opening ids whose key list holds the lost bitting."}`,
		"incidental":    `{"description":"Opening ids it opens although no record says so."}`,
		"lost_operates": `{"description":"Set when the plan closes: what the lost bitting still opens."}`,
	}},
	"ResealInput": {desc: "The new seal of a sealed envelope opened to take a key out, and why; the body may be empty when no sealed envelope is opened.", fields: map[string]string{
		"new_seal_number": `{"description":"The seal now on the envelope, never the broken one.","minLength":1,"maxLength":64}`,
		"reason":          `{"description":"Why the envelope is opened.","maxLength":2000}`,
	}},
	"RevealInput": {desc: "A reason is required and recorded with the reveal.", fields: map[string]string{
		"symbols": `{"description":"Omitted: every symbol.","maxItems":10000}`,
		"reason":  `{"description":"Why the bittings are revealed: required, recorded with the reveal.","minLength":1,"maxLength":2000}`,
	}, required: []string{"reason"}},
	"RevealedBittingPage": {desc: "Revealed bittings (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"RevokeInput": {fields: map[string]string{
		"reason": `{"minLength":1,"maxLength":2000}`,
	}, required: []string{"reason"}},
	"Site": {desc: "A place with openings, e.g. a building.", fields: map[string]string{
		"id":      `{"description":"Opaque identifier."}`,
		"address": `{"description":"Absent when not set."}`,
	}},
	"SiteInput": {fields: map[string]string{
		"name":    `{"minLength":1,"maxLength":200}`,
		"address": `{"maxLength":2000}`,
	}, required: []string{"name"}},
	"SitePage": {desc: "One page of sites.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"StorageEvent": {desc: "One line of a storage place's logbook.", fields: map[string]string{
		"id":     `{"description":"Opaque identifier."}`,
		"action": `{"examples":["create","assign","unassign","code.reveal","code.change","seal.break","acknowledge","retire"]}`,
	}},
	"StorageEventPage": {desc: "One page of a storage place's events; `next`, when present, fetches the following page.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"StorageInput": {fields: map[string]string{
		"name":            `{"minLength":1,"maxLength":200}`,
		"location":        `{"maxLength":200}`,
		"hooks":           `{"description":"Required for a cabinet; only a cabinet.","minimum":1,"maximum":2000}`,
		"code":            `{"description":"Required for a lockbox; only a lockbox.","minLength":1,"maxLength":32,"pattern":"^[ -~]+$"}`,
		"seal_number":     `{"description":"Required for an envelope; only an envelope.","minLength":1,"maxLength":64}`,
		"holder_id":       `{"description":"Required for a \u0060holder\u0060 place; only that kind."}`,
		"acknowledged_at": `{"description":"Only a \u0060holder\u0060 place; not in the future."}`,
	}, required: []string{"kind", "name"}},
	"StoragePlace": {desc: "Where keys live when nobody has them. Fields not set are absent.", fields: map[string]string{
		"id":          `{"description":"Opaque identifier."}`,
		"hooks":       `{"description":"A cabinet's hooks, numbered 1..hooks.","minimum":1}`,
		"has_code":    `{"description":"A lockbox has a sealed code; it is only revealed."}`,
		"seal_number": `{"description":"An envelope's current seal."}`,
		"holder_id":   `{"description":"The designated holder of a \u0060holder\u0060 place."}`,
		"keys":        `{"description":"The keys whose home it is (single place only)."}`,
	}},
	"StoragePlacePage": {desc: "One page of storage places.", fields: map[string]string{
		"next": `{"description":"Pass as \u0060?cursor=\u0060 for the following page; empty on the last page."}`,
	}},
	"StoredKey": {desc: "A key whose home is a storage place.", fields: map[string]string{
		"hook": `{"minimum":1}`,
	}},
	"SymbolInput": {fields: map[string]string{
		"symbol": `{"pattern":"^[A-Za-z0-9._]{1,32}$"}`,
	}, required: []string{"symbol"}},
	"TokenInput": {fields: map[string]string{
		"user": `{"description":"Whose token: omitted or your own email; any other user is a 403."}`,
		"name": `{"description":"A label to recognize the token by.","minLength":1,"maxLength":200}`,
	}, required: []string{"name"}},
	"User": {desc: "An account that signs in.", fields: map[string]string{
		"id":        `{"description":"Opaque identifier."}`,
		"holder_id": `{"description":"For role \u0060holder\u0060: the holder record whose keys they see."}`,
	}},
	"UserInput": {fields: map[string]string{
		"email":     `{"maxLength":254}`,
		"name":      `{"maxLength":200}`,
		"password":  `{"description":"Must meet the password policy. Omitted: one is generated and returned once."}`,
		"holder_id": `{"description":"An existing holder to link (for role \u0060holder\u0060)."}`,
	}, required: []string{"email", "role"}},
	"UserPage": {desc: "All accounts (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
	"UserUpdate": {fields: map[string]string{
		"disabled": `{"default":false}`,
	}, required: []string{"role"}},
	"Webhook": {desc: "A webhook subscription; its secret is never shown after creation.", fields: map[string]string{
		"id": `{"description":"Opaque identifier."}`,
	}},
	"WebhookInput": {fields: map[string]string{
		"url":    `{"description":"An http or https URL without credentials.","maxLength":2000}`,
		"secret": `{"description":"Keys the HMAC-SHA256 signature of each delivery.","minLength":1,"maxLength":200}`,
		"events": `{"minItems":1}`,
	}, required: []string{"url", "secret", "events"}},
	"WebhookPage": {desc: "All webhook subscriptions (no further pages).", fields: map[string]string{
		"next": `{"description":"Empty: this list has no further pages."}`,
	}},
}

// fieldEnums names the enum schema of each field whose values are one of a domain list.
var fieldEnums = map[string]string{
	"Opening.kind":                   "OpeningKind",
	"Keyway.duplication_policy":      "DuplicationPolicy",
	"Holder.kind":                    "HolderKind",
	"Key.status":                     "KeyStatus",
	"Event.action":                   "CustodyAction",
	"Event.actor_role":               "ActorRole",
	"AuditRecord.actor_role":         "ActorRole",
	"User.role":                      "Role",
	"CreatedUser.role":               "Role",
	"Me.role":                        "Role",
	"OpeningInput.kind":              "OpeningKind",
	"KeywayInput.duplication_policy": "DuplicationPolicy",
	"HolderInput.kind":               "HolderKind",
	"UserInput.role":                 "Role",
	"UserUpdate.role":                "Role",
	"StoragePlace.kind":              "StorageKind",
	"StoredKey.status":               "KeyStatus",
	"KeyHome.storage_kind":           "StorageKind",
	"StorageEvent.actor_role":        "ActorRole",
	"StorageInput.kind":              "StorageKind",
	"Credential.kind":                "CredentialKind",
	"CredentialInput.kind":           "CredentialKind",
	"Webhook.events":                 "WebhookEvent",
	"WebhookInput.events":            "WebhookEvent",
	"Key.origin":                     "KeyOrigin",
	"CopyRequest.state":              "CopyState",
	"CopyRequest.policy":             "DuplicationPolicy",
	"CopyRequestEvent.state":         "CopyState",
	"CopyEvidence.id_type":           "IDType",
	"KeywayControl.policy":           "DuplicationPolicy",
	"LostDoor.how":                   "LostReach",
	"LostKey.next":                   "LostNextStep",
	"WorkItem.method":                "WorkMethod",
	"ItemDoneInput.method":           "WorkMethod",
	"LostKeyReply.status":            "KeyStatus",
}
