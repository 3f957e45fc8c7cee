package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Source is the log a checkpointer reads: the store.
type Source interface {
	// AuditHead is the chain head: the number of records and the last hash.
	AuditHead(ctx context.Context) (n int64, hash string, err error)
	// AuditSince calls each for every record after seq after, in order.
	AuditSince(ctx context.Context, after int64, each func(Stored) error) error
}

// Checkpointer signs checkpoints of the log into a sink: when the log grew
// and Interval has passed since the last one, and at the next poll after a
// sensitive record (see Sensitive). It reads only the records added since its
// last poll, so every server on one database can run one: they read the same
// log and sign the same heads, and the directory keeps one file per head.
type Checkpointer struct {
	Source    Source
	Sink      CheckpointSink
	SignerKey string
	Interval  time.Duration
	Log       *slog.Logger
	Now       func() time.Time

	v        *Verifier
	restores []Restore
	signedN  int64
	signedAt time.Time
}

// PollEvery is how often Run looks for new records: the bound on how late a
// checkpoint follows a sensitive record.
func (c *Checkpointer) PollEvery() time.Duration {
	return min(c.Interval, 2*time.Second)
}

// Run checkpoints until ctx ends.
func (c *Checkpointer) Run(ctx context.Context) {
	t := time.NewTicker(c.PollEvery())
	defer t.Stop()
	for {
		if _, err := c.Step(ctx, false); err != nil && ctx.Err() == nil {
			c.Log.Error("audit checkpoint", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step reads the records added since the last step and signs a checkpoint
// when one is due (always when force is set and the log is not empty). It
// returns the checkpoint it signed, if any.
func (c *Checkpointer) Step(ctx context.Context, force bool) (*Checkpoint, error) {
	sensitive, err := c.catchUp(ctx)
	if err != nil {
		return nil, err
	}
	now := c.Now()
	n := c.v.Size()
	due := n > c.signedN && (force || sensitive || now.Sub(c.signedAt) >= c.Interval)
	if !due && !(force && n > 0) {
		return nil, nil
	}
	root, err := c.v.Root()
	if err != nil {
		return nil, err
	}
	cp := Checkpoint{Time: now.UTC()}
	cp.Tree.N, cp.Tree.Hash = n, root
	msg, err := SignCheckpoint(c.SignerKey, cp)
	if err != nil {
		return nil, err
	}
	err = c.Sink.Put(ctx, msg)
	var conflict *ConflictError
	switch {
	case errors.As(err, &conflict):
		c.reportConflict(conflict)
	case err != nil:
		return nil, fmt.Errorf("audit checkpoint for %d records: %w", n, err)
	}
	c.signedN, c.signedAt = n, now
	return &cp, nil
}

// catchUp adds the new records to the in-memory tree. When the log no longer
// continues the records already read (it shrank, or a record was replaced),
// the whole log is read again. A log that does not verify is not signed.
func (c *Checkpointer) catchUp(ctx context.Context) (sensitive bool, err error) {
	if c.v == nil {
		c.v = NewVerifier()
	}
	headN, headHash, err := c.Source.AuditHead(ctx)
	if err != nil {
		return false, err
	}
	if headN == c.v.Size() && headHash == c.v.Last() {
		return false, nil
	}
	if headN < c.v.Size() || (headN == c.v.Size() && headHash != c.v.Last()) {
		return c.reread(ctx, headN)
	}
	err = c.Source.AuditSince(ctx, c.v.Size(), c.add(&sensitive))
	var bad *BadRecord
	if errors.As(err, &bad) {
		return c.reread(ctx, headN)
	}
	return sensitive, err
}

func (c *Checkpointer) add(sensitive *bool) func(Stored) error {
	return func(s Stored) error {
		if err := c.v.Add(s); err != nil {
			return err
		}
		if Sensitive(s.Action) {
			*sensitive = true
		}
		if r, ok, err := ParseRestore(s.Record); ok && err == nil {
			c.restores = append(c.restores, r)
		}
		return nil
	}
}

func (c *Checkpointer) reread(ctx context.Context, headN int64) (bool, error) {
	was, restoresWere := c.v.Size(), len(c.restores)
	c.v, c.restores = NewVerifier(), nil
	sensitive := true // whatever happened is worth a checkpoint now
	if err := c.Source.AuditSince(ctx, 0, c.add(&sensitive)); err != nil {
		c.v, c.restores, c.signedN = NewVerifier(), nil, 0
		return false, fmt.Errorf("the audit log does not verify, no checkpoint signed: %w", err)
	}
	if len(c.restores) > restoresWere {
		c.Log.Warn("audit log restored", "records_before", was, "records_now", c.v.Size())
	} else {
		c.Log.Error("AUDIT LOG TAMPERING: the log no longer continues the records this server checkpointed, and no restore record explains it",
			"records_before", was, "records_now", c.v.Size(), "head", headN)
	}
	c.signedN = 0
	return sensitive, nil
}

func (c *Checkpointer) reportConflict(e *ConflictError) {
	for i, old := range e.Existing {
		if r := SupersededBy(old, c.restores); r != nil {
			c.Log.Warn("audit checkpoint re-signed for a size the restore rewound", "file", e.Files[i], "restore_record", r.Seq)
			continue
		}
		c.Log.Error("AUDIT LOG TAMPERING: "+e.Error(), "file", e.Files[i], "size", e.New.Tree.N)
	}
}
