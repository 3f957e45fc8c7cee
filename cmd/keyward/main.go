// Command keyward is key control software: the server, the CLI client and the
// offline admin commands in one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // organization time zones work on a machine without a zone database

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// env is where a command reads its environment; tests pass their own.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// Global flags, accepted anywhere on the command line; unset ones come
	// from the environment (see globals).
	data, db, server, token string
	json                    bool
	// now is the store's clock; nil is the real time (only demo sets one).
	now func() time.Time
}

// exitCode ends a command with that exit status; the command has already
// said why.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// status turns a command's exit status into what cobra expects of RunE.
func status(code int) error {
	if code == 0 {
		return nil
	}
	return exitCode(code)
}

// run runs the command line args: 0 done, 1 refused or failed, 2 bad usage.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := e.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	}
	// A usage error: an unknown command or flag, a missing argument.
	fmt.Fprintf(stderr, "keyward: %v\nSee '%s --help'.\n", err, cmd.CommandPath())
	return 2
}

const rootLong = `Keyward: key control. One binary: the server, offline commands on its
database, and a client of its API.

API commands name things as people know them, never by internal id:
  KEY      the stamp on the key: AA3-1 (any case, with or without the dash)
  HOLDER   an email (jane@example.com) or a name ("Jane Doe"; namesakes are listed)
  SITE, OPENING, KEYWAY   a name
Times are shown on the organization's clock; --due takes 4h, 2d, 17:00,
'2026-12-20 17:00' (on that clock) or RFC 3339.`

func (e *env) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "keyward",
		Short: "Key control: who holds every key, what it opens, who may copy it",
		Long:  rootLong,
		Example: `  keyward serve
  keyward init --org "Harbour Point" --admin-email owner@example.com
  keyward keys checkout AA3-1 --holder jane@example.com --due 4h
  keyward keys history AA3-1
  keyward completion bash > /etc/bash_completion.d/keyward`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { e.globals(cmd); return nil },
		// Without a command: the usage, as a usage error.
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(e.stderr, cmd.UsageString())
			return exitCode(2)
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&e.data, "data", "", "SQLite data directory (env KEYWARD_DATA, default ./keyward-data)")
	f.StringVar(&e.db, "db", "", "database URL; postgres://… selects PostgreSQL (env KEYWARD_DB)")
	f.StringVar(&e.server, "server", "", "Keyward server the API commands talk to (env KEYWARD_SERVER, default http://127.0.0.1:8080)")
	f.StringVar(&e.token, "token", "", "API token for the API commands (env KEYWARD_TOKEN)")
	f.BoolVar(&e.json, "json", false, "API commands: print the API's JSON, for scripts")
	root.AddGroup(&cobra.Group{ID: "offline", Title: "Server and offline commands (take --data DIR or --db URL):"},
		&cobra.Group{ID: "api", Title: "API client commands (take --server URL and --token TOKEN; --json for scripts):"})
	for _, c := range []*cobra.Command{e.serveCommand(), e.initCommand(), e.tokenCommand(), e.auditCommand(), e.backupCommand(),
		e.restoreCommand(), e.vaultCommand(), e.demoCommand(), e.seedCommand(), e.keyingCommand(), e.locksimCommand(), e.accessCommand()} {
		c.GroupID = "offline"
		root.AddCommand(c)
	}
	for _, c := range e.clientCommands() {
		c.GroupID = "api"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("offline")
	root.SetCompletionCommandGroupID("offline")
	return root
}

// globals fills the global flags not given on the command line from the
// environment, then from the defaults. Values never show as flag defaults in
// the help, so a token in the environment is never printed.
func (e *env) globals(cmd *cobra.Command) {
	for _, g := range []struct {
		flag, env, def string
		p              *string
	}{
		{"data", "KEYWARD_DATA", "keyward-data", &e.data},
		{"db", "KEYWARD_DB", "", &e.db},
		{"server", "KEYWARD_SERVER", "http://127.0.0.1:8080", &e.server},
		{"token", "KEYWARD_TOKEN", "", &e.token},
	} {
		if f := cmd.Flags().Lookup(g.flag); f != nil && f.Changed {
			continue
		}
		*g.p = envOr(e.getenv, g.env, g.def)
	}
}

// group is a noun whose verbs are its subcommands: without a verb it prints
// its usage (exit 2), and an unknown verb is a usage error.
func group(use, short, long string, verbs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				fmt.Fprint(cmd.ErrOrStderr(), cmd.UsageString())
				return exitCode(2)
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return errors.New(msg)
		},
	}
	c.AddCommand(verbs...)
	return c
}

// noArgs refuses positional arguments, naming the first.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no argument, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// oneArg wants exactly one positional argument, described by what ("KEY").
func oneArg(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%s needs one %s, got %d", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}
