// Package iam holds Trent's identities: accounts, principals and their
// access keys. Its Directory answers the SigV4 verifier's credential
// lookups from memory, reading the store only on a miss.
package iam

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trentkms/trent/internal/sigv4"
	"github.com/trentkms/trent/internal/store"
)

// Principal is an authenticated identity.
type Principal struct {
	Type    string // TypeRoot, TypeUser or TypeAssumedRole
	Account string // 12-digit account ID
	// ARN: arn:aws:iam::<account>:root, arn:aws:iam::<account>:user/<path><name>,
	// arn:aws:sts::<account>:assumed-role/<role>/<session>.
	ARN string
	// UserID is what GetCallerIdentity calls UserId: the account ID for the
	// root, AIDA... for a user, AROA...:<session> for a role session.
	UserID      string
	UserName    string // users only
	RoleARN     string // sessions only: the assumed role
	SessionName string // sessions only
	// Tags are the principal's tags (aws:PrincipalTag): the user's, or the
	// role's for a session.
	Tags map[string]string
	// Policies are the identity policy documents: the user's inline
	// policies, or the role's for a session; none for the root.
	Policies []string
}

// Principal types.
const (
	TypeRoot        = "Root"
	TypeUser        = "IAMUser"
	TypeAssumedRole = "AssumedRole"
)

// RootARN is the ARN of an account's root principal.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// Store is what the directory reads.
type Store interface {
	AccessKey(ctx context.Context, id string) (store.AccessKey, error)
}

// Secrets unwraps secret access keys stored in the database.
type Secrets interface {
	UnwrapSecret(label string, wrapped []byte) ([]byte, error)
	WrapSecret(label string, secret []byte) ([]byte, error)
}

// SecretLabel binds a wrapped secret access key to its access key ID.
func SecretLabel(accessKeyID string) string { return "access-key-secret:" + accessKeyID }

// Directory resolves access keys to credentials. It is safe for concurrent
// use. Unknown keys are remembered for NegativeTTL so that a flood of
// requests with made-up access keys does not reach the database each time.
type Directory struct {
	store       Store
	secrets     Secrets
	now         func() time.Time
	negativeTTL time.Duration

	mu      sync.RWMutex
	known   map[string]*sigv4.Credential // guarded by mu
	unknown map[string]time.Time         // guarded by mu: access key -> when it was found missing
}

// NewDirectory returns a Directory over st.
func NewDirectory(st Store, secrets Secrets) *Directory {
	return &Directory{
		store:       st,
		secrets:     secrets,
		now:         time.Now,
		negativeTTL: time.Second,
		known:       make(map[string]*sigv4.Credential),
		unknown:     make(map[string]time.Time),
	}
}

// Lookup implements sigv4.Lookup. The returned credential's Handle is a
// *Principal.
func (d *Directory) Lookup(ctx context.Context, id string) (*sigv4.Credential, error) {
	d.mu.RLock()
	c, ok := d.known[id]
	missing, neg := d.unknown[id]
	d.mu.RUnlock()
	if ok {
		return c, nil
	}
	if neg && d.now().Sub(missing) < d.negativeTTL {
		return nil, sigv4.ErrUnknownAccessKey
	}
	k, err := d.store.AccessKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !k.Active) {
		d.mu.Lock()
		if len(d.unknown) > 100000 {
			clear(d.unknown)
		}
		d.unknown[id] = d.now()
		d.mu.Unlock()
		return nil, sigv4.ErrUnknownAccessKey
	}
	if err != nil {
		return nil, fmt.Errorf("look up access key: %w", err)
	}
	secret, err := d.secrets.UnwrapSecret(SecretLabel(k.ID), k.WrappedSecret)
	if err != nil {
		return nil, fmt.Errorf("unwrap secret of access key %s: %w", k.ID, err)
	}
	p := &Principal{Account: k.AccountID, ARN: k.PrincipalARN}
	if k.PrincipalARN == RootARN(k.AccountID) {
		p.Type, p.UserID = TypeRoot, k.AccountID
	}
	c = &sigv4.Credential{Secret: secret, Handle: p}
	d.mu.Lock()
	if prev, ok := d.known[id]; ok {
		c = prev
	} else {
		d.known[id] = c
		delete(d.unknown, id)
	}
	d.mu.Unlock()
	return c, nil
}

// Forget drops a cached access key (after revocation).
func (d *Directory) Forget(id string) {
	d.mu.Lock()
	delete(d.known, id)
	d.mu.Unlock()
}

// NewAccessKey makes an access key ID and secret for a principal and
// returns the store record (secret wrapped) and the plaintext secret, which
// the caller shows once.
func NewAccessKey(secrets Secrets, account, principalARN string, now time.Time) (store.AccessKey, string, error) {
	var idb [10]byte
	var sb [30]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return store.AccessKey{}, "", err
	}
	if _, err := rand.Read(sb[:]); err != nil {
		return store.AccessKey{}, "", err
	}
	id := "AKIA" + base32.StdEncoding.EncodeToString(idb[:])[:16]
	secret := base64.StdEncoding.EncodeToString(sb[:])
	wrapped, err := secrets.WrapSecret(SecretLabel(id), []byte(secret))
	if err != nil {
		return store.AccessKey{}, "", fmt.Errorf("wrap secret: %w", err)
	}
	return store.AccessKey{
		ID:            id,
		AccountID:     account,
		PrincipalARN:  principalARN,
		WrappedSecret: wrapped,
		Active:        true,
		CreatedAt:     now.UTC(),
	}, secret, nil
}

// NewAccountID returns a random 12-digit account ID.
func NewAccountID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return fmt.Sprintf("%012d", 100000000000+n%900000000000), nil
}

// ValidAccountID reports whether s is 12 decimal digits.
func ValidAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
