// Package policy is Trent's engine for the AWS policy language: KMS key
// policies, IAM identity (user and role) policies and IAM role trust policies.
//
// Parse validates a document once and compiles it (lower-cased actions,
// split wildcard patterns, pre-parsed numbers, dates, CIDR blocks and ARNs);
// Evaluate, EvaluateResource and Authorize then do no parsing and, for
// documents without policy variables, no allocation. A *Policy is immutable
// and safe for concurrent use.
package policy

// Kind selects the grammar a document is validated against.
type Kind int

const (
	// KeyPolicy is a KMS key policy (a resource policy): every statement
	// needs Principal or NotPrincipal and Resource or NotResource; at most
	// 32768 bytes.
	KeyPolicy Kind = iota
	// IdentityPolicy is an IAM user or role inline policy: no Principal;
	// Resource or NotResource required.
	IdentityPolicy
	// TrustPolicy is an IAM role trust (assume-role) policy: Principal
	// required, no Resource, only sts: actions.
	TrustPolicy
)

func (k Kind) String() string {
	switch k {
	case KeyPolicy:
		return "KeyPolicy"
	case IdentityPolicy:
		return "IdentityPolicy"
	case TrustPolicy:
		return "TrustPolicy"
	}
	return "Kind(?)"
}

// MaxKeyPolicySize is KMS's limit on a key policy document, in bytes.
const MaxKeyPolicySize = 32768

// Principal is the authenticated caller of one request.
type Principal struct {
	// ARN: arn:aws:iam::111122223333:root | arn:aws:iam::111122223333:user/path/name |
	// arn:aws:sts::111122223333:assumed-role/RoleName/session.
	ARN string
	// Account is the caller's 12-digit account ID.
	Account string
	// Type is the aws:PrincipalType value: "Root", "IAMUser", "AssumedRole".
	Type string
	// UserID is aws:userid (AIDA... for users, AROA...:session for sessions,
	// the account ID for root).
	UserID string
	// Username is aws:username (IAM users only).
	Username string
	// RoleARN is the role of an AssumedRole session,
	// arn:aws:iam::acct:role/path/RoleName; policies name roles by it.
	RoleARN string
	// RoleID is the unique ID (AROA...) of an AssumedRole session's role.
	// With UserID it is what a bound policy matches (see Policy.Bind).
	RoleID string
	// Tags are aws:PrincipalTag/* (user tags, or role tags for sessions).
	Tags map[string]string
}

// Principal types (aws:PrincipalType values).
const (
	TypeRoot        = "Root"
	TypeIAMUser     = "IAMUser"
	TypeAssumedRole = "AssumedRole"
)

func (p *Principal) isRoot() bool {
	return p != nil && p.Type == TypeRoot
}

// Request is one authorization question.
type Request struct {
	Principal *Principal
	// Action is "service:Operation", e.g. "kms:Encrypt"; matched
	// case-insensitively against Action/NotAction with * and ? wildcards.
	Action string
	// Resource is the key ARN, alias ARN, or "*" for operations that name
	// no resource. Resource patterns match it case-sensitively.
	Resource string
	// Context supplies condition keys and variables (aws:CurrentTime,
	// aws:SourceIp, aws:SecureTransport, kms:*...); see Context. May be nil.
	Context Context
}

// Effect is the result of evaluating one policy.
type Effect int

const (
	NotApplicable Effect = iota // no statement matched: implicit deny
	Allow
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NotApplicable"
}

// ResourceEffect is the result of evaluating a resource (key or trust)
// policy, which distinguishes the two ways a statement can allow.
type ResourceEffect int

const (
	ResourceNotApplicable ResourceEffect = iota
	// ResourceAllowDirect: an Allow statement whose Principal names the
	// caller itself (its ARN, its role for sessions, "*", or via NotPrincipal).
	ResourceAllowDirect
	// ResourceAllowAccount: an Allow statement names only the caller's
	// account (arn:aws:iam::ACCT:root or "ACCT"); it delegates the decision
	// to the account's identity policies.
	ResourceAllowAccount
	// ResourceDeny: a Deny statement applies.
	ResourceDeny
)

func (e ResourceEffect) String() string {
	switch e {
	case ResourceAllowDirect:
		return "AllowDirect"
	case ResourceAllowAccount:
		return "AllowAccount"
	case ResourceDeny:
		return "Deny"
	}
	return "NotApplicable"
}

// Policy is a parsed, compiled policy document. It is immutable.
type Policy struct {
	kind    Kind
	version string
	id      string
	doc     string
	stmts   []statement
}

// Kind returns the grammar the policy was parsed with.
func (p *Policy) Kind() Kind { return p.kind }

// Version returns the document's Version ("2012-10-17" or "2008-10-17";
// "2008-10-17" when the document has none).
func (p *Policy) Version() string { return p.version }

// ID returns the document's Id element, or "".
func (p *Policy) ID() string { return p.id }

// Document returns the text Parse was given, unchanged (GetKeyPolicy
// returns the policy as stored).
func (p *Policy) Document() string { return p.doc }

// Bind returns a copy of p whose principal ARNs of IAM users, roles and
// role sessions are tied to the unique IDs in ids (the ARN as the document
// writes it -> the unique ID of the principal it named when the policy was
// put: AIDA... for a user, AROA... for a role and for a session of that
// role). IAM and KMS do the same: "When you save the policy, AWS
// transforms the ARN to a unique principal ID", so that a principal
// deleted and created again under the same name is not the one the
// policy names (IAM JSON policy elements: Principal).
//
// In a policy returned by Parse, and in a bound policy for an ARN that ids
// does not hold, such a principal ARN names no one: evaluation fails
// closed until the caller binds it. A bound ARN names a caller only when
// both the ARN and the caller's current unique ID (Principal.UserID, or
// Principal.RoleID for a role or a session of it) are the ones bound.
// Account principals, "*" and service principals are never bound.
func (p *Policy) Bind(ids map[string]string) *Policy {
	q := *p
	q.stmts = make([]statement, len(p.stmts))
	copy(q.stmts, p.stmts)
	for i := range q.stmts {
		ps := &q.stmts[i].principals
		if len(ps.arns) == 0 {
			continue
		}
		bound := make([]string, len(ps.arns))
		for j, a := range ps.arns {
			bound[j] = ids[a]
		}
		ps.ids = bound
	}
	return &q
}

// PrincipalARNs returns every AWS principal ARN named in Principal or
// NotPrincipal elements (accounts as arn:aws:iam::ACCT:root), without "*",
// in document order with duplicates removed. KMS rejects a key policy naming
// a principal that does not exist with MsgInvalidPrincipals; the caller,
// which knows the accounts, users and roles, uses this to check.
func (p *Policy) PrincipalARNs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for i := range p.stmts {
		ps := &p.stmts[i].principals
		for _, w := range ps.written {
			add(w)
		}
	}
	return out
}

type statement struct {
	sid          string
	deny         bool
	actions      []pattern
	notAction    bool
	resources    []pattern
	notResource  bool
	hasResource  bool // Resource or NotResource present (not in trust policies)
	hasPrincipal bool
	notPrincipal bool
	principals   principalSet
	conds        []condition
}

// principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	any       bool     // "*" or {"AWS": "*"}
	accounts  []string // 12-digit IDs (from "ACCT" or arn:...:iam::ACCT:root)
	arns      []string // user, role, assumed-role, federated-user ARNs
	ids       []string // the unique ID arns[i] is bound to ("" or absent: unbound, names no one)
	services  []string // Service principals
	federated []string // Federated principals (trust policies)
	written   []string // AWS entries as ARNs, for PrincipalARNs
}
