// Command keyward is key control software: the server, the CLI client and the
// offline admin commands in one binary.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	_ "time/tzdata" // organization time zones work on a machine without a zone database
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
	// Global flags, accepted anywhere on the command line.
	data, db, server, token string
	json                    bool
}

const usage = `Keyward: key control.

Usage: keyward COMMAND [flags]

Server and offline commands (take --data DIR or --db URL):
  serve [--addr HOST:PORT]               run the web UI and API
  init --org NAME --admin-email EMAIL     create the organization and its owner
  token create --user EMAIL --name NAME   create an API token
  audit verify [--export FILE]            recompute the audit log (or an export) and check it
                                          against every checkpoint in KEYWARD_CHECKPOINT_DIR
  audit verify --since FILE               ... and require every record of an earlier export unchanged
  audit export --out FILE                 write records and a signed tree head
  audit checkpoint                        sign a checkpoint of the audit log now (serve does it on its own)
  backup FILE                             consistent copy of the database (never holds the vault key)
  restore FILE                            restore a backup into an empty data directory or database
  vault new-key --out FILE                write a new vault key file (for KEYWARD_VAULT_KEY_FILE)
  vault move-key --out FILE               move a vault key kept in the database out to a file
  demo                                    fill an empty database with demo data
  keying VERB                             master-keying math, JSON in and out (keyward keying --help)

API client commands (take --server URL and --token TOKEN, env KEYWARD_SERVER, KEYWARD_TOKEN; --json for scripts):
  sites list | sites create --name NAME
  openings list [--site ID] | openings create --site ID --name NAME --kind door|gate|cabinet|vehicle|other
  keyways list | keyways create --name NAME [--manufacturer M] --policy open|dnd|restricted
  holders list | holders create --name NAME --email EMAIL | holders keys ID
  sites|openings|keyways|holders retire ID | … restore ID | holders merge ID --into ID
  keys list [--symbol S] | keys create --keyway ID --symbol S | keys show ID | keys history ID
  keys checkout ID --holder ID --due RFC3339|DURATION | keys checkin ID | keys lost ID [--note TEXT]
  keys issue|transfer ID --holder ID | keys return|found|destroy ID
    (a key kept in a sealed envelope: add --new-seal NUMBER, the seal now on the envelope)
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	rest, err := e.globalFlags(args)
	if err != nil {
		fmt.Fprintln(stderr, "keyward:", err)
		return 2
	}
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := rest[0], rest[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "serve":
		return e.serve(rest)
	case "init":
		return e.initCmd(rest)
	case "token":
		return e.tokenCmd(rest)
	case "audit":
		return e.auditCmd(rest)
	case "backup":
		return e.backupCmd(rest)
	case "restore":
		return e.restoreCmd(rest)
	case "vault":
		return e.vaultCmd(rest)
	case "demo":
		return e.demoCmd(rest)
	case "keying":
		return e.keyingCmd(rest)
	case "sites", "openings", "keyways", "holders", "keys":
		return e.clientCmd(cmd, rest)
	}
	fmt.Fprintf(stderr, "keyward: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// globalFlags removes --data, --db, --server, --token and --json from anywhere in args.
func (e *env) globalFlags(args []string) ([]string, error) {
	e.data, e.db = e.getenv("KEYWARD_DATA"), e.getenv("KEYWARD_DB")
	e.server, e.token = e.getenv("KEYWARD_SERVER"), e.getenv("KEYWARD_TOKEN")
	if e.data == "" {
		e.data = "keyward-data"
	}
	if e.server == "" {
		e.server = "http://127.0.0.1:8080"
	}
	targets := map[string]*string{"data": &e.data, "db": &e.db, "server": &e.server, "token": &e.token}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			rest = append(rest, a)
			continue
		}
		if name == "json" && !hasVal {
			e.json = true
			continue
		}
		p, ok := targets[name]
		if !ok {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			val = args[i]
		}
		*p = val
	}
	return rest, nil
}
