// Package store declares Trent's persistence interface and the records it
// keeps. Implementations live in store/sqlite and store/postgres; the
// conformance suite in store/storetest runs against every implementation.
//
// Contracts shared by every method:
//   - ctx is honoured for cancellation; a method that returns an error has
//     changed nothing.
//   - A method that returns nil has committed its change durably (fsync'd on
//     SQLite, committed on PostgreSQL) before returning.
//   - Records carry a Version. Update methods are compare-and-swap: they
//     succeed only when the stored version equals the version passed in, and
//     return ErrConflict otherwise. A successful update stores Version+1.
//   - Secrets and key material reach the store only wrapped by the keyring.
//   - Implementations are safe for concurrent use, also by several processes
//     sharing one database.
package store

import (
	"context"
	"time"
)

// Store is the persistence interface of a Trent node.
type Store interface {
	// Domain returns the wrapped domain key and its check value, or
	// ErrNotInitialised when the database has never been initialised.
	Domain(ctx context.Context) (Domain, error)
	// Bootstrap initialises an empty database in one transaction: the domain
	// record, the first account, its root principal and access key. It
	// returns ErrAlreadyInitialised (and changes nothing) when another
	// process got there first.
	Bootstrap(ctx context.Context, d Domain, a Account, k AccessKey) error
	// SetInstallation replaces the domain record's Installation with new if
	// it still equals old (compare-and-swap): ErrConflict otherwise (read
	// Domain again and decide again), ErrNotInitialised without a domain
	// record.
	SetInstallation(ctx context.Context, old, new Installation) error
	// RegionsInUse returns, sorted bytewise, every region in which some
	// account has at least one key or alias (keys in every state count).
	RegionsInUse(ctx context.Context) ([]string, error)
	// SetCredentialsDelivered clears the account's PendingCredentials flag
	// once the credentials file is durably written; ErrNotFound if the
	// account does not exist.
	SetCredentialsDelivered(ctx context.Context, accountID string) error

	// CreateAccount adds an account with its root access key in one
	// transaction; ErrExists if the account ID or the access key ID is taken.
	CreateAccount(ctx context.Context, a Account, k AccessKey) error
	// Account returns one account or ErrNotFound.
	Account(ctx context.Context, id string) (Account, error)
	// ListAccounts returns every account ordered by ID.
	ListAccounts(ctx context.Context) ([]Account, error)
	// AccessKey returns an access key or ErrNotFound.
	AccessKey(ctx context.Context, id string) (AccessKey, error)
	// AccessKeysOf returns an account's access keys ordered by creation
	// (none, and no error, for an unknown account).
	AccessKeysOf(ctx context.Context, accountID string) ([]AccessKey, error)

	// IAM identities (issue 7). User and role names are unique per account
	// case-insensitively, as in AWS: lookups by name ignore ASCII case and
	// records keep the case they were created with. Every committed
	// mutation below appends a change-feed entry (ChangeUser, ChangeRole or
	// ChangeAccessKey) in its own transaction, so that other nodes drop
	// what they cache of the identity.

	// CreateUser adds a user; ErrExists if the name (in any case) or the
	// user ID is taken in the account, ErrNotFound if the account does not
	// exist.
	CreateUser(ctx context.Context, u User) error
	// User returns a user or ErrNotFound.
	User(ctx context.Context, account, name string) (User, error)
	// ListUsers returns up to limit users of an account whose path starts
	// with pathPrefix, ordered by lower-cased name, after the user named
	// after ("" for the first page). limit must be at least 1.
	ListUsers(ctx context.Context, account, pathPrefix, after string, limit int) ([]User, error)
	// DeleteUser removes a user: ErrNotFound if it does not exist,
	// ErrAccessKeysRemain or ErrPoliciesRemain (and nothing changes) while
	// it still has access keys or inline policies.
	DeleteUser(ctx context.Context, account, name string) error
	// CreateRole adds a role; ErrExists and ErrNotFound as CreateUser.
	CreateRole(ctx context.Context, r Role) error
	// Role returns a role or ErrNotFound.
	Role(ctx context.Context, account, name string) (Role, error)
	// ListRoles pages roles as ListUsers pages users.
	ListRoles(ctx context.Context, account, pathPrefix, after string, limit int) ([]Role, error)
	// DeleteRole removes a role: ErrNotFound, or ErrPoliciesRemain while it
	// has inline policies.
	DeleteRole(ctx context.Context, account, name string) error
	// TagPrincipal adds tags to a user or role (kind PrincipalUser or
	// PrincipalRole), replacing the values of keys it already has (keys
	// compare exactly), in one transaction. ErrNotFound if the principal
	// does not exist; ErrLimitExceeded (nothing written) if it would then
	// have more than max tags (max <= 0: no limit).
	TagPrincipal(ctx context.Context, kind, account, name string, tags []Tag, max int) error

	// PutPolicy adds or replaces an inline policy of a user or role (its
	// OwnerKind and Owner). ErrNotFound if the owner does not exist;
	// ErrLimitExceeded (nothing written) if the documents of the owner's
	// inline policies would then total more than maxTotal bytes
	// (maxTotal <= 0: no limit). The limit holds under concurrent writers.
	PutPolicy(ctx context.Context, p InlinePolicy, maxTotal int) error
	// Policy returns one inline policy or ErrNotFound.
	Policy(ctx context.Context, kind, account, owner, name string) (InlinePolicy, error)
	// Policies returns the inline policies of a user or role ordered by
	// name (none, and no error, for an unknown owner).
	Policies(ctx context.Context, kind, account, owner string) ([]InlinePolicy, error)
	// DeletePolicy removes one inline policy or returns ErrNotFound.
	DeletePolicy(ctx context.Context, kind, account, owner, name string) error

	// CreateAccessKey adds an access key of the user k.UserName (the
	// account root's when it is ""). ErrNotFound if the user or account
	// does not exist, ErrExists if the ID is taken, ErrLimitExceeded if the
	// owner already has maxPerOwner keys (maxPerOwner <= 0: no limit; the
	// limit holds under concurrent writers).
	CreateAccessKey(ctx context.Context, k AccessKey, maxPerOwner int) error
	// SetAccessKeyActive sets an access key's status; ErrNotFound unless
	// the key exists in the account.
	SetAccessKeyActive(ctx context.Context, account, id string, active bool) error
	// DeleteAccessKey removes an access key; ErrNotFound unless it exists
	// in the account.
	DeleteAccessKey(ctx context.Context, account, id string) error
	// UserAccessKeys returns the access keys of one user ("" for the
	// account root's) ordered by creation.
	UserAccessKeys(ctx context.Context, account, userName string) ([]AccessKey, error)

	// CreateKey stores a new key (with Version 1, whatever k.Version holds)
	// and its materials in one transaction; ErrExists if the key ID is taken
	// in that account and region.
	CreateKey(ctx context.Context, k Key, m []KeyMaterial) error
	// Key returns a key or ErrNotFound.
	Key(ctx context.Context, ref KeyRef) (Key, error)
	// ListKeys returns up to limit keys of an account and region ordered by
	// key ID, starting after the key ID `after` ("" for the first page;
	// it need not exist). IDs compare bytewise on every engine. limit must
	// be at least 1; otherwise ListKeys returns an error.
	ListKeys(ctx context.Context, account, region, after string, limit int) ([]Key, error)
	// UpdateKey replaces a key's mutable fields (Description, State,
	// DeletionDate, Policy, PolicyPrincipals, Tags, CurrentMaterial, RotationEnabled,
	// RotationPeriodDays, NextRotation, OnDemandRotations, ExpirationModel,
	// ValidTo, ImportedMaterialID) if k.Version matches the
	// stored version (ErrConflict otherwise, ErrNotFound if it is gone) and
	// returns the stored record with its new version. The other fields keep
	// their stored values whatever k holds, and the result shows them.
	UpdateKey(ctx context.Context, k Key) (Key, error)
	// RotateKey adds material m to key k and makes it current, in one
	// transaction: it writes k's mutable fields as UpdateKey does, with
	// CurrentMaterial set to m.Version whatever k holds, and inserts m. It
	// returns ErrConflict if k.Version is stale, ErrNotFound if the key is
	// gone and ErrExists if the key already has material version
	// m.Version; on any error nothing is written. It returns the stored
	// key with its new version and appends a change-feed entry.
	RotateKey(ctx context.Context, k Key, m KeyMaterial) (Key, error)
	// DeleteMaterials writes k's mutable fields as UpdateKey does and
	// deletes every material version of the key, in one transaction
	// (ErrConflict if k.Version is stale, ErrNotFound if the key is gone;
	// on error nothing is written). It returns the stored key with its new
	// version and appends a change-feed entry. It is how imported material
	// is deleted; as with DeleteKey, an engine that keeps a log of written
	// pages scrubs the deleted bytes from it afterwards, and an error
	// wrapping ErrResidue means that step failed and the deletion stands.
	DeleteMaterials(ctx context.Context, k Key) (Key, error)
	// AddMaterial adds material m to key k WITHOUT making it current, in
	// one transaction: it writes k's mutable fields as UpdateKey does
	// (CurrentMaterial as k holds it) and inserts m. It is how imported
	// material pending rotation (m.Pending) arrives. ErrConflict if
	// k.Version is stale, ErrNotFound if the key is gone, ErrExists if the
	// key already has material version m.Version or material m.MaterialID;
	// on any error nothing is written. It appends a change-feed entry.
	AddMaterial(ctx context.Context, k Key, m KeyMaterial) (Key, error)
	// UpdateMaterial writes k's mutable fields as UpdateKey does and
	// replaces the stored fields of k's material m.Version (Wrapped,
	// Pending, Description, ExpirationModel, ValidTo, CreatedAt,
	// RotationType), in one transaction. ErrNotFound if the key is gone
	// or has no material m.Version with ID m.MaterialID; ErrConflict if
	// k.Version is stale. An empty m.Wrapped deletes the material's bytes
	// and keeps its record (imported material that awaits re-import); as
	// with DeleteKey, an engine that keeps a log of written pages then
	// scrubs it, and an error wrapping ErrResidue means that step failed
	// and the update stands. It appends a change-feed entry.
	UpdateMaterial(ctx context.Context, k Key, m KeyMaterial) (Key, error)
	// PromoteMaterial makes k's pending material version current, in one
	// transaction: it writes k's mutable fields as UpdateKey does with
	// CurrentMaterial set to version whatever k holds, and marks the
	// material no longer pending, with rotation type typ and CreatedAt
	// at (the rotation date). ErrNotFound if the key is gone or has no
	// pending material version; ErrConflict if k.Version is stale. It
	// appends a change-feed entry.
	PromoteMaterial(ctx context.Context, k Key, version uint32, typ string, at time.Time) (Key, error)
	// DeleteMaterial writes k's mutable fields as UpdateKey does and
	// removes k's material version and its record entirely, in one
	// transaction (ErrNotFound if the key or the version is gone,
	// ErrConflict if k.Version is stale), then scrubs as DeleteMaterials
	// does (ErrResidue). It is how material pending rotation, which is not
	// yet associated with the key for good, is deleted.
	DeleteMaterial(ctx context.Context, k Key, version uint32) (Key, error)
	// KeyMaterials returns a key's backing material versions in order;
	// none for a key that has no material yet (origin EXTERNAL before
	// import), ErrNotFound if the key does not exist.
	KeyMaterials(ctx context.Context, ref KeyRef) ([]KeyMaterial, error)
	// DeleteKey destroys a key if version matches its stored version
	// (ErrConflict otherwise, ErrNotFound if it is gone): in one transaction
	// it deletes the key, every material version, every grant and every alias that
	// targets it, and appends a change-feed entry for the key and for each
	// alias. Once that has committed, an engine that keeps a log of written
	// pages (SQLite's WAL) scrubs the deleted bytes from it; if that step
	// fails DeleteKey returns an error wrapping ErrResidue and the deletion
	// stands (the next DeleteKey scrubs again).
	DeleteKey(ctx context.Context, ref KeyRef, version int64) error
	// DueKeys returns up to limit keys, of every account and region, with
	// time-driven work due at now: State "PendingDeletion" with
	// DeletionDate at or before now; State "Enabled" with RotationEnabled
	// and NextRotation at or before now; or origin "EXTERNAL" with
	// a material that still holds its bytes with ExpirationModel
	// "KEY_MATERIAL_EXPIRES" and ValidTo at or before now, in any state
	// but a PendingDeletion that is due itself. Each key comes once. They
	// come ordered by account, region and key ID, bytewise, starting after
	// the key `after` (the zero KeyRef for the first page; it need not
	// exist), so that a caller pages through a backlog. limit must be at
	// least 1.
	DueKeys(ctx context.Context, now time.Time, after KeyRef, limit int) ([]Key, error)

	// CreateAlias adds an alias (with Version 1) if its target key exists in
	// the alias's account and region (ErrNotFound otherwise), the name is
	// free there (ErrExists otherwise) and the target has fewer than
	// maxPerKey aliases (ErrLimitExceeded otherwise; maxPerKey <= 0 means no
	// limit). The limit holds under concurrent writers.
	CreateAlias(ctx context.Context, a Alias, maxPerKey int) error
	// Alias returns an alias or ErrNotFound.
	Alias(ctx context.Context, account, region, name string) (Alias, error)
	// UpdateAlias sets an alias's TargetKeyID and UpdatedAt if a.Version
	// matches the stored version (ErrConflict otherwise), subject to the
	// same target and limit checks as CreateAlias; ErrNotFound if the alias
	// or its new target does not exist. It returns the stored record with
	// its new version.
	UpdateAlias(ctx context.Context, a Alias, maxPerKey int) (Alias, error)
	// DeleteAlias removes an alias or returns ErrNotFound.
	DeleteAlias(ctx context.Context, account, region, name string) error
	// ListAliases returns up to limit aliases of an account and region
	// ordered bytewise by name, after the name `after`; targetKeyID filters
	// when set. limit must be at least 1, as for ListKeys.
	ListAliases(ctx context.Context, account, region, targetKeyID, after string, limit int) ([]Alias, error)

	// CreateGrant adds a grant to its key if the key exists (ErrNotFound
	// otherwise), the grant ID is free (ErrExists otherwise) and the key
	// has fewer than maxPerKey grants (ErrLimitExceeded otherwise; <= 0
	// means no limit). The limit holds under concurrent writers. It
	// appends a change-feed entry for the key.
	CreateGrant(ctx context.Context, g Grant, maxPerKey int) error
	// Grants returns every grant of a key ordered by creation time and ID;
	// none (and no error) for a key without grants or an unknown key.
	Grants(ctx context.Context, ref KeyRef) ([]Grant, error)
	// RetirableGrants returns up to limit grants, of every account and
	// region, whose RetiringPrincipal is retiring and whose RetiringID is
	// retiringID ("" for an account principal), ordered by account,
	// region, key ID and grant ID, after the cursor `after` (the
	// GrantCursor of the last grant of the previous page, "" for the
	// first). limit must be at least 1.
	RetirableGrants(ctx context.Context, retiring, retiringID, after string, limit int) ([]Grant, error)
	// DeleteGrant removes one grant of a key or returns ErrNotFound, and
	// appends a change-feed entry for the key.
	DeleteGrant(ctx context.Context, ref KeyRef, grantID string) error

	// Changes returns up to limit entries of the change feed, in sequence
	// order, whose sequence number is greater than after or whose time is at
	// or after since. Every committed UpdateKey, RotateKey, UpdateAlias and DeleteAlias
	// appends one entry in its own transaction (DeleteKey one per key and
	// alias it removes). Sequence numbers are
	// assigned when a transaction writes, not when it commits, so on
	// PostgreSQL an entry can become visible after entries with higher
	// numbers; callers that must not miss one also ask for a recent time
	// window and remember which numbers they have seen.
	Changes(ctx context.Context, after int64, since time.Time, limit int) ([]Change, error)
	// LatestChange returns the highest sequence number in the feed (0 if
	// it is empty).
	LatestChange(ctx context.Context) (int64, error)
	// PruneChanges deletes feed entries older than before.
	PruneChanges(ctx context.Context, before time.Time) error

	// Backup writes a consistent copy of the database to path, which must
	// not exist (SQLite), or returns ErrUnsupported.
	Backup(ctx context.Context, path string) error
	// Close releases the store's resources.
	Close() error
}

// Domain is the database's root record.
type Domain struct {
	// WrappedKey is the domain key wrapped by the root of trust (seal).
	WrappedKey []byte
	// KeyCheck is a check value computed from the unwrapped domain key,
	// used to detect a wrong root key before anything is written.
	KeyCheck []byte
	// SealType names the seal provider that wrapped the key ("file").
	SealType  string
	CreatedAt time.Time
	// Installation identifies the installation and records the regions
	// it serves; Bootstrap writes it, SetInstallation changes it.
	Installation Installation
}

// Installation is what a start compares its data directory and its
// --region flag with (README, First start).
type Installation struct {
	// ID names the installation. The data directory of every node keeps a
	// copy (DATA_DIR/installation), so that a node refuses a database of
	// another installation, or none, instead of starting a new one. ""
	// in a database written by a release that had no installation ID,
	// until a start of this one gives it one.
	ID string
	// Regions is the set of regions the installation serves, encoded by
	// package installation ("*" or a sorted comma-separated list); "" in a
	// database written by a release that did not record it.
	Regions string
}

// Account is a tenant: a 12-digit AWS-style account ID.
type Account struct {
	ID        string
	CreatedAt time.Time
	// PendingCredentials is true until the bootstrap administrator's
	// credentials file has been written.
	PendingCredentials bool
}

// AccessKey is a principal's long-term credential.
type AccessKey struct {
	ID        string // AKIA...
	AccountID string
	// PrincipalARN is the principal the key signs as, for example
	// arn:aws:iam::111122223333:root.
	PrincipalARN string
	// WrappedSecret is the secret access key wrapped by the keyring.
	WrappedSecret []byte
	Active        bool
	CreatedAt     time.Time
	// UserName is the IAM user the key belongs to, "" for the account
	// root's keys.
	UserName string
}

// Principal kinds: the owners of inline policies and tags.
const (
	PrincipalUser = "user"
	PrincipalRole = "role"
)

// User is an IAM user.
type User struct {
	Account   string
	Name      string
	Path      string // "/" or /.../
	ID        string // AIDA...
	ARN       string
	CreatedAt time.Time
	Tags      []Tag // in the order they were first added
}

// Role is an IAM role.
type Role struct {
	Account     string
	Name        string
	Path        string
	ID          string // AROA...
	ARN         string
	Description string
	TrustPolicy string // the assume-role policy document, verbatim
	// TrustPrincipals binds the IAM users, roles and role sessions the
	// trust policy names (Principals).
	TrustPrincipals    Principals
	MaxSessionDuration int // seconds
	CreatedAt          time.Time
	Tags               []Tag
}

// InlinePolicy is a policy document embedded in a user or role.
type InlinePolicy struct {
	Account   string
	OwnerKind string // PrincipalUser or PrincipalRole
	Owner     string // the user's or role's name
	Name      string
	Document  string
}

// KeyRef names a KMS key.
type KeyRef struct {
	Account, Region, ID string
}

// Key is a KMS key's metadata. Material lives in KeyMaterial records.
type Key struct {
	Account     string
	Region      string
	ID          string
	Version     int64 // record version for compare-and-swap
	CreatedAt   time.Time
	Description string
	KeySpec     string
	KeyUsage    string
	Origin      string
	State       string // KMS KeyState: Enabled, Disabled, PendingDeletion, ...
	MultiRegion bool
	// DeletionDate is set while the key is pending deletion.
	DeletionDate time.Time
	// Policy is the key policy document, verbatim.
	Policy string
	// PolicyPrincipals binds the IAM users, roles and role sessions the
	// key policy names (Principals). It is written with Policy.
	PolicyPrincipals Principals
	// Tags in the order they were first added.
	Tags []Tag
	// CurrentMaterial is the material version new encryptions use.
	CurrentMaterial uint32
	// RotationEnabled says whether automatic rotation is on; then
	// RotationPeriodDays is its period and NextRotation when it is due.
	// They mean nothing while rotation is off.
	RotationEnabled    bool
	RotationPeriodDays int
	NextRotation       time.Time
	// OnDemandRotations counts the key's on-demand rotations (AWS limits
	// them per key).
	OnDemandRotations int
	// ExpirationModel and ValidTo describe a key's current imported
	// material (origin EXTERNAL), copied from that KeyMaterial: "" before
	// the first import and while it is deleted, else KEY_MATERIAL_EXPIRES
	// (ValidTo set) or KEY_MATERIAL_DOES_NOT_EXPIRE.
	ExpirationModel string
	ValidTo         time.Time
	// ImportedMaterialID is the KeyMaterialId of the key's current
	// imported material (the first import's until a rotation); it outlives
	// DeleteImportedKeyMaterial, so that the key knows which material
	// must come back to be current again.
	ImportedMaterialID string
}

// Ref returns the key's reference.
func (k *Key) Ref() KeyRef { return KeyRef{Account: k.Account, Region: k.Region, ID: k.ID} }

// Principals binds the principal ARNs a policy names, as it writes them,
// to the unique IDs of the principals they named when the policy was put:
// AIDA... for an IAM user, AROA... for a role and for a session of a role
// (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION). Account principals and
// wildcards are never bound, and an ARN that the map lacks names no one.
// A principal deleted and created again under the same name has a new
// unique ID, so it is not the principal the policy names.
type Principals map[string]string

// Tag is a KMS resource tag.
type Tag struct {
	Key, Value string
}

// KeyMaterial is one backing key version, wrapped under the domain key.
type KeyMaterial struct {
	Version uint32
	// MaterialID is the 64-hex KeyMaterialId AWS reports.
	MaterialID string
	// Wrapped is empty for imported material that was deleted (or
	// expired) and may be imported again: its record stays.
	Wrapped []byte
	// CreatedAt is when the material was made or imported; for material
	// that a rotation made current, when that rotation happened.
	CreatedAt time.Time
	// RotationType says how the material became current: "" for a key's
	// first material and for material pending rotation,
	// RotationAutomatic or RotationOnDemand.
	RotationType string
	// Pending marks imported material that waits for an on-demand
	// rotation to become current (KeyMaterialState PENDING_ROTATION).
	Pending bool
	// Description is the KeyMaterialDescription of imported material.
	Description string
	// ExpirationModel and ValidTo are the expiration of imported material
	// ("" for Trent-made material and while deleted).
	ExpirationModel string
	ValidTo         time.Time
}

// Imported reports whether the material holds its bytes (ImportState
// IMPORTED) rather than awaiting re-import (PENDING_IMPORT).
func (m *KeyMaterial) Imported() bool { return len(m.Wrapped) > 0 }

// RotationType values of KeyMaterial.
const (
	RotationAutomatic = "AUTOMATIC"
	RotationOnDemand  = "ON_DEMAND"
)

// Alias is a friendly name for a key.
type Alias struct {
	Account     string
	Region      string
	Name        string // alias/...
	TargetKeyID string
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Grant is a KMS grant: a grantee principal may use a key for some
// operations, under optional encryption-context constraints.
type Grant struct {
	Account, Region, KeyID string
	ID                     string // 64 hex digits
	// Name makes CreateGrant idempotent when set.
	Name             string
	GranteePrincipal string
	// GranteeID is the unique ID GranteePrincipal named when the grant
	// was made (Principals): "" for an account principal.
	GranteeID string
	// RetiringPrincipal may retire the grant ("" for none).
	RetiringPrincipal string
	// RetiringID is RetiringPrincipal's unique ID, as GranteeID.
	RetiringID string
	// IssuingAccount is arn:aws:iam::<account>:root of the creator.
	IssuingAccount string
	Operations     []string
	Constraints    GrantConstraints
	CreatedAt      time.Time
}

// GrantConstraints limit a grant to requests with a given encryption
// context. At most one of the maps is non-empty.
type GrantConstraints struct {
	EncryptionContextEquals map[string]string `json:",omitempty"`
	EncryptionContextSubset map[string]string `json:",omitempty"`
}

// Ref returns the grant's key.
func (g *Grant) Ref() KeyRef { return KeyRef{Account: g.Account, Region: g.Region, ID: g.KeyID} }

// GrantCursor is the RetirableGrants cursor that continues after g.
func GrantCursor(g Grant) string {
	return g.Account + "/" + g.Region + "/" + g.KeyID + "/" + g.ID
}

// ChangeKind says what a change feed entry names.
type ChangeKind string

const (
	// ChangeKey names a key (Name is the key ID).
	ChangeKey ChangeKind = "key"
	// ChangeAlias names an alias (Name is alias/...).
	ChangeAlias ChangeKind = "alias"
	// ChangeUser names an IAM user, its tags or inline policies (Name is
	// the user name, lower-cased; Region is "").
	ChangeUser ChangeKind = "user"
	// ChangeRole names an IAM role, its tags or inline policies (Name is
	// the role name, lower-cased; Region is "").
	ChangeRole ChangeKind = "role"
	// ChangeAccessKey names an access key whose status changed or that was
	// deleted (Name is the access key ID; Region is "").
	ChangeAccessKey ChangeKind = "accesskey"
)

// Change is one entry of the change feed that lets nodes sharing a
// database invalidate what they cache.
type Change struct {
	Seq                   int64
	At                    time.Time
	Kind                  ChangeKind
	Account, Region, Name string
}
