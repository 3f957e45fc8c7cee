package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keyingcli"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

func (e *env) initCommand() *cobra.Command {
	var org, email, tz string
	c := &cobra.Command{
		Use:   "init --org NAME --admin-email EMAIL",
		Short: "Create the organization and its owner; prints the owner's password",
		Long: `Creates the organization and its owner account in the database, and prints the
owner's generated password once. Exit 1 if the database is already initialized.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return status(e.initOrg(org, email, tz)) },
	}
	c.Flags().StringVar(&org, "org", "", "organization name")
	c.Flags().StringVar(&email, "admin-email", "", "owner's email")
	c.Flags().StringVar(&tz, "time-zone", "UTC", "organization time zone: an IANA name such as America/New_York, or words such as Eastern")
	return c
}

func (e *env) initOrg(org, email, tz string) int {
	db, v, err := e.openSealing()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	u, pw, err := db.Accounts(v).Init(e.ctx, store.InitInput{Org: org, Email: email, TimeZone: tz})
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Created organization %q with owner %s.\nOwner password (shown once; you choose your own when you first sign in):\n%s\n", org, u.Email, pw)
	return 0
}

func (e *env) tokenCommand() *cobra.Command {
	var user, name string
	create := &cobra.Command{
		Use:   "create --user EMAIL --name NAME",
		Short: "Create an API token for a user; the token alone on the last line",
		Long: `Creates an API token for the user with that email, on the server's database
(over the API everyone mints only their own). The token is printed alone on
the last line of the output, once.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return status(e.createToken(user, name)) },
	}
	create.Flags().StringVar(&user, "user", "", "the user's email")
	create.Flags().StringVar(&name, "name", "", "what the token is for, e.g. ci")
	return group("token", "API tokens", "", create)
}

func (e *env) createToken(user, name string) int {
	db, v, err := e.openSealing()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	tok, err := db.Accounts(v).CreateToken(e.ctx, keyward.SystemActor("cli"), user, name)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintln(e.stdout, tok)
	return 0
}

func (e *env) backupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database while the server runs",
		Long: `Writes a consistent copy of the database to FILE (mode 0600) while the server
runs. It never holds the vault key: keep a copy of that apart from the backups.`,
		Args: oneArg("FILE"),
		RunE: func(_ *cobra.Command, args []string) error { return status(e.backup(args[0])) },
	}
}

func (e *env) backup(file string) int {
	db, err := e.openDB()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	n, err := db.Backup(e.ctx, file)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "Backup written to %s (%d bytes)\n", file, n)
	return 0
}

// keyingCommand hands everything after "keying" to the keying verbs, which
// read their own arguments (--help among them), less the global flags.
func (e *env) keyingCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "keying VERB < request.json",
		Short:              "Master-keying math, JSON on stdin, JSON on stdout (keyward keying --help)",
		DisableFlagParsing: true,
		ValidArgs:          keyingcli.Verbs(),
		RunE: func(_ *cobra.Command, args []string) error {
			return status(keyingcli.Run(withoutGlobals(args), e.stdin, e.stdout, e.stderr))
		},
	}
}

// withoutGlobals removes the global flags (--data, --db, --server, --token
// with their values, and --json) from args, for a command that parses its own.
func withoutGlobals(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch a {
		case "--data", "--db", "--server", "--token":
			i++
			continue
		case "--json":
			continue
		}
		if !slices.ContainsFunc([]string{"--data=", "--db=", "--server=", "--token=", "--json="}, func(p string) bool { return strings.HasPrefix(a, p) }) {
			out = append(out, a)
		}
	}
	return out
}
