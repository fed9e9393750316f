package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trentkms/trent/internal/store"
)

// Policies and grants name IAM users, roles and role sessions by ARN, and
// remember the unique ID of the principal each ARN named when they were
// put (store.Principals), as AWS does: "When you save the policy, AWS
// transforms the ARN to a unique principal ID", so that a principal
// deleted and created again under the same name does not inherit what
// the old one was given (IAM JSON policy elements: Principal). The
// functions below resolve ARNs to unique IDs and tell which bound
// principals are gone.

// PrincipalStore is what resolving a principal ARN reads.
type PrincipalStore interface {
	User(ctx context.Context, account, name string) (store.User, error)
	Role(ctx context.Context, account, name string) (store.Role, error)
}

// NoSuchPrincipalError reports a principal ARN of a user, role or role
// session whose user or role does not exist.
type NoSuchPrincipalError struct{ ARN string }

func (e *NoSuchPrincipalError) Error() string { return "no such principal: " + e.ARN }

// principalKind classifies the ARNs that bind: an IAM user
// (arn:aws:iam::ACCT:user/[path/]NAME), role (arn:aws:iam::ACCT:role/...)
// or role session (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION). For the
// others (account principals, federated users, anything malformed) ok is
// false and the ARN is never bound.
func principalKind(arn string) (kind, account, name, session string, ok bool) {
	if rest, found := strings.CutPrefix(arn, "arn:aws:iam::"); found {
		account, res, found := strings.Cut(rest, ":")
		if !found || !ValidAccountID(account) {
			return "", "", "", "", false
		}
		for _, k := range []string{store.PrincipalUser, store.PrincipalRole} {
			if p, found := strings.CutPrefix(res, k+"/"); found && p != "" && !strings.HasSuffix(p, "/") {
				return k, account, p[strings.LastIndexByte(p, '/')+1:], "", true
			}
		}
		return "", "", "", "", false
	}
	rest, found := strings.CutPrefix(arn, "arn:aws:sts::")
	if !found {
		return "", "", "", "", false
	}
	account, res, found := strings.Cut(rest, ":")
	if !found || !ValidAccountID(account) {
		return "", "", "", "", false
	}
	res, found = strings.CutPrefix(res, "assumed-role/")
	role, session, found2 := strings.Cut(res, "/")
	if !found || !found2 || role == "" || session == "" || strings.Contains(session, "/") {
		return "", "", "", "", false
	}
	return "session", account, role, session, true
}

// Bindable reports whether a principal ARN is one that binds to a unique
// ID: an IAM user, role or role session.
func Bindable(arn string) bool {
	_, _, _, _, ok := principalKind(arn)
	return ok
}

// PrincipalID returns the unique ID that a bindable principal ARN names
// now: the user's (AIDA...) or the role's (AROA..., also for a session of
// the role). The ARN must be exactly the user's or role's ARN (path
// included), or for a session name the role exactly, as the caller's own
// ARN would. It returns "" and no error for an ARN that does not bind,
// and a *NoSuchPrincipalError when the user or role does not exist.
func PrincipalID(ctx context.Context, st PrincipalStore, arn string) (string, error) {
	kind, account, name, _, ok := principalKind(arn)
	if !ok {
		return "", nil
	}
	var id, have string
	var err error
	switch kind {
	case store.PrincipalUser:
		var u store.User
		u, err = st.User(ctx, account, name)
		id, have = u.ID, u.ARN
	default:
		var r store.Role
		r, err = st.Role(ctx, account, name)
		id, have = r.ID, r.ARN
		if kind == "session" {
			have = "arn:aws:sts::" + account + ":assumed-role/" + r.Name + "/" + arn[strings.LastIndexByte(arn, '/')+1:]
		}
	}
	if errors.Is(err, store.ErrNotFound) || err == nil && have != arn {
		return "", &NoSuchPrincipalError{ARN: arn}
	}
	if err != nil {
		return "", fmt.Errorf("look up principal %s: %w", arn, err)
	}
	return id, nil
}

// Bind returns the unique IDs of the bindable ARNs among arns, or a
// *NoSuchPrincipalError for the first one that names no existing
// principal.
func Bind(ctx context.Context, st PrincipalStore, arns []string) (store.Principals, error) {
	var out store.Principals
	for _, arn := range arns {
		id, err := PrincipalID(ctx, st, arn)
		if err != nil {
			return nil, err
		}
		if id == "" {
			continue
		}
		if out == nil {
			out = store.Principals{}
		}
		out[arn] = id
	}
	return out, nil
}

// Gone returns, for every principal of bound that no longer exists (its
// ARN now names no principal, or another one), what a policy or grant
// shows in its place: its unique ID, as AWS shows it once "AWS can't map
// it back to a valid ARN"; for a role session, the role's unique ID and
// the session name, "AROA...:SESSION", the form of a session's unique ID
// (STS AssumeRole: AssumedRoleId). It returns nil when all exist.
func Gone(ctx context.Context, st PrincipalStore, bound store.Principals) (map[string]string, error) {
	var out map[string]string
	for arn, id := range bound {
		now, err := PrincipalID(ctx, st, arn)
		var none *NoSuchPrincipalError
		if err != nil && !errors.As(err, &none) {
			return nil, err
		}
		if now == id {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[arn] = Shown(arn, id)
	}
	return out, nil
}

// Shown is what stands in place of arn, bound to id, once its principal
// is gone (see Gone).
func Shown(arn, id string) string {
	if kind, _, _, session, ok := principalKind(arn); ok && kind == "session" {
		return id + ":" + session
	}
	return id
}
