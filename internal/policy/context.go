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
// keys are case-insensitive. So one condition key can name several entries of
// the request, such as the encryption-context keys "Classification" and
// "CLASSIFICATION" for kms:EncryptionContext:classification: Lookup must
// return the values of every entry whose data part equals the name's ignoring
// case (strings.EqualFold), in any order, and the evaluator decides such a
// key by the rule in condition.eval, which never depends on which entry comes
// first. Values (below) does exactly that, without allocating when at most
// one entry matches. A custom Context that wants AWS's behaviour must do the
// same.
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
	// folds: two keys with a data part differ only in its case, so a
	// lookup must gather both (without, an exact hit is the only match).
	folds bool
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
	key = NormalizeKey(key)
	if n := dataPrefixLen(key); n > 0 && !v.folds {
		for k := range v.m {
			if k != key && len(k) > n && k[:n] == key[:n] && strings.EqualFold(k[n:], key[n:]) {
				v.folds = true
			}
		}
	}
	v.m[key] = vals
}

// Lookup implements Context. See Context for the case rules: for a key
// with a data part, the values of every entry whose data part matches
// ignoring case, concatenated (allocating only when there are several).
func (v *Values) Lookup(key string) ([]string, bool) {
	if v == nil || v.m == nil {
		return nil, false
	}
	vals, ok := v.m[key]
	if ok && !v.folds {
		return vals, true
	}
	n := dataPrefixLen(key)
	if n == 0 {
		return vals, ok
	}
	var found []string
	hits := 0
	for k, vals := range v.m {
		if len(k) <= n || k[:n] != key[:n] || !strings.EqualFold(k[n:], key[n:]) {
			continue
		}
		switch hits++; hits {
		case 1:
			found = vals
		case 2:
			found = append(append([]string(nil), found...), vals...)
		default:
			found = append(found, vals...)
		}
	}
	return found, hits > 0
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
	// folded: a single-valued key whose data part is matched ignoring case
	// (kms:EncryptionContext:<key>, aws:PrincipalTag/, aws:ResourceTag/,
	// aws:RequestTag/<key>), so that a request may hold several values
	// for it: see condition.eval.
	folded bool
}

func compileKey(k string) condKey {
	n := NormalizeKey(k)
	ck := condKey{name: n, folded: dataPrefixLen(n) > 0}
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
	// ambiguous is set by variable when a policy variable names a folded
	// key with several values; the element being matched is then decided
	// the safe way (condition.eval, statement.applies).
	ambiguous bool
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
	}
	return v, v != "" // srcPrincipalTag: see principalTag
}

// principalTag returns the values of the principal's tags whose key equals
// k's ignoring case (tag keys are case-insensitive): one without
// allocating, or several (see condition.eval).
func (e *evalCtx) principalTag(k *condKey) (one string, many []string, n int) {
	if e.p == nil {
		return "", nil, -1
	}
	for tk, t := range e.p.Tags {
		if !strings.EqualFold(tk, k.tag) {
			continue
		}
		switch n++; n {
		case 1:
			one = t
		case 2:
			many = []string{one, t}
		default:
			many = append(many, t)
		}
	}
	if n == 0 {
		return "", nil, -1
	}
	if n > 1 {
		one = ""
	}
	return one, many, n
}

// values returns the request's values for k: either one string (one, n==1)
// or a slice (many). n == -1 means the key is absent.
func (e *evalCtx) values(k *condKey) (one string, many []string, n int) {
	if k.src == srcPrincipalTag {
		if one, many, n = e.principalTag(k); n > 0 {
			return one, many, n
		}
	} else if k.src != srcContext {
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

// variable resolves a policy variable: it must have exactly one value. A
// folded key with several values does not resolve and marks the
// evaluation ambiguous.
func (e *evalCtx) variable(k *condKey) (string, bool) {
	one, many, n := e.values(k)
	switch {
	case n == 1 && many == nil:
		return one, true
	case n == 1:
		return many[0], true
	case n > 1 && k.folded:
		e.ambiguous = true
	}
	return "", false
}
