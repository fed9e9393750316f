package service

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/policy"
	"github.com/trentkms/trent/internal/store"
)

// defaultPolicyName is the only key policy name KMS has.
const defaultPolicyName = "default"

func checkPolicyName(name *string) error {
	if name != nil && *name != defaultPolicyName {
		return errorf(KindNotFound, "Policy %s does not exist.", *name)
	}
	return nil
}

// checkKeyPolicy validates a key policy for the key arn, binds the
// principals it names to their unique IDs (store.Principals) and, unless
// bypass, applies AWS's lockout safety check: the caller must still be
// allowed to change the policy afterwards. It returns the bindings to
// store with the policy.
func (s *Service) checkKeyPolicy(ctx context.Context, c *Caller, doc, keyAccount, arn string, bypass bool) (store.Principals, error) {
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
	bound, err := s.checkPrincipals(ctx, p)
	if err != nil {
		return nil, err
	}
	if bypass {
		return bound, nil
	}
	act, err := s.action(ctx, "PutKeyPolicy", ResourceKey)
	if err != nil {
		return nil, err
	}
	id := s.identity(c)
	req := policy.Request{Principal: &id.p, Action: act.Name, Resource: arn, Context: c}
	if !policy.Authorize(&policy.AuthzInput{Request: &req, KeyPolicy: p.Bind(bound), KeyAccount: keyAccount, Identity: id.policies}).Allowed {
		return nil, errorf(KindMalformedPolicy, "The new key policy will not allow you to update the key policy in the future.")
	}
	return bound, nil
}

// GetKeyPolicy returns a key's policy as it was put, but for the
// principals it names that have been deleted since: in their place it
// shows their unique IDs, as KMS does ("If you delete the principal, the
// key policy shows the principal's unique ID"; iam.Gone).
func (s *Service) GetKeyPolicy(ctx context.Context, c *Caller, in *kmsapi.GetKeyPolicyRequest) (*kmsapi.GetKeyPolicyResponse, error) {
	k, err := s.loadKey(ctx, c, "GetKeyPolicy", *in.KeyId, refKeyOnly)
	if err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	gone, err := iam.Gone(ctx, s.store, k.PolicyPrincipals)
	if err != nil {
		return nil, s.internal(ctx, "GetKeyPolicy", err)
	}
	doc := k.Policy
	if gone != nil {
		doc = policy.ShowPrincipals(doc, func(arn string) (string, bool) {
			id, ok := gone[arn]
			return id, ok
		})
	}
	return &kmsapi.GetKeyPolicyResponse{Policy: doc, PolicyName: defaultPolicyName}, nil
}

// PutKeyPolicy replaces a key's policy.
func (s *Service) PutKeyPolicy(ctx context.Context, c *Caller, in *kmsapi.PutKeyPolicyRequest) (*kmsapi.Empty, error) {
	bypass := in.BypassPolicyLockoutSafetyCheck
	c.bypassLockout = &bypass
	_, err := s.updateKey(ctx, c, "PutKeyPolicy", *in.KeyId, refKeyOnly, func(k *store.Key) (bool, error) {
		if err := checkPolicyName(in.PolicyName); err != nil {
			return false, err
		}
		bound, err := s.checkKeyPolicy(ctx, c, *in.Policy, k.Account, KeyARN(k.Region, k.Account, k.ID), bypass)
		if err != nil {
			return false, err
		}
		// The same document put again binds its principals anew: an ARN
		// whose principal was deleted and created again now names the
		// new one (IAM JSON policy elements: Principal).
		if k.Policy == *in.Policy && maps.Equal(k.PolicyPrincipals, bound) {
			return true, nil
		}
		k.Policy, k.PolicyPrincipals = *in.Policy, bound
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.Empty{}, nil
}

// ListKeyPolicies lists a key's policy names: always "default".
func (s *Service) ListKeyPolicies(ctx context.Context, c *Caller, in *kmsapi.ListKeyPoliciesRequest) (*kmsapi.ListKeyPoliciesResponse, error) {
	if _, err := s.loadKey(ctx, c, "ListKeyPolicies", *in.KeyId, refKeyOnly); err != nil {
		return nil, err
	}
	if in.Marker != nil {
		return nil, errorf(KindInvalidMarker, "Invalid marker: %s", *in.Marker)
	}
	return &kmsapi.ListKeyPoliciesResponse{PolicyNames: []string{defaultPolicyName}}, nil
}

// checkPrincipals refuses, as KMS does, a key policy that names a
// principal that does not exist: an unknown account, user or role (a
// user or role ARN must be exactly the principal's, path included). It
// returns the unique IDs of the users, roles and role sessions the policy
// names, for the policy to be bound to (iam.Bind).
func (s *Service) checkPrincipals(ctx context.Context, p *policy.Policy) (store.Principals, error) {
	invalid := errorf(KindMalformedPolicy, "%s", policy.MsgInvalidPrincipals)
	arns := p.PrincipalARNs()
	for _, arn := range arns {
		if strings.ContainsAny(arn, "*?") {
			return nil, invalid
		}
		if iam.Bindable(arn) {
			continue // checked by iam.Bind below
		}
		rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
		acct, res, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || !iam.ValidAccountID(acct) || res != "root" {
			return nil, invalid
		}
		_, err := s.store.Account(ctx, acct)
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalid
		}
		if err != nil {
			return nil, s.internal(ctx, "check policy principals", err)
		}
	}
	bound, err := iam.Bind(ctx, s.store, arns)
	var none *iam.NoSuchPrincipalError
	if errors.As(err, &none) {
		return nil, invalid
	}
	if err != nil {
		return nil, s.internal(ctx, "check policy principals", err)
	}
	return bound, nil
}
