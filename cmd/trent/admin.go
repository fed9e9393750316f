package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/store"
)

func runAdmin(ctx context.Context, args []string) error {
	switch {
	case len(args) >= 1 && args[0] == "backup":
		return runBackup(ctx, args[1:])
	case len(args) >= 2 && args[0] == "account" && args[1] == "create":
		return runAccountCreate(ctx, args[2:])
	case len(args) >= 2 && args[0] == "account" && args[1] == "list":
		return runAccountList(ctx, args[2:])
	case len(args) >= 2 && args[0] == "credentials" && args[1] == "create":
		return runCredentialsCreate(ctx, args[2:])
	}
	return fmt.Errorf("unknown admin command; want: backup, account create, account list, credentials create")
}

// openAdminNode opens an initialised data directory for an admin command
// and prints the permission check's warnings on standard error.
func openAdminNode(ctx context.Context, d *dataFlags) (*node, error) {
	n, err := openNode(ctx, d, false)
	if err != nil {
		return nil, explainDiskFull(err, d.dataDir)
	}
	for _, w := range n.warnings {
		fmt.Fprintf(os.Stderr, "trent: warning: %s\n", w)
	}
	return n, nil
}

// runBackup takes a consistent online backup. It needs no root key: the
// backup holds only wrapped material, and restoring it needs the same
// root key file.
func runBackup(ctx context.Context, args []string) error {
	var d dataFlags
	var out string
	fs := flag.NewFlagSet("admin backup", flag.ContinueOnError)
	d.register(fs)
	fs.StringVar(&out, "out", "", "backup file to write (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("--out is required")
	}
	n, err := openStoreOnly(ctx, &d)
	if err != nil {
		return err
	}
	defer n.Close()
	if err := n.Backup(ctx, out); err != nil {
		return err
	}
	fmt.Printf("trent: backup written to %s; keep the root key file (%s) with it, apart from it\n", out, d.sealPath())
	return nil
}

func openStoreOnly(ctx context.Context, d *dataFlags) (interface {
	Backup(context.Context, string) error
	Close() error
}, error) {
	n, err := openAdminNode(ctx, d)
	if err != nil {
		return nil, err
	}
	n.keyring.Close()
	n.keyring = nil
	return n.store, nil
}

// runAccountCreate adds an account. It writes the database directly, which
// is safe while a server runs on the same data directory (SQLite locking);
// the server learns the new access key on its first use.
func runAccountCreate(ctx context.Context, args []string) error {
	var d dataFlags
	fs := flag.NewFlagSet("admin account create", flag.ContinueOnError)
	d.register(fs)
	fs.StringVar(&d.accountID, "account-id", "", "12-digit account ID (default random)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n, err := openAdminNode(ctx, &d)
	if err != nil {
		return err
	}
	defer n.Close()
	id := d.accountID
	if id == "" {
		if id, err = iam.NewAccountID(); err != nil {
			return err
		}
	} else if !iam.ValidAccountID(id) {
		return fmt.Errorf("--account-id %q is not 12 digits", id)
	}
	now := time.Now().UTC()
	ak, _, err := iam.NewAccessKey(n.keyring, id, iam.RootARN(id), now)
	if err != nil {
		return err
	}
	err = n.store.CreateAccount(ctx, store.Account{ID: id, CreatedAt: now, PendingCredentials: true}, ak)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("account %s already exists", id)
	}
	if err != nil {
		return err
	}
	path := credentialsPath(&d, id, false)
	if err := n.writeCredentials(ctx, id, path); err != nil {
		return err
	}
	fmt.Printf("trent: account %s\n", id)
	fmt.Printf("trent: credentials %s (profile default)\n", path)
	return nil
}

func runAccountList(ctx context.Context, args []string) error {
	var d dataFlags
	fs := flag.NewFlagSet("admin account list", flag.ContinueOnError)
	d.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	n, err := openAdminNode(ctx, &d)
	if err != nil {
		return err
	}
	defer n.Close()
	accounts, err := n.store.ListAccounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		fmt.Printf("%s\t%s\n", a.ID, a.CreatedAt.Format(time.RFC3339))
	}
	return nil
}
