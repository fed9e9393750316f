package policy

import (
	"strings"
	"testing"
)

const (
	ruleDirect   = "KMS developer guide: determining access: a key policy statement naming a principal (or *) gives it access in the key's account without any IAM policy"
	ruleDelegate = "KMS developer guide: Default key policy: the account principal enables IAM policies; it does not by itself give access to users or roles"
	ruleCross    = "KMS developer guide: Allowing users in other accounts to use a KMS key: cross-account access needs the key policy and an IAM policy in the external account"
	ruleGrant    = "KMS developer guide: Grants in AWS KMS: a grant allows its grantee, in this or another account, to use the key for the grant's operations"
	ruleKeyless  = "KMS developer guide: IAM policies: operations that are not on a particular key (CreateKey, ListKeys, GenerateRandom) are controlled only by IAM policies"
	ruleMsg      = "IAM troubleshooting: access denied error messages: 'User: P is not authorized to perform: A on resource: R because no T policy allows the A action' / 'with an explicit deny in a T policy'"
	ruleDenyAny  = "KMS developer guide: key policies: you can use an IAM policy to deny a permission to a KMS key without permission from a key policy; explicit deny always wins"
	ruleRootKMS  = "KMS developer guide: key policies: no principal, including the account root user, has permission to a KMS key unless the key policy (or IAM with it, or a grant) allows it"
)

func mustParse(t testing.TB, d string, k Kind) *Policy {
	t.Helper()
	p, err := Parse(d, k)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, d)
	}
	return p.Bind(testIDs)
}

func TestEvaluateResource(t *testing.T) {
	key := func(principal string, extra ...string) string {
		s := doc(append([]string{`{"Effect":"Allow","Principal":` + principal + `,"Action":"kms:*","Resource":"*"}`}, extra...)...)
		return s
	}
	cases := []struct {
		name, rule, doc string
		p               *Principal
		want            ResourceEffect
	}{
		{"account root ARN delegates", ruleRootAcct, key(`{"AWS":"arn:aws:iam::111122223333:root"}`), alice, ResourceAllowAccount},
		{"bare account id delegates", rulePrincipal, key(`{"AWS":"111122223333"}`), alice, ResourceAllowAccount},
		{"user ARN is direct", rulePrincipal, key(`{"AWS":"arn:aws:iam::111122223333:user/alice"}`), alice, ResourceAllowDirect},
		{"user with path", rulePrincipal, key(`{"AWS":"arn:aws:iam::111122223333:user/eng/bob"}`), bob, ResourceAllowDirect},
		{"other user not named", rulePrincipal, key(`{"AWS":"arn:aws:iam::111122223333:user/alice"}`), bob, ResourceNotApplicable},
		{"star is direct", rulePrincipal, key(`"*"`), carol, ResourceAllowDirect},
		{"AWS star is direct", rulePrincipal, key(`{"AWS":"*"}`), carol, ResourceAllowDirect},
		{"role ARN names its sessions", "IAM JSON policy elements: Principal: a role ARN in Principal matches the role's sessions", key(`{"AWS":"arn:aws:iam::111122223333:role/ops/Admin"}`), sess, ResourceAllowDirect},
		{"session ARN names the session", "IAM JSON policy elements: Principal: role session principals arn:aws:sts::ACCT:assumed-role/ROLE/SESSION", key(`{"AWS":"arn:aws:sts::111122223333:assumed-role/Admin/s1"}`), sess, ResourceAllowDirect},
		{"other session not named", rulePrincipal, key(`{"AWS":"arn:aws:sts::111122223333:assumed-role/Admin/s2"}`), sess, ResourceNotApplicable},
		{"other account root", rulePrincipal, key(`{"AWS":"arn:aws:iam::444455556666:root"}`), alice, ResourceNotApplicable},
		{"external account delegates", ruleCross, key(`{"AWS":"arn:aws:iam::444455556666:root"}`), carol, ResourceAllowAccount},
		{"root caller via account", ruleRootAcct, key(`{"AWS":"arn:aws:iam::111122223333:root"}`), rootA, ResourceAllowAccount},
		{"principal list", rulePrincipal, key(`{"AWS":["arn:aws:iam::444455556666:user/carol","arn:aws:iam::111122223333:user/alice"]}`), alice, ResourceAllowDirect},
		{"direct beats account", rulePrincipal, key(`{"AWS":"111122223333"}`, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Encrypt","Resource":"*"}`), alice, ResourceAllowDirect},
		{"deny naming account denies its users", "IAM JSON policy elements: Principal: an account principal in a Deny applies to every identity in the account", key(`{"AWS":"*"}`, `{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"kms:Encrypt","Resource":"*"}`), alice, ResourceDeny},
		{"NotPrincipal deny spares listed user", ruleNotPrinc, key(`"*"`, `{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"Action":"kms:*","Resource":"*"}`), alice, ResourceAllowDirect},
		{"NotPrincipal deny hits others", ruleNotPrinc, key(`"*"`, `{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"Action":"kms:*","Resource":"*"}`), bob, ResourceDeny},
		{"NotPrincipal without account still denies", ruleNotPrinc, key(`"*"`, `{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}`), alice, ResourceDeny},
		{"NotPrincipal session needs role and session", ruleNotPrinc, key(`"*"`, `{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::111122223333:assumed-role/Admin/s1","111122223333"]},"Action":"kms:*","Resource":"*"}`), sess, ResourceDeny},
		{"NotPrincipal session fully listed", ruleNotPrinc, key(`"*"`, `{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::111122223333:assumed-role/Admin/s1","arn:aws:iam::111122223333:role/ops/Admin","111122223333"]},"Action":"kms:*","Resource":"*"}`), sess, ResourceAllowDirect},
		{"NotPrincipal allow others", ruleNotPrinc, doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}`), bob, ResourceAllowDirect},
		{"service principal", "IAM JSON policy elements: Principal: AWS service principals are named with Service", key(`{"Service":"logs.us-east-1.amazonaws.com"}`), &Principal{Type: "Service", ARN: "logs.us-east-1.amazonaws.com"}, ResourceAllowDirect},
		{"service principal does not name users", rulePrincipal, key(`{"Service":"logs.us-east-1.amazonaws.com"}`), alice, ResourceNotApplicable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, c.doc, KeyPolicy)
			got := p.EvaluateResource(&Request{Principal: c.p, Action: "kms:Encrypt", Resource: keyARN})
			if got != c.want {
				t.Errorf("EvaluateResource = %v, want %v\nrule: %s\ndoc: %s", got, c.want, c.rule, c.doc)
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	def := mustParse(t, DefaultKeyPolicy(acctA), KeyPolicy)
	allowAliceKey := mustParse(t, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}`), KeyPolicy)
	crossAcct := mustParse(t, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`,
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["kms:Encrypt","kms:Decrypt","kms:ScheduleKeyDeletion"],"Resource":"*"}`), KeyPolicy)
	crossCarol := mustParse(t, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/carol"},"Action":"kms:*","Resource":"*"}`), KeyPolicy)
	keyDeny := mustParse(t, doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}`,
		`{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}`), KeyPolicy)
	noRoot := mustParse(t, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/eng/bob"},"Action":"kms:*","Resource":"*"}`), KeyPolicy)
	idAllow := mustParse(t, doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), IdentityPolicy)
	idEncrypt := mustParse(t, doc(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"`+keyARN+`"}`), IdentityPolicy)
	idDeny := mustParse(t, doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}`), IdentityPolicy)
	idCreate := mustParse(t, doc(`{"Effect":"Allow","Action":"kms:CreateKey","Resource":"*"}`), IdentityPolicy)

	type tc struct {
		name, rule string
		p          *Principal
		action     string
		resource   string
		key        *Policy
		keyAcct    string
		identity   []*Policy
		grant      bool
		want       Reason
		allowed    bool
		msgSuffix  string
	}
	cases := []tc{
		{name: "default policy, user without IAM policy", rule: ruleDelegate, p: alice, key: def, want: ReasonNoIdentityAllow, msgSuffix: "because no identity-based policy allows the kms:Encrypt action"},
		{name: "default policy, user with IAM allow", rule: ruleDelegate, p: alice, key: def, identity: []*Policy{idAllow}, allowed: true, want: ReasonKeyPolicyIdentity},
		{name: "default policy, IAM allow for this key only", rule: ruleDelegate, p: alice, key: def, identity: []*Policy{idEncrypt}, allowed: true, want: ReasonKeyPolicyIdentity},
		{name: "default policy, IAM allow other action", rule: ruleDelegate, p: alice, action: "kms:Decrypt", key: def, identity: []*Policy{idEncrypt}, want: ReasonNoIdentityAllow},
		{name: "default policy, root user", rule: ruleRootAcct, p: rootA, key: def, allowed: true, want: ReasonRoot},
		{name: "default policy, assumed role with IAM allow", rule: ruleDelegate, p: sess, key: def, identity: []*Policy{idAllow}, allowed: true, want: ReasonKeyPolicyIdentity},
		{name: "key policy names user: no IAM needed", rule: ruleDirect, p: alice, key: allowAliceKey, allowed: true, want: ReasonKeyPolicy},
		{name: "key policy names user, IAM deny wins", rule: ruleDenyAny, p: alice, key: allowAliceKey, identity: []*Policy{idDeny}, want: ReasonExplicitDenyIdentity, msgSuffix: "with an explicit deny in an identity-based policy"},
		{name: "key policy without account: IAM allow has no effect", rule: ruleRootKMS, p: alice, key: allowAliceKey, action: "kms:Encrypt", identity: []*Policy{idAllow}, allowed: true, want: ReasonKeyPolicy},
		{name: "key policy without account: other user with IAM", rule: ruleRootKMS, p: bob, key: allowAliceKey, identity: []*Policy{idAllow}, want: ReasonNoResourceAllow, msgSuffix: "because no resource-based policy allows the kms:Encrypt action"},
		{name: "key policy without account: root denied", rule: ruleRootKMS, p: rootA, key: noRoot, want: ReasonNoResourceAllow},
		{name: "key policy deny", rule: ruleEval, p: alice, action: "kms:Decrypt", key: keyDeny, want: ReasonExplicitDenyResource, msgSuffix: "with an explicit deny in a resource-based policy"},
		{name: "key policy deny beats grant", rule: ruleDenyAny, p: alice, action: "kms:Decrypt", key: keyDeny, grant: true, want: ReasonExplicitDenyResource},
		{name: "identity deny beats grant", rule: ruleDenyAny, p: alice, key: def, identity: []*Policy{idDeny}, grant: true, want: ReasonExplicitDenyIdentity},
		{name: "grant allows same account", rule: ruleGrant, p: bob, key: allowAliceKey, grant: true, allowed: true, want: ReasonGrant},
		{name: "grant allows with default policy and no IAM", rule: ruleGrant, p: alice, key: def, grant: true, allowed: true, want: ReasonGrant},
		{name: "cross account: key + IAM", rule: ruleCross, p: carol, key: crossAcct, identity: []*Policy{idAllow}, allowed: true, want: ReasonKeyPolicyIdentity},
		{name: "cross account: key only", rule: ruleCross, p: carol, key: crossAcct, want: ReasonNoIdentityAllow, msgSuffix: "because no identity-based policy allows the kms:Encrypt action"},
		{name: "cross account: IAM only", rule: ruleCross, p: carol, key: def, identity: []*Policy{idAllow}, want: ReasonNoResourceAllow, msgSuffix: "because no resource-based policy allows the kms:Encrypt action"},
		{name: "cross account: key names user still needs IAM", rule: ruleCross, p: carol, key: crossCarol, want: ReasonNoIdentityAllow},
		{name: "cross account: key names user + IAM", rule: ruleCross, p: carol, key: crossCarol, identity: []*Policy{idAllow}, allowed: true, want: ReasonKeyPolicyIdentity},
		{name: "cross account: external root", rule: ruleCross, p: rootB, key: crossAcct, allowed: true, want: ReasonRoot},
		{name: "cross account: grant alone", rule: ruleGrant, p: carol, key: def, grant: true, allowed: true, want: ReasonGrant},
		{name: "cross account: management op has no effect", rule: "KMS developer guide: Allowing users in other accounts to use a KMS key: permissions for operations other than the cross-account ones have no effect", p: carol, action: "kms:ScheduleKeyDeletion", key: crossAcct, identity: []*Policy{idAllow}, want: ReasonNoResourceAllow},
		{name: "no key: IAM allow", rule: ruleKeyless, p: alice, action: "kms:CreateKey", resource: "*", identity: []*Policy{idCreate}, allowed: true, want: ReasonIdentity},
		{name: "no key: no IAM", rule: ruleKeyless, p: alice, action: "kms:CreateKey", resource: "*", want: ReasonNoIdentityAllow, msgSuffix: "because no identity-based policy allows the kms:CreateKey action"},
		{name: "no key: root", rule: "IAM policy evaluation logic: the account root user has full access to its account's resources by default", p: rootA, action: "kms:ListKeys", resource: "*", allowed: true, want: ReasonIdentity},
		{name: "no key: IAM deny", rule: ruleDenyAny, p: alice, action: "kms:Encrypt", resource: "*", identity: []*Policy{idDeny}, want: ReasonExplicitDenyIdentity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.action == "" {
				c.action = "kms:Encrypt"
			}
			if c.resource == "" {
				c.resource = keyARN
			}
			if c.keyAcct == "" && c.key != nil {
				c.keyAcct = acctA
			}
			in := &AuthzInput{Request: &Request{Principal: c.p, Action: c.action, Resource: c.resource}, KeyPolicy: c.key, KeyAccount: c.keyAcct, Identity: c.identity, GrantAllows: c.grant}
			d := Authorize(in)
			if d.Allowed != c.allowed || d.Reason != c.want {
				t.Fatalf("Authorize = %+v, want allowed=%v reason=%v\nrule: %s", d, c.allowed, c.want, c.rule)
			}
			msg := d.Message(c.p.ARN, c.action, c.resource)
			if c.allowed {
				if msg != "" {
					t.Errorf("Message for allowed decision = %q, want empty", msg)
				}
				return
			}
			head := "User: " + c.p.ARN + " is not authorized to perform: " + c.action + " on resource: " + c.resource + " "
			if !strings.HasPrefix(msg, head) {
				t.Errorf("Message = %q, want prefix %q (%s)", msg, head, ruleMsg)
			}
			if c.msgSuffix != "" && !strings.HasSuffix(msg, c.msgSuffix) {
				t.Errorf("Message = %q, want suffix %q (%s)", msg, c.msgSuffix, ruleMsg)
			}
		})
	}
}

func TestMessageExact(t *testing.T) {
	got := Decision{Reason: ReasonNoResourceAllow}.Message("arn:aws:iam::111122223333:user/alice", "kms:Encrypt", keyARN)
	want := "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:Encrypt on resource: " + keyARN + " because no resource-based policy allows the kms:Encrypt action"
	if got != want {
		t.Errorf("Message:\n got %q\nwant %q", got, want)
	}
}

func TestDefaultKeyPolicy(t *testing.T) {
	// KMS developer guide: Default key policy, as get-key-policy prints it.
	want := "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::111122223333:root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}"
	if got := DefaultKeyPolicy(acctA); got != want {
		t.Errorf("DefaultKeyPolicy:\n%s\nwant\n%s", got, want)
	}
	p := mustParse(t, DefaultKeyPolicy(acctA), KeyPolicy)
	if p.ID() != "key-default-1" || p.Version() != VersionCurrent {
		t.Errorf("ID, Version = %q, %q", p.ID(), p.Version())
	}
	if got := p.PrincipalARNs(); len(got) != 1 || got[0] != "arn:aws:iam::111122223333:root" {
		t.Errorf("PrincipalARNs = %q", got)
	}
}

func TestLockoutSafe(t *testing.T) {
	rule := "KMS CreateKey/PutKeyPolicy: BypassPolicyLockoutSafetyCheck: the policy must allow the principal making the request to make a subsequent PutKeyPolicy request"
	cases := []struct {
		name string
		doc  string
		p    *Principal
		want bool
	}{
		{"default policy, user", DefaultKeyPolicy(acctA), alice, true},
		{"default policy of another account", DefaultKeyPolicy(acctB), alice, false},
		{"only Encrypt for caller", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Encrypt","Resource":"*"}`), alice, false},
		{"admin actions for caller", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":["kms:Put*","kms:Describe*"],"Resource":"*"}`), alice, true},
		{"deny PutKeyPolicy to everyone", doc(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Principal":"*","Action":"kms:PutKeyPolicy","Resource":"*"}`), alice, false},
		{"role session via role ARN", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ops/Admin"},"Action":"kms:*","Resource":"*"}`), sess, true},
		{"resource names key ARN", doc(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"` + keyARN + `"}`), alice, true},
		{"CallerAccount condition", doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}`), alice, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := LockoutSafe(mustParse(t, c.doc, KeyPolicy), c.p); got != c.want {
				t.Errorf("LockoutSafe = %v, want %v (%s)", got, c.want, rule)
			}
		})
	}
}

func TestValuesLookupCase(t *testing.T) {
	var v Values
	v.Set("KMS:EncryptionContext:Dept", "IT")
	v.Set("aws:SourceIp", "192.0.2.1")
	if got, ok := v.Lookup("kms:encryptioncontext:Dept"); !ok || got[0] != "IT" {
		t.Errorf("exact data part: %v %v", got, ok)
	}
	if got, ok := v.Lookup("kms:encryptioncontext:DEPT"); !ok || got[0] != "IT" {
		t.Errorf("folded data part: %v %v", got, ok)
	}
	if _, ok := v.Lookup("aws:SourceIp"); ok {
		t.Errorf("Lookup must be called with the normalized name")
	}
	if allocs := testing.AllocsPerRun(100, func() { v.Lookup("kms:encryptioncontext:DEPT") }); allocs != 0 {
		t.Errorf("Lookup allocates %v", allocs)
	}
}
