package iam

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// PolicyValidator checks a policy document: an identity policy (trust
// false) or a role's trust policy (trust true). A non-nil error's text is
// returned to the client as the MalformedPolicyDocument message; for a
// trust policy it returns the principal ARNs the document names
// (Principal and NotPrincipal). ShowPrincipals returns a stored document
// with the principals for which show answers ok replaced by its answer
// (internal/policy.ShowPrincipals). cmd/trent wires internal/policy.
type PolicyValidator interface {
	Validate(doc string, trust bool) (principals []string, err error)
	ShowPrincipals(doc string, show func(arn string) (string, bool)) string
}

// TrustChecker decides AssumeRole: whether the role's trust policy, its
// principals bound to the unique IDs in bound (store.Principals), lets
// caller assume it, and the caller's identity policies allow
// sts:AssumeRole on it. cmd/trent wires internal/policy.
type TrustChecker interface {
	MayAssume(trustPolicyDoc string, bound store.Principals, roleARN string, caller *Principal) (bool, error)
}

// AdminStore is the persistence the IAM operations need.
type AdminStore interface {
	Store
	CreateUser(ctx context.Context, u store.User) error
	ListUsers(ctx context.Context, account, pathPrefix, after string, limit int) ([]store.User, error)
	DeleteUser(ctx context.Context, account, name string) error
	CreateRole(ctx context.Context, r store.Role) error
	ListRoles(ctx context.Context, account, pathPrefix, after string, limit int) ([]store.Role, error)
	DeleteRole(ctx context.Context, account, name string) error
	TagPrincipal(ctx context.Context, kind, account, name string, tags []store.Tag, max int) error
	PutPolicy(ctx context.Context, p store.InlinePolicy, maxTotal int) error
	Policy(ctx context.Context, kind, account, owner, name string) (store.InlinePolicy, error)
	DeletePolicy(ctx context.Context, kind, account, owner, name string) error
	CreateAccessKey(ctx context.Context, k store.AccessKey, maxPerOwner int) error
	SetAccessKeyActive(ctx context.Context, account, id string, active bool) error
	DeleteAccessKey(ctx context.Context, account, id string) error
	UserAccessKeys(ctx context.Context, account, userName string) ([]store.AccessKey, error)
}

// Config holds the IAM service's collaborators.
type Config struct {
	Store     AdminStore
	Secrets   Secrets
	Directory *Directory
	Validator PolicyValidator
	Trust     TrustChecker
	Now       func() time.Time // nil: time.Now (session expiry, creation dates)
	Logger    *slog.Logger
}

// Service implements the IAM and STS operations. Every mutation that
// revokes or changes an identity updates the Directory before it returns.
type Service struct {
	st    AdminStore
	sec   Secrets
	dir   *Directory
	val   PolicyValidator
	trust TrustChecker
	now   func() time.Time
	log   *slog.Logger
}

// NewService returns the IAM service. It panics without Store, Secrets,
// Directory, Validator or Trust.
func NewService(c Config) *Service {
	if c.Store == nil || c.Secrets == nil || c.Directory == nil || c.Validator == nil || c.Trust == nil {
		panic("iam: NewService needs Store, Secrets, Directory, Validator and Trust")
	}
	s := &Service{st: c.Store, sec: c.Secrets, dir: c.Directory, val: c.Validator, trust: c.Trust, now: c.Now, log: c.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

func (s *Service) internal(ctx context.Context, op string, err error) error {
	s.log.ErrorContext(ctx, "iam internal error", "op", op, "err", err)
	return errInternal
}

// newID returns prefix + 17 random base32 characters, as AWS's unique IDs.
func newID(prefix string) (string, error) {
	var b [11]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return prefix + base32.StdEncoding.EncodeToString(b[:])[:17], nil
}

func normPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func toStoreTags(ts []Tag) []store.Tag {
	var out []store.Tag
	for _, t := range ts {
		out = append(out, store.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// Page is a list's continuation: Marker is what the next call passes.
type Page struct {
	IsTruncated bool
	Marker      string
}

// maxItems returns the page size of a list: n, or the default for 0 (the
// parameter absent).
func maxItems(n int) (int, error) {
	if n == 0 {
		return defaultMaxItems, nil
	}
	return n, CheckMaxItems(n)
}

// CheckMaxItems checks the value of a MaxItems parameter that the request
// carries: IAM's API model bounds it to 1..1000 (maxItemsType), so 0 is
// refused as AWS refuses it, with a ValidationError.
func CheckMaxItems(n int) error {
	var v validation
	switch {
	case n < 1:
		v.add(fmt.Sprint(n), "maxItems", "Member must have value greater than or equal to 1")
	case n > maxItemsLimit:
		v.add(fmt.Sprint(n), "maxItems", "Member must have value less than or equal to 1000")
	}
	return v.err()
}

// CreateUserInput is CreateUser's request.
type CreateUserInput struct {
	UserName, Path string
	Tags           []Tag
}

// CreateUser adds a user to the caller's account.
func (s *Service) CreateUser(ctx context.Context, caller *Principal, in CreateUserInput) (store.User, error) {
	var v validation
	v.name(in.UserName, "userName", 1, maxUserNameLen)
	v.path(in.Path, "path")
	if err := v.err(); err != nil {
		return store.User{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return store.User{}, err
	}
	id, err := newID("AIDA")
	if err != nil {
		return store.User{}, s.internal(ctx, "CreateUser", err)
	}
	path := normPath(in.Path)
	u := store.User{Account: caller.Account, Name: in.UserName, Path: path, ID: id,
		ARN: UserARN(caller.Account, path, in.UserName), CreatedAt: s.now().UTC().Truncate(time.Second), Tags: toStoreTags(in.Tags)}
	err = s.st.CreateUser(ctx, u)
	if errors.Is(err, store.ErrExists) {
		return store.User{}, errorf(KindEntityAlreadyExists, "User with name "+in.UserName+" already exists.")
	}
	if err != nil {
		return store.User{}, s.internal(ctx, "CreateUser", err)
	}
	return u, nil
}

func noSuchUser(name string) error {
	return errorf(KindNoSuchEntity, "The user with name "+name+" cannot be found.")
}

func noSuchRole(name string) error {
	return errorf(KindNoSuchEntity, "The role with name "+name+" cannot be found.")
}

// GetUser returns a user; with no name, the calling user (the root has no
// user record: AWS answers with the account's root identity).
func (s *Service) GetUser(ctx context.Context, caller *Principal, name string) (store.User, error) {
	if name == "" {
		switch caller.Type {
		case TypeUser:
			name = caller.UserName
		case TypeRoot:
			return store.User{Account: caller.Account, ID: caller.Account, ARN: caller.ARN}, nil
		default:
			var v validation
			v.add("null", "userName", "Member must not be null")
			return store.User{}, v.err()
		}
	}
	var v validation
	v.name(name, "userName", 1, maxUserNameLen)
	if err := v.err(); err != nil {
		return store.User{}, err
	}
	u, err := s.st.User(ctx, caller.Account, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, noSuchUser(name)
	}
	if err != nil {
		return store.User{}, s.internal(ctx, "GetUser", err)
	}
	return u, nil
}

// ListUsers lists the caller account's users whose path starts with
// pathPrefix, in pages of up to max (0: 100), after marker.
func (s *Service) ListUsers(ctx context.Context, caller *Principal, pathPrefix, marker string, max int) ([]store.User, Page, error) {
	n, err := maxItems(max)
	if err != nil {
		return nil, Page{}, err
	}
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	us, err := s.st.ListUsers(ctx, caller.Account, pathPrefix, marker, n+1)
	if err != nil {
		return nil, Page{}, s.internal(ctx, "ListUsers", err)
	}
	var p Page
	if len(us) > n {
		us, p = us[:n], Page{IsTruncated: true, Marker: us[n-1].Name}
	}
	return us, p, nil
}

// DeleteUser deletes a user that has no access keys and no inline
// policies left, and forgets it at once.
func (s *Service) DeleteUser(ctx context.Context, caller *Principal, name string) error {
	var v validation
	v.name(name, "userName", 1, maxUserNameLen)
	if err := v.err(); err != nil {
		return err
	}
	err := s.st.DeleteUser(ctx, caller.Account, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return noSuchUser(name)
	case errors.Is(err, store.ErrAccessKeysRemain):
		return errorf(KindDeleteConflict, "Cannot delete entity, must delete access keys first.")
	case errors.Is(err, store.ErrPoliciesRemain):
		return errorf(KindDeleteConflict, "Cannot delete entity, must delete policies first.")
	case err != nil:
		return s.internal(ctx, "DeleteUser", err)
	}
	s.dir.ForgetUser(caller.Account, name)
	return nil
}

// keyOwner resolves the user an access-key operation names: the given
// user, else the caller's own (the root's keys for the root).
func keyOwner(caller *Principal, userName string) (string, error) {
	if userName != "" {
		var v validation
		v.name(userName, "userName", 1, maxUserNameLen)
		return userName, v.err()
	}
	switch caller.Type {
	case TypeUser:
		return caller.UserName, nil
	case TypeRoot:
		return "", nil
	}
	var v validation
	v.add("null", "userName", "Member must not be null")
	return "", v.err()
}

// CreateAccessKey makes an access key for a user (the caller's own without
// a name) and returns it with its secret, which is shown only here.
func (s *Service) CreateAccessKey(ctx context.Context, caller *Principal, userName string) (store.AccessKey, string, error) {
	owner, err := keyOwner(caller, userName)
	if err != nil {
		return store.AccessKey{}, "", err
	}
	arn := RootARN(caller.Account)
	if owner != "" {
		u, err := s.st.User(ctx, caller.Account, owner)
		if errors.Is(err, store.ErrNotFound) {
			return store.AccessKey{}, "", noSuchUser(owner)
		}
		if err != nil {
			return store.AccessKey{}, "", s.internal(ctx, "CreateAccessKey", err)
		}
		owner, arn = u.Name, u.ARN
	}
	k, secret, err := NewAccessKey(s.sec, caller.Account, arn, s.now().Truncate(time.Second))
	if err != nil {
		return store.AccessKey{}, "", s.internal(ctx, "CreateAccessKey", err)
	}
	k.UserName = owner
	err = s.st.CreateAccessKey(ctx, k, maxAccessKeysPerUsr)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.AccessKey{}, "", noSuchUser(owner)
	case errors.Is(err, store.ErrLimitExceeded):
		return store.AccessKey{}, "", errorf(KindLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: 2")
	case err != nil:
		return store.AccessKey{}, "", s.internal(ctx, "CreateAccessKey", err)
	}
	s.dir.Forget(k.ID) // a negative-cache entry of the new ID must not linger
	return k, secret, nil
}

// ListAccessKeys lists a user's access keys (the caller's own without a
// name); NoSuchEntity for an unknown user.
func (s *Service) ListAccessKeys(ctx context.Context, caller *Principal, userName string) ([]store.AccessKey, error) {
	owner, err := keyOwner(caller, userName)
	if err != nil {
		return nil, err
	}
	if owner != "" {
		if _, err := s.st.User(ctx, caller.Account, owner); errors.Is(err, store.ErrNotFound) {
			return nil, noSuchUser(owner)
		} else if err != nil {
			return nil, s.internal(ctx, "ListAccessKeys", err)
		}
	}
	ks, err := s.st.UserAccessKeys(ctx, caller.Account, owner)
	if err != nil {
		return nil, s.internal(ctx, "ListAccessKeys", err)
	}
	return ks, nil
}

// ownedKey checks that access key id belongs to the named user (or to the
// caller's own identity without a name).
func (s *Service) ownedKey(ctx context.Context, caller *Principal, userName, id string) error {
	owner, err := keyOwner(caller, userName)
	if err != nil {
		return err
	}
	var v validation
	v.name(id, "accessKeyId", 16, 128)
	if err := v.err(); err != nil {
		return err
	}
	if owner != "" {
		if _, err := s.st.User(ctx, caller.Account, owner); errors.Is(err, store.ErrNotFound) {
			return noSuchUser(owner)
		} else if err != nil {
			return s.internal(ctx, "access key", err)
		}
	}
	k, err := s.st.AccessKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (k.AccountID != caller.Account || !strings.EqualFold(k.UserName, owner))) {
		return errorf(KindNoSuchEntity, "The Access Key with id "+id+" cannot be found.")
	}
	if err != nil {
		return s.internal(ctx, "access key", err)
	}
	return nil
}

// UpdateAccessKey sets a key's status, "Active" or "Inactive". An
// inactive key stops working for the next request on this node.
func (s *Service) UpdateAccessKey(ctx context.Context, caller *Principal, userName, id, status string) error {
	if status != "Active" && status != "Inactive" {
		var v validation
		v.add(status, "status", "Member must satisfy enum value set: [Active, Inactive]")
		return v.err()
	}
	if err := s.ownedKey(ctx, caller, userName, id); err != nil {
		return err
	}
	if err := s.st.SetAccessKeyActive(ctx, caller.Account, id, status == "Active"); err != nil {
		return s.internal(ctx, "UpdateAccessKey", err)
	}
	s.dir.Forget(id)
	return nil
}

// DeleteAccessKey deletes a key; it stops working at once.
func (s *Service) DeleteAccessKey(ctx context.Context, caller *Principal, userName, id string) error {
	if err := s.ownedKey(ctx, caller, userName, id); err != nil {
		return err
	}
	err := s.st.DeleteAccessKey(ctx, caller.Account, id)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(KindNoSuchEntity, "The Access Key with id "+id+" cannot be found.")
	}
	if err != nil {
		return s.internal(ctx, "DeleteAccessKey", err)
	}
	s.dir.Forget(id)
	return nil
}

// ownerKind describes the two owners of inline policies.
type ownerKind struct {
	kind, member, word string
	maxTotal           int
	forget             func(d *Directory, account, name string)
}

var (
	userOwner = ownerKind{store.PrincipalUser, "userName", "user", maxUserPolicyBytes, (*Directory).ForgetUser}
	roleOwner = ownerKind{store.PrincipalRole, "roleName", "role", maxRolePolicyBytes, (*Directory).ForgetRole}
)

func (o ownerKind) noSuch(name string) error {
	if o.kind == store.PrincipalUser {
		return noSuchUser(name)
	}
	return noSuchRole(name)
}

func (s *Service) putPolicy(ctx context.Context, caller *Principal, o ownerKind, owner, name, doc string) error {
	var v validation
	v.name(owner, o.member, 1, maxUserNameLen)
	v.name(name, "policyName", 1, maxPolicyNameLen)
	v.document(doc, "policyDocument")
	if err := v.err(); err != nil {
		return err
	}
	if _, err := s.val.Validate(doc, false); err != nil {
		return errorf(KindMalformedPolicy, err.Error())
	}
	err := s.st.PutPolicy(ctx, store.InlinePolicy{Account: caller.Account, OwnerKind: o.kind, Owner: owner, Name: name, Document: doc}, o.maxTotal)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return o.noSuch(owner)
	case errors.Is(err, store.ErrLimitExceeded):
		return errorf(KindLimitExceeded, fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", o.maxTotal, o.word, owner))
	case err != nil:
		return s.internal(ctx, "Put"+o.word+"Policy", err)
	}
	o.forget(s.dir, caller.Account, owner)
	return nil
}

func (s *Service) getPolicy(ctx context.Context, caller *Principal, o ownerKind, owner, name string) (store.InlinePolicy, error) {
	var v validation
	v.name(owner, o.member, 1, maxUserNameLen)
	v.name(name, "policyName", 1, maxPolicyNameLen)
	if err := v.err(); err != nil {
		return store.InlinePolicy{}, err
	}
	p, err := s.st.Policy(ctx, o.kind, caller.Account, owner, name)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.ownerExists(ctx, caller, o, owner); err != nil {
			return store.InlinePolicy{}, err
		}
		return store.InlinePolicy{}, errorf(KindNoSuchEntity, "The "+o.word+" policy with name "+name+" cannot be found.")
	}
	if err != nil {
		return store.InlinePolicy{}, s.internal(ctx, "Get"+o.word+"Policy", err)
	}
	return p, nil
}

func (s *Service) ownerExists(ctx context.Context, caller *Principal, o ownerKind, owner string) error {
	var err error
	if o.kind == store.PrincipalUser {
		_, err = s.st.User(ctx, caller.Account, owner)
	} else {
		_, err = s.st.Role(ctx, caller.Account, owner)
	}
	if errors.Is(err, store.ErrNotFound) {
		return o.noSuch(owner)
	}
	if err != nil {
		return s.internal(ctx, "owner", err)
	}
	return nil
}

func (s *Service) listPolicies(ctx context.Context, caller *Principal, o ownerKind, owner string) ([]string, error) {
	var v validation
	v.name(owner, o.member, 1, maxUserNameLen)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.ownerExists(ctx, caller, o, owner); err != nil {
		return nil, err
	}
	ps, err := s.st.Policies(ctx, o.kind, caller.Account, owner)
	if err != nil {
		return nil, s.internal(ctx, "List"+o.word+"Policies", err)
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names, nil
}

func (s *Service) deletePolicy(ctx context.Context, caller *Principal, o ownerKind, owner, name string) error {
	var v validation
	v.name(owner, o.member, 1, maxUserNameLen)
	v.name(name, "policyName", 1, maxPolicyNameLen)
	if err := v.err(); err != nil {
		return err
	}
	err := s.st.DeletePolicy(ctx, o.kind, caller.Account, owner, name)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.ownerExists(ctx, caller, o, owner); err != nil {
			return err
		}
		return errorf(KindNoSuchEntity, "The "+o.word+" policy with name "+name+" cannot be found.")
	}
	if err != nil {
		return s.internal(ctx, "Delete"+o.word+"Policy", err)
	}
	o.forget(s.dir, caller.Account, owner)
	return nil
}

// PutUserPolicy adds or replaces a user's inline policy; the user's next
// request on this node is evaluated with it.
func (s *Service) PutUserPolicy(ctx context.Context, caller *Principal, user, name, doc string) error {
	return s.putPolicy(ctx, caller, userOwner, user, name, doc)
}

// GetUserPolicy returns a user's inline policy.
func (s *Service) GetUserPolicy(ctx context.Context, caller *Principal, user, name string) (store.InlinePolicy, error) {
	return s.getPolicy(ctx, caller, userOwner, user, name)
}

// ListUserPolicies returns the names of a user's inline policies.
func (s *Service) ListUserPolicies(ctx context.Context, caller *Principal, user string) ([]string, error) {
	return s.listPolicies(ctx, caller, userOwner, user)
}

// DeleteUserPolicy deletes a user's inline policy.
func (s *Service) DeleteUserPolicy(ctx context.Context, caller *Principal, user, name string) error {
	return s.deletePolicy(ctx, caller, userOwner, user, name)
}

// PutRolePolicy adds or replaces a role's inline policy.
func (s *Service) PutRolePolicy(ctx context.Context, caller *Principal, role, name, doc string) error {
	return s.putPolicy(ctx, caller, roleOwner, role, name, doc)
}

// GetRolePolicy returns a role's inline policy.
func (s *Service) GetRolePolicy(ctx context.Context, caller *Principal, role, name string) (store.InlinePolicy, error) {
	return s.getPolicy(ctx, caller, roleOwner, role, name)
}

// ListRolePolicies returns the names of a role's inline policies.
func (s *Service) ListRolePolicies(ctx context.Context, caller *Principal, role string) ([]string, error) {
	return s.listPolicies(ctx, caller, roleOwner, role)
}

// DeleteRolePolicy deletes a role's inline policy.
func (s *Service) DeleteRolePolicy(ctx context.Context, caller *Principal, role, name string) error {
	return s.deletePolicy(ctx, caller, roleOwner, role, name)
}

// CreateRoleInput is CreateRole's request.
type CreateRoleInput struct {
	RoleName, Path, AssumeRolePolicyDocument, Description string
	MaxSessionDuration                                    int // seconds; 0: 3600
	Tags                                                  []Tag
}

// CreateRole adds a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, caller *Principal, in CreateRoleInput) (store.Role, error) {
	var v validation
	v.name(in.RoleName, "roleName", 1, maxRoleNameLen)
	v.path(in.Path, "path")
	v.document(in.AssumeRolePolicyDocument, "assumeRolePolicyDocument")
	if len([]rune(in.Description)) > maxDescriptionLen {
		v.add(in.Description, "description", "Member must have length less than or equal to 1000")
	}
	if in.MaxSessionDuration != 0 && (in.MaxSessionDuration < 3600 || in.MaxSessionDuration > maxSessionDuration) {
		v.add(fmt.Sprint(in.MaxSessionDuration), "maxSessionDuration", "Member must have value less than or equal to 43200")
		if in.MaxSessionDuration < 3600 {
			v.msgs[len(v.msgs)-1] = "Value '" + fmt.Sprint(in.MaxSessionDuration) + "' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"
		}
	}
	if err := v.err(); err != nil {
		return store.Role{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return store.Role{}, err
	}
	principals, err := s.val.Validate(in.AssumeRolePolicyDocument, true)
	if err != nil {
		return store.Role{}, errorf(KindMalformedPolicy, err.Error())
	}
	// A trust policy names principals that exist ("Invalid principal in
	// policy" otherwise, as IAM answers) and is bound to their unique IDs.
	bound, err := Bind(ctx, s.st, principals)
	var none *NoSuchPrincipalError
	if errors.As(err, &none) {
		return store.Role{}, errorf(KindMalformedPolicy, `Invalid principal in policy: "AWS":"`+none.ARN+`"`)
	}
	if err != nil {
		return store.Role{}, s.internal(ctx, "CreateRole", err)
	}
	id, err := newID("AROA")
	if err != nil {
		return store.Role{}, s.internal(ctx, "CreateRole", err)
	}
	maxDur := in.MaxSessionDuration
	if maxDur == 0 {
		maxDur = defaultSessionDur
	}
	path := normPath(in.Path)
	r := store.Role{Account: caller.Account, Name: in.RoleName, Path: path, ID: id,
		ARN:         RoleARN(caller.Account, path, in.RoleName),
		Description: in.Description, TrustPolicy: in.AssumeRolePolicyDocument, TrustPrincipals: bound, MaxSessionDuration: maxDur,
		CreatedAt: s.now().UTC().Truncate(time.Second), Tags: toStoreTags(in.Tags)}
	err = s.st.CreateRole(ctx, r)
	if errors.Is(err, store.ErrExists) {
		return store.Role{}, errorf(KindEntityAlreadyExists, "Role with name "+in.RoleName+" already exists.")
	}
	if err != nil {
		return store.Role{}, s.internal(ctx, "CreateRole", err)
	}
	s.dir.ForgetRole(caller.Account, r.Name)
	return r, nil
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, caller *Principal, name string) (store.Role, error) {
	var v validation
	v.name(name, "roleName", 1, maxRoleNameLen)
	if err := v.err(); err != nil {
		return store.Role{}, err
	}
	r, err := s.st.Role(ctx, caller.Account, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Role{}, noSuchRole(name)
	}
	if err != nil {
		return store.Role{}, s.internal(ctx, "GetRole", err)
	}
	if err := s.showTrust(ctx, &r); err != nil {
		return store.Role{}, s.internal(ctx, "GetRole", err)
	}
	return r, nil
}

// showTrust sets r's trust policy to what IAM shows: the document as
// written, with the unique ID in place of each principal it names that
// has been deleted since (Gone).
func (s *Service) showTrust(ctx context.Context, r *store.Role) error {
	gone, err := Gone(ctx, s.st, r.TrustPrincipals)
	if err != nil || gone == nil {
		return err
	}
	r.TrustPolicy = s.val.ShowPrincipals(r.TrustPolicy, func(arn string) (string, bool) {
		id, ok := gone[arn]
		return id, ok
	})
	return nil
}

// ListRoles lists roles as ListUsers lists users.
func (s *Service) ListRoles(ctx context.Context, caller *Principal, pathPrefix, marker string, max int) ([]store.Role, Page, error) {
	n, err := maxItems(max)
	if err != nil {
		return nil, Page{}, err
	}
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	rs, err := s.st.ListRoles(ctx, caller.Account, pathPrefix, marker, n+1)
	if err != nil {
		return nil, Page{}, s.internal(ctx, "ListRoles", err)
	}
	var p Page
	if len(rs) > n {
		rs, p = rs[:n], Page{IsTruncated: true, Marker: rs[n-1].Name}
	}
	for i := range rs {
		if err := s.showTrust(ctx, &rs[i]); err != nil {
			return nil, Page{}, s.internal(ctx, "ListRoles", err)
		}
	}
	return rs, p, nil
}

// DeleteRole deletes a role that has no inline policies left; its
// sessions stop working at once.
func (s *Service) DeleteRole(ctx context.Context, caller *Principal, name string) error {
	var v validation
	v.name(name, "roleName", 1, maxRoleNameLen)
	if err := v.err(); err != nil {
		return err
	}
	err := s.st.DeleteRole(ctx, caller.Account, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return noSuchRole(name)
	case errors.Is(err, store.ErrPoliciesRemain):
		return errorf(KindDeleteConflict, "Cannot delete entity, must delete policies first.")
	case err != nil:
		return s.internal(ctx, "DeleteRole", err)
	}
	s.dir.ForgetRole(caller.Account, name)
	return nil
}

func (s *Service) tag(ctx context.Context, caller *Principal, o ownerKind, name string, tags []Tag) error {
	var v validation
	v.name(name, o.member, 1, maxUserNameLen)
	if err := v.err(); err != nil {
		return err
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	err := s.st.TagPrincipal(ctx, o.kind, caller.Account, name, toStoreTags(tags), maxTags)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return o.noSuch(name)
	case errors.Is(err, store.ErrLimitExceeded):
		return errorf(KindLimitExceeded, "The number of tags has reached the maximum limit.")
	case err != nil:
		return s.internal(ctx, "Tag"+o.word, err)
	}
	o.forget(s.dir, caller.Account, name)
	return nil
}

// TagUser adds or updates tags of a user.
func (s *Service) TagUser(ctx context.Context, caller *Principal, name string, tags []Tag) error {
	return s.tag(ctx, caller, userOwner, name, tags)
}

// TagRole adds or updates tags of a role.
func (s *Service) TagRole(ctx context.Context, caller *Principal, name string, tags []Tag) error {
	return s.tag(ctx, caller, roleOwner, name, tags)
}
