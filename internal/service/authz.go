package service

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/policy"
	"github.com/trentkms/trent/internal/store"
)

// Authorization follows AWS KMS (DESIGN.md section 5): an explicit Deny in
// the key policy or an identity policy wins; otherwise the key policy
// allows the caller directly, or allows the caller's account and an
// identity policy allows, or a grant allows. Operations that name no key
// are decided by identity policies alone. The policy engine is
// internal/policy; this file gathers what it needs from memory: the key's
// compiled policy and grants come with the cached key, the caller's
// compiled identity policies are cached per principal record.

// accessDenied builds AWS's AccessDeniedException for a decision.
func (s *Service) accessDenied(c *Caller, op, resource string, d policy.Decision) error {
	return &Error{Kind: KindAccessDenied, Message: d.Message(c.ARN, "kms:"+op, resource)}
}

// denyNoPolicy is the decision reported when no policy or grant allows.
var denyNoPolicy = policy.Decision{}

// identity is a principal as the policy engine sees it, with its compiled
// identity policies.
type identity struct {
	p        policy.Principal
	policies []*policy.Policy
}

// identities caches compiled identity policies per principal record. The
// directory replaces a principal's record whenever anything about it
// changes, so a record's compiled policies never go stale.
type identities struct {
	mu sync.RWMutex
	m  map[*iam.Principal]*identity // guarded by mu
}

func (ids *identities) get(p *iam.Principal) *identity {
	ids.mu.RLock()
	id := ids.m[p]
	ids.mu.RUnlock()
	if id != nil {
		return id
	}
	id = &identity{p: policy.Principal{
		ARN: p.ARN, Account: p.Account, Type: p.Type, UserID: p.UserID, Username: p.UserName,
		RoleARN: p.RoleARN, RoleID: p.RoleID, Tags: p.Tags,
	}}
	for _, doc := range p.Policies {
		// Documents were validated when they were put; one that no longer
		// parses (a newer binary's rules) allows nothing.
		if pol, err := policy.Parse(doc, policy.IdentityPolicy); err == nil {
			id.policies = append(id.policies, pol)
		}
	}
	ids.mu.Lock()
	if ids.m == nil || len(ids.m) > 100000 {
		ids.m = make(map[*iam.Principal]*identity)
	}
	ids.m[p] = id
	ids.mu.Unlock()
	return id
}

// identity returns the caller's principal and identity policies.
func (s *Service) identity(c *Caller) *identity {
	if c.id != nil {
		return c.id
	}
	if c.Principal != nil {
		c.id = s.ids.get(c.Principal)
		return c.id
	}
	// A caller built without a directory record (tests, internal calls):
	// the root user of its account when its ARN says so.
	t := policy.TypeIAMUser
	if c.ARN == iam.RootARN(c.Account) {
		t = policy.TypeRoot
	}
	c.id = &identity{p: policy.Principal{ARN: c.ARN, Account: c.Account, Type: t, UserID: c.Account}}
	return c.id
}

// keyPolicy returns a key's compiled policy: from the cache when the
// cached record is the same version, else parsed now.
func (s *Service) keyPolicy(k *store.Key) *policy.Policy {
	if ck := s.cache.peek(k.Ref()); ck != nil && ck.key.Version == k.Version && ck.policy != nil {
		return ck.policy
	}
	return compileKeyPolicy(k.Policy, k.PolicyPrincipals)
}

// compileKeyPolicy parses a stored key policy and binds the principals it
// names to the unique IDs they were bound to when it was put
// (policy.Bind). A stored policy that does not parse (written by another
// version) allows nothing, so access fails closed.
func compileKeyPolicy(doc string, bound store.Principals) *policy.Policy {
	p, err := policy.Parse(doc, policy.KeyPolicy)
	if err != nil {
		p, _ = policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`, policy.KeyPolicy)
	}
	return p.Bind(bound)
}

// authorizeKey decides whether the caller may perform op on key k (whose
// ARN is arn). ck is the cached key when the caller has it (its grants and
// compiled policy are used); otherwise grants are read from the store.
func (s *Service) authorizeKey(ctx context.Context, c *Caller, op string, k *store.Key, arn string, ck *cachedKey) error {
	act, err := s.action(ctx, op, ResourceKey)
	if err != nil {
		return err
	}
	id := s.identity(c)
	c.key = k
	var pol *policy.Policy
	var grants []store.Grant
	if ck != nil {
		pol, grants = ck.policy, ck.grants
	} else {
		pol = s.keyPolicy(k)
		if cached := s.cache.peek(k.Ref()); cached != nil && cached.key.Version == k.Version {
			grants = cached.grants
		} else if gs, err := s.store.Grants(ctx, k.Ref()); err == nil {
			grants = gs
		} else {
			return s.internal(ctx, op, err)
		}
	}
	req := policy.Request{Principal: &id.p, Action: act.Name, Resource: arn, Context: c}
	var g *store.Grant
	if len(grants) > 0 && act.Grant != "" {
		g = matchGrant(grants, &id.p, c, act.Grant)
		if g == nil && id.p.Type != policy.TypeRoot {
			g = s.accountGrant(grants, c, id, &req, act.Grant)
		}
	}
	in := policy.AuthzInput{Request: &req, KeyPolicy: pol, KeyAccount: k.Account, Identity: id.policies, GrantAllows: g != nil}
	d := policy.Authorize(&in)
	if !d.Allowed {
		return &Error{Kind: KindAccessDenied, Message: d.Message(c.ARN, req.Action, arn)}
	}
	if g != nil && op == "CreateGrant" {
		in.GrantAllows = false
		if !policy.Authorize(&in).Allowed {
			c.viaGrant = g // allowed by the grant alone
		}
	}
	return nil
}

// authorizeAccount decides an operation that names no key by the caller's
// identity policies alone (resource "*").
func (s *Service) authorizeAccount(ctx context.Context, c *Caller, op string) error {
	return s.authorizeResource(ctx, c, op, ResourceAccount, "*")
}

// authorizeAlias decides op on an alias (its ARN) by identity policies
// alone: aliases have no resource policy.
func (s *Service) authorizeAlias(ctx context.Context, c *Caller, op, aliasARN string) error {
	return s.authorizeResource(ctx, c, op, ResourceAlias, aliasARN)
}

// authorizeResource decides an action on a resource of kind that has no
// resource policy (an alias, or "*") by identity policies alone.
func (s *Service) authorizeResource(ctx context.Context, c *Caller, op string, kind Resource, resource string) error {
	act, err := s.action(ctx, op, kind)
	if err != nil {
		return err
	}
	id := s.identity(c)
	req := policy.Request{Principal: &id.p, Action: act.Name, Resource: resource, Context: c}
	d := policy.Authorize(&policy.AuthzInput{Request: &req, KeyAccount: c.Account, Identity: id.policies})
	if !d.Allowed {
		return &Error{Kind: KindAccessDenied, Message: d.Message(c.ARN, req.Action, resource)}
	}
	return nil
}

// identityAllows reports whether the caller's identity policies allow op
// on a key (the account root always).
func (s *Service) identityAllows(ctx context.Context, c *Caller, op, keyARN string) bool {
	act, err := s.action(ctx, op, ResourceKey)
	if err != nil {
		return false
	}
	id := s.identity(c)
	if id.p.Type == policy.TypeRoot {
		return true
	}
	req := policy.Request{Principal: &id.p, Action: act.Name, Resource: keyARN, Context: c}
	allow := false
	for _, p := range id.policies {
		switch p.Evaluate(&req) {
		case policy.Deny:
			return false
		case policy.Allow:
			allow = true
		}
	}
	return allow
}

// matchGrant returns a grant that allows the caller (p) op under the
// request's encryption context, or nil.
func matchGrant(gs []store.Grant, p *policy.Principal, c *Caller, op string) *store.Grant {
	for i := range gs {
		g := &gs[i]
		if p.Is(g.GranteePrincipal, g.GranteeID) && containsString(g.Operations, op) && grantConstraintsHold(g, c.encCtx, op) {
			return g
		}
	}
	return nil
}

// accountGrant returns a grant whose grantee is the caller's account
// (arn:aws:iam::ACCT:root) when the caller's identity policies allow the
// action: a grant to an account, like a key policy statement naming the
// account, leaves it to the account's IAM policies which of its principals
// may use it.
func (s *Service) accountGrant(gs []store.Grant, c *Caller, id *identity, req *policy.Request, op string) *store.Grant {
	root := iam.RootARN(c.Account)
	for i := range gs {
		g := &gs[i]
		if g.GranteePrincipal != root || !containsString(g.Operations, op) || !grantConstraintsHold(g, c.encCtx, op) {
			continue
		}
		allow := false
		for _, p := range id.policies {
			switch p.Evaluate(req) {
			case policy.Deny:
				return nil
			case policy.Allow:
				allow = true
			}
		}
		if allow {
			return g
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Lookup implements policy.Context: the condition keys of this request.
// Names arrive normalised by policy.NormalizeKey (lower case but for the
// data part after kms:encryptioncontext: and the tag prefixes).
func (c *Caller) Lookup(key string) ([]string, bool) {
	switch key {
	case "kms:calleraccount":
		c.scratch[0] = c.Account
		return c.scratch[:1], true
	case "aws:sourceip":
		return c.one(c.SourceIP)
	case "aws:securetransport":
		return []string{strconv.FormatBool(c.SecureTransport)}, true
	case "aws:requestedregion":
		return c.one(c.Region)
	case "aws:currenttime":
		return []string{c.now().UTC().Format(time.RFC3339)}, true
	case "aws:epochtime":
		return []string{strconv.FormatInt(c.now().Unix(), 10)}, true
	case "kms:encryptioncontextkeys":
		if !c.hasEncCtx {
			return nil, false
		}
		keys := make([]string, 0, len(c.encCtx))
		for k := range c.encCtx {
			keys = append(keys, k)
		}
		return keys, true
	case "kms:encryptionalgorithm":
		if c.encAlg != "" {
			return c.one(c.encAlg)
		}
	case "kms:signingalgorithm":
		if c.signAlg != "" {
			return c.one(c.signAlg)
		}
	case "kms:macalgorithm":
		if c.macAlg != "" {
			return c.one(c.macAlg)
		}
	case "kms:requestalias":
		if c.requestAlias != "" {
			return c.one(c.requestAlias)
		}
	case "kms:keyspec":
		if c.key != nil {
			return c.one(c.key.KeySpec)
		}
	case "kms:keyusage":
		if c.key != nil {
			return c.one(c.key.KeyUsage)
		}
	case "kms:keyorigin":
		if c.key != nil {
			return c.one(c.key.Origin)
		}
	case "kms:multiregion":
		if c.key != nil {
			return c.one(strconv.FormatBool(c.key.MultiRegion))
		}
	case "kms:grantoperations":
		if c.grant != nil {
			return c.grant.operations, true
		}
	case "kms:granteeprincipal":
		if c.grant != nil {
			return c.one(c.grant.grantee)
		}
	case "kms:retiringprincipal":
		if c.grant != nil && c.grant.retiring != "" {
			return c.one(c.grant.retiring)
		}
	case "kms:grantisforawsresource":
		if c.grant != nil {
			return c.one("false")
		}
	case "kms:bypasspolicylockoutsafetycheck":
		if c.bypassLockout != nil {
			return c.one(strconv.FormatBool(*c.bypassLockout))
		}
	case "aws:tagkeys":
		if c.reqTags != nil {
			keys := make([]string, 0, len(c.reqTags))
			for _, t := range c.reqTags {
				keys = append(keys, t.Key)
			}
			return keys, true
		}
	}
	// The data part of these names is matched ignoring case, as AWS does;
	// every entry that matches is returned (an empty value counts as
	// absent, as c.one has it), so that the policy engine
	// decides a request whose entries differ only in case the same way
	// whatever their order (policy.Context, and the rule in
	// internal/policy/condition.go).
	if k, ok := strings.CutPrefix(key, "kms:encryptioncontext:"); ok {
		var vals []string
		n := 0
		for mk, v := range c.encCtx {
			if v != "" && strings.EqualFold(mk, k) {
				vals = c.collect(vals, n, v)
				n++
			}
		}
		return vals, n > 0
	}
	if k, ok := strings.CutPrefix(key, "aws:resourcetag/"); ok && c.key != nil {
		return c.tagValues(c.key.Tags, k)
	}
	if k, ok := strings.CutPrefix(key, "aws:requesttag/"); ok {
		return c.tagValues(c.reqTags, k)
	}
	return nil, false
}

// tagValues returns the non-empty values of the tags whose key equals k
// ignoring case.
func (c *Caller) tagValues(tags []store.Tag, k string) ([]string, bool) {
	var vals []string
	n := 0
	for _, t := range tags {
		if t.Value != "" && strings.EqualFold(t.Key, k) {
			vals = c.collect(vals, n, t.Value)
			n++
		}
	}
	return vals, n > 0
}

// collect adds v, the value number n, to vals: the first goes in the
// scratch slot (no allocation), later ones into a new slice.
func (c *Caller) collect(vals []string, n int, v string) []string {
	if n == 0 {
		c.scratch[0] = v
		return c.scratch[:1]
	}
	if n == 1 {
		vals = append(make([]string, 0, 2), vals[0])
	}
	return append(vals, v)
}

// one returns a one-element slice without allocating: the engine uses a
// looked-up value before it looks up the next.
func (c *Caller) one(v string) ([]string, bool) {
	if v == "" {
		return nil, false
	}
	c.scratch[0] = v
	return c.scratch[:1], true
}

func (c *Caller) now() time.Time {
	if c.At.IsZero() {
		return time.Now()
	}
	return c.At
}
