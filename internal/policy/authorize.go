package policy

import "strings"

// AuthzInput is everything Authorize needs for one KMS request.
type AuthzInput struct {
	Request *Request
	// KeyPolicy is nil for operations that name no key (CreateKey, ListKeys,
	// GenerateRandom, ...): the identity policies alone decide.
	KeyPolicy *Policy
	// KeyAccount owns the key.
	KeyAccount string
	// Identity are the caller's identity policies (empty for root).
	Identity []*Policy
	// GrantAllows is true when some grant on the key, whose constraints the
	// request satisfies, allows the operation for the caller.
	GrantAllows bool
}

// Reason says why Authorize decided as it did.
type Reason int

const (
	ReasonNone Reason = iota
	// Allowed.
	ReasonKeyPolicy         // the key policy names the caller
	ReasonKeyPolicyIdentity // the key policy names the account, an identity policy allows
	ReasonRoot              // the key policy names the account, the caller is its root user
	ReasonIdentity          // no key: an identity policy allows (or the root user)
	ReasonGrant             // a grant allows
	// Denied.
	ReasonExplicitDenyResource // a Deny in the key policy applies
	ReasonExplicitDenyIdentity // a Deny in an identity policy applies
	ReasonNoResourceAllow      // the key policy allows neither the caller nor its account
	ReasonNoIdentityAllow      // the identity policies do not allow
)

// Decision is Authorize's answer.
type Decision struct {
	Allowed bool
	Reason  Reason
}

// Authorize combines key policy, identity policies and grants as AWS KMS
// does (KMS developer guide: "Troubleshooting key access" flow chart;
// "Allowing users in other accounts to use a KMS key"):
//
//  1. An explicit Deny in the key policy or any identity policy wins.
//  2. No key (KeyPolicy nil): the identity policies decide; the root user
//     has every permission in its own account.
//  3. Same account: allowed if the key policy names the caller, or names the
//     account and an identity policy allows (the root user needs none), or a
//     grant allows.
//  4. Cross account: only the operations KMS permits cross-account
//     (CrossAccountAction) can be allowed, and then when the key policy
//     allows (naming the caller or its account) and the caller's identity
//     policies allow too, or when a grant allows. Grants need no identity
//     policy in the grantee's account: a grant's grantee may be "in your own
//     account or in a different account" and the grant alone carries the
//     permission (KMS developer guide: Grants in AWS KMS).
//
// Authorize does not allocate.
func Authorize(in *AuthzInput) Decision {
	r := in.Request
	var key ResourceEffect
	if in.KeyPolicy != nil {
		key = in.KeyPolicy.EvaluateResource(r)
		if key == ResourceDeny {
			return Decision{Reason: ReasonExplicitDenyResource}
		}
	}
	idAllow := false
	for _, p := range in.Identity {
		switch p.Evaluate(r) {
		case Deny:
			return Decision{Reason: ReasonExplicitDenyIdentity}
		case Allow:
			idAllow = true
		}
	}
	root := r.Principal.isRoot()
	var acct string
	if r.Principal != nil {
		acct = r.Principal.Account
	}
	if in.KeyPolicy == nil {
		if root && (in.KeyAccount == "" || in.KeyAccount == acct) {
			return Decision{Allowed: true, Reason: ReasonIdentity}
		}
		if idAllow {
			return Decision{Allowed: true, Reason: ReasonIdentity}
		}
		return Decision{Reason: ReasonNoIdentityAllow}
	}
	if acct == in.KeyAccount {
		switch {
		case key == ResourceAllowDirect:
			return Decision{Allowed: true, Reason: ReasonKeyPolicy}
		case key == ResourceAllowAccount && root:
			return Decision{Allowed: true, Reason: ReasonRoot}
		case key == ResourceAllowAccount && idAllow:
			return Decision{Allowed: true, Reason: ReasonKeyPolicyIdentity}
		case in.GrantAllows:
			return Decision{Allowed: true, Reason: ReasonGrant}
		case key == ResourceAllowAccount:
			return Decision{Reason: ReasonNoIdentityAllow}
		}
		return Decision{Reason: ReasonNoResourceAllow}
	}
	if !CrossAccountAction(r.Action) {
		return Decision{Reason: ReasonNoResourceAllow}
	}
	switch {
	case key != ResourceNotApplicable && (idAllow || root):
		if root {
			return Decision{Allowed: true, Reason: ReasonRoot}
		}
		return Decision{Allowed: true, Reason: ReasonKeyPolicyIdentity}
	case in.GrantAllows:
		return Decision{Allowed: true, Reason: ReasonGrant}
	case key != ResourceNotApplicable:
		return Decision{Reason: ReasonNoIdentityAllow}
	}
	return Decision{Reason: ReasonNoResourceAllow}
}

// Message renders AWS's AccessDeniedException text for a denied decision,
// e.g. "User: arn:aws:iam::111122223333:user/alice is not authorized to
// perform: kms:Encrypt on resource: arn:aws:kms:...:key/... because no
// resource-based policy allows the kms:Encrypt action". It returns "" for an
// allowed decision.
func (d Decision) Message(principalARN, action, resource string) string {
	if d.Allowed {
		return ""
	}
	head := "User: " + principalARN + " is not authorized to perform: " + action + " on resource: " + resource
	switch d.Reason {
	case ReasonExplicitDenyResource:
		return head + " with an explicit deny in a resource-based policy"
	case ReasonExplicitDenyIdentity:
		return head + " with an explicit deny in an identity-based policy"
	case ReasonNoIdentityAllow:
		return head + " because no identity-based policy allows the " + action + " action"
	}
	return head + " because no resource-based policy allows the " + action + " action"
}

// crossAccountActions are the KMS operations a principal in another account
// may be allowed (KMS developer guide: "Allowing users in other accounts to
// use a KMS key": permissions for other operations have no effect).
var crossAccountActions = [...]string{
	"kms:creategrant", "kms:decrypt", "kms:derivesharedsecret", "kms:describekey",
	"kms:encrypt", "kms:generatedatakey", "kms:generatedatakeypair",
	"kms:generatedatakeypairwithoutplaintext", "kms:generatedatakeywithoutplaintext",
	"kms:generatemac", "kms:getkeyrotationstatus", "kms:getpublickey",
	"kms:listgrants", "kms:reencryptfrom", "kms:reencryptto", "kms:retiregrant",
	"kms:revokegrant", "kms:sign", "kms:verify", "kms:verifymac",
}

// CrossAccountAction reports whether KMS lets a principal in another
// account be allowed action (case-insensitive).
func CrossAccountAction(action string) bool {
	for _, a := range crossAccountActions {
		if asciiEqualFold(a, action) {
			return true
		}
	}
	return false
}

// DefaultKeyPolicy returns the key policy KMS applies when CreateKey has no
// Policy, byte for byte as GetKeyPolicy returns it (KMS developer guide:
// Default key policy; AWS CLI output of get-key-policy).
func DefaultKeyPolicy(account string) string {
	var b strings.Builder
	b.WriteString("{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::")
	b.WriteString(account)
	b.WriteString(":root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}")
	return b.String()
}

// LockoutSafe reports whether policy p (bound as it will be stored, see
// Policy.Bind) lets caller call kms:PutKeyPolicy on the key later,
// directly or through its account (then the caller's IAM policies must
// also allow it, which KMS does not check here). KMS refuses a
// policy that fails this unless BypassPolicyLockoutSafetyCheck is true,
// answering MalformedPolicyDocumentException with MsgLockout.
//
// The check evaluates the statements with every Resource treated as
// matching (the key's ARN may not exist yet) and with the condition keys
// that describe the caller (principal keys, kms:CallerAccount).
func LockoutSafe(p *Policy, caller *Principal) bool {
	var acct lockoutContext
	if caller != nil {
		acct = lockoutContext(caller.Account)
	}
	r := &Request{Principal: caller, Action: "kms:PutKeyPolicy", Resource: "*", Context: acct}
	switch p.evaluate(r, true) {
	case ResourceAllowDirect, ResourceAllowAccount:
		return true
	}
	return false
}

// lockoutContext answers kms:calleraccount only.
type lockoutContext string

func (c lockoutContext) Lookup(key string) ([]string, bool) {
	if key == "kms:calleraccount" && c != "" {
		return []string{string(c)}, true
	}
	return nil, false
}
