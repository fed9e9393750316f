package policy

import (
	"fmt"
	"strings"
)

// parsePrincipal compiles a Principal or NotPrincipal element:
// "*", or an object with AWS (ARN, account ID or "*"), Service, and — in
// trust policies — Federated, each a string or an array of strings.
func parsePrincipal(v any, kind Kind) (principalSet, error) {
	var ps principalSet
	bad := func(typ, val string) error {
		if kind == KeyPolicy {
			return malformed(MsgInvalidPrincipals)
		}
		return malformed(fmt.Sprintf("Invalid principal in policy: %q:%q", typ, val))
	}
	switch t := v.(type) {
	case string:
		if t != "*" {
			return ps, bad("AWS", t)
		}
		ps.any = true
		return ps, nil
	case map[string]any:
		if len(t) == 0 {
			return ps, bad("", "")
		}
		for _, typ := range sortedKeys(t) {
			vals, err := stringList("Principal", t[typ])
			if err != nil {
				return ps, err
			}
			if len(vals) == 0 {
				return ps, bad(typ, "")
			}
			for _, s := range vals {
				switch typ {
				case "AWS":
					if err := ps.addAWS(s); err != nil {
						return ps, bad(typ, s)
					}
				case "Service":
					if !validService(s) {
						return ps, bad(typ, s)
					}
					ps.services = append(ps.services, s)
				case "Federated":
					if kind != TrustPolicy || s == "" || strings.ContainsAny(s, "*? ") {
						return ps, bad(typ, s)
					}
					ps.federated = append(ps.federated, s)
				default:
					return ps, bad(typ, s)
				}
			}
		}
		return ps, nil
	}
	return ps, bad("", jsonText(v))
}

// addAWS adds one "AWS" principal value.
func (ps *principalSet) addAWS(s string) error {
	if s == "*" {
		ps.any = true
		return nil
	}
	if isAccountID(s) {
		ps.accounts = append(ps.accounts, s)
		ps.written = append(ps.written, "arn:aws:iam::"+s+":root")
		return nil
	}
	parts, ok := splitARN(s)
	if !ok || parts[0] != "arn" || !validPartition(parts[1]) || parts[3] != "" || !isAccountID(parts[4]) {
		return errBadPrincipal
	}
	if strings.ContainsAny(s, "*?") {
		// Wildcards are not allowed in principal ARNs (only "*" alone).
		return errBadPrincipal
	}
	res := parts[5]
	switch parts[2] {
	case "iam":
		switch {
		case res == "root" && parts[1] != "aws":
			// An account of another partition is another account than
			// the one of that number in the aws partition, where every
			// principal Trent knows is: it names no one (an unbound ARN,
			// like the other ARNs of another partition).
		case res == "root":
			ps.accounts = append(ps.accounts, parts[4])
			ps.written = append(ps.written, s)
			return nil
		case validPathName(res, "user/"), validPathName(res, "role/"):
		default:
			return errBadPrincipal
		}
	case "sts":
		switch {
		case strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") == 2 && !strings.HasSuffix(res, "/"),
			strings.HasPrefix(res, "federated-user/") && len(res) > len("federated-user/"):
		default:
			return errBadPrincipal
		}
	default:
		return errBadPrincipal
	}
	ps.arns = append(ps.arns, s)
	ps.written = append(ps.written, s)
	return nil
}

var errBadPrincipal = fmt.Errorf("invalid principal")

func validPartition(s string) bool {
	return s == "aws" || s == "aws-cn" || s == "aws-us-gov" || strings.HasPrefix(s, "aws-iso")
}

// validPathName checks "user/[path/]name" style resources.
func validPathName(res, prefix string) bool {
	if !strings.HasPrefix(res, prefix) {
		return false
	}
	rest := res[len(prefix):]
	return rest != "" && !strings.HasSuffix(rest, "/") && !strings.Contains(rest, "//")
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validService accepts service principals such as "ec2.amazonaws.com".
func validService(s string) bool {
	if s == "" || strings.ContainsAny(s, "*? /:") {
		return false
	}
	return strings.Contains(s, ".")
}

// Principal match results.
type pmatch uint8

const (
	pmNone    pmatch = iota
	pmAccount        // only the caller's account is named
	pmDirect         // the caller itself (or everyone) is named
)

// match tells how a Principal element names the caller. A caller is, at the
// same time, its own ARN, its role (for sessions) and its account: IAM
// evaluates a role session as the session, the role and the account
// (IAM JSON policy elements: NotPrincipal).
func (ps *principalSet) match(p *Principal) pmatch {
	if ps.any {
		return pmDirect
	}
	if p == nil {
		return pmNone
	}
	for i := range ps.arns {
		if ps.names(i, p) {
			return pmDirect
		}
	}
	if p.Type == "Service" || p.Type == "AWSService" {
		for _, s := range ps.services {
			if s == p.ARN {
				return pmDirect
			}
		}
	}
	if p.Type == "Federated" || p.Type == "WebIdentityUser" || p.Type == "SAMLUser" {
		for _, f := range ps.federated {
			if f == p.ARN {
				return pmDirect
			}
		}
	}
	for _, a := range ps.accounts {
		if a == p.Account {
			return pmAccount
		}
	}
	return pmNone
}

// notMatch reports whether a NotPrincipal element applies to the caller: it
// applies unless every identity of the caller is listed — its ARN, its role
// ARN (sessions) and its account. That is why AWS tells you to list the
// account and the role along with a session in a Deny with NotPrincipal
// (IAM JSON policy elements: NotPrincipal).
func (ps *principalSet) notMatch(p *Principal) bool {
	if ps.any {
		return false
	}
	if p == nil {
		return true
	}
	listed := func(role bool) bool {
		for i, a := range ps.arns {
			if i >= len(ps.ids) || ps.ids[i] == "" {
				continue
			}
			if role && a == p.RoleARN && ps.ids[i] == p.RoleID || !role && a == p.ARN && p.Is(a, ps.ids[i]) {
				return true
			}
		}
		return false
	}
	if p.Type == "Service" || p.Type == "AWSService" {
		for _, s := range ps.services {
			if s == p.ARN {
				return false
			}
		}
		return true
	}
	acct := false
	for _, a := range ps.accounts {
		if a == p.Account {
			acct = true
			break
		}
	}
	if !acct {
		return true
	}
	if p.isRoot() {
		return false
	}
	if !listed(false) {
		return true
	}
	if p.RoleARN != "" && !listed(true) {
		return true
	}
	return false
}

// names reports whether the i-th principal ARN, as bound, names the
// caller itself or, for a session, its role.
func (ps *principalSet) names(i int, p *Principal) bool {
	if i >= len(ps.ids) {
		return false // unbound: names no one
	}
	return p.Is(ps.arns[i], ps.ids[i])
}

// Is reports whether a principal that a policy or a grant names by arn,
// bound to the unique ID id (see Policy.Bind), is p or, for a role
// session, p's role: the ARN must be p's (or its role's) and the unique
// ID p's current one (or its role's). An ARN bound to no ID (id "") is
// p only when it is an account principal (arn:aws:iam::ACCT:root), which
// is never bound, and p is that account's root user.
func (p *Principal) Is(arn, id string) bool {
	if p == nil || arn == "" {
		return false
	}
	if id == "" {
		return p.Type == TypeRoot && arn == p.ARN
	}
	if arn == p.ARN {
		return id == p.UserID || p.RoleID != "" && id == p.RoleID
	}
	return p.RoleARN != "" && arn == p.RoleARN && id == p.RoleID
}
