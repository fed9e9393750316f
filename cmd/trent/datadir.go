package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/trentkms/trent/internal/atomicfile"
	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/installation"
	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/seal"
	"github.com/trentkms/trent/internal/service"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/postgres"
	"github.com/trentkms/trent/internal/store/sqlite"
	"github.com/trentkms/trent/internal/store/sqlstore"
)

// dataFlags are the flags every command that opens the data directory takes.
type dataFlags struct {
	dataDir          string
	sealFile         string
	accountID        string
	storeURL         string
	allowAsyncCommit bool
	// firstRegions is what a first start records as the regions served
	// (the server's --region, or its default); not a flag of its own.
	firstRegions string
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.dataDir, "data-dir", envOr("TRENT_DATA_DIR", "./trent-data"), "data directory (env TRENT_DATA_DIR)")
	fs.StringVar(&d.sealFile, "seal-file", envOr("TRENT_SEAL_FILE", ""), "root key file (default DATA_DIR/seal.key; env TRENT_SEAL_FILE)")
	fs.StringVar(&d.storeURL, "store", envOr("TRENT_STORE", ""), "database: empty for SQLite in DATA_DIR, or postgres://... (env TRENT_STORE)")
	fs.BoolVar(&d.allowAsyncCommit, "allow-async-commit", false, "accept a PostgreSQL server with synchronous_commit=off (can lose acknowledged writes)")
}

// postgres reports whether the store is PostgreSQL.
func (d *dataFlags) postgres() bool {
	return strings.HasPrefix(d.storeURL, "postgres://") || strings.HasPrefix(d.storeURL, "postgresql://")
}

// openStore opens the database. With requireSchema (a data directory
// whose first start completed), a PostgreSQL database without Trent's
// schema is store.ErrNotInitialised and nothing is created in it.
func (d *dataFlags) openStore(ctx context.Context, requireSchema bool) (*sqlstore.DB, error) {
	switch {
	case d.storeURL == "":
		return sqlite.Open(ctx, d.dbPath())
	case d.postgres():
		return postgres.Open(ctx, d.storeURL, postgres.Options{AllowAsyncCommit: d.allowAsyncCommit, RequireSchema: requireSchema})
	}
	return nil, fmt.Errorf("--store %q: want empty (SQLite) or a postgres:// URL", redactURL(d.storeURL))
}

// redactURL hides a password in a store URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

func (d *dataFlags) sealPath() string {
	if d.sealFile != "" {
		return d.sealFile
	}
	return filepath.Join(d.dataDir, "seal.key")
}

func (d *dataFlags) dbPath() string { return filepath.Join(d.dataDir, "trent.db") }

// dbName names the database in messages.
func (d *dataFlags) dbName() string {
	if d.postgres() {
		return redactURL(d.storeURL)
	}
	return d.dbPath()
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// node is an opened data directory: the store, the unsealed keyring and
// what the bootstrap made.
type node struct {
	store   *sqlstore.DB
	keyring *keyring.Keyring
	// bootstrapped is set when this process initialised the database.
	bootstrapped bool
	// dir is what the data directory said before anything was opened.
	dir dirState
	// domain is the domain record as unseal read it (Installation kept
	// up to date by settleInstallation).
	domain store.Domain
	// warnings are what the permission check found to warn about.
	warnings []string
}

func (n *node) Close() {
	if n.keyring != nil {
		n.keyring.Close()
	}
	if n.store != nil {
		n.store.Close()
	}
}

// openNode opens the data directory, creating and initialising it when
// create is set and it is new. The order makes a crash at any point safe:
// the root key file is written (atomically) before the database refers to
// it; the database is initialised in one transaction; the credentials file
// is written after that transaction and the pending flag cleared after the
// file is durable, so a restart finishes an interrupted first start; the
// installation marker is written last (by the server, writeMarker).
//
// Before it writes anything, openNode refuses a data directory that
// others may write (checkPermissions), and one whose first start
// completed but whose database is missing, empty or another
// installation's (README, First start).
func openNode(ctx context.Context, d *dataFlags, create bool) (*node, error) {
	warnings, err := checkPermissions(d.dataDir)
	if err != nil {
		return nil, err
	}
	dir, err := readDirState(d)
	if err != nil {
		return nil, err
	}
	if !d.postgres() {
		if err := checkDatabaseFile(d, dir, create); err != nil {
			return nil, err
		}
	}
	if create {
		if err := atomicfile.MkdirAll(d.dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	st, err := d.openStore(ctx, dir.done)
	if errors.Is(err, store.ErrNotInitialised) && dir.done {
		return nil, errNoInstallation(d, dir, "holds no Trent installation")
	}
	if err != nil {
		return nil, err
	}
	n := &node{store: st, dir: dir, warnings: warnings}
	if err := n.unseal(ctx, d, create); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *node) unseal(ctx context.Context, d *dataFlags, create bool) error {
	dom, err := n.store.Domain(ctx)
	if errors.Is(err, store.ErrNotInitialised) {
		if n.dir.done {
			return errNoInstallation(d, n.dir, "holds no Trent installation")
		}
		if !create {
			return fmt.Errorf("the database in %s is not initialised; start the server once to create it", d.dataDir)
		}
		return n.bootstrap(ctx, d)
	}
	if err != nil {
		return err
	}
	if err := n.dir.checkInstallation(d, dom.Installation.ID); err != nil {
		return err
	}
	n.domain = dom
	sf, err := seal.OpenFile(d.sealPath())
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the database is initialised but the root key file %s is missing: restore it (or pass --seal-file); refusing to start", d.sealPath())
	}
	if err != nil {
		return fmt.Errorf("open root key file: %w", err)
	}
	defer sf.Close()
	dk, err := sf.Unwrap(ctx, dom.WrappedKey)
	if err != nil {
		return fmt.Errorf("the root key file %s does not open this database's domain key (wrong --seal-file, or a database restored with another key file): %w", d.sealPath(), err)
	}
	defer clear(dk)
	if err := keyring.CheckDomainKey(dk, dom.KeyCheck); err != nil {
		return fmt.Errorf("the domain key fails its check value; refusing to start: %w", err)
	}
	kr, err := keyring.Open(dk, keyring.Options{Source: service.MaterialSource(n.store)})
	if err != nil {
		return err
	}
	n.keyring = kr
	return nil
}

// bootstrap initialises an empty database: root key file (made if absent),
// domain key, first account and its administrator.
func (n *node) bootstrap(ctx context.Context, d *dataFlags) error {
	sf, err := seal.OpenFile(d.sealPath())
	if errors.Is(err, fs.ErrNotExist) {
		sf, err = seal.CreateFile(d.sealPath(), nil)
	}
	if err != nil {
		return fmt.Errorf("root key file: %w", err)
	}
	defer sf.Close()
	dk, err := keyring.NewDomainKey(nil)
	if err != nil {
		return err
	}
	defer clear(dk)
	wrapped, err := sf.Wrap(ctx, dk)
	if err != nil {
		return fmt.Errorf("wrap domain key: %w", err)
	}
	kr, err := keyring.Open(dk, keyring.Options{Source: service.MaterialSource(n.store)})
	if err != nil {
		return err
	}
	account := d.accountID
	if account == "" {
		if account, err = iam.NewAccountID(); err != nil {
			kr.Close()
			return err
		}
	}
	now := time.Now().UTC()
	ak, _, err := iam.NewAccessKey(kr, account, iam.RootARN(account), now)
	if err != nil {
		kr.Close()
		return err
	}
	id, err := installation.NewID()
	if err != nil {
		kr.Close()
		return err
	}
	dom := store.Domain{WrappedKey: wrapped, KeyCheck: keyring.KeyCheckValue(dk), SealType: sf.Name(), CreatedAt: now,
		Installation: store.Installation{ID: id, Regions: d.firstRegions}}
	err = n.store.Bootstrap(ctx, dom, store.Account{ID: account, CreatedAt: now, PendingCredentials: true}, ak)
	kr.Close()
	if errors.Is(err, store.ErrAlreadyInitialised) {
		// Another process initialised it first: open it as theirs.
		return n.unseal(ctx, d, false)
	}
	if err != nil {
		return fmt.Errorf("initialise database: %w", err)
	}
	n.bootstrapped = true
	return n.unseal(ctx, d, false)
}

// deliverCredentials writes the credentials file of every account whose
// administrator's credentials are still pending (a first start or an
// account creation that was interrupted), then clears the flag. The first
// account's file is DATA_DIR/credentials; others' are
// DATA_DIR/credentials-<account>. An existing file is never overwritten.
// On PostgreSQL only the node that initialised the database writes them:
// nodes that join an initialised database write none.
func (n *node) deliverCredentials(ctx context.Context, d *dataFlags) ([]string, error) {
	if d.postgres() && !n.bootstrapped {
		return nil, nil
	}
	accounts, err := n.store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(accounts, func(i, j int) bool { return accounts[i].CreatedAt.Before(accounts[j].CreatedAt) })
	var written []string
	for i, a := range accounts {
		if !a.PendingCredentials {
			continue
		}
		path := credentialsPath(d, a.ID, i == 0)
		if err := n.writeCredentials(ctx, a.ID, path); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

func credentialsPath(d *dataFlags, account string, first bool) string {
	if first {
		return filepath.Join(d.dataDir, "credentials")
	}
	return filepath.Join(d.dataDir, "credentials-"+account)
}

func (n *node) writeCredentials(ctx context.Context, account, path string) error {
	keys, err := n.store.AccessKeysOf(ctx, account)
	if err != nil || len(keys) == 0 {
		return fmt.Errorf("credentials of account %s: %w", account, errors.Join(err, store.ErrNotFound))
	}
	k := keys[0]
	secret, err := n.keyring.UnwrapSecret(iam.SecretLabel(k.ID), k.WrappedSecret)
	if err != nil {
		return fmt.Errorf("unwrap credentials of account %s: %w", account, err)
	}
	defer clear(secret)
	content := credentialsFile(account, k.PrincipalARN, k.ID, secret)
	defer clear(content)
	err = atomicfile.WriteNew(path, content, 0o600)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write credentials file: %w", err)
	}
	return n.store.SetCredentialsDelivered(ctx, account)
}

// credentialsFile is the content of a credentials file (AWS
// shared-credentials format, profile default); the caller clears it.
func credentialsFile(account, principalARN, accessKeyID string, secret []byte) []byte {
	head := fmt.Sprintf("# Trent administrator of account %s (%s)\n[default]\naws_access_key_id = %s\naws_secret_access_key = ",
		account, principalARN, accessKeyID)
	// Sized once, so that no copy of the secret is left behind by growth.
	b := make([]byte, 0, len(head)+len(secret)+1)
	b = append(b, head...)
	b = append(b, secret...)
	return append(b, '\n')
}
