package keyward

import "slices"

// Role is what a user may do in the organization.
type Role string

const (
	RoleOwner      Role = "owner"
	RoleAdmin      Role = "admin"
	RoleManager    Role = "manager"    // approves
	RoleAdvisor    Role = "advisor"    // service desk: collects evidence
	RoleTechnician Role = "technician" // cuts keys, reveals codes
	RoleHolder     Role = "holder"     // self-service: own keys and requests
	RoleAuditor    Role = "auditor"    // read-only plus the audit log
	// RoleSystem is the named actor of offline commands (init, demo, import from the shell).
	RoleSystem Role = "system"
)

// Roles lists the roles a user account can have, most powerful first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleManager, RoleAdvisor, RoleTechnician, RoleHolder, RoleAuditor}

// RoleWords says in plain words what each role is for, where a role is chosen.
var RoleWords = map[Role]string{
	RoleOwner:      "Everything, including the organization's settings and other owners.",
	RoleAdmin:      "Everything except the organization's settings: adds users, reads the audit log.",
	RoleManager:    "Runs the keys day to day: adds keys, doors and storage, imports, approves copies.",
	RoleAdvisor:    "Front desk: checks keys in and out, keeps people's details, takes copy requests.",
	RoleTechnician: "Locksmith work: checks keys in and out, master keying, may see key codes.",
	RoleHolder:     "Someone who holds keys: sees only their own keys and may report one lost.",
	RoleAuditor:    "Reads everything and the audit log, changes nothing.",
}

// ValidRole reports whether r is a role a user account can have.
func ValidRole(r Role) bool { return slices.Contains(Roles, r) }

// Actor is the authenticated user on whose behalf a service acts.
type Actor struct {
	UserID string
	Email  string
	Role   Role
	// HolderID links a user of role holder to the holder record whose keys they see.
	HolderID string
	// MustChangePassword: the user signed in with a password someone else
	// was given, and must choose their own before any page is shown.
	MustChangePassword bool
}

// SystemActor is used by offline commands; it is recorded in the audit log like any user.
func SystemActor(name string) Actor {
	return Actor{UserID: "system:" + name, Email: name, Role: RoleSystem}
}

// Action names one thing a user can do; every route maps to exactly one.
type Action string

const (
	ActPublic        Action = "public" // no authentication (health, sign-in)
	ActSelf          Action = "self"   // any signed-in user, about themselves
	ActInventoryRead Action = "inventory.read"
	ActInventoryEdit Action = "inventory.edit"
	ActHolderEdit    Action = "holder.edit"
	ActKeyCreate     Action = "key.create"
	ActCustody       Action = "key.custody"
	ActKeyReportLost Action = "key.report_lost"
	ActImport        Action = "import"
	ActAuditRead     Action = "audit.read"
	ActUserManage    Action = "user.manage"
	// ActTokenManage lists and revokes other users' API tokens; one's own
	// tokens need only a sign-in, and nobody mints a token for someone else
	// over the API (see MayMintToken).
	ActTokenManage   Action = "token.manage"
	ActWebhookManage Action = "webhook.manage"
	ActOrgManage     Action = "org.manage"
	ActSecretReveal  Action = "secret.reveal"
	ActKeySystemRead Action = "keysystem.read"
	ActKeySystemEdit Action = "keysystem.edit"
	ActBittingReveal Action = "bitting.reveal"
	ActStorageEdit   Action = "storage.edit"
	ActCredential    Action = "credential.manage"
	ActOffboard      Action = "offboard"
	ActMetricsRead   Action = "metrics.read"
	// ActCopyRequest takes part in the copy workflow: request, follow, and
	// the steps CheckCopyStep allows the actor's role.
	ActCopyRequest Action = "copy.request"
	// ActCopyControl registers signatories and sets a keyway's authorization card.
	ActCopyControl Action = "copy.control"
	// ActCopyRead reads copy counts and requests of everyone.
	ActCopyRead Action = "copy.read"
	// ActNetAccess changes the network-lock key hierarchy (a key holder only
	// with a key they hold: MayActWithNetKey).
	ActNetAccess Action = "netaccess.manage"
	// Key codes (keycodes.go): reading their records (never a code),
	// recording one, asking for one with the evidence, approving,
	// revealing, recording the service done, reporting a suspected
	// disclosure, managing incidents, disposal and fleets, and resolving
	// an exposure. The service checks each step again (CheckCodeStep, CheckReveal).
	ActCodeRead     Action = "code.read"
	ActCodeCreate   Action = "code.create"
	ActCodeRequest  Action = "code.request"
	ActCodeApprove  Action = "code.approve"
	ActCodeReveal   Action = "code.reveal"
	ActCodeService  Action = "code.service"
	ActCodeIncident Action = "code.incident"
	ActCodeManage   Action = "code.manage"
	ActCodeExposure Action = "code.exposure"
)

// Vehicle spares (spares.go): reading them, asking for one and checking its
// proof (the desk), the workshop's steps (cut, enroll, test), the
// hand-over, and answering a lost vehicle key's re-enrollment question.
const (
	ActSpareRead     Action = "spare.read"
	ActSpareRequest  Action = "spare.request"
	ActSpareWork     Action = "spare.work"
	ActSpareHandOver Action = "spare.hand_over"
	ActSpareReenroll Action = "spare.reenroll"
)

var staff = []Role{RoleOwner, RoleAdmin, RoleManager, RoleAdvisor, RoleTechnician}

// Policy is the one table that decides which roles may take each action.
// A route without an entry here does not build (see web's route test).
var Policy = map[Action][]Role{
	ActInventoryRead: append(slices.Clone(staff), RoleAuditor),
	ActInventoryEdit: {RoleOwner, RoleAdmin, RoleManager},
	ActHolderEdit:    {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor},
	ActKeyCreate:     {RoleOwner, RoleAdmin, RoleManager},
	ActCustody:       staff,
	ActKeyReportLost: append(slices.Clone(staff), RoleHolder),
	ActImport:        {RoleOwner, RoleAdmin, RoleManager},
	ActAuditRead:     {RoleOwner, RoleAdmin, RoleAuditor},
	ActUserManage:    {RoleOwner, RoleAdmin},
	ActTokenManage:   {RoleOwner, RoleAdmin},
	ActWebhookManage: {RoleOwner, RoleAdmin},
	ActOrgManage:     {RoleOwner},
	ActSecretReveal:  {RoleOwner, RoleAdmin, RoleTechnician},
	ActKeySystemRead: append(slices.Clone(staff), RoleAuditor),
	ActKeySystemEdit: {RoleOwner, RoleAdmin, RoleManager, RoleTechnician},
	ActBittingReveal: {RoleOwner, RoleAdmin, RoleTechnician},
	ActStorageEdit:   {RoleOwner, RoleAdmin, RoleManager},
	ActCredential:    {RoleOwner, RoleAdmin, RoleManager},
	ActOffboard:      {RoleOwner, RoleAdmin, RoleManager},
	// Request counts per route tell an outsider what the organization does.
	ActMetricsRead: {RoleOwner, RoleAdmin, RoleAuditor},
	ActCopyRequest: append(slices.Clone(staff), RoleHolder),
	ActCopyControl: {RoleOwner, RoleAdmin, RoleManager},
	ActCopyRead:    append(slices.Clone(staff), RoleAuditor),
	ActNetAccess:   {RoleOwner, RoleAdmin, RoleManager, RoleHolder},
	// Who may know a code: the technician (and admin, owner) who enters
	// or reveals it; the advisor collects evidence, a manager approves.
	ActCodeRead:     append(slices.Clone(staff), RoleAuditor),
	ActCodeCreate:   RevealRoles,
	ActCodeRequest:  {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor},
	ActCodeApprove:  {RoleOwner, RoleAdmin, RoleManager},
	ActCodeReveal:   RevealRoles,
	ActCodeService:  RevealRoles,
	ActCodeIncident: staff,
	ActCodeManage:   {RoleOwner, RoleAdmin, RoleManager},
	ActCodeExposure: {RoleOwner, RoleAdmin, RoleManager, RoleTechnician},
	// Vehicle spares: the desk takes the request and checks proof, the
	// workshop cuts, enrolls and tests; any staff hands over a tested spare.
	ActSpareRead:     append(slices.Clone(staff), RoleAuditor),
	ActSpareRequest:  {RoleOwner, RoleAdmin, RoleManager, RoleAdvisor},
	ActSpareWork:     {RoleOwner, RoleAdmin, RoleManager, RoleTechnician},
	ActSpareHandOver: staff,
	ActSpareReenroll: {RoleOwner, RoleAdmin, RoleManager, RoleTechnician},
}

// Allowed reports whether role may take action. The system actor may do everything.
func Allowed(role Role, action Action) bool {
	switch action {
	case ActPublic:
		return true
	case ActSelf:
		return role != ""
	}
	if role == RoleSystem {
		return true
	}
	return slices.Contains(Policy[action], role)
}

// Authorize returns EFORBIDDEN unless the actor's role may take action.
func Authorize(a Actor, action Action) error {
	if Allowed(a.Role, action) {
		return nil
	}
	return Errorf(EFORBIDDEN, "role %s may not %s", a.Role, action)
}
