package main

import (
	"flag"
	"fmt"

	"github.com/keyward/keyward/internal/keyingcli"
	"github.com/keyward/keyward/internal/keyward"
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
