package keyward

import "context"

// AuditLog reads the tamper-evident log and records refused requests.
type AuditLog interface {
	// Audit lists the audit log newest first. EFORBIDDEN.
	Audit(ctx context.Context, a Actor, f AuditFilter) (*Page[AuditRecord], error)
	// AuditNames says what people call the things records name (see
	// AuditRefs): a key's stamp, a holder's, door's or place's name, a user's
	// name by id or email. A thing not found is left out. EFORBIDDEN.
	AuditNames(ctx context.Context, a Actor, refs []AuditRef) (map[AuditRef]string, error)
	// AuditActors lists everyone who appears in the log as an actor, for the
	// filter, with their names where they are users. EFORBIDDEN.
	AuditActors(ctx context.Context, a Actor) ([]AuditActor, error)
	// RecordDenial writes the audit record of a refused request; nil once it committed.
	RecordDenial(ctx context.Context, a Actor, action Action, path string) error
}

// AuditActor is someone who appears in the audit log: Actor as recorded (an
// email, or a system part's name), Name their user name when they have one.
type AuditActor struct {
	Actor string `json:"actor"`
	Name  string `json:"name,omitempty"`
}
