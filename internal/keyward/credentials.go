package keyward

import "context"

// Credentials are the electronic keys: PIN codes, cards and fobs, with the
// openings they open and a validity window.
type Credentials interface {
	// Issue creates a credential, sealing a PIN. EINVALID names the field (an unknown holder or opening too).
	Issue(ctx context.Context, a Actor, in CredentialInput) (*Credential, error)
	// Credential returns one credential. ENOTFOUND.
	Credential(ctx context.Context, a Actor, id string) (*Credential, error)
	// List lists credentials, optionally of one holder; active leaves out revoked ones.
	List(ctx context.Context, a Actor, holderID string, active bool, opt ListOptions) (*Page[Credential], error)
	// Revoke revokes a credential for a reason. ECONFLICT if it is already revoked.
	Revoke(ctx context.Context, a Actor, id string, in RevokeInput) (*Credential, error)
	// RevealPIN returns a PIN credential's code after its audit record commits. EFORBIDDEN (recorded).
	RevealPIN(ctx context.Context, a Actor, id string, in CodeRevealInput) (Secret, error)
}
