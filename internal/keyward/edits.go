package keyward

import (
	"context"
	"strings"
)

// RuleStamped is why a key's symbol and copy number are never edited.
const RuleStamped = "is stamped on the key: destroy this key and register the right one"

// KeyPatch edits what is not stamped on a key's metal. Absent members are
// left as they are. Symbol and CopyNumber are accepted only to be refused
// with RuleStamped.
type KeyPatch struct {
	KeywayID   *string `json:"keyway_id,omitempty"`
	Symbol     *string `json:"symbol,omitempty"`
	CopyNumber *int    `json:"copy_number,omitempty"`
}

// Validate checks the patch like a create.
func (in *KeyPatch) Validate() error {
	var v Validator
	v.Check(in.Symbol == nil, "symbol", RuleStamped)
	v.Check(in.CopyNumber == nil, "copy_number", RuleStamped)
	if in.KeywayID != nil {
		v.Check(*in.KeywayID != "", "keyway_id", "is required")
	}
	return v.Err()
}

// StoragePatch edits a storage place. Absent members are left as they are.
// The kind never changes; a lockbox code changes only through ChangeCode
// (sealed, with a reason) and an envelope's seal only by breaking it.
type StoragePatch struct {
	Name     *string `json:"name,omitempty"`
	SiteID   *string `json:"site_id,omitempty"`
	Location *string `json:"location,omitempty"`
	Hooks    *int    `json:"hooks,omitempty"`
}

// Validate checks the patch against the place's kind and the highest hook
// in use (a cabinet cannot lose a hook that holds a key).
func (in *StoragePatch) Validate(kind string, highestHookInUse int) error {
	var v Validator
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		checkText(&v, "name", *in.Name, MaxName, true)
	}
	if in.Location != nil {
		*in.Location = strings.TrimSpace(*in.Location)
		checkText(&v, "location", *in.Location, MaxName, false)
	}
	if in.Hooks != nil {
		if kind != StorageCabinet {
			v.Check(false, "hooks", "only a cabinet has hooks")
		} else if *in.Hooks < 1 || *in.Hooks > MaxHooks {
			v.Check(false, "hooks", "must be between 1 and "+itoa(MaxHooks)+" for a cabinet")
		} else {
			v.Check(*in.Hooks >= highestHookInUse, "hooks", "must be at least "+itoa(highestHookInUse)+": a key hangs on that hook")
		}
	}
	return v.Err()
}

// CodeChangeInput is a lockbox's new code and why it changes. The code is
// sealed and never echoed; the reason goes into the audit record, the code never does.
type CodeChangeInput struct {
	Code   Secret `json:"code"`
	Reason string `json:"reason"`
}

func (in *CodeChangeInput) Validate() error {
	var v Validator
	in.Reason = strings.TrimSpace(in.Reason)
	CheckCode(&v, "code", in.Code, true)
	checkText(&v, "reason", in.Reason, MaxNote, true)
	return v.Err()
}

// UserPatch changes a user's name, role or disabled flag. Absent members
// are left as they are.
type UserPatch struct {
	Name     *string `json:"name,omitempty"`
	Role     *Role   `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

func (in *UserPatch) Validate() error {
	var v Validator
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		checkText(&v, "name", *in.Name, MaxName, true)
	}
	if in.Role != nil {
		v.Check(ValidRole(*in.Role), "role", "must be one of owner, admin, manager, advisor, technician, holder, auditor")
	}
	return v.Err()
}

// MayChangeUser decides whether actor (role actorRole, id actorID) may make
// the change to a user whose role is now target: only an owner changes an
// owner's account in any way (re-enabling a disabled owner would hand back
// owner powers) or makes someone an owner (EFORBIDDEN), nobody demotes or
// disables themselves, and
// the last active owner is never demoted or disabled (ECONFLICT).
// otherOwners counts the active owners besides the target.
func MayChangeUser(actorRole Role, actorID, targetID string, target Role, in UserPatch, otherOwners int) error {
	newRole := target
	if in.Role != nil {
		newRole = *in.Role
	}
	disabling := in.Disabled != nil && *in.Disabled
	if (target == RoleOwner || newRole == RoleOwner) && actorRole != RoleOwner {
		return Errorf(EFORBIDDEN, "only an owner may change an owner's account or make someone an owner")
	}
	if actorID == targetID && (newRole != target || disabling) {
		return Errorf(ECONFLICT, "you cannot change your own role or disable yourself")
	}
	if target == RoleOwner && (newRole != RoleOwner || disabling) && otherOwners == 0 {
		return Errorf(ECONFLICT, "this is the last owner: make someone else an owner first")
	}
	return nil
}

// OrgPatch changes the organization's name or time zone. Absent members are
// left as they are.
type OrgPatch struct {
	Name     *string `json:"name,omitempty"`
	TimeZone *string `json:"time_zone,omitempty"`
}

func (in *OrgPatch) Validate() error {
	var v Validator
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		checkText(&v, "name", *in.Name, MaxName, true)
	}
	if in.TimeZone != nil {
		zone, ok := ResolveTimeZone(*in.TimeZone)
		v.Check(ok, "time_zone", "must be a time zone from the list, such as America/New_York (Eastern) or Europe/Berlin")
		if ok {
			*in.TimeZone = zone
		}
	}
	return v.Err()
}

// OrgEditor changes the organization's own record.
type OrgEditor interface {
	// UpdateOrg changes the name or time zone; owners only (EFORBIDDEN, recorded).
	UpdateOrg(ctx context.Context, a Actor, in OrgPatch) (*Org, error)
}
