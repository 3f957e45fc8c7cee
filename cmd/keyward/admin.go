package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/keyingcli"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/safefile"
	"github.com/keyward/keyward/internal/store"
)

func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func (e *env) initCmd(args []string) int {
	fs := e.flags("init")
	org := fs.String("org", "", "organization name")
	email := fs.String("admin-email", "", "owner's email")
	tz := fs.String("time-zone", "UTC", "organization time zone (IANA name)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	db, v, err := e.openSealing()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	u, pw, err := db.Accounts(v).Init(e.ctx, store.InitInput{Org: *org, Email: *email, TimeZone: *tz})
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Created organization %q with owner %s.\nOwner password (shown once, change it after signing in):\n%s\n", *org, u.Email, pw)
	return 0
}

func (e *env) tokenCmd(args []string) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(e.stderr, "usage: keyward token create --user EMAIL --name NAME")
		return 2
	}
	fs := e.flags("token create")
	user := fs.String("user", "", "user email")
	name := fs.String("name", "", "token name")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	db, v, err := e.openSealing()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	tok, err := db.Accounts(v).CreateToken(e.ctx, keyward.SystemActor("cli"), *user, *name)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintln(e.stdout, tok)
	return 0
}

// auditExport is the file audit export writes: everything a third party needs.
type auditExport struct {
	Origin      string         `json:"origin"`
	VerifierKey string         `json:"verifier_key"`
	TreeHead    string         `json:"tree_head"` // signed note: size and RFC 6962 root
	Records     []audit.Stored `json:"records"`
}

func (e *env) auditCmd(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "usage: keyward audit verify [--export FILE] | keyward audit export --out FILE")
		return 2
	}
	switch args[0] {
	case "verify":
		fs := e.flags("audit verify")
		file := fs.String("export", "", "verify an export file instead of the database")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if *file != "" {
			return e.verifyExport(*file)
		}
		db, err := e.openDB()
		if err != nil {
			return e.fail(err)
		}
		defer db.Close()
		start := time.Now()
		sum, _, err := db.VerifyAudit(e.ctx, nil)
		var bad *audit.BadRecord
		if errors.As(err, &bad) {
			fmt.Fprintf(e.stdout, "FAILED: %s\n", bad)
			return 1
		}
		if err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "OK: %d audit records intact; last hash %s; tree root %s (%s)\n", sum.Records, sum.Last, sum.Root, time.Since(start).Round(time.Millisecond))
		return 0
	case "export":
		fs := e.flags("audit export")
		out := fs.String("out", "", "output file")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if *out == "" {
			fmt.Fprintln(e.stderr, "keyward: audit export needs --out FILE")
			return 2
		}
		return e.exportAudit(*out)
	}
	fmt.Fprintf(e.stderr, "keyward: unknown audit command %q\n", args[0])
	return 2
}

func (e *env) signingKey() (string, error) {
	path := e.getenv("KEYWARD_AUDIT_KEY_FILE")
	if path == "" {
		path = filepath.Join(e.data, audit.KeyFile)
	}
	return audit.LoadOrCreateKey(path)
}

func (e *env) exportAudit(out string) int {
	db, err := e.openDB()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	exp := auditExport{Origin: audit.Origin, Records: []audit.Stored{}}
	sum, v, err := db.VerifyAudit(e.ctx, func(s audit.Stored) { exp.Records = append(exp.Records, s) })
	if err != nil {
		fmt.Fprintf(e.stdout, "FAILED: the log does not verify, nothing exported: %v\n", err)
		return 1
	}
	skey, err := e.signingKey()
	if err != nil {
		return e.fail(err)
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
	b, err := os.ReadFile(file)
	if err != nil {
		return e.fail(err)
	}
	var exp auditExport
	if err := json.Unmarshal(b, &exp); err != nil {
		fmt.Fprintf(e.stdout, "FAILED: %s is not an audit export: %v\n", file, err)
		return 1
	}
	key := e.getenv("KEYWARD_AUDIT_VERIFIER_KEY")
	if key == "" {
		key = exp.VerifierKey
	}
	tree, err := audit.OpenTreeHead(key, []byte(exp.TreeHead))
	if err != nil {
		fmt.Fprintf(e.stdout, "FAILED: %v\n", err)
		return 1
	}
	v := audit.NewVerifier()
	for _, r := range exp.Records {
		if err := v.Add(r); err != nil {
			fmt.Fprintf(e.stdout, "FAILED: %v\n", err)
			return 1
		}
	}
	root, err := v.Root()
	if err != nil {
		return e.fail(err)
	}
	if v.Size() != tree.N || root != tree.Hash {
		fmt.Fprintf(e.stdout, "FAILED: the records (%d, root %s) do not match the signed tree head (%d, root %s)\n", v.Size(), root, tree.N, tree.Hash)
		return 1
	}
	fmt.Fprintf(e.stdout, "OK: %d audit records match the signed tree head (root %s)\n", v.Size(), root)
	return 0
}

func (e *env) backupCmd(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(e.stderr, "usage: keyward backup FILE")
		return 2
	}
	db, err := e.openDB()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	n, err := db.Backup(e.ctx, args[0])
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Backup written to %s (%d bytes)\n", args[0], n)
	return 0
}

func (e *env) keyingCmd(args []string) int {
	return keyingcli.Run(args, e.stdin, e.stdout, e.stderr)
}
