package service

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

// Grant limits (reference/kms-api.md sections 3.1 and 7).
const (
	maxGrantsPerKey         = 50000
	maxGrantConstraintPairs = 8
	maxGrantContextValue    = 384
)

// validPrincipalARN reports whether p names an IAM or STS principal that a
// grant can name: an account root, user, role or assumed-role session.
func validPrincipalARN(p string) bool {
	rest, ok := strings.CutPrefix(p, "arn:aws:iam::")
	if !ok {
		if rest, ok = strings.CutPrefix(p, "arn:aws:sts::"); !ok {
			return false
		}
		acct, res, ok := strings.Cut(rest, ":")
		return ok && iam.ValidAccountID(acct) && strings.HasPrefix(res, "assumed-role/") && len(res) > len("assumed-role/")
	}
	acct, res, ok := strings.Cut(rest, ":")
	if !ok || !iam.ValidAccountID(acct) {
		return false
	}
	return res == "root" || strings.HasPrefix(res, "user/") && len(res) > 5 || strings.HasPrefix(res, "role/") && len(res) > 5
}

// grantOpsFor reports whether every operation suits the key (reference
// section 8.3): a grant cannot allow what the key can never do.
func grantOpsFor(k *store.Key, ops []string) error {
	for _, op := range ops {
		if op == "DescribeKey" || op == "CreateGrant" || op == "RetireGrant" {
			continue
		}
		ok := false
		switch {
		case k.KeySpec == SpecSymmetricDefault:
			switch op {
			case "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
				"GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo":
				ok = true
			}
		case k.KeyUsage == UsageMac:
			ok = op == "GenerateMac" || op == "VerifyMac"
		case k.KeyUsage == UsageEncryptDecrypt:
			ok = op == "Encrypt" || op == "Decrypt" || op == "ReEncryptFrom" || op == "ReEncryptTo" || op == "GetPublicKey"
		case k.KeyUsage == UsageSignVerify:
			ok = op == "Sign" || op == "Verify" || op == "GetPublicKey"
		case k.KeyUsage == UsageKeyAgreement:
			ok = op == "DeriveSharedSecret" || op == "GetPublicKey"
		case k.KeyUsage == UsageEncapsulate:
			ok = op == "Encapsulate" || op == "Decapsulate" || op == "GetPublicKey"
		}
		if !ok {
			return errorf(KindValidation, "Grant operations %s are not supported for this key. Use operations that are valid for key spec %s and key usage %s.",
				strings.Join(ops, ", "), k.KeySpec, k.KeyUsage)
		}
	}
	return nil
}

// checkConstraints applies AWS's limits on grant constraints, which the
// model does not state (reference/kms-api.md section 7): at most 8 pairs
// in each map, values of at most 384 characters.
func checkConstraints(c *kmsapi.GrantConstraints) error {
	if c == nil {
		return nil
	}
	var msgs []string
	for _, m := range []struct {
		name string
		ctx  map[string]string
	}{{"constraints.encryptionContextEquals", c.EncryptionContextEquals}, {"constraints.encryptionContextSubset", c.EncryptionContextSubset}} {
		if len(m.ctx) > maxGrantConstraintPairs {
			msgs = append(msgs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", m.name, maxGrantConstraintPairs))
		}
		for _, val := range m.ctx {
			if utf8.RuneCountInString(val) > maxGrantContextValue {
				msgs = append(msgs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Map value must have length less than or equal to %d", m.name, maxGrantContextValue))
				break
			}
		}
	}
	switch len(msgs) {
	case 0:
		return nil
	case 1:
		return &Error{Kind: KindValidation, Message: oneValidationError + msgs[0]}
	}
	return &Error{Kind: KindValidation, Message: fmt.Sprintf("%d validation errors detected: %s", len(msgs), strings.Join(msgs, "; "))}
}

// CreateGrant adds a grant to a key and returns its ID and a grant token.
func (s *Service) CreateGrant(ctx context.Context, c *Caller, in *kmsapi.CreateGrantRequest) (*kmsapi.CreateGrantResponse, error) {
	if err := checkConstraints(in.Constraints); err != nil {
		return nil, err
	}
	if in.GranteeServicePrincipal != nil || in.RetiringServicePrincipal != nil || in.Constraints != nil && in.Constraints.SourceArn != nil {
		// Service principals are AWS services acting for a customer;
		// Trent has none to act.
		return nil, errorf(KindUnsupportedOperation, "Service principals are not supported by this KMS.")
	}
	if in.GranteePrincipal == nil {
		return nil, errNull("granteePrincipal") // optional in the model for service principals
	}
	if len(in.Operations) == 0 {
		return nil, errorf(KindValidation, "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if !validPrincipalARN(*in.GranteePrincipal) {
		return nil, errorf(KindValidation, "Invalid principal: %s", *in.GranteePrincipal)
	}
	if in.RetiringPrincipal != nil && !validPrincipalARN(*in.RetiringPrincipal) {
		return nil, errorf(KindValidation, "Invalid principal: %s", *in.RetiringPrincipal)
	}
	ops := slices.Clone(in.Operations)
	slices.Sort(ops)
	ops = slices.Compact(ops)
	c.grant = &grantRequest{operations: ops, grantee: *in.GranteePrincipal, retiring: deref(in.RetiringPrincipal)}
	c.grantTokens = in.GrantTokens
	ck, err := s.cachedKey(ctx, c, "CreateGrant", *in.KeyId)
	if err != nil {
		return nil, err
	}
	k := &ck.key
	if err := usableForCrypto(k); err != nil {
		return nil, err
	}
	if err := grantOpsFor(k, ops); err != nil {
		return nil, err
	}
	var cons store.GrantConstraints
	if in.Constraints != nil {
		cons.EncryptionContextEquals = in.Constraints.EncryptionContextEquals
		cons.EncryptionContextSubset = in.Constraints.EncryptionContextSubset
	}
	if g := c.viaGrant; g != nil && !narrower(g, ops, cons) {
		// A grant that allows CreateGrant allows only grants that are
		// equally or more restrictive.
		return nil, s.accessDenied(c, "CreateGrant", ck.arn, denyNoPolicy)
	}
	// The grantee and retiring principal must exist, as they must in a
	// key policy; the grant is bound to their unique IDs.
	granteeID, err := s.grantPrincipalID(ctx, *in.GranteePrincipal)
	if err != nil {
		return nil, err
	}
	var retiringID string
	if in.RetiringPrincipal != nil {
		if retiringID, err = s.grantPrincipalID(ctx, *in.RetiringPrincipal); err != nil {
			return nil, err
		}
	}
	if in.DryRun {
		return nil, ErrDryRun
	}
	if in.Name != nil {
		// Name makes the call idempotent: the same parameters give the
		// same grant (with a new token).
		if g, ok := sameGrant(ck.grants, *in.Name, c, *in.GranteePrincipal, granteeID, deref(in.RetiringPrincipal), retiringID, ops, cons); ok {
			tok, err := s.grantToken(g)
			if err != nil {
				return nil, s.internal(ctx, "CreateGrant", err)
			}
			return &kmsapi.CreateGrantResponse{GrantId: g.ID, GrantToken: tok}, nil
		}
	}
	id, err := s.keyring.Random(32)
	if err != nil {
		return nil, s.internal(ctx, "CreateGrant", err)
	}
	g := store.Grant{
		Account: k.Account, Region: k.Region, KeyID: k.ID,
		ID:                hex.EncodeToString(id),
		Name:              deref(in.Name),
		GranteePrincipal:  *in.GranteePrincipal,
		GranteeID:         granteeID,
		RetiringPrincipal: deref(in.RetiringPrincipal),
		RetiringID:        retiringID,
		IssuingAccount:    iam.RootARN(c.Account),
		Operations:        ops,
		Constraints:       cons,
		CreatedAt:         s.now().UTC(),
	}
	switch err := s.store.CreateGrant(ctx, g, maxGrantsPerKey); {
	case errors.Is(err, store.ErrNotFound):
		return nil, errorf(KindNotFound, "Key '%s' does not exist", ck.arn)
	case errors.Is(err, store.ErrLimitExceeded):
		return nil, errorf(KindLimitExceeded, "The number of grants for key %s exceeds the limit of %d.", ck.arn, maxGrantsPerKey)
	case err != nil:
		return nil, s.internal(ctx, "CreateGrant", err)
	}
	s.cache.take(k.Ref()) // the next use loads the new grant
	tok, err := s.grantToken(&g)
	if err != nil {
		return nil, s.internal(ctx, "CreateGrant", err)
	}
	return &kmsapi.CreateGrantResponse{GrantId: g.ID, GrantToken: tok}, nil
}

// grantPrincipalID returns the unique ID that a grant binds a grantee or
// retiring principal to ("" for an account), or AWS's InvalidArnException
// when the ARN names no principal that exists: a user, role or role
// session whose user or role does not exist, or an unknown account.
func (s *Service) grantPrincipalID(ctx context.Context, arn string) (string, error) {
	invalid := errorf(KindInvalidArn, "ARN does not refer to a valid principal: %s", arn)
	if iam.Bindable(arn) {
		id, err := iam.PrincipalID(ctx, s.store, arn)
		var none *iam.NoSuchPrincipalError
		if errors.As(err, &none) {
			return "", invalid
		}
		if err != nil {
			return "", s.internal(ctx, "grant principal", err)
		}
		return id, nil
	}
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	acct, ok2 := strings.CutSuffix(rest, ":root")
	if !ok || !ok2 || !iam.ValidAccountID(acct) {
		return "", invalid
	}
	switch _, err := s.store.Account(ctx, acct); {
	case errors.Is(err, store.ErrNotFound):
		return "", invalid
	case err != nil:
		return "", s.internal(ctx, "grant principal", err)
	}
	return "", nil
}

// sameGrant finds a grant that a named CreateGrant repeats: the same
// parameters, naming the same principals (the same unique IDs).
func sameGrant(gs []store.Grant, name string, c *Caller, grantee, granteeID, retiring, retiringID string, ops []string, cons store.GrantConstraints) (*store.Grant, bool) {
	for i := range gs {
		g := &gs[i]
		if g.Name == name && g.IssuingAccount == iam.RootARN(c.Account) && g.GranteePrincipal == grantee && g.RetiringPrincipal == retiring &&
			g.GranteeID == granteeID && g.RetiringID == retiringID &&
			slices.Equal(g.Operations, ops) && maps.Equal(g.Constraints.EncryptionContextEquals, cons.EncryptionContextEquals) &&
			maps.Equal(g.Constraints.EncryptionContextSubset, cons.EncryptionContextSubset) {
			return g, true
		}
	}
	return nil, false
}

// narrower reports whether a grant with ops and cons is at most as
// permissive as parent.
func narrower(parent *store.Grant, ops []string, cons store.GrantConstraints) bool {
	for _, op := range ops {
		if !slices.Contains(parent.Operations, op) {
			return false
		}
	}
	pc := parent.Constraints
	if pc.EncryptionContextEquals != nil && !maps.Equal(pc.EncryptionContextEquals, cons.EncryptionContextEquals) {
		return false
	}
	if pc.EncryptionContextSubset != nil {
		// The child must require at least the parent's pairs.
		for k, v := range pc.EncryptionContextSubset {
			if w, ok := cons.EncryptionContextSubset[k]; ok && w == v {
				continue
			}
			if w, ok := cons.EncryptionContextEquals[k]; ok && w == v {
				continue
			}
			return false
		}
	}
	return true
}

// Grant tokens are self-authenticating: a node that has not yet loaded a
// grant can tell a genuine token from a forged one without the database,
// and reads the store only for a genuine token of a grant it does not
// know. Format (base64url, no padding):
//
//	0x01 | nonce[16] | len(account) account | len(region) region |
//	len(keyID) keyID | len(grantID) grantID | HMAC-SHA256[32]
//
// where each length is one byte and the HMAC, under a key derived from the
// domain key, covers everything before it. The nonce makes every
// CreateGrant return a new token, as AWS does.
const grantTokenVersion = 1

func (s *Service) grantToken(g *store.Grant) (string, error) {
	nonce, err := s.keyring.Random(16)
	if err != nil {
		return "", err
	}
	b := make([]byte, 0, 1+16+4+len(g.Account)+len(g.Region)+len(g.KeyID)+len(g.ID)+32)
	b = append(b, grantTokenVersion)
	b = append(b, nonce...)
	for _, f := range []string{g.Account, g.Region, g.KeyID, g.ID} {
		b = append(b, byte(len(f)))
		b = append(b, f...)
	}
	mac, err := s.keyring.GrantTokenMAC(b)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(append(b, mac...)), nil
}

// tokenGrant names the grant a token stands for.
type tokenGrant struct {
	ref     store.KeyRef
	grantID string
}

var errInvalidGrantToken = &Error{Kind: KindInvalidGrantToken, Message: "Grant token is invalid."}

// parseGrantToken verifies a token and returns the grant it names.
func (s *Service) parseGrantToken(tok string) (tokenGrant, error) {
	var t tokenGrant
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 1+16+4+32 || b[0] != grantTokenVersion {
		return t, errInvalidGrantToken
	}
	body, mac := b[:len(b)-32], b[len(b)-32:]
	want, err := s.keyring.GrantTokenMAC(body)
	if err != nil {
		return t, err
	}
	if !hmac.Equal(mac, want) {
		return t, errInvalidGrantToken
	}
	rest := body[17:]
	var fields [4]string
	for i := range fields {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return t, errInvalidGrantToken
		}
		n := int(rest[0])
		fields[i] = string(rest[1 : 1+n])
		rest = rest[1+n:]
	}
	if len(rest) != 0 {
		return t, errInvalidGrantToken
	}
	t.ref = store.KeyRef{Account: fields[0], Region: fields[1], ID: fields[2]}
	t.grantID = fields[3]
	return t, nil
}

// ListGrants lists a key's grants.
func (s *Service) ListGrants(ctx context.Context, c *Caller, in *kmsapi.ListGrantsRequest) (*kmsapi.ListGrantsResponse, error) {
	if err := checkLimit(in.Limit, 100); err != nil {
		return nil, err
	}
	if in.GranteeServicePrincipal != nil {
		// No grant here has a service principal (CreateGrant refuses
		// them); refusing the filter, as CreateGrant and
		// ListRetirableGrants refuse service principals, never ignores it.
		return nil, errorf(KindUnsupportedOperation, "Service principals are not supported by this KMS.")
	}
	k, err := s.loadKey(ctx, c, "ListGrants", *in.KeyId, refKeyOnly)
	if err != nil {
		return nil, err
	}
	gs, err := s.store.Grants(ctx, k.Ref())
	if err != nil {
		return nil, s.internal(ctx, "ListGrants", err)
	}
	shown := grantShower{s: s}
	if in.GranteePrincipal != nil {
		// GranteePrincipal filters on the grantee as listed: a grant to a
		// principal deleted since lists (and is found by) its unique ID.
		f := *in.GranteePrincipal
		var keep []store.Grant
		for i := range gs {
			g := &gs[i]
			if g.GranteePrincipal != f && (g.GranteeID == "" || !strings.HasPrefix(f, g.GranteeID)) {
				continue // cannot show as f
			}
			grantee, err := shown.show(ctx, g.GranteePrincipal, g.GranteeID)
			if err != nil {
				return nil, s.internal(ctx, "ListGrants", err)
			}
			if grantee == f {
				keep = append(keep, *g)
			}
		}
		gs = keep
	}
	if in.GrantId != nil {
		gs = slices.DeleteFunc(gs, func(g store.Grant) bool { return g.ID != *in.GrantId })
		if len(gs) == 0 {
			return nil, errorf(KindInvalidGrantID, "Grant ID %s is not valid.", *in.GrantId)
		}
	}
	start := 0
	if in.Marker != nil {
		i := slices.IndexFunc(gs, func(g store.Grant) bool { return g.ID == *in.Marker })
		if i < 0 {
			return nil, errorf(KindInvalidMarker, "Invalid marker: %s", *in.Marker)
		}
		start = i
	}
	limit := 50
	if in.Limit != nil {
		limit = *in.Limit
	}
	out := &kmsapi.ListGrantsResponse{Grants: []kmsapi.GrantListEntry{}}
	end := min(start+limit, len(gs))
	for i := start; i < end; i++ {
		e, err := shown.entry(ctx, &gs[i])
		if err != nil {
			return nil, s.internal(ctx, "ListGrants", err)
		}
		out.Grants = append(out.Grants, e)
	}
	if end < len(gs) {
		out.Truncated = true
		out.NextMarker = gs[end].ID
	}
	return out, nil
}

// grantShower lists grants as AWS shows them: a grantee or retiring
// principal that has been deleted since the grant was made shows as its
// unique ID (iam.Gone). It looks each bound principal up once per list.
type grantShower struct {
	s    *Service
	seen map[[2]string]string // {ARN, unique ID} -> what to show
}

func (gs *grantShower) show(ctx context.Context, arn, id string) (string, error) {
	if id == "" {
		return arn, nil
	}
	if v, ok := gs.seen[[2]string{arn, id}]; ok {
		return v, nil
	}
	gone, err := iam.Gone(ctx, gs.s.store, store.Principals{arn: id})
	if err != nil {
		return "", err
	}
	v := arn
	if g, ok := gone[arn]; ok {
		v = g
	}
	if gs.seen == nil {
		gs.seen = map[[2]string]string{}
	}
	gs.seen[[2]string{arn, id}] = v
	return v, nil
}

func (gs *grantShower) entry(ctx context.Context, g *store.Grant) (kmsapi.GrantListEntry, error) {
	grantee, err := gs.show(ctx, g.GranteePrincipal, g.GranteeID)
	if err != nil {
		return kmsapi.GrantListEntry{}, err
	}
	retiring, err := gs.show(ctx, g.RetiringPrincipal, g.RetiringID)
	if err != nil {
		return kmsapi.GrantListEntry{}, err
	}
	return grantEntry(g, grantee, retiring), nil
}

// grantEntry describes g with its grantee and retiring principal shown as
// given.
func grantEntry(g *store.Grant, grantee, retiring string) kmsapi.GrantListEntry {
	e := kmsapi.GrantListEntry{
		KeyId: KeyARN(g.Region, g.Account, g.KeyID), GrantId: g.ID, Name: g.Name, CreationDate: kmsapi.Epoch(g.CreatedAt),
		GranteePrincipal: grantee, RetiringPrincipal: retiring, IssuingAccount: g.IssuingAccount,
		Operations: g.Operations,
	}
	if g.Constraints.EncryptionContextEquals != nil || g.Constraints.EncryptionContextSubset != nil {
		e.Constraints = &kmsapi.GrantConstraints{
			EncryptionContextEquals: g.Constraints.EncryptionContextEquals,
			EncryptionContextSubset: g.Constraints.EncryptionContextSubset,
		}
	}
	return e
}

// ListRetirableGrants lists the grants, of keys in any account, that a
// principal may retire.
func (s *Service) ListRetirableGrants(ctx context.Context, c *Caller, in *kmsapi.ListRetirableGrantsRequest) (*kmsapi.ListGrantsResponse, error) {
	if err := checkLimit(in.Limit, 100); err != nil {
		return nil, err
	}
	if in.RetiringServicePrincipal != nil {
		return nil, errorf(KindUnsupportedOperation, "Service principals are not supported by this KMS.")
	}
	if in.RetiringPrincipal == nil {
		return nil, errNull("retiringPrincipal") // optional in the model for service principals
	}
	if !validPrincipalARN(*in.RetiringPrincipal) {
		return nil, errorf(KindInvalidArn, "Invalid arn %s", *in.RetiringPrincipal)
	}
	if err := s.authorizeAccount(ctx, c, "ListRetirableGrants"); err != nil {
		return nil, err
	}
	// "Cross-account use: You must specify a principal in your AWS
	// account" (KMS API reference, ListRetirableGrants): the grants of
	// another account's principal are that account's to list. AWS's answer
	// to such a request is not documented; Trent fails closed with
	// AccessDeniedException and lists nothing.
	if accountOfARN(*in.RetiringPrincipal) != c.Account {
		return nil, &Error{Kind: KindAccessDenied, Message: "User: " + c.ARN + " is not authorized to perform: kms:ListRetirableGrants on resource: " +
			*in.RetiringPrincipal + " because the retiring principal is not in the caller's account"}
	}
	limit := 50
	if in.Limit != nil {
		limit = *in.Limit
	}
	out := &kmsapi.ListGrantsResponse{Grants: []kmsapi.GrantListEntry{}}
	// The grants of the principal the ARN names now: those bound to its
	// unique ID (none when it names no principal; grants made for a
	// principal of the same ARN that was deleted list under its ID).
	if !iam.Bindable(*in.RetiringPrincipal) && !strings.HasSuffix(*in.RetiringPrincipal, ":root") {
		return out, nil // names no principal that grants can name
	}
	retiringID, err := iam.PrincipalID(ctx, s.store, *in.RetiringPrincipal)
	var none *iam.NoSuchPrincipalError
	if errors.As(err, &none) {
		return out, nil
	}
	if err != nil {
		return nil, s.internal(ctx, "ListRetirableGrants", err)
	}
	gs, err := s.store.RetirableGrants(ctx, *in.RetiringPrincipal, retiringID, deref(in.Marker), limit+1)
	if err != nil {
		if in.Marker != nil {
			return nil, errorf(KindInvalidMarker, "Invalid marker: %s", *in.Marker)
		}
		return nil, s.internal(ctx, "ListRetirableGrants", err)
	}
	shown := grantShower{s: s}
	for i := range gs[:min(limit, len(gs))] {
		e, err := shown.entry(ctx, &gs[i])
		if err != nil {
			return nil, s.internal(ctx, "ListRetirableGrants", err)
		}
		out.Grants = append(out.Grants, e)
	}
	if len(gs) > limit {
		out.Truncated = true
		out.NextMarker = store.GrantCursor(gs[limit-1])
	}
	return out, nil
}

// RetireGrant deletes a grant on behalf of its retiring principal, its
// grantee (if the grant allows RetireGrant) or its issuing account.
func (s *Service) RetireGrant(ctx context.Context, c *Caller, in *kmsapi.RetireGrantRequest) (*kmsapi.Empty, error) {
	var ref store.KeyRef
	var grantID string
	switch {
	case in.GrantToken != nil:
		t, err := s.parseGrantToken(*in.GrantToken)
		if err != nil {
			return nil, err
		}
		ref, grantID = t.ref, t.grantID
		if in.GrantId != nil && *in.GrantId != grantID {
			return nil, errorf(KindInvalidGrantID, "Grant ID %s is not valid.", *in.GrantId)
		}
	case in.KeyId != nil && in.GrantId != nil:
		a, ok := parseARN(*in.KeyId)
		if !ok || !strings.HasPrefix(a.resource, "key/") {
			return nil, errorf(KindInvalidArn, "Invalid arn %s", *in.KeyId)
		}
		if a.partition != partition {
			return nil, errorf(KindNotFound, "Invalid arn %s", a.partition) // as localARN
		}
		ref = store.KeyRef{Account: a.account, Region: a.region, ID: strings.ToLower(strings.TrimPrefix(a.resource, "key/"))}
		grantID = *in.GrantId
	default:
		return nil, errorf(KindValidation, "Either GrantToken, or both KeyId and GrantId must be specified.")
	}
	if ref.Region != c.Region {
		return nil, errorf(KindNotFound, "Invalid arn %s", ref.Region)
	}
	gs, err := s.store.Grants(ctx, ref)
	if err != nil {
		return nil, s.internal(ctx, "RetireGrant", err)
	}
	i := slices.IndexFunc(gs, func(g store.Grant) bool { return g.ID == grantID })
	if i < 0 {
		if in.GrantToken != nil && in.GrantId == nil {
			return nil, errInvalidGrantToken
		}
		return nil, errorf(KindInvalidGrantID, "Grant ID %s is not valid.", grantID)
	}
	g := &gs[i]
	arn := KeyARN(ref.Region, ref.Account, ref.ID)
	if !s.mayRetire(ctx, c, g) {
		return nil, s.accessDenied(c, "RetireGrant", arn, denyNoPolicy)
	}
	if in.DryRun {
		return nil, ErrDryRun
	}
	return s.deleteGrant(ctx, ref, grantID, "RetireGrant")
}

// mayRetire applies AWS's rule: the retiring principal, the grantee when
// the grant allows RetireGrant, or the account that issued the grant.
func (s *Service) mayRetire(ctx context.Context, c *Caller, g *store.Grant) bool {
	p := &s.identity(c).p
	if p.Is(g.RetiringPrincipal, g.RetiringID) {
		return true
	}
	if slices.Contains(g.Operations, "RetireGrant") && p.Is(g.GranteePrincipal, g.GranteeID) {
		return true
	}
	if g.IssuingAccount == iam.RootARN(c.Account) {
		return c.ARN == g.IssuingAccount || s.identityAllows(ctx, c, "RetireGrant", KeyARN(g.Region, g.Account, g.KeyID))
	}
	return false
}

// RevokeGrant deletes a grant; it takes kms:RevokeGrant on the key.
func (s *Service) RevokeGrant(ctx context.Context, c *Caller, in *kmsapi.RevokeGrantRequest) (*kmsapi.Empty, error) {
	k, err := s.loadKey(ctx, c, "RevokeGrant", *in.KeyId, refKeyOnly)
	if err != nil {
		return nil, err
	}
	gs, err := s.store.Grants(ctx, k.Ref())
	if err != nil {
		return nil, s.internal(ctx, "RevokeGrant", err)
	}
	if !slices.ContainsFunc(gs, func(g store.Grant) bool { return g.ID == *in.GrantId }) {
		return nil, errorf(KindInvalidGrantID, "Grant ID %s is not valid.", *in.GrantId)
	}
	if in.DryRun {
		return nil, ErrDryRun
	}
	return s.deleteGrant(ctx, k.Ref(), *in.GrantId, "RevokeGrant")
}

func (s *Service) deleteGrant(ctx context.Context, ref store.KeyRef, id, op string) (*kmsapi.Empty, error) {
	switch err := s.store.DeleteGrant(ctx, ref, id); {
	case errors.Is(err, store.ErrNotFound):
		return nil, errorf(KindInvalidGrantID, "Grant ID %s is not valid.", id)
	case err != nil:
		return nil, s.internal(ctx, op, err)
	}
	s.cache.take(ref)
	return &kmsapi.Empty{}, nil
}

// grantRequest describes a CreateGrant request for the kms:Grant* policy
// condition keys.
type grantRequest struct {
	operations []string
	grantee    string
	retiring   string
}

// grantConstraintsHold checks a grant's encryption-context constraints.
// They apply only to operations that take an encryption context.
func grantConstraintsHold(g *store.Grant, ec map[string]string, op string) bool {
	switch op {
	case "DescribeKey", "RetireGrant", "CreateGrant", "GetPublicKey", "Sign", "Verify", "GenerateMac", "VerifyMac",
		"DeriveSharedSecret", "Encapsulate", "Decapsulate":
		return true
	}
	if eq := g.Constraints.EncryptionContextEquals; eq != nil && !maps.Equal(eq, ec) {
		return false
	}
	for k, v := range g.Constraints.EncryptionContextSubset {
		if w, ok := ec[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// tokenGrants makes sure the cached key knows every grant named by a
// valid token in the request: a token may name a grant created through
// another node a moment ago. It returns the key as it now stands.
func (s *Service) tokenGrants(ctx context.Context, c *Caller, ck *cachedKey) (*cachedKey, error) {
	stale := false
	for _, tok := range c.grantTokens {
		t, err := s.parseGrantToken(tok)
		if err != nil {
			return nil, err
		}
		if t.ref != ck.key.Ref() {
			continue
		}
		if !slices.ContainsFunc(ck.grants, func(g store.Grant) bool { return g.ID == t.grantID }) {
			stale = true
		}
	}
	if !stale {
		return ck, nil
	}
	s.cache.take(ck.key.Ref())
	fresh, err := s.cache.get(ctx, s.store, ck.key.Ref())
	if err != nil {
		return nil, s.internal(ctx, "grant token", err)
	}
	return fresh, nil
}
