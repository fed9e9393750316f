package service

import (
	"context"
	"errors"
	"strings"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/policy"
	"github.com/trentkms/trent/internal/store"
)

// defaultPolicyName is the only key policy name KMS has.
const defaultPolicyName = "default"

// GetKeyPolicyInput is GetKeyPolicy's request.
type GetKeyPolicyInput struct {
	KeyId      *string `json:"KeyId"`
	PolicyName *string `json:"PolicyName"`
}

// GetKeyPolicyOutput is GetKeyPolicy's response.
type GetKeyPolicyOutput struct {
	Policy     string `json:"Policy"`
	PolicyName string `json:"PolicyName"`
}

// PutKeyPolicyInput is PutKeyPolicy's request.
type PutKeyPolicyInput struct {
	KeyId                          *string `json:"KeyId"`
	Policy                         *string `json:"Policy"`
	PolicyName                     *string `json:"PolicyName"`
	BypassPolicyLockoutSafetyCheck bool    `json:"BypassPolicyLockoutSafetyCheck"`
}

// ListKeyPoliciesOutput is ListKeyPolicies' response.
type ListKeyPoliciesOutput struct {
	PolicyNames []string `json:"PolicyNames"`
	NextMarker  string   `json:"NextMarker,omitempty"`
	Truncated   bool     `json:"Truncated"`
}

// ListKeyPoliciesInput is ListKeyPolicies' request.
type ListKeyPoliciesInput struct {
	KeyId  *string `json:"KeyId"`
	Limit  *int    `json:"Limit"`
	Marker *string `json:"Marker"`
}

func policyNameField(v *validation, name *string) {
	v.str(name, "policyName", 1, 128)
	v.pattern(name, "policyName", `[\w]+`, func(r rune) bool {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
	})
}

func policyField(v *validation, p *string, required bool) {
	if required && !v.required(p != nil, "policy") {
		return
	}
	v.str(p, "policy", 1, 131072)
	v.pattern(p, "policy", `[\u0009\u000A\u000D\u0020-\u00FF]+`, policyCharOK)
}

func checkPolicyName(name *string) error {
	if name != nil && *name != defaultPolicyName {
		return errorf(KindNotFound, "Policy %s does not exist.", *name)
	}
	return nil
}

// checkKeyPolicy validates a key policy for the key arn and, unless bypass,
// applies AWS's lockout safety check: the caller must still be allowed to
// change the policy afterwards.
func (s *Service) checkKeyPolicy(ctx context.Context, c *Caller, doc, keyAccount, arn string, bypass bool) (*policy.Policy, error) {
	if len(doc) > maxPolicyBytes {
		return nil, errorf(KindLimitExceeded, "Policy document exceeds the maximum size of %d bytes.", maxPolicyBytes)
	}
	p, err := policy.Parse(doc, policy.KeyPolicy)
	var me *policy.MalformedError
	if errors.As(err, &me) {
		return nil, errorf(KindMalformedPolicy, "%s", me.Msg)
	}
	if err != nil {
		return nil, errorf(KindMalformedPolicy, "%v", err)
	}
	if err := s.checkPrincipals(ctx, p); err != nil {
		return nil, err
	}
	if bypass {
		return p, nil
	}
	id := s.identity(c)
	req := policy.Request{Principal: &id.p, Action: "kms:PutKeyPolicy", Resource: arn, Context: c}
	if !policy.Authorize(&policy.AuthzInput{Request: &req, KeyPolicy: p, KeyAccount: keyAccount, Identity: id.policies}).Allowed {
		return nil, errorf(KindMalformedPolicy, "The new key policy will not allow you to update the key policy in the future.")
	}
	return p, nil
}

// GetKeyPolicy returns a key's policy verbatim.
func (s *Service) GetKeyPolicy(ctx context.Context, c *Caller, in *GetKeyPolicyInput) (*GetKeyPolicyOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	policyNameField(&v, in.PolicyName)
	if err := v.err(); err != nil {
		return nil, err
	}
	k, err := s.loadKey(ctx, c, "GetKeyPolicy", *in.KeyId, refKeyOnly)
	if err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	return &GetKeyPolicyOutput{Policy: k.Policy, PolicyName: defaultPolicyName}, nil
}

// PutKeyPolicy replaces a key's policy.
func (s *Service) PutKeyPolicy(ctx context.Context, c *Caller, in *PutKeyPolicyInput) (*Empty, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	policyField(&v, in.Policy, true)
	policyNameField(&v, in.PolicyName)
	if err := v.err(); err != nil {
		return nil, err
	}
	bypass := in.BypassPolicyLockoutSafetyCheck
	c.bypassLockout = &bypass
	_, err := s.updateKey(ctx, c, "PutKeyPolicy", *in.KeyId, refKeyOnly, func(k *store.Key) (bool, error) {
		if err := checkPolicyName(in.PolicyName); err != nil {
			return false, err
		}
		if _, err := s.checkKeyPolicy(ctx, c, *in.Policy, k.Account, KeyARN(k.Region, k.Account, k.ID), bypass); err != nil {
			return false, err
		}
		if k.Policy == *in.Policy {
			return true, nil
		}
		k.Policy = *in.Policy
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListKeyPolicies lists a key's policy names: always "default".
func (s *Service) ListKeyPolicies(ctx context.Context, c *Caller, in *ListKeyPoliciesInput) (*ListKeyPoliciesOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	limitField(&v, in.Limit, 1000)
	markerField(&v, in.Marker)
	if err := v.err(); err != nil {
		return nil, err
	}
	if _, err := s.loadKey(ctx, c, "ListKeyPolicies", *in.KeyId, refKeyOnly); err != nil {
		return nil, err
	}
	if in.Marker != nil {
		return nil, errorf(KindInvalidMarker, "Invalid marker: %s", *in.Marker)
	}
	return &ListKeyPoliciesOutput{PolicyNames: []string{defaultPolicyName}}, nil
}

// checkPrincipals refuses, as KMS does, a key policy that names a
// principal that does not exist: an unknown account, user or role.
func (s *Service) checkPrincipals(ctx context.Context, p *policy.Policy) error {
	invalid := errorf(KindMalformedPolicy, "%s", policy.MsgInvalidPrincipals)
	for _, arn := range p.PrincipalARNs() {
		if strings.ContainsAny(arn, "*?") {
			return invalid
		}
		var iamARN, stsARN bool
		rest, iamARN := strings.CutPrefix(arn, "arn:aws:iam::")
		if !iamARN {
			if rest, stsARN = strings.CutPrefix(arn, "arn:aws:sts::"); !stsARN {
				return invalid
			}
		}
		acct, res, ok := strings.Cut(rest, ":")
		if !ok || !iam.ValidAccountID(acct) {
			return invalid
		}
		var err error
		switch {
		case iamARN && res == "root":
			_, err = s.store.Account(ctx, acct)
		case iamARN && strings.HasPrefix(res, "user/"):
			_, err = s.store.User(ctx, acct, res[strings.LastIndexByte(res, '/')+1:])
		case iamARN && strings.HasPrefix(res, "role/"):
			_, err = s.store.Role(ctx, acct, res[strings.LastIndexByte(res, '/')+1:])
		case stsARN && strings.HasPrefix(res, "assumed-role/"):
			role, _, _ := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
			_, err = s.store.Role(ctx, acct, role)
		default:
			return invalid
		}
		if errors.Is(err, store.ErrNotFound) {
			return invalid
		}
		if err != nil {
			return s.internal(ctx, "check policy principals", err)
		}
	}
	return nil
}
