package service

import (
	"errors"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/policy"
	"github.com/trentkms/trent/internal/store"
)

// IAMPolicies puts the policy engine behind the IAM and STS operations:
// document validation, role trust, and identity-policy decisions for the
// IAM, STS and CloudTrail APIs. It shares the service's cache of compiled
// identity policies.
type IAMPolicies struct{ s *Service }

// IAMPolicies returns s's adapter for the IAM and STS operations.
func (s *Service) IAMPolicies() IAMPolicies { return IAMPolicies{s} }

// Validate implements iam.PolicyValidator: an identity policy, or a role
// trust policy when trust is set, whose principal ARNs it returns.
func (IAMPolicies) Validate(doc string, trust bool) ([]string, error) {
	kind := policy.IdentityPolicy
	if trust {
		kind = policy.TrustPolicy
	}
	p, err := policy.Parse(doc, kind)
	var me *policy.MalformedError
	if errors.As(err, &me) {
		return nil, errors.New(me.Msg)
	}
	if err != nil {
		return nil, err
	}
	return p.PrincipalARNs(), nil
}

// ShowPrincipals implements iam.PolicyValidator (policy.ShowPrincipals).
func (IAMPolicies) ShowPrincipals(doc string, show func(arn string) (string, bool)) string {
	return policy.ShowPrincipals(doc, show)
}

// MayAssume implements iam.TrustChecker: the role's trust policy, its
// principals bound to the unique IDs in bound, must let the caller assume
// the role, and, when the trust policy names only the caller's account,
// the caller's identity policies must allow sts:AssumeRole on the role,
// as IAM evaluates a resource policy.
func (a IAMPolicies) MayAssume(doc string, bound store.Principals, roleARN string, caller *iam.Principal) (bool, error) {
	p, err := policy.Parse(doc, policy.TrustPolicy)
	if err != nil {
		return false, nil // a trust policy that no longer parses trusts no one
	}
	trust := p.Bind(bound)
	id := a.s.ids.get(caller)
	req := policy.Request{Principal: &id.p, Action: Lookup(APISTS, "AssumeRole").Actions[0].Name, Resource: roleARN}
	return policy.Authorize(&policy.AuthzInput{Request: &req, KeyPolicy: trust, KeyAccount: accountOfARN(roleARN), Identity: id.policies}).Allowed, nil
}

// Allowed decides an IAM, STS or CloudTrail action by the caller's identity
// policies (those services' resources have no resource policies here). The
// account root is always allowed in its own account.
func (a IAMPolicies) Allowed(caller *iam.Principal, action, resource string) (bool, error) {
	return a.Decide(caller, action, resource).Allowed, nil
}

// Decide is Allowed with the reason: a denial's Reason is
// policy.ReasonExplicitDenyIdentity when a Deny in an identity policy
// applies, policy.ReasonNoIdentityAllow when no identity policy allows.
func (a IAMPolicies) Decide(caller *iam.Principal, action, resource string) policy.Decision {
	id := a.s.ids.get(caller)
	req := policy.Request{Principal: &id.p, Action: action, Resource: resource}
	return policy.Authorize(&policy.AuthzInput{Request: &req, KeyAccount: caller.Account, Identity: id.policies})
}

// accountOfARN returns the account field of an ARN ("" if there is none).
func accountOfARN(arn string) string {
	n := 0
	for i := 0; i < len(arn); i++ {
		if arn[i] == ':' {
			n++
			if n == 4 {
				rest := arn[i+1:]
				for j := 0; j < len(rest); j++ {
					if rest[j] == ':' {
						return rest[:j]
					}
				}
				return rest
			}
		}
	}
	return ""
}
