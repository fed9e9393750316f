package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/trentkms/trent/internal/atomicfile"
	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/store"
)

// breakGlassCommand names the command in its audit event.
const breakGlassCommand = "trent admin credentials create"

// runCredentialsCreate is the break-glass procedure for lost root
// credentials (README, Recovery): with the root key file, it gives the
// root principal of an account a new access key, writes it to a new
// credentials file and records an audit event in the same transaction as
// the key. It prints the file's path on its last line.
//
// It writes the database directly, which is safe while a server runs on
// the same database (SQLite locking, or PostgreSQL): a server looks an
// access key it does not know up in the database (iam.Directory.Lookup),
// so it accepts the new key on its next request.
func runCredentialsCreate(ctx context.Context, args []string) error {
	var d dataFlags
	var out string
	flags := flag.NewFlagSet("admin credentials create", flag.ContinueOnError)
	d.register(flags)
	flags.StringVar(&d.accountID, "account-id", "", "12-digit ID of the account whose root principal gets a new access key (required)")
	flags.StringVar(&out, "out", "", "credentials file to write; it must not exist (default DATA_DIR/credentials-ACCOUNT-ACCESSKEYID)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	id := d.accountID
	switch {
	case id == "":
		return fmt.Errorf("--account-id is required (trent admin account list shows the accounts)")
	case !iam.ValidAccountID(id):
		return fmt.Errorf("--account-id %q is not 12 digits", id)
	case flags.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", flags.Arg(0))
	}
	n, err := openAdminNode(ctx, &d)
	if err != nil {
		return err
	}
	defer n.Close()
	if _, err := n.store.Account(ctx, id); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("account %s does not exist in this installation (trent admin account list shows the accounts)", id)
	} else if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	k, secret, err := iam.NewAccessKey(n.keyring, id, iam.RootARN(id), now)
	if err != nil {
		return err
	}
	path := out
	if path == "" {
		path = filepath.Join(d.dataDir, "credentials-"+id+"-"+k.ID)
	}
	// The file first: a key whose file could not be written is never
	// made, and a crash before the commit leaves a file whose key does
	// not exist, which the next attempt replaces with a new file.
	content := credentialsFile(id, k.PrincipalARN, k.ID, []byte(secret))
	err = atomicfile.WriteNew(path, content, 0o600)
	clear(content)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists and is never overwritten; give --out a new path (no access key was made)", path)
	}
	if err != nil {
		return explainDiskFull(fmt.Errorf("write the credentials file (no access key was made): %w", err), filepath.Dir(path))
	}
	ev := audit.AdminEvent(audit.SourceIAM, "CreateAccessKey", id, breakGlassCommand, uuid.NewString(), now)
	ev.ResponseElements, _ = json.Marshal(map[string]any{"accessKey": map[string]string{
		"accessKeyId": k.ID, "status": "Active", "createDate": now.Format(time.RFC3339),
	}})
	// No limit on the number of keys: the root may already hold the two
	// that the API allows, both lost.
	if err := n.store.CreateAccessKey(audit.NewContext(ctx, ev), k, 0); err != nil {
		os.Remove(path)
		return explainDiskFull(fmt.Errorf("create the access key: %w", err), d.dataDir)
	}
	fmt.Printf("trent: account %s: new access key %s of %s, recorded in the audit log\n", id, k.ID, k.PrincipalARN)
	fmt.Printf("trent: older access keys of the root still work: once this one does, delete lost ones with aws iam delete-access-key --access-key-id ...\n")
	fmt.Println(path)
	return nil
}
