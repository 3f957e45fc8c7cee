package keyward

import "context"

// AuditLog reads the tamper-evident log and records refused requests.
type AuditLog interface {
	// Audit lists the audit log newest first. EFORBIDDEN.
	Audit(ctx context.Context, a Actor, f AuditFilter) (*Page[AuditRecord], error)
	// RecordDenial writes the audit record of a refused request; nil once it committed.
	RecordDenial(ctx context.Context, a Actor, action Action, path string) error
}
