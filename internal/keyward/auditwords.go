package keyward

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The audit log in words. The stored record never changes (it is chained and
// signed); a sentence is only a way of reading it. Each action the system
// writes has one entry in auditWords: a label for the filter list and a
// function that tells the record as a sentence. A record names things by id;
// the sentence asks AuditNamer what people call them, and never prints an id.

// AuditPart is one piece of an audit sentence: text, or a thing the record
// names (Kind and ID set) that a page may link to its own page.
type AuditPart struct {
	Text string `json:"text"`
	Kind string `json:"kind,omitempty"`
	ID   string `json:"id,omitempty"`
}

// The kinds of things an audit sentence names.
const (
	RefKey         = "key"
	RefHolder      = "holder"
	RefOpening     = "opening"
	RefSite        = "site"
	RefKeyway      = "keyway"
	RefStorage     = "storage"
	RefCredential  = "credential"
	RefKeySystem   = "keysystem"
	RefWorkList    = "worklist"
	RefUser        = "user"
	RefCopyRequest = "copy_request"
	RefWebhook     = "webhook"
	RefKeyCode     = "key_code"
	RefCodeRequest = "code_request"
	RefFleet       = "fleet"
)

// AuditRef is a thing an audit record names by id.
type AuditRef struct{ Kind, ID string }

// AuditNamer is what a sentence needs from outside: what people call a thing
// ("" when unknown: the sentence then says "a key", never the id), and how a
// time reads on the organization's clock.
type AuditNamer struct {
	Name func(kind, id string) string
	Time func(time.Time) string
}

// auditEntry is one action's words: its label in the filter list and its sentence.
type auditEntry struct {
	label string
	say   func(s *sentence)
}

// AuditActionLabel is an action's label in words ("Key checked out"); ok is
// false for an action that has no words (the log is read, not rewritten, so
// a page shows such a record by its code).
func AuditActionLabel(action string) (string, bool) {
	if e, ok := auditWords[action]; ok {
		return e.label, true
	}
	if rest, ok := strings.CutPrefix(action, "denied."); ok {
		return "Refused: " + lowerFirst(deniedWhat(rest)), true
	}
	return "", false
}

// AuditActionChoice is one entry of the audit log's action filter.
type AuditActionChoice struct{ Action, Label string }

// AuditActionChoices lists every action with words, by label, for the filter
// list; refusals ("denied.*") are one choice, DeniedActions.
func AuditActionChoices() []AuditActionChoice {
	out := make([]AuditActionChoice, 0, len(auditWords)+1)
	for a, e := range auditWords {
		out = append(out, AuditActionChoice{a, e.label})
	}
	out = append(out, AuditActionChoice{DeniedActions, "Refused requests (any)"})
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}

// DeniedActions is the action filter that matches every refusal.
const DeniedActions = "denied.*"

// HasAuditWords reports whether an action the system writes has its sentence.
func HasAuditWords(action string) bool {
	_, ok := AuditActionLabel(action)
	return ok
}

// AuditRefs lists the things a record names, so a caller can look their
// names up at once before telling the sentences.
func AuditRefs(r AuditRecord) []AuditRef {
	s := newSentence(r, AuditNamer{})
	s.collect = true
	tell(s)
	return s.refs
}

// DescribeAudit tells a record as a sentence: who did what to which key,
// holder or door ("Ana Diaz checked out key AA3-1 to Bo Li, due Sun 6 Dec
// 17:00"). It never prints an internal id.
func DescribeAudit(r AuditRecord, n AuditNamer) []AuditPart {
	s := newSentence(r, n)
	tell(s)
	return s.parts
}

// AuditText is the sentence as plain text.
func AuditText(parts []AuditPart) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

func tell(s *sentence) {
	s.actor()
	s.text(" ")
	if e, ok := auditWords[s.r.Action]; ok {
		e.say(s)
	} else if rest, ok := strings.CutPrefix(s.r.Action, "denied."); ok {
		s.text("was refused: " + lowerFirst(deniedWhat(rest)))
		if s.r.SubjectType != "" && s.r.SubjectID != "" {
			if kind := refKind(s.r.SubjectType); kind != "" {
				s.text(" (")
				s.ref(kind, s.r.SubjectID)
				s.text(")")
			}
		}
	} else {
		s.text("did " + s.r.Action)
	}
	s.text(".")
}

// sentence builds one record's words.
type sentence struct {
	r       AuditRecord
	n       AuditNamer
	d       map[string]any
	parts   []AuditPart
	refs    []AuditRef
	collect bool
}

func newSentence(r AuditRecord, n AuditNamer) *sentence {
	d := map[string]any{}
	_ = json.Unmarshal([]byte(r.Details), &d)
	if n.Name == nil {
		n.Name = func(string, string) string { return "" }
	}
	if n.Time == nil {
		n.Time = func(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006 15:04 UTC") }
	}
	return &sentence{r: r, n: n, d: d}
}

func (s *sentence) text(t string) { s.parts = append(s.parts, AuditPart{Text: t}) }

// ref names a thing: its name, linked, or "a key" when its name is unknown.
func (s *sentence) ref(kind, id string) {
	if id == "" {
		s.text(refNoun(kind))
		return
	}
	if s.collect {
		s.refs = append(s.refs, AuditRef{kind, id})
	}
	name := s.n.Name(kind, id)
	if name == "" || looksLikeID(name) {
		// "key a key" reads badly: the noun before an unknown name goes.
		name = refNoun(kind)
		if last := len(s.parts) - 1; last >= 0 && s.parts[last].Kind == "" {
			s.parts[last].Text = strings.TrimSuffix(s.parts[last].Text, strings.TrimPrefix(strings.TrimPrefix(name, "an "), "a ")+" ")
		}
	}
	s.parts = append(s.parts, AuditPart{Text: name, Kind: kind, ID: id})
}

// refd names the thing whose id is the detail field.
func (s *sentence) refd(kind, field string) { s.ref(kind, s.str(field)) }

// subject names the record's subject.
func (s *sentence) subject(kind string) { s.ref(kind, s.r.SubjectID) }

func (s *sentence) actor() {
	a := s.r.Actor
	switch {
	case s.r.ActorRole == RoleSystem || strings.HasPrefix(a, "system:"):
		s.text("Keyward (" + strings.TrimPrefix(a, "system:") + ")")
	case a == "":
		s.text("Someone")
	default:
		if s.collect {
			s.refs = append(s.refs, AuditRef{RefUser, a})
		}
		name := s.n.Name(RefUser, a)
		if name == "" && !looksLikeID(a) {
			name = a
		}
		if name == "" {
			name = "A user"
		}
		s.text(name)
	}
}

func (s *sentence) str(field string) string {
	switch v := s.d[field].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// or is the detail field's text, or else the fallback.
func (s *sentence) or(field, fallback string) string {
	if v := s.str(field); v != "" {
		return v
	}
	return fallback
}

func (s *sentence) num(field string) int {
	if v, ok := s.d[field].(float64); ok {
		return int(v)
	}
	if v, ok := s.d[field].([]any); ok {
		return len(v)
	}
	return 0
}

func (s *sentence) flag(field string) bool { v, _ := s.d[field].(bool); return v }

// when reads a stored time detail on the organization's clock.
func (s *sentence) when(field string) string {
	v := s.str(field)
	if v == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return ""
	}
	return s.n.Time(t)
}

func (s *sentence) whenOr(field, fallback string) string {
	if v := s.when(field); v != "" {
		return v
	}
	return fallback
}

// quoted adds `: "text"` for a reason or note, when there is one.
func (s *sentence) quoted(field string) {
	if v := strings.TrimSpace(s.str(field)); v != "" {
		s.text(": “" + v + "”")
	}
}

// changed lists the fields an edit changed ("name and email").
func (s *sentence) changed() {
	var fields []string
	if c, ok := s.d["changes"].(map[string]any); ok {
		for f := range c {
			fields = append(fields, fieldWords(f))
		}
	}
	for f := range s.d {
		if strings.HasPrefix(f, "previous_") {
			fields = append(fields, fieldWords(strings.TrimPrefix(f, "previous_")))
		}
	}
	sort.Strings(fields)
	fields = dedupe(fields)
	if len(fields) > 0 {
		s.text(" (" + joinAnd(fields) + ")")
	}
}

func dedupe(xs []string) []string {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func fieldWords(f string) string {
	f = strings.TrimSuffix(f, "_id")
	if f == "keyway" {
		return "key type"
	}
	if f == "opening" {
		return "door"
	}
	return strings.ReplaceAll(f, "_", " ")
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// copies is "1 copy", "2 copies".
func copies(n int) string {
	if n == 1 {
		return "1 copy"
	}
	return strconv.Itoa(n) + " copies"
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// refNoun is what a sentence says of a thing whose name is unknown.
func refNoun(kind string) string {
	switch kind {
	case RefKey:
		return "a key"
	case RefHolder:
		return "a holder"
	case RefOpening:
		return "a door"
	case RefSite:
		return "a site"
	case RefKeyway:
		return "a key type"
	case RefStorage:
		return "a storage place"
	case RefCredential:
		return "a credential"
	case RefKeySystem:
		return "a key system"
	case RefWorkList:
		return "a work list"
	case RefUser:
		return "a user"
	case RefCopyRequest:
		return "a copy request"
	case RefWebhook:
		return "a webhook"
	case RefKeyCode:
		return "a key code"
	case RefCodeRequest:
		return "a code request"
	case RefFleet:
		return "a fleet"
	}
	return "something"
}

// refKind maps a record's subject type to the kind of thing it names.
func refKind(subjectType string) string {
	switch subjectType {
	case "key", "holder", "opening", "site", "keyway", "storage", "credential", "keysystem", "worklist", "user", "copy_request", "webhook", "key_code", "fleet", "code_request":
		return subjectType
	}
	return ""
}

// looksLikeID reports whether text is an internal id ("key_0123456789abcdef"),
// which no sentence may show.
func looksLikeID(text string) bool { return IDPattern.MatchString(text) }

// roleWords says a role as people do.
func roleWords(r string) string {
	switch Role(r) {
	case RoleOwner:
		return "an owner"
	case RoleAdmin:
		return "an administrator"
	case RoleManager:
		return "a manager"
	case RoleAdvisor:
		return "an advisor"
	case RoleTechnician:
		return "a technician"
	case RoleHolder:
		return "a key holder"
	case RoleAuditor:
		return "an auditor"
	}
	return r
}

// deniedWhat says what a refused request tried to do.
func deniedWhat(action string) string {
	if w, ok := policyWords[Action(action)]; ok {
		return w
	}
	if e, ok := auditWords[action]; ok {
		return e.label
	}
	if w, ok := refusalWords[action]; ok {
		return w
	}
	return "a request"
}

// refusalWords says what a refused request tried to do, for refusals that
// are not a policy action (a domain rule refused them).
var refusalWords = map[string]string{
	"note.code": "Write a note holding the record's own code",
}

// policyWords says each policy action as the thing one tried to do.
var policyWords = map[Action]string{
	ActInventoryRead: "See the inventory", ActInventoryEdit: "Change sites, doors or key types", ActHolderEdit: "Change holders",
	ActKeyCreate: "Add a key", ActCustody: "Hand out or take back a key", ActKeyReportLost: "Report a key lost",
	ActImport: "Import a spreadsheet", ActAuditRead: "Read the audit log", ActUserManage: "Manage users",
	ActTokenManage: "Manage API tokens", ActWebhookManage: "Manage webhooks", ActOrgManage: "Change the organization's settings",
	ActSecretReveal: "Reveal a secret", ActKeySystemRead: "See key systems", ActKeySystemEdit: "Change a key system",
	ActBittingReveal: "Reveal bittings", ActStorageEdit: "Change storage places", ActCredential: "Manage credentials",
	ActOffboard: "Offboard a holder", ActMetricsRead: "Read metrics", ActCopyRequest: "Ask for a key copy",
	ActCopyControl: "Decide on a key copy", ActCopyRead: "See copy requests",
	ActNetAccess: "Change network keys and locks",
	ActCodeRead:  "See key codes", ActCodeCreate: "Record a key code", ActCodeRequest: "Ask for a key code",
	ActCodeApprove: "Approve a key code request", ActCodeReveal: "Reveal a key code", ActCodeService: "Record a key code job done",
	ActCodeIncident: "Report a suspected code disclosure", ActCodeManage: "Manage key codes", ActCodeExposure: "Resolve an exposed code",
	ActSpareRead: "See vehicle spares", ActSpareRequest: "Ask for a vehicle spare or check its proof",
	ActSpareWork: "Cut, enroll or test a vehicle spare", ActSpareHandOver: "Hand over a vehicle spare",
	ActSpareReenroll: "Answer whether a vehicle's keys were re-enrolled",
}

// custodyWords is the sentence of each custody move, after the actor.
func custodyWords(verb string, to bool) func(*sentence) {
	return func(s *sentence) {
		s.text(verb + " key ")
		s.subject(RefKey)
		if to && s.str("holder_id") != "" {
			s.text(" to ")
			s.refd(RefHolder, "holder_id")
		}
		if due := s.when("due_at"); due != "" {
			s.text(", due " + due)
		}
		s.quoted("note")
	}
}

// directoryWords are the create, edit, retire and restore sentences of a directory kind.
func directoryWords(kind, noun, label string) map[string]auditEntry {
	return map[string]auditEntry{
		kind + ".update":  {label + " edited", func(s *sentence) { s.text("edited " + noun + " "); s.subject(kind); s.changed() }},
		kind + ".retire":  {label + " retired", func(s *sentence) { s.text("retired " + noun + " "); s.subject(kind) }},
		kind + ".restore": {label + " restored", func(s *sentence) { s.text("restored " + noun + " "); s.subject(kind) }},
	}
}

// copyStepWords is the sentence of a step of a copy request.
func copyStepWords(verb string) func(*sentence) {
	return func(s *sentence) {
		s.text(verb + " ")
		s.subject(RefCopyRequest)
		s.quoted("note")
	}
}

func storageWords(verb string) func(*sentence) {
	return func(s *sentence) { s.text(verb + " "); s.subject(RefStorage) }
}

// auditWords holds every action the system writes. A test reads the store's
// source and fails when an action it writes is missing here.
var auditWords = map[string]auditEntry{}

func init() {
	add := func(m map[string]auditEntry) {
		for k, v := range m {
			auditWords[k] = v
		}
	}
	add(map[string]auditEntry{
		// Keys and custody.
		"key.create": {"Key registered", func(s *sentence) {
			s.text("registered key ")
			s.subject(RefKey)
			switch s.str("origin") {
			case OriginProduced:
				s.text(", cut for a copy request")
			case OriginImported:
				s.text(", from an import")
			}
		}},
		"key.issue":    {"Key issued", custodyWords("issued", true)},
		"key.return":   {"Key returned", custodyWords("took back", false)},
		"key.transfer": {"Key passed to someone else", custodyWords("passed", true)},
		"key.checkout": {"Key checked out", custodyWords("checked out", true)},
		"key.checkin":  {"Key checked in", custodyWords("checked in", false)},
		"key.lost":     {"Key reported lost", func(s *sentence) { s.text("reported key "); s.subject(RefKey); s.text(" lost"); s.quoted("note") }},
		"key.found":    {"Key found", func(s *sentence) { s.text("reported key "); s.subject(RefKey); s.text(" found"); s.quoted("note") }},
		"key.destroy": {"Key destroyed", func(s *sentence) {
			s.text("recorded key ")
			s.subject(RefKey)
			s.text(" as destroyed")
			s.quoted("note")
		}},
		"key.update": {"Key edited", func(s *sentence) { s.text("edited key "); s.subject(RefKey); s.changed() }},
		"key.import": {"Spreadsheet imported", func(s *sentence) {
			s.text(fmt.Sprintf("imported a spreadsheet: %s read, %s and %s added", plural(s.num("rows"), "row"), plural(s.num("keys_created"), "key"), plural(s.num("holders_created"), "holder")))
		}},
		"key.overdue_notice": {"Overdue reminder sent", func(s *sentence) {
			s.text("sent the overdue reminder for key ")
			s.subject(RefKey)
			s.text(fmt.Sprintf(" (%s, %s)", plural(s.num("emails"), "email"), plural(s.num("webhooks"), "webhook")))
		}},

		// The directory.
		"site.create": {"Site added", func(s *sentence) { s.text("added site "); s.subject(RefSite) }},
		"opening.create": {"Door added", func(s *sentence) {
			s.text("added door ")
			s.subject(RefOpening)
			s.text(" at ")
			s.refd(RefSite, "site_id")
		}},
		"keyway.create": {"Key type added", func(s *sentence) {
			s.text("added key type ")
			s.subject(RefKeyway)
			s.text(" (" + PolicyWords(s.str("duplication_policy")) + ")")
		}},
		"holder.create": {"Holder added", func(s *sentence) { s.text("added holder "); s.subject(RefHolder) }},
		"holder.merge": {"Holders merged", func(s *sentence) {
			s.text("merged holder “" + s.str("name") + "” into ")
			s.refd(RefHolder, "into")
			s.text(fmt.Sprintf(" (%s moved)", plural(s.num("keys"), "key")))
		}},
		"opening.symbol.add": {"Key added to a door's schedule", func(s *sentence) {
			s.text("recorded that key " + s.or("symbol", "?") + " opens door ")
			s.subject(RefOpening)
		}},
		"opening.symbol.remove": {"Key removed from a door's schedule", func(s *sentence) {
			s.text("recorded that key " + s.or("symbol", "?") + " no longer opens door ")
			s.subject(RefOpening)
		}},

		// Organization, users, sign-in, tokens.
		"org.create":       {"Organization set up", func(s *sentence) { s.text("set up the organization “" + s.str("name") + "”") }},
		"org.update":       {"Organization settings changed", func(s *sentence) { s.text("changed the organization's settings"); s.changed() }},
		"org.require_totp": {"Two-step sign-in rule changed", requireTOTP},
		"user.create": {"User added", func(s *sentence) {
			s.text("added user ")
			s.subject(RefUser)
			s.text(" as " + roleWords(s.str("role")))
		}},
		"user.update": {"User changed", func(s *sentence) {
			s.text("changed user ")
			s.subject(RefUser)
			if s.flag("disabled") {
				s.text(": account disabled")
			} else if r := s.str("role"); r != "" && r != s.str("previous_role") {
				s.text(": now " + roleWords(r))
			} else if s.str("previous_name") != "" {
				s.text(": name")
			}
		}},
		"user.totp_enrol":      {"Two-step sign-in turned on", func(s *sentence) { s.text("turned on two-step sign-in") }},
		"user.password_change": {"Password changed", func(s *sentence) { s.text("changed their password") }},
		"session.create":       {"Signed in", func(s *sentence) { s.text("signed in") }},
		"user.sign_in": {"Signed in (with address)", func(s *sentence) {
			s.text("signed in")
			if n := s.num("failed_attempts"); n > 0 {
				s.text(" after " + plural(n, "failed attempt"))
			}
		}},
		"user.sign_in_alert": {"Sign-in alert", func(s *sentence) {
			s.text("raised a sign-in alert for ")
			s.subject(RefUser)
			s.text(": " + plural(s.num("failures"), "failed attempt"))
		}},
		"token.create": {"API token made", func(s *sentence) { s.text("made API token “" + s.str("name") + "” for "); s.subject(RefUser) }},
		"token.revoke": {"API token revoked", func(s *sentence) { s.text("revoked API token “" + s.str("name") + "” of "); s.subject(RefUser) }},
		"vault.key_moved": {"Vault key moved to a file", func(s *sentence) {
			s.text("moved the vault key out of the database into a key file")
		}},
		"vault.rewrapped": {"Secrets moved to a new vault key", func(s *sentence) {
			s.text("moved " + plural(s.num("rows"), "secret") + " (" + s.or("what", "sealed values") + ") to vault key " + s.or("to_kek", "the new one") +
				" without opening them")
		}},
		"vault.kek_rotated": {"Vault key rotated", func(s *sentence) {
			if s.flag("resumed") {
				s.text("finished a rotation of the vault key begun earlier")
			} else {
				s.text("rotated the vault key")
			}
			s.text(": every secret is now under vault key " + s.or("to_kek", "a new one") + " (" + plural(s.num("rewrapped"), "secret") + " moved)")
		}},
		"vault.kek_destroyed": {"Old vault key destroyed", func(s *sentence) {
			s.text("destroyed the retired vault key " + s.or("kek", "") + ": backups taken before its rotation can no longer be opened with the keyring")
		}},
		"audit.restored": {"Backup restored", func(s *sentence) {
			s.text("restored a backup taken " + s.whenOr("backup_taken_at", "earlier") + " (" + plural(s.num("restored_size"), "audit record") + ")")
		}},
		"load.seed": {"Load-test data seeded", func(s *sentence) {
			s.text(fmt.Sprintf("filled an empty database with made-up data for load runs: round %d of %d, %s",
				s.num("round"), s.num("rounds"), plural(s.num("events"), "logbook line")))
			if n := s.num("keys"); n > 0 {
				s.text(fmt.Sprintf(", with %s, %s and the door %s", plural(n, "key"), plural(s.num("holders"), "holder"), s.or("door", "")))
			}
		}},
		"webhook.create": {"Webhook added", func(s *sentence) { s.text("added a webhook to " + s.str("url")) }},
		"webhook.update": {"Webhook changed", func(s *sentence) { s.text("changed the webhook to " + s.or("url", "an address")); s.changed() }},
		"webhook.delete": {"Webhook deleted", func(s *sentence) { s.text("deleted the webhook to " + s.or("url", "an address")) }},
		"webhook.test":   {"Test event sent", func(s *sentence) { s.text("sent a test event to the webhook " + s.or("url", "")) }},
		"notify.recipients": {"Email recipients changed", func(s *sentence) {
			s.text("changed who gets email for " + s.or("event", "an event"))
		}},
		"email.test":            {"Test email sent", func(s *sentence) { s.text("sent a test email to " + s.or("to", "themselves")) }},
		"org.checklist_dismiss": {"Getting-started list put away", func(s *sentence) { s.text("put the getting-started list away") }},
		"user.invite": {"User invited", func(s *sentence) {
			s.text("invited user ")
			s.subject(RefUser)
		}},
		"user.password_set": {"Password chosen", func(s *sentence) {
			s.text("chose the password of user ")
			s.subject(RefUser)
		}},
		"copy.uncontrolled": {"Copy found outside Keyward", func(s *sentence) {
			s.text("recorded a copy of " + s.or("symbol", "a key") + " that Keyward never made, found at " + s.or("where", "an unknown place"))
		}},

		// Credentials.
		"credential.issue": {"Credential issued", func(s *sentence) {
			s.text("issued ")
			s.subject(RefCredential)
			s.text(" to ")
			s.refd(RefHolder, "holder_id")
		}},
		"credential.revoke": {"Credential revoked", func(s *sentence) {
			s.text("revoked ")
			s.subject(RefCredential)
			s.text(" of ")
			s.refd(RefHolder, "holder_id")
			s.quoted("reason")
		}},
		"credential.pin.reveal": {"PIN revealed", func(s *sentence) { s.text("revealed the PIN of "); s.subject(RefCredential); s.quoted("reason") }},

		// Lock sync: locks, what they acknowledged, who opened them, temporary and offline codes.
		"lock.add": {"Lock added to lock sync", func(s *sentence) {
			s.text("added lock " + s.or("name", "a lock") + " to lock sync")
		}},
		"lock.secret_reveal": {"Lock secret revealed", func(s *sentence) {
			s.text("revealed the secret of lock " + s.or("name", "a lock") + " to install it")
		}},
		"lock.offline_code": {"Offline code issued", func(s *sentence) {
			s.text("issued an offline code for " + s.or("for", "someone") + " on lock " + s.or("name", "a lock") +
				", from " + s.whenOr("from", "its start") + " until " + s.whenOr("until", "its end") + " (it cannot be revoked)")
		}},
		"lock.opened": {"Lock opened", func(s *sentence) {
			s.text("recorded that " + s.or("who", "someone") + " opened lock " + s.or("name", "a lock") + lockMethodWords(s.str("method")))
		}},
		"lock.denied": {"Lock refused a code or key", func(s *sentence) {
			s.text("recorded that lock " + s.or("name", "a lock") + " refused " + lockRefusedWords(s.str("method")))
		}},
		"locksync.desired": {"Locks given a new state", func(s *sentence) {
			n := s.size("versions")
			if n == 0 {
				s.text("freed PIN slots that locks no longer hold")
				return
			}
			s.text("gave " + plurals(n, "lock", "locks") + " a new state to apply")
		}},
		"locksync.reports": {"Locks reported", func(s *sentence) {
			s.text("recorded what locks reported: " + plurals(s.size("acks"), "acknowledgement", "acknowledgements"))
			if n := s.size("online"); n > 0 {
				s.text(", " + plurals(n, "lock", "locks") + " back online")
			}
			if n := s.size("offline"); n > 0 {
				s.text(", " + plurals(n, "lock", "locks") + " offline")
			}
		}},
		"tempcode.issue": {"Temporary code issued", func(s *sentence) {
			s.text("issued a temporary code for " + s.or("for", "someone") + " on " + plurals(s.size("slots"), "lock", "locks"))
		}},
		"tempcode.revoke": {"Temporary code revoked", func(s *sentence) {
			s.text("revoked the temporary code of " + s.or("for", "someone"))
		}},
		"tempcode.link_open": {"Temporary code opened by its link", func(s *sentence) {
			s.text("showed the temporary code of " + s.or("for", "someone") + " through its link")
		}},

		// Network keys and locks (the names are in the record: they are what people read).
		"netkey.master": {"Master key added", func(s *sentence) {
			s.text("added master key " + s.or("name", "a master key"))
		}},
		"netkey.lock": {"Network lock added", func(s *sentence) {
			s.text("added network lock " + s.or("lock_name", "a lock"))
		}},
		"netkey.serialize": {"Network lock serialized", func(s *sentence) {
			s.text("serialized lock " + s.or("lock_name", "a lock") + " to the group of master " + s.or("group_name", "a master") + " with key " + s.or("by_name", "a key"))
		}},
		"netkey.unserialize": {"Network lock unserialized", func(s *sentence) {
			s.text("took lock " + s.or("lock_name", "a lock") + " from the group of master " + s.or("group_name", "a master") + " with key " + s.or("by_name", "a key"))
		}},
		"netkey.backup": {"Backup key added", func(s *sentence) {
			s.text("added backup key " + s.or("name", "a backup key") + " with key " + s.or("by_name", "a key"))
		}},
		"netkey.sub": {"Sub key added", func(s *sentence) {
			s.text("added " + s.or("kind", "sub") + " key " + s.or("name", "a key") + " for " + s.or("lock_names", "no lock") + " with key " + s.or("by_name", "a key"))
		}},
		"netkey.grant": {"Network lock granted", func(s *sentence) {
			s.text("granted " + s.or("lock_names", "locks") + " to key " + s.or("key_name", "a key") + " with key " + s.or("by_name", "a key"))
		}},
		"netkey.revoke": {"Network lock grant revoked", func(s *sentence) {
			s.text("revoked " + s.or("lock_names", "locks") + " from key " + s.or("key_name", "a key") + " with key " + s.or("by_name", "a key"))
		}},
		"netkey.delete": {"Network key deleted", func(s *sentence) {
			s.text("deleted key " + s.or("key_name", "a key") + ", which opened " + s.or("lock_names", "no lock") + ", with key " + s.or("by_name", "a key"))
		}},
		"netkey.offline": {"Network lock offline", func(s *sentence) {
			s.text("marked lock " + s.or("lock_name", "a lock") + " offline")
		}},
		"netkey.online": {"Network lock online", func(s *sentence) {
			s.text("marked lock " + s.or("lock_name", "a lock") + " online")
		}},
		"netkey.rename": {"Network key renamed", func(s *sentence) {
			s.text("renamed key " + s.or("old_name", "a key") + " to " + s.or("name", "a new name") + " with key " + s.or("by_name", "a key"))
		}},

		// Duplication control.
		"copy.request": {"Copy requested", func(s *sentence) {
			s.text("asked for " + copies(s.num("count")) + " of key ")
			s.refd(RefKey, "key_id")
			s.quoted("reason")
		}},
		"copy.evidence": {"Copy evidence checked", copyStepWords("checked the ID and card for")},
		"copy.approve":  {"Copy approved", copyStepWords("approved")},
		"copy.deny":     {"Copy refused", copyStepWords("refused")},
		"copy.escalate": {"Copy escalated", copyStepWords("passed up")},
		"copy.produce":  {"Copy cut", func(s *sentence) { s.text("cut " + copies(s.num("count")) + " for "); s.subject(RefCopyRequest) }},
		"copy.hand_over": {"Copy handed over", func(s *sentence) {
			s.text("handed over the copies of ")
			s.subject(RefCopyRequest)
			s.text(" to ")
			s.refd(RefHolder, "holder_id")
		}},
		"copy.cancel": {"Copy request cancelled", copyStepWords("cancelled")},
		"copy.signatory_add": {"Signatory added", func(s *sentence) {
			s.text("made ")
			s.refd(RefHolder, "holder_id")
			s.text(" a signatory for key type ")
			s.subject(RefKeyway)
			if u := s.when("until"); u != "" {
				s.text(" until " + u)
			}
		}},
		"copy.signatory_remove": {"Signatory removed", func(s *sentence) {
			s.text("removed ")
			s.refd(RefHolder, "holder_id")
			s.text(" as a signatory for key type ")
			s.subject(RefKeyway)
		}},
		"copy.card_set": {"Authorization card recorded", func(s *sentence) {
			s.text("recorded the authorization card of key type ")
			s.subject(RefKeyway)
		}},
		"copy.settings": {"Copy approval rules changed", func(s *sentence) {
			s.text("set copies to need " + plural(s.num("approvals_required"), "approval"))
			if s.flag("two_person_rule") {
				s.text(", two people")
			}
		}},

		// Exports.
		"export.keys":    {"Keys exported", func(s *sentence) { s.text("exported the keys list") }},
		"export.holders": {"Holders exported", func(s *sentence) { s.text("exported the holders list") }},
		"export.logbook": {"Logbook exported", func(s *sentence) { s.text("exported the logbook") }},

		// Master keying and lost keys.
		"keyingspec.create": {"Keying spec added", func(s *sentence) { s.text("added the keying spec “" + s.str("name") + "”") }},
		"keysystem.create": {"Key system created", func(s *sentence) {
			s.text("created key system ")
			s.subject(RefKeySystem)
			s.text(" (" + plural(s.num("symbols"), "key") + ")")
		}},
		"bitting.reveal": {"Bittings revealed", func(s *sentence) {
			if s.flag("pinning_chart") {
				s.text("revealed the pinning chart of door ")
				s.refd(RefOpening, "opening_id")
				s.text(" in ")
			} else {
				s.text("revealed the bittings of " + plural(s.num("symbols"), "key") + " in ")
			}
			s.subject(RefKeySystem)
			s.quoted("reason")
		}},
		"keysystem.pin": {"Door pinned", func(s *sentence) {
			s.text("recorded the pinning of door ")
			s.refd(RefOpening, "opening_id")
			s.text(" in ")
			s.subject(RefKeySystem)
		}},
		"keysystem.audit": {"Cross-key check run", func(s *sentence) {
			s.text("checked ")
			s.subject(RefKeySystem)
			s.text(" for cross-keying: " + plural(s.num("findings"), "finding"))
		}},
		"keysystem.key_lost": {"Lost key noted in a key system", func(s *sentence) {
			s.text("noted key ")
			s.refd(RefKey, "key_id")
			s.text(" lost in ")
			s.subject(RefKeySystem)
		}},
		"keysystem.lost_key": {"Rekey plan started", func(s *sentence) {
			s.text("started a rekey plan in ")
			s.subject(RefKeySystem)
			s.text(" for lost key " + s.or("symbol", "?") + ": " + plural(s.num("items"), "step"))
		}},
		"keysystem.plan_item": {"Rekey step done", func(s *sentence) {
			s.text("finished a rekey step at door ")
			s.refd(RefOpening, "opening_id")
			s.text(" in ")
			s.subject(RefKeySystem)
			s.quoted("note")
		}},
		"keysystem.plan_closed": {"Rekey plan closed", func(s *sentence) {
			s.text("closed the rekey plan for lost key " + s.or("lost_symbol", "?") + " in ")
			s.subject(RefKeySystem)
		}},
		"worklist.create": {"Work list made", func(s *sentence) {
			s.text("made a work list for lost key ")
			s.refd(RefKey, "key_id")
			s.text(": " + plural(s.num("doors"), "door"))
		}},
		"worklist.item_done": {"Door on a work list done", func(s *sentence) {
			s.text("finished door ")
			s.refd(RefOpening, "opening_id")
			s.text(" on the work list for lost key " + s.or("lost_symbol", "?"))
			s.quoted("note")
		}},
		"worklist.closed": {"Work list closed", func(s *sentence) {
			s.text("closed the work list for lost key " + s.or("lost_symbol", "?"))
		}},

		// Offboarding.
		"offboarding.start": {"Offboarding started", func(s *sentence) { s.text("started offboarding "); s.subject(RefHolder) }},
		"offboarding.clear": {"Offboarding cleared", func(s *sentence) { s.text("cleared the offboarding of "); s.subject(RefHolder) }},

		// Storage.
		"storage.create": {"Storage place added", storageWords("added storage place")},
		"storage.assign": {"Key put in storage", func(s *sentence) {
			s.text("gave key ")
			s.refd(RefKey, "key_id")
			s.text(" its place in ")
			s.subject(RefStorage)
			if h := s.str("hook"); h != "" {
				s.text(", hook " + h)
			}
			s.quoted("reason")
		}},
		"storage.unassign": {"Key taken out of storage", func(s *sentence) {
			s.text("took key ")
			s.refd(RefKey, "key_id")
			s.text(" out of ")
			s.subject(RefStorage)
			s.quoted("reason")
		}},
		"storage.seal.break": {"Seal broken", func(s *sentence) {
			s.text("broke seal #" + s.str("broken_seal") + " of ")
			s.subject(RefStorage)
			if n := s.str("new_seal"); n != "" {
				s.text(", new seal #" + n)
			}
			s.quoted("reason")
		}},
		"storage.code.reveal": {"Lockbox code revealed", func(s *sentence) { s.text("revealed the code of "); s.subject(RefStorage); s.quoted("reason") }},
		"storage.code.change": {"Lockbox code changed", storageWords("changed the code of")},
		"storage.code.discard": {"Lockbox code discarded", func(s *sentence) {
			s.text("discarded the sealed code of ")
			s.subject(RefStorage)
			s.text(" when it was retired")
		}},
		"storage.update":  {"Storage place edited", func(s *sentence) { s.text("edited "); s.subject(RefStorage); s.changed() }},
		"storage.retire":  {"Storage place retired", storageWords("retired")},
		"storage.restore": {"Storage place restored", storageWords("restored")},
		"storage.acknowledge": {"Designated holder acknowledged", func(s *sentence) {
			s.text("recorded that the designated holder of ")
			s.subject(RefStorage)
			s.text(" acknowledged it")
		}},
	})
	add(keyCodeWords())
	add(spareWords())
	add(directoryWords(KindSite, "site", "Site"))
	add(directoryWords(KindOpening, "door", "Door"))
	add(directoryWords(KindKeyway, "key type", "Key type"))
	add(directoryWords(KindHolder, "holder", "Holder"))
}

func requireTOTP(s *sentence) {
	if s.flag("require_totp") {
		s.text("required two-step sign-in for everyone")
	} else {
		s.text("stopped requiring two-step sign-in")
	}
}

// IDPattern matches an internal id ("key_0123456789abcdef", "crd_…"): a short
// lowercase prefix and sixteen characters of the ids' alphabet. No message a
// person reads may match it.
var IDPattern = regexp.MustCompile(`\b[a-z]{2,5}_[0-9a-z]{16}\b`)

// size counts a detail that is a map or a list.
func (s *sentence) size(field string) int {
	switch v := s.d[field].(type) {
	case map[string]any:
		return len(v)
	case []any:
		return len(v)
	}
	return 0
}

// plurals is "1 lock", "3 locks".
func plurals(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func lockMethodWords(method string) string {
	switch method {
	case "pin":
		return " with a PIN"
	case "offline_code":
		return " with an offline code"
	case "key":
		return " with a network key"
	case "manual":
		return " by hand"
	}
	return ""
}

func lockRefusedWords(method string) string {
	switch method {
	case "key":
		return "a network key"
	case "offline_code":
		return "an offline code"
	}
	return "a code"
}

// keyCodeWords are the sentences of key codes: never the code, only where it
// came from, who it was revealed to and why.
func keyCodeWords() map[string]auditEntry {
	step := func(verb string) func(*sentence) {
		return func(s *sentence) { s.text(verb + " "); s.subject(RefCodeRequest); s.quoted("note") }
	}
	return map[string]auditEntry{
		"code.create": {"Key code recorded", func(s *sentence) {
			s.text("recorded ")
			s.subject(RefKeyCode)
			s.text(", retrieved from " + CodeSourceWords(s.str("source")))
			if s.str("vin_check_digit") != "" {
				s.text(" (the VIN's check digit does not match)")
			}
		}},
		"code.request": {"Key code requested", func(s *sentence) {
			s.text("asked for ")
			s.refd(RefKeyCode, "key_code_id")
			s.text(" for a " + RelationshipWords(s.str("relationship")))
			if ch := s.str("channel"); ch != "" {
				s.text(" (" + ch + ")")
			}
			s.quoted("reason")
		}},
		"code.evidence": {"Key code evidence recorded", step("recorded evidence for")},
		"code.approve":  {"Key code request approved", step("approved")},
		"code.deny":     {"Key code request denied", step("denied")},
		"code.cancel":   {"Key code request cancelled", step("cancelled")},
		"code.close":    {"Key code job done", step("recorded the service done for")},
		"code.reveal": {"Key code revealed", func(s *sentence) {
			s.text("revealed ")
			s.subject(RefKeyCode)
			s.text(", retrieved from " + CodeSourceWords(s.str("source")))
			s.quoted("reason")
		}},
		"code.dispose": {"Key code disposed of", func(s *sentence) {
			s.text("disposed of ")
			s.subject(RefKeyCode)
			s.quoted("rule")
		}},
		"code.incident_open": {"Key code disclosure suspected", func(s *sentence) {
			s.text("reported a suspected disclosure of ")
			s.subject(RefKeyCode)
			s.text(fmt.Sprintf(" (%s so far)", plural(s.num("reveals"), "reveal")))
			s.quoted("note")
		}},
		"code.incident_close": {"Key code incident closed", func(s *sentence) {
			s.text("closed the incident on ")
			s.subject(RefKeyCode)
			s.quoted("note")
		}},
		"code.exposure_resolve": {"Exposed code resolved", func(s *sentence) {
			what := "re-programmed"
			if s.str("remedy") == RemedyRekey {
				what = "rekeyed"
			}
			s.text("recorded the vehicle or lock of ")
			s.subject(RefKeyCode)
			s.text(" " + what)
			s.quoted("note")
		}},
		"code.fleet_create": {"Fleet account added", func(s *sentence) { s.text("added fleet "); s.subject(RefFleet) }},
		"code.fleet_vehicle_add": {"Vehicle added to a fleet", func(s *sentence) {
			s.text("added vehicle " + s.or("vin", "a vehicle") + " to fleet ")
			s.subject(RefFleet)
		}},
		"code.fleet_vehicle_remove": {"Vehicle left a fleet", func(s *sentence) {
			s.text("recorded vehicle " + s.or("vin", "a vehicle") + " leaving fleet ")
			s.subject(RefFleet)
		}},
		"code.settings": {"Key code rules changed", func(s *sentence) {
			s.text(fmt.Sprintf("set key code approvals to last %d hours and allow %s, codes kept %d days after the job",
				s.num("approval_hours"), plural(s.num("max_reveals"), "reveal"), s.num("retention_days")))
		}},
	}
}
