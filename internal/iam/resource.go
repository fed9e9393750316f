package iam

import (
	"context"
	"errors"

	"github.com/trentkms/trent/internal/store"
)

// UserARN is the ARN of the user name at path (an IAM path; "" means "/")
// in account: arn:aws:iam::ACCOUNT:user/PATH/NAME (IAM User Guide, "IAM
// identifiers": the path is part of the ARN).
func UserARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":user" + normPath(path) + name
}

// RoleARN is the ARN of the role name at path in account, as UserARN.
func RoleARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + normPath(path) + name
}

// UserResource returns the resource an IAM operation that names user name
// in the caller's account is authorized against: the user's ARN with its
// path, as IAM authorizes it (Service Authorization Reference, IAM: the
// user resource type is arn:aws:iam::ACCOUNT:user/PATH/NAME), so that a
// policy on a path (user/admin/*) governs the users under it.
//
// A name that names no user (or is no valid user name) has no path to
// match: UserResource returns UserARN(account, "/", name) and no error.
// The operation is authorized first all the same and NoSuchEntity (or
// ValidationError) follows only for a caller allowed to act on that
// name, as AWS answers AccessDenied before NoSuchEntity. Only a failure
// to read the store is an error.
func (s *Service) UserResource(ctx context.Context, caller *Principal, name string) (string, error) {
	var v validation
	v.name(name, "userName", 1, maxUserNameLen)
	if v.err() != nil {
		return UserARN(caller.Account, "/", name), nil
	}
	u, err := s.st.User(ctx, caller.Account, name)
	if errors.Is(err, store.ErrNotFound) {
		return UserARN(caller.Account, "/", name), nil
	}
	if err != nil {
		return "", s.internal(ctx, "user resource", err)
	}
	return u.ARN, nil
}

// RoleResource is UserResource for an operation that names a role.
func (s *Service) RoleResource(ctx context.Context, caller *Principal, name string) (string, error) {
	var v validation
	v.name(name, "roleName", 1, maxRoleNameLen)
	if v.err() != nil {
		return RoleARN(caller.Account, "/", name), nil
	}
	r, err := s.st.Role(ctx, caller.Account, name)
	if errors.Is(err, store.ErrNotFound) {
		return RoleARN(caller.Account, "/", name), nil
	}
	if err != nil {
		return "", s.internal(ctx, "role resource", err)
	}
	return r.ARN, nil
}
