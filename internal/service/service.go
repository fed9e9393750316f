// Package service implements the AWS KMS operations: key states, key
// references, validation that needs the key, and the calls into the store
// and the keyring. It knows nothing of HTTP or of the wire names of errors;
// internal/api maps its typed errors.
package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/store"
)

// Store is the persistence the service needs.
type Store interface {
	CreateKey(ctx context.Context, k store.Key, m []store.KeyMaterial) error
	Key(ctx context.Context, ref store.KeyRef) (store.Key, error)
	ListKeys(ctx context.Context, account, region, after string, limit int) ([]store.Key, error)
	UpdateKey(ctx context.Context, k store.Key) (store.Key, error)
	RotateKey(ctx context.Context, k store.Key, m store.KeyMaterial) (store.Key, error)
	DeleteMaterials(ctx context.Context, k store.Key) (store.Key, error)
	AddMaterial(ctx context.Context, k store.Key, m store.KeyMaterial) (store.Key, error)
	UpdateMaterial(ctx context.Context, k store.Key, m store.KeyMaterial) (store.Key, error)
	PromoteMaterial(ctx context.Context, k store.Key, version uint32, typ string, at time.Time) (store.Key, error)
	DeleteMaterial(ctx context.Context, k store.Key, version uint32) (store.Key, error)
	KeyMaterials(ctx context.Context, ref store.KeyRef) ([]store.KeyMaterial, error)
	DeleteKey(ctx context.Context, ref store.KeyRef, version int64) error
	DueKeys(ctx context.Context, now time.Time, after store.KeyRef, limit int) ([]store.Key, error)
	CreateAlias(ctx context.Context, a store.Alias, maxPerKey int) error
	Alias(ctx context.Context, account, region, name string) (store.Alias, error)
	UpdateAlias(ctx context.Context, a store.Alias, maxPerKey int) (store.Alias, error)
	DeleteAlias(ctx context.Context, account, region, name string) error
	ListAliases(ctx context.Context, account, region, targetKeyID, after string, limit int) ([]store.Alias, error)
	Account(ctx context.Context, id string) (store.Account, error)
	User(ctx context.Context, account, name string) (store.User, error)
	Role(ctx context.Context, account, name string) (store.Role, error)
	CreateGrant(ctx context.Context, g store.Grant, maxPerKey int) error
	Grants(ctx context.Context, ref store.KeyRef) ([]store.Grant, error)
	RetirableGrants(ctx context.Context, retiring, retiringID, after string, limit int) ([]store.Grant, error)
	DeleteGrant(ctx context.Context, ref store.KeyRef, grantID string) error
}

// Keyring is the cryptographic boundary as the service uses it.
type Keyring interface {
	NewMaterial(ref keyring.MaterialRef, spec string) (keyring.Wrapped, error)
	// Forget drops the keyring's cached plaintext of one material version.
	Forget(ref keyring.MaterialRef)
	Encrypt(ctx context.Context, ref keyring.MaterialRef, plaintext []byte, encCtx map[string]string) ([]byte, error)
	Decrypt(ctx context.Context, blob []byte, encCtx map[string]string) (keyring.Header, []byte, error)
	ReEncrypt(ctx context.Context, blob []byte, srcCtx map[string]string, dstRef keyring.MaterialRef, dstCtx map[string]string) (keyring.Header, []byte, error)
	GenerateDataKey(ctx context.Context, ref keyring.MaterialRef, n int, encCtx map[string]string) (plaintext, blob []byte, err error)
	Random(n int) ([]byte, error)
	// GrantTokenMAC authenticates grant tokens under a key derived from
	// the domain key.
	GrantTokenMAC(data []byte) ([]byte, error)
	ImportParameters(ref keyring.MaterialRef, wrappingSpec, alg string, expires time.Time) (token, publicKey []byte, err error)
	ImportMaterial(ref keyring.MaterialRef, spec string, token, encrypted []byte, now time.Time) (keyring.Wrapped, string, error)
	ImportMaterialPlaced(ref keyring.MaterialRef, spec string, token, encrypted []byte, now time.Time, place func(materialID string) (uint32, error)) (keyring.Wrapped, string, error)

	PublicKey(ctx context.Context, ref keyring.MaterialRef) ([]byte, error)
	Sign(ctx context.Context, ref keyring.MaterialRef, alg, msgType string, msg []byte) ([]byte, error)
	Verify(ctx context.Context, ref keyring.MaterialRef, alg, msgType string, msg, sig []byte) error
	EncryptRSA(ctx context.Context, ref keyring.MaterialRef, alg string, plaintext []byte) ([]byte, error)
	DecryptRSA(ctx context.Context, ref keyring.MaterialRef, alg string, ciphertext []byte) ([]byte, error)
	GenerateMac(ctx context.Context, ref keyring.MaterialRef, alg string, msg []byte) ([]byte, error)
	VerifyMac(ctx context.Context, ref keyring.MaterialRef, alg string, msg, mac []byte) error
	DeriveSharedSecret(ctx context.Context, ref keyring.MaterialRef, peerSPKI []byte) ([]byte, error)
	Encapsulate(ctx context.Context, ref keyring.MaterialRef) (ciphertext, sharedSecret []byte, err error)
	Decapsulate(ctx context.Context, ref keyring.MaterialRef, ciphertext []byte) ([]byte, error)
}

// Caller is the authenticated principal of a request and where it was sent.
// Operations record facts of the request in it for authorization (the
// encryption context, algorithms, grant tokens), so a Caller serves exactly
// one request and is never shared between requests or goroutines.
type Caller struct {
	Account     string // 12-digit account ID
	ARN         string // principal ARN
	AccessKeyID string
	Region      string // from the SigV4 credential scope
	// Principal is the caller's directory record: its type, tags and
	// identity policies. nil means the root user of Account when ARN is
	// the account's root ARN, else a principal with no identity policies.
	Principal *iam.Principal
	// RoleARN is the role of an assumed-role session ("" otherwise):
	// grants and policies name roles by it.
	RoleARN string
	// SourceIP and SecureTransport feed aws:SourceIp and
	// aws:SecureTransport; At is the request time (zero: now).
	SourceIP        string
	SecureTransport bool
	At              time.Time

	// Request-scoped facts that operations record for the policy
	// condition keys before the key is authorized.
	hasEncCtx     bool
	encCtx        map[string]string
	encAlg        string
	signAlg       string
	macAlg        string
	requestAlias  string
	grant         *grantRequest
	grantTokens   []string
	bypassLockout *bool
	reqTags       []store.Tag
	// Set by authorization.
	key      *store.Key
	id       *identity
	viaGrant *store.Grant
	scratch  [1]string
}

// setEncryptionContext records a request's encryption context for
// kms:EncryptionContext conditions and grant constraints.
func (c *Caller) setEncryptionContext(ec map[string]string) {
	c.hasEncCtx = true
	c.encCtx = ec
}

// Config holds the service's collaborators.
type Config struct {
	Store   Store
	Keyring Keyring
	// Now is the key clock (rotation, deletion); nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service implements the KMS operations. It is safe for concurrent use.
type Service struct {
	store   Store
	keyring Keyring
	now     func() time.Time
	log     *slog.Logger
	cache   *keyCache
	ids     identities
}

// New returns a Service.
func New(c Config) *Service {
	s := &Service{store: c.Store, keyring: c.Keyring, now: c.Now, log: c.Logger, cache: newKeyCache(100000)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Limits that AWS documents.
const (
	maxAliasesPerKey = 50
	maxTagsPerKey    = 50
	maxPolicyBytes   = 32768
)

func newKeyID() string { return uuid.NewString() }

func newMaterialID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// internal wraps an unexpected error: it is logged with the operation and
// the client sees a fixed message.
func (s *Service) internal(ctx context.Context, op string, err error) error {
	s.log.ErrorContext(ctx, "internal error", "op", op, "err", err)
	return &Error{Kind: KindInternal, Message: "An internal error occurred."}
}

// MaterialReader reads a key's wrapped material versions.
type MaterialReader interface {
	KeyMaterials(ctx context.Context, ref store.KeyRef) ([]store.KeyMaterial, error)
}

// MaterialSource returns the keyring's loader of wrapped material over a
// store: what the keyring reads on a cache miss.
func MaterialSource(st MaterialReader) keyring.MaterialSource {
	return func(ctx context.Context, ref keyring.MaterialRef) (keyring.Wrapped, error) {
		ms, err := st.KeyMaterials(ctx, store.KeyRef{Account: ref.Account, Region: ref.Region, ID: ref.KeyID})
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("key %s: %w", ref.KeyID, keyring.ErrMaterialNotFound)
		}
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.Version == ref.Version && m.Imported() {
				return m.Wrapped, nil
			}
		}
		return nil, fmt.Errorf("key %s version %d: %w", ref.KeyID, ref.Version, keyring.ErrMaterialNotFound)
	}
}
