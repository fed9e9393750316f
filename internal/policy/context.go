package policy

import "strings"

// Context supplies condition-key values for one request.
//
// Key names. Lookup is called with the name as NormalizeKey returns it: the
// whole name lower-cased ("aws:sourceip", "kms:calleraccount"), because IAM
// condition key names are case-insensitive ("Condition key names are not case
// sensitive", IAM JSON policy elements: Condition). The exception is the part
// after one of the prefixes kms:encryptioncontext:, aws:principaltag/,
// aws:resourcetag/ and aws:requesttag/, which is passed exactly as the policy
// wrote it: that part is data (an encryption-context key or a tag key) chosen
// by the user, not a name defined by AWS.
//
// AWS matches that data part case-insensitively: the KMS API reference
// (GrantConstraints) says that to require a fully case-sensitive encryption
// context you must add kms:EncryptionContextKeys to kms:EncryptionContext:, i.e.
// kms:EncryptionContext:<key> alone does not distinguish key case; and IAM tag
// keys are case-insensitive. Values (below) implements exactly that: an exact
// lookup first, then a case-insensitive scan of the data part, without
// allocating. A custom Context that wants AWS's behaviour must do the same.
//
// Lookup must not allocate and must be safe for concurrent use if the Context
// is shared. A key that is absent returns ok == false; a present multi-valued
// key with no values (kms:EncryptionContextKeys of an empty context) returns
// ok == true and an empty slice, which ForAllValues treats as the empty set.
//
// Keys the KMS service should put in the context (all optional):
//
//	aws:currenttime        RFC 3339 UTC time of the request (Date operators)
//	aws:epochtime          seconds since the epoch
//	aws:sourceip           caller IP address (IpAddress operators)
//	aws:securetransport    "true" or "false"
//	aws:requestedregion    region of the endpoint
//	aws:resourcetag/<Key>  tags of the key being used
//	aws:requesttag/<Key>, aws:tagkeys   tags in TagResource/CreateKey requests
//	kms:calleraccount      caller's account ID
//	kms:encryptioncontext:<Key>, kms:encryptioncontextkeys
//	kms:viaservice, kms:keyspec, kms:keyusage, kms:keyorigin,
//	kms:encryptionalgorithm, kms:signingalgorithm, kms:macalgorithm,
//	kms:requestalias, kms:resourcealiases, kms:grantoperations,
//	kms:granteeprincipal, kms:retiringprincipal, kms:grantisforawsresource,
//	kms:bypasspolicylockoutsafetycheck, kms:multiregion, ...
//
// The principal keys aws:username, aws:userid, aws:principaltype,
// aws:principalaccount, aws:principalarn and aws:principaltag/<Key> are derived
// from Request.Principal; the Context is consulted only when the principal
// does not supply them.
type Context interface {
	Lookup(key string) (values []string, ok bool)
}

// Values is a ready-made Context backed by a map. The zero value is empty and
// usable. It is not safe for concurrent mutation; fill it, then share it.
type Values struct {
	m map[string][]string
}

// Set stores vals under key (normalized with NormalizeKey). Passing no
// values records a present but empty multi-valued key.
func (v *Values) Set(key string, vals ...string) {
	if v.m == nil {
		v.m = make(map[string][]string)
	}
	if vals == nil {
		vals = []string{}
	}
	v.m[NormalizeKey(key)] = vals
}

// Lookup implements Context. See Context for the case rules.
func (v *Values) Lookup(key string) ([]string, bool) {
	if v == nil || v.m == nil {
		return nil, false
	}
	if vals, ok := v.m[key]; ok {
		return vals, true
	}
	n := dataPrefixLen(key)
	if n == 0 {
		return nil, false
	}
	for k, vals := range v.m {
		if len(k) == len(key) && k[:n] == key[:n] && strings.EqualFold(k[n:], key[n:]) {
			return vals, true
		}
	}
	return nil, false
}

// Prefixes whose suffix is user data and keeps its case.
var dataPrefixes = [...]string{
	"kms:encryptioncontext:",
	"aws:principaltag/",
	"aws:resourcetag/",
	"aws:requesttag/",
}

// dataPrefixLen returns the length of the case-folded prefix of a normalized
// key whose remainder is data, or 0.
func dataPrefixLen(key string) int {
	for _, p := range dataPrefixes {
		if len(key) > len(p) && key[:len(p)] == p {
			return len(p)
		}
	}
	return 0
}

// NormalizeKey returns the name under which Lookup is called for the
// condition key k: lower-cased, except the data part after
// kms:EncryptionContext:, aws:PrincipalTag/, aws:ResourceTag/ and
// aws:RequestTag/, which keeps its case.
func NormalizeKey(k string) string {
	for _, p := range dataPrefixes {
		if len(k) > len(p) && strings.EqualFold(k[:len(p)], p) {
			return p + k[len(p):]
		}
	}
	return strings.ToLower(k)
}

// keySource says where a condition key's value comes from.
type keySource uint8

const (
	srcContext keySource = iota
	srcUsername
	srcUserID
	srcPrincipalType
	srcPrincipalAccount
	srcPrincipalARN
	srcPrincipalTag
)

// condKey is a condition key or variable name compiled at Parse time.
type condKey struct {
	name string // normalized (NormalizeKey)
	src  keySource
	tag  string // srcPrincipalTag: the tag key
}

func compileKey(k string) condKey {
	n := NormalizeKey(k)
	ck := condKey{name: n}
	switch n {
	case "aws:username":
		ck.src = srcUsername
	case "aws:userid":
		ck.src = srcUserID
	case "aws:principaltype":
		ck.src = srcPrincipalType
	case "aws:principalaccount":
		ck.src = srcPrincipalAccount
	case "aws:principalarn":
		ck.src = srcPrincipalARN
	default:
		if strings.HasPrefix(n, "aws:principaltag/") {
			ck.src, ck.tag = srcPrincipalTag, n[len("aws:principaltag/"):]
		}
	}
	return ck
}

// evalCtx is one request as the evaluator sees it.
type evalCtx struct {
	p   *Principal
	ctx Context
}

// principalValue returns the value of a principal-derived key.
func (e *evalCtx) principalValue(k *condKey) (string, bool) {
	p := e.p
	if p == nil {
		return "", false
	}
	var v string
	switch k.src {
	case srcUsername:
		v = p.Username
	case srcUserID:
		v = p.UserID
	case srcPrincipalType:
		// aws:PrincipalType values: Account (root user), User, AssumedRole
		// (IAM global condition context keys).
		switch p.Type {
		case TypeRoot:
			v = "Account"
		case TypeIAMUser:
			v = "User"
		default:
			v = p.Type
		}
	case srcPrincipalAccount:
		v = p.Account
	case srcPrincipalARN:
		// aws:PrincipalArn of a role session is the role's ARN (IAM global
		// condition context keys: aws:PrincipalArn).
		v = p.ARN
		if p.RoleARN != "" {
			v = p.RoleARN
		}
	case srcPrincipalTag:
		if t, ok := p.Tags[k.tag]; ok {
			return t, true
		}
		for tk, t := range p.Tags { // tag keys are case-insensitive
			if strings.EqualFold(tk, k.tag) {
				return t, true
			}
		}
		return "", false
	}
	return v, v != ""
}

// values returns the request's values for k: either one string (one, n==1)
// or a slice (many). n == -1 means the key is absent.
func (e *evalCtx) values(k *condKey) (one string, many []string, n int) {
	if k.src != srcContext {
		if v, ok := e.principalValue(k); ok {
			return v, nil, 1
		}
	}
	if e.ctx == nil {
		return "", nil, -1
	}
	vals, ok := e.ctx.Lookup(k.name)
	if !ok {
		return "", nil, -1
	}
	return "", vals, len(vals)
}

// variable resolves a policy variable: it must have exactly one value.
func (e *evalCtx) variable(k *condKey) (string, bool) {
	one, many, n := e.values(k)
	switch {
	case n == 1 && many == nil:
		return one, true
	case n == 1:
		return many[0], true
	}
	return "", false
}
