package keyward

import "context"

// Offboardings take back what a leaving holder has: keys, credentials and
// designated storage. While one is open, nothing new is handed to the holder.
type Offboardings interface {
	// Start opens an offboarding. ENOTFOUND for an unknown holder, ECONFLICT if one is open.
	Start(ctx context.Context, a Actor, holderID string, in OffboardingInput) (*Offboarding, error)
	// Current returns the holder's open offboarding with what is outstanding. ENOTFOUND if none is open.
	Current(ctx context.Context, a Actor, holderID string) (*Offboarding, error)
	// Holdings lists what a holder holds now, whether or not an offboarding is open.
	Holdings(ctx context.Context, a Actor, holderID string) (*Offboarding, error)
	// Open lists the open offboardings, oldest first, with their outstanding items.
	Open(ctx context.Context, a Actor) ([]Offboarding, error)
	// CollectKey takes a key back from the holder (a check-in or a return):
	// ECONFLICT if the holder does not have it; EINVALID on new_seal_number
	// when the key goes back into a sealed envelope without a new seal.
	CollectKey(ctx context.Context, a Actor, holderID, keyID string, in CheckinInput) (*Key, error)
	// RevokeCredential revokes one of the holder's credentials.
	RevokeCredential(ctx context.Context, a Actor, holderID, credID, reason string) (*Credential, error)
	// ReleaseStorage retires a designated-holder place of the holder.
	ReleaseStorage(ctx context.Context, a Actor, holderID, storageID string) (*StoragePlace, error)
	// Clear closes the offboarding. ECONFLICT names what is still outstanding.
	Clear(ctx context.Context, a Actor, holderID string) (*Offboarding, error)
}
