package iam

import (
	"encoding/json"
	"errors"

	"github.com/trentkms/trent/internal/store"
)

// JSONSyntaxValidator is a STAND-IN PolicyValidator until internal/policy
// is wired: it only requires the document to be one JSON object. Tests use
// it as a test double.
type JSONSyntaxValidator struct{}

// Validate implements PolicyValidator. It names no principals.
func (JSONSyntaxValidator) Validate(doc string, trust bool) ([]string, error) {
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return nil, errors.New("Syntax errors in policy.")
	}
	return nil, nil
}

// ShowPrincipals implements PolicyValidator: it shows doc as it is.
func (JSONSyntaxValidator) ShowPrincipals(doc string, show func(string) (string, bool)) string {
	return doc
}

// NaiveTrustChecker is a TEST DOUBLE / STAND-IN TrustChecker until
// internal/policy is wired. It allows when a statement of the trust policy
// has Effect "Allow", an Action of "sts:AssumeRole" or "*", and a
// Principal "AWS" naming the caller's account ID, its root ARN or the
// caller's ARN. It evaluates no conditions and no identity policy: it is
// not an authorization decision fit for production.
type NaiveTrustChecker struct{}

// MayAssume implements TrustChecker.
func (NaiveTrustChecker) MayAssume(doc string, _ store.Principals, roleARN string, caller *Principal) (bool, error) {
	var p struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return false, nil
	}
	type statement struct {
		Effect    string
		Action    json.RawMessage
		Principal json.RawMessage
	}
	var sts []statement
	if json.Unmarshal(p.Statement, &sts) != nil {
		var one statement
		if json.Unmarshal(p.Statement, &one) != nil {
			return false, nil
		}
		sts = []statement{one}
	}
	for _, s := range sts {
		if s.Effect != "Allow" || !containsAny(jsonStrings(s.Action), "sts:AssumeRole", "*") {
			continue
		}
		var pr struct{ AWS json.RawMessage }
		if json.Unmarshal(s.Principal, &pr) != nil {
			continue
		}
		if containsAny(jsonStrings(pr.AWS), caller.Account, RootARN(caller.Account), caller.ARN) {
			return true, nil
		}
	}
	return false, nil
}

// jsonStrings decodes a JSON string or array of strings.
func jsonStrings(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(raw, &many)
	return many
}

func containsAny(have []string, want ...string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}
