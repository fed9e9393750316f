package policy

// MalformedError reports a policy document that Parse rejects. Msg is the
// precise human-readable reason; the API edge returns it verbatim as the
// message of KMS MalformedPolicyDocumentException or IAM MalformedPolicyDocument.
//
// Limit is true when the only problem is size: KMS answers an oversized key
// policy with LimitExceededException rather than MalformedPolicyDocumentException
// (PutKeyPolicy: "Policy ... >32,768 B → LimitExceeded"), so the edge should map
// on Limit first.
type MalformedError struct {
	Msg   string
	Limit bool
}

func (e *MalformedError) Error() string { return "malformed policy document: " + e.Msg }

// Messages AWS itself uses, kept as constants so callers and tests agree.
const (
	// MsgInvalidPrincipals is KMS's text for a key policy naming a principal
	// that is not well formed (or, checked by the caller, does not exist).
	MsgInvalidPrincipals = "Policy contains a statement with one or more invalid principals."
	// MsgLockout is KMS's text when a new key policy would not let the caller
	// call PutKeyPolicy again (the lockout safety check).
	MsgLockout = "The new key policy will not allow you to update the key policy in the future."
	// MsgIdentityPrincipal is IAM's text for an identity policy with Principal.
	MsgIdentityPrincipal = "Policy document should not specify a principal."
	// MsgNoActions is IAM's text for a statement with neither Action nor NotAction.
	MsgNoActions = "Policy statement must contain actions."
	// MsgNoResources is IAM's text for a statement with neither Resource nor NotResource.
	MsgNoResources = "Policy statement must contain resources."
	// MsgVendor is IAM's text for an action or condition key without "vendor:".
	MsgVendor = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	// MsgSidChars is IAM's text for a Sid that is not alphanumeric.
	MsgSidChars = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	// MsgSidUnique is IAM's text for two statements sharing a Sid.
	MsgSidUnique = "Statement IDs (SID) in a single policy must be unique."
	// MsgSyntax is IAM's generic text for a document that is not a policy.
	MsgSyntax = "Syntax errors in policy."
)

func malformed(msg string) error { return &MalformedError{Msg: msg} }
