package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/access"
)

const accessEvalLong = `Runs the network-lock key hierarchy on a list of ops, offline (no server,
no database: --data and --db are accepted and ignored).

Reads {"ops": [OP, ...]} on stdin and writes {"results": [RESULT, ...]} on
stdout, one result per op. Each op starts from the state the ops before it
left; a refused op changes nothing and answers {"ok": false, "rule": RULE}.

Ops: master {key}; lock {lock}; serialize, unserialize {lock, by};
backup {key, by}; sub {key, by, locks, soft}; grant {to, locks, by};
revoke {from, locks, by}; delete {key, by}; offline, online {lock};
and the questions can {key, lock}, reaches {key}, acceptors {lock}, exposures.

Exit status 1 with a message on stderr when the request is not JSON or an
op lacks a member it needs.`

func (e *env) accessCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "access",
		Short: "The network-lock key hierarchy: masters, backups, sub and soft keys",
	}
	c.AddCommand(&cobra.Command{
		Use:   "eval < ops.json",
		Short: "Run hierarchy ops given as JSON on stdin, answers as JSON on stdout",
		Long:  accessEvalLong,
		Example: `  echo '{"ops":[{"op":"master","key":"M"},{"op":"lock","lock":"L1"},
    {"op":"serialize","lock":"L1","by":"M"},{"op":"can","key":"M","lock":"L1"}]}' | keyward access eval`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			in, err := io.ReadAll(e.stdin)
			if err != nil {
				fmt.Fprintf(e.stderr, "keyward access eval: reading stdin: %v\n", err)
				return exitCode(1)
			}
			out, err := access.Eval(in)
			if err != nil {
				fmt.Fprintf(e.stderr, "keyward access eval: %v\n", err)
				return exitCode(1)
			}
			_, err = e.stdout.Write(out)
			return err
		},
	})
	return c
}
