package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/safefile"
	"github.com/keyward/keyward/internal/store"
)

// auditExport is the file audit export writes: everything a third party needs.
type auditExport struct {
	Origin      string         `json:"origin"`
	VerifierKey string         `json:"verifier_key"`
	TreeHead    string         `json:"tree_head"` // signed note: size and RFC 6962 root
	Records     []audit.Stored `json:"records"`
}

func (e *env) auditCommand() *cobra.Command {
	var export, since, out string
	verify := &cobra.Command{
		Use:   "verify [--export FILE | --since FILE]",
		Short: "Recompute the audit log and check it against every checkpoint",
		Long: `Recomputes the audit log's hash chain and Merkle tree and checks the log against
every signed checkpoint in KEYWARD_CHECKPOINT_DIR. Exit 0 and a summary when
intact; exit 1 naming the first bad record when anything was edited, deleted,
inserted or reordered.

--since FILE takes an earlier audit export: exit 1, naming the first missing or
changed record, unless the log still holds every record of FILE unchanged.
--export FILE checks an export file offline instead of the database.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if export != "" {
				return status(e.verifyExport(export))
			}
			return status(e.verifyLog(since))
		},
	}
	verify.Flags().StringVar(&export, "export", "", "verify an export file instead of the database")
	verify.Flags().StringVar(&since, "since", "", "an earlier audit export: the log must still hold every record of it unchanged")
	exportCmd := &cobra.Command{
		Use:   "export --out FILE",
		Short: "Write the records and a signed tree head, for offline verification",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			if out == "" {
				fmt.Fprintln(e.stderr, "keyward: audit export needs --out FILE")
				return exitCode(2)
			}
			return status(e.exportAudit(out))
		},
	}
	exportCmd.Flags().StringVar(&out, "out", "", "output file")
	checkpoint := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign a checkpoint of the audit log now (serve does it on its own)",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return status(e.checkpointNow()) },
	}
	return group("audit", "Check, export and checkpoint the tamper-evident audit log", "", verify, exportCmd, checkpoint)
}

// auditConfig says where the audit signing key and the checkpoints are kept.
type auditConfig struct {
	keyFile string // "" when not configured
	dir     string // "" when not configured
	off     string // why checkpoints are off, in plain words; "" when on
}

// checkpointsDir is the default checkpoint directory inside the SQLite data directory.
const checkpointsDir = "checkpoints"

// auditConfig reads KEYWARD_AUDIT_KEY_FILE and KEYWARD_CHECKPOINT_DIR. On
// SQLite both default to the data directory; on PostgreSQL only the variables
// count, so every server uses the same key whatever its working directory.
func (e *env) auditConfig(postgres bool) auditConfig {
	c := auditConfig{keyFile: e.getenv("KEYWARD_AUDIT_KEY_FILE"), dir: e.getenv("KEYWARD_CHECKPOINT_DIR")}
	if !postgres {
		if c.keyFile == "" {
			c.keyFile = filepath.Join(e.data, audit.KeyFile)
		}
		if c.dir == "" {
			c.dir = filepath.Join(e.data, checkpointsDir)
		}
	}
	var missing []string
	if c.keyFile == "" {
		missing = append(missing, "KEYWARD_AUDIT_KEY_FILE (the audit signing key file, the same one for every server)")
	}
	if c.dir == "" {
		missing = append(missing, "KEYWARD_CHECKPOINT_DIR (a directory outside the database where signed checkpoints are kept)")
	}
	if len(missing) > 0 {
		c.off = "Audit checkpoints are off: on PostgreSQL set " + strings.Join(missing, " and ") +
			". Until then nothing outside the database remembers what the audit log held, so someone who can write to the database could roll the log back or rewrite it without audit verify noticing."
	}
	return c
}

// signingKey loads the audit signing key, creating it on first use. On
// PostgreSQL it must come from KEYWARD_AUDIT_KEY_FILE.
func (e *env) signingKey(postgres bool) (string, error) {
	c := e.auditConfig(postgres)
	if c.keyFile == "" {
		return "", errors.New("on PostgreSQL the audit signing key must come from KEYWARD_AUDIT_KEY_FILE, the same key file for every server; set it to the path of that file (it is created on first use)")
	}
	return audit.LoadOrCreateKey(c.keyFile)
}

// verifierKey is the key checkpoints and exports are checked with:
// KEYWARD_AUDIT_VERIFIER_KEY, or the one derived from the signing key file.
// "" when neither is there (the key file is not created for a check).
func (e *env) verifierKey(c auditConfig) (string, error) {
	if k := e.getenv("KEYWARD_AUDIT_VERIFIER_KEY"); k != "" {
		return k, nil
	}
	if c.keyFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(c.keyFile)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return audit.VerifierKey(strings.TrimSpace(string(b)))
}

// newCheckpointer is the checkpointer of this configuration, or the reason
// checkpoints are off.
func (e *env) newCheckpointer(db *store.DB, log *slog.Logger, interval time.Duration) (*audit.Checkpointer, string) {
	c := e.auditConfig(db.Postgres())
	if c.off != "" {
		return nil, c.off
	}
	skey, err := audit.LoadOrCreateKey(c.keyFile)
	if err != nil {
		return nil, "Audit checkpoints are off: the audit signing key (KEYWARD_AUDIT_KEY_FILE) cannot be read or created: " + err.Error()
	}
	return &audit.Checkpointer{Source: db, Sink: audit.Dir{Path: c.dir}, SignerKey: skey, Interval: interval, Log: log, Now: time.Now}, ""
}

// startCheckpointer runs serve's checkpointer until ctx ends: every
// KEYWARD_CHECKPOINT_INTERVAL (default: the scheduler interval) when the log
// grew, and within seconds of a sensitive record. It returns why checkpoints
// are off ("" when on), or an error for a bad interval.
func (e *env) startCheckpointer(ctx context.Context, db *store.DB, log *slog.Logger, schedulerInterval time.Duration) (off string, err error) {
	interval := schedulerInterval
	if v := e.getenv("KEYWARD_CHECKPOINT_INTERVAL"); v != "" {
		if interval, err = time.ParseDuration(v); err != nil || interval <= 0 {
			return "", errors.New("KEYWARD_CHECKPOINT_INTERVAL must be a positive Go duration such as 1m")
		}
	}
	cp, off := e.newCheckpointer(db, log, interval)
	if cp == nil {
		log.Warn(off)
		return off, nil
	}
	go cp.Run(ctx)
	return "", nil
}

// checkpointNow signs a checkpoint of the log as it is now (for a cron job,
// before a backup, or where no server runs).
func (e *env) checkpointNow() int {
	db, err := e.openDB()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	cp, off := e.newCheckpointer(db, slog.New(slog.NewTextHandler(e.stderr, nil)), 0)
	if cp == nil {
		fmt.Fprintln(e.stderr, "keyward:", off)
		return 1
	}
	signed, err := cp.Step(e.ctx, true)
	if err != nil {
		return e.fail(err)
	}
	if signed == nil {
		fmt.Fprintln(e.stdout, "The audit log is empty: no checkpoint signed.")
		return 0
	}
	fmt.Fprintf(e.stdout, "Checkpoint of %d audit records (root %s) signed into %s\n", signed.Tree.N, signed.Tree.Hash, e.auditConfig(db.Postgres()).dir)
	return 0
}

func (e *env) exportAudit(out string) int {
	db, err := e.openDB()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	skey, err := e.signingKey(db.Postgres())
	if err != nil {
		return e.fail(err)
	}
	exp := auditExport{Origin: audit.Origin, Records: []audit.Stored{}}
	sum, v, err := db.VerifyAudit(e.ctx, func(s audit.Stored) { exp.Records = append(exp.Records, s) })
	if err != nil {
		fmt.Fprintf(e.stdout, "FAILED: the log does not verify, nothing exported: %v\n", err)
		return 1
	}
	root, err := v.Root()
	if err != nil {
		return e.fail(err)
	}
	head, err := audit.SignTreeHead(skey, sum.Records, root)
	if err != nil {
		return e.fail(err)
	}
	exp.TreeHead = string(head)
	if exp.VerifierKey, err = audit.VerifierKey(skey); err != nil {
		return e.fail(err)
	}
	b, err := json.MarshalIndent(exp, "", " ")
	if err != nil {
		return e.fail(err)
	}
	// A file that was there before would keep its mode through WriteFile: make it private first.
	if err := safefile.Tighten(out); err != nil {
		return e.fail(err)
	}
	if err := os.WriteFile(out, b, 0o600); err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Exported %d records with a signed tree head to %s\nVerifier key: %s\n", sum.Records, out, exp.VerifierKey)
	return 0
}

// verifyExport checks an export offline: the chain, the Merkle root and the signature.
func (e *env) verifyExport(file string) int {
	exp, err := e.readExport(file)
	if err != nil {
		fmt.Fprintf(e.stdout, "FAILED: %v\n", err)
		return 1
	}
	fmt.Fprintf(e.stdout, "OK: %d audit records match the signed tree head\n", len(exp.Records))
	return 0
}

// readExport reads an audit export and checks it by itself: its signed tree
// head (with KEYWARD_AUDIT_VERIFIER_KEY, or the key the export names), the
// chain of its records and their Merkle root against the head.
func (e *env) readExport(file string) (*auditExport, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var exp auditExport
	if err := json.Unmarshal(b, &exp); err != nil {
		return nil, fmt.Errorf("%s is not an audit export: %v", file, err)
	}
	key := e.getenv("KEYWARD_AUDIT_VERIFIER_KEY")
	if key == "" {
		key = exp.VerifierKey
	}
	tree, err := audit.OpenTreeHead(key, []byte(exp.TreeHead))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	v := audit.NewVerifier()
	for _, r := range exp.Records {
		if err := v.Add(r); err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
	}
	root, err := v.Root()
	if err != nil {
		return nil, err
	}
	if v.Size() != tree.N || root != tree.Hash {
		return nil, fmt.Errorf("%s: the records (%d, root %s) do not match the signed tree head (%d, root %s)", file, v.Size(), root, tree.N, tree.Hash)
	}
	return &exp, nil
}

// verifyLog recomputes the log in the database, checks it against every
// checkpoint and, with since, against an earlier export.
func (e *env) verifyLog(since string) int {
	var check *audit.SinceCheck
	if since != "" {
		exp, err := e.readExport(since)
		if err != nil {
			fmt.Fprintf(e.stdout, "FAILED: %v\n", err)
			return 1
		}
		check = &audit.SinceCheck{Old: exp.Records}
	}
	db, err := e.openDB()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	start := time.Now()
	var restores []audit.Restore
	var notes []string
	sum, v, err := db.VerifyAudit(e.ctx, func(s audit.Stored) {
		if r, ok, err := audit.ParseRestore(s.Record); err != nil {
			notes = append(notes, "not a restore, so it excuses nothing: "+err.Error())
		} else if ok {
			restores = append(restores, r)
		}
		if check != nil {
			check.Add(s)
		}
	})
	var bad *audit.BadRecord
	if errors.As(err, &bad) {
		fmt.Fprintf(e.stdout, "FAILED: %s\n", bad)
		return 1
	}
	if err != nil {
		return e.fail(err)
	}
	cfg := e.auditConfig(db.Postgres())
	var files []audit.CheckpointFile
	if cfg.dir != "" {
		if files, err = (audit.Dir{Path: cfg.dir}).List(); err != nil {
			return e.fail(err)
		}
	}
	var findings []audit.Finding
	if len(files) > 0 {
		key, err := e.verifierKey(cfg)
		if err != nil {
			return e.fail(err)
		}
		if key == "" {
			fmt.Fprintf(e.stdout, "FAILED: %d checkpoints in %s cannot be checked without the audit verifier key: set KEYWARD_AUDIT_VERIFIER_KEY or KEYWARD_AUDIT_KEY_FILE\n", len(files), cfg.dir)
			return 1
		}
		if findings, err = audit.CheckCheckpoints(files, key, v, restores); err != nil {
			return e.fail(err)
		}
	}
	failed, superseded := 0, 0
	var lines []string
	for _, f := range findings {
		switch f.Outcome {
		case audit.Failed:
			failed++
			lines = append(lines, "FAILED: "+f.String())
		case audit.Superseded:
			superseded++
			lines = append(lines, "NOTE: "+f.String())
		}
	}
	var sinceErr error
	if check != nil {
		sinceErr = check.Err()
	}
	if sinceErr != nil {
		lines = append(lines, fmt.Sprintf("FAILED: against the earlier export %s: %v", since, sinceErr))
	}
	summary := fmt.Sprintf("%d audit records intact; last hash %s; tree root %s; %d checkpoints checked (%d consistent, %d superseded by a restore, %d failed)",
		sum.Records, sum.Last, sum.Root, len(findings), len(findings)-failed-superseded, superseded, failed)
	if cfg.off != "" {
		summary += "; " + strings.ToLower(cfg.off[:1]) + cfg.off[1:]
	}
	if check != nil && sinceErr == nil {
		summary += fmt.Sprintf("; the log holds every record of %s (%d) unchanged", since, len(check.Old))
	}
	if failed > 0 || sinceErr != nil {
		// The first line names the first failure; the summary follows.
		lines = append(lines, "The audit log's own chain is intact, but it is not the log that was checkpointed or exported: it was rolled back, truncated or rewritten. "+summary)
		fmt.Fprintln(e.stdout, strings.Join(lines, "\n"))
		for _, n := range notes {
			fmt.Fprintln(e.stdout, "NOTE: "+n)
		}
		return 1
	}
	fmt.Fprintf(e.stdout, "OK: %s (%s)\n", summary, time.Since(start).Round(time.Millisecond))
	for _, l := range append(lines, notesPrefixed(notes)...) {
		fmt.Fprintln(e.stdout, l)
	}
	return 0
}

func notesPrefixed(notes []string) []string {
	out := make([]string, len(notes))
	for i, n := range notes {
		out[i] = "NOTE: " + n
	}
	return out
}
