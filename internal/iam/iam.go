// Package iam holds Trent's identities: accounts, principals and their
// access keys. Its Directory answers the SigV4 verifier's credential
// lookups from memory, reading the store only on a miss.
package iam

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// Principal types.
const (
	TypeRoot        = "Root"
	TypeUser        = "IAMUser"
	TypeAssumedRole = "AssumedRole"
)

// Principal is an authenticated identity. The Directory returns a new
// *Principal whenever anything about the identity changes (its policies,
// tags, deletion), so a cache keyed by the pointer never serves stale
// data. Treat it as immutable.
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
	RoleID      string // sessions only: the assumed role's unique ID (AROA...)
	SessionName string // sessions only
	// Tags are the principal's tags (aws:PrincipalTag): the user's, or the
	// role's for a session.
	Tags map[string]string
	// Policies are the identity policy documents: the user's inline
	// policies, or the role's for a session; none for the root.
	Policies []string

	// sourceKey is, for a session, the long-term access key the session
	// derives from (whose revocation ends it).
	sourceKey string
}

// RootARN is the ARN of an account's root principal.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// Store is what the directory reads.
type Store interface {
	AccessKey(ctx context.Context, id string) (store.AccessKey, error)
	User(ctx context.Context, account, name string) (store.User, error)
	Role(ctx context.Context, account, name string) (store.Role, error)
	Policies(ctx context.Context, kind, account, owner string) ([]store.InlinePolicy, error)
}

// Secrets unwraps secret access keys stored in the database.
type Secrets interface {
	UnwrapSecret(label string, wrapped []byte) ([]byte, error)
	WrapSecret(label string, secret []byte) ([]byte, error)
}

// SecretLabel binds a wrapped secret access key to its access key ID.
func SecretLabel(accessKeyID string) string { return "access-key-secret:" + accessKeyID }

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
