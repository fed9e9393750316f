// Command trent is an AWS KMS-compatible key management server.
//
//	trent server                    start the server (creates ./trent-data on first start)
//	trent admin backup --out FILE   consistent online backup of the SQLite database
//	trent admin account create      add an account with its own administrator
//	trent admin account list        list accounts
//	trent admin credentials create  break glass: a new root access key of an account
//	trent audit head|verify|list|export  the audit log
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: trent <command> [flags]

commands:
  server                 run the KMS server
  admin backup           write a consistent backup of the database
  admin account create   add an account and its administrator credentials
  admin account list     list accounts
  admin credentials create  break glass: a new access key for an account's root, with the root key file
  audit head             print the audit chain head (SEQ:HASH) to keep elsewhere
  audit verify           check the audit chain, digests and checkpoint
  audit list             audit events as JSON lines, with filters
  audit export           write the audit log to a JSON-lines file
  bench                  load generator: signed requests against a running server

Run "trent <command> -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "trent: error: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:])
	case "admin":
		return runAdmin(ctx, args[1:])
	case "audit":
		return runAudit(ctx, args[1:])
	case "bench":
		return runBench(ctx, args[1:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
