package service

import (
	"context"
	"errors"
	"strings"

	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

// checkAliasName applies the rules beyond the model's pattern.
func checkAliasName(name string) error {
	if !strings.HasPrefix(name, "alias/") {
		return errorf(KindValidation, `Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`)
	}
	if strings.HasPrefix(name, "alias/aws/") {
		return errorf(KindInvalidAliasName, "Alias %s cannot begin with alias/aws/: that prefix is reserved for AWS managed keys.", name)
	}
	if name == "alias/" {
		return errorf(KindInvalidAliasName, "Alias name %s is invalid.", name)
	}
	return nil
}

// keyClass is what UpdateAlias compares: a new target must be of the same
// class and usage as the old one.
func keyClass(spec string) string {
	switch {
	case spec == SpecSymmetricDefault:
		return "symmetric"
	case strings.HasPrefix(spec, "HMAC_"):
		return "HMAC"
	default:
		return "asymmetric"
	}
}

// aliasTargetKey loads the target of CreateAlias/UpdateAlias: a key of the
// caller's own account and region, named by key ID or key ARN.
func (s *Service) aliasTargetKey(ctx context.Context, c *Caller, op, keyID string) (store.Key, error) {
	k, err := s.loadKey(ctx, c, op, keyID, refKeyOnly)
	if err != nil {
		return k, err
	}
	if k.State == StatePendingDeletion {
		return k, stateError(&k)
	}
	return k, nil
}

// CreateAlias creates an alias for a key.
func (s *Service) CreateAlias(ctx context.Context, c *Caller, in *kmsapi.CreateAliasRequest) (*kmsapi.Empty, error) {
	if err := checkAliasName(*in.AliasName); err != nil {
		return nil, err
	}
	// CreateAlias needs permission on the alias and on the key.
	if err := s.authorizeAlias(ctx, c, "CreateAlias", AliasARN(c.Region, c.Account, *in.AliasName)); err != nil {
		return nil, err
	}
	k, err := s.aliasTargetKey(ctx, c, "CreateAlias", *in.TargetKeyId)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a := store.Alias{Account: c.Account, Region: c.Region, Name: *in.AliasName, TargetKeyID: k.ID, CreatedAt: now, UpdatedAt: now}
	switch err := s.store.CreateAlias(ctx, a, maxAliasesPerKey); {
	case errors.Is(err, store.ErrExists):
		return nil, errorf(KindAlreadyExists, "An alias with the name %s already exists", AliasARN(c.Region, c.Account, a.Name))
	case errors.Is(err, store.ErrLimitExceeded):
		return nil, errorf(KindLimitExceeded, "The number of aliases for key %s exceeds the limit of %d.", KeyARN(k.Region, k.Account, k.ID), maxAliasesPerKey)
	case err != nil:
		return nil, s.internal(ctx, "CreateAlias", err)
	}
	return &kmsapi.Empty{}, nil
}

// UpdateAlias points an existing alias at another key of the same class
// and usage.
func (s *Service) UpdateAlias(ctx context.Context, c *Caller, in *kmsapi.UpdateAliasRequest) (*kmsapi.Empty, error) {
	if err := checkAliasName(*in.AliasName); err != nil {
		return nil, err
	}
	// UpdateAlias needs permission on the alias, the new key and the
	// current key.
	if err := s.authorizeAlias(ctx, c, "UpdateAlias", AliasARN(c.Region, c.Account, *in.AliasName)); err != nil {
		return nil, err
	}
	k, err := s.aliasTargetKey(ctx, c, "UpdateAlias", *in.TargetKeyId)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		a, err := s.store.Alias(ctx, c.Account, c.Region, *in.AliasName)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(KindNotFound, "Alias %s is not found.", AliasARN(c.Region, c.Account, *in.AliasName))
		}
		if err != nil {
			return nil, s.internal(ctx, "UpdateAlias", err)
		}
		old, err := s.store.Key(ctx, store.KeyRef{Account: c.Account, Region: c.Region, ID: a.TargetKeyID})
		if err == nil && (keyClass(old.KeySpec) != keyClass(k.KeySpec) || old.KeyUsage != k.KeyUsage) {
			return nil, errorf(KindValidation, "Alias %s cannot be changed to target key %s: the new key must have the same key type and key usage (%s, %s) as the current one.",
				a.Name, KeyARN(k.Region, k.Account, k.ID), keyClass(old.KeySpec), old.KeyUsage)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, s.internal(ctx, "UpdateAlias", err)
		}
		if err == nil {
			if err := s.authorizeKey(ctx, c, "UpdateAlias", &old, KeyARN(old.Region, old.Account, old.ID), nil); err != nil {
				return nil, err
			}
		}
		a.TargetKeyID = k.ID
		a.UpdatedAt = s.now().UTC()
		_, err = s.store.UpdateAlias(ctx, a, maxAliasesPerKey)
		switch {
		case errors.Is(err, store.ErrConflict) && attempt < 10:
			continue
		case errors.Is(err, store.ErrNotFound):
			return nil, errorf(KindNotFound, "Alias %s is not found.", AliasARN(c.Region, c.Account, *in.AliasName))
		case errors.Is(err, store.ErrLimitExceeded):
			return nil, errorf(KindLimitExceeded, "The number of aliases for key %s exceeds the limit of %d.", KeyARN(k.Region, k.Account, k.ID), maxAliasesPerKey)
		case err != nil:
			return nil, s.internal(ctx, "UpdateAlias", err)
		}
		s.cache.invalidateAlias(c.Account, c.Region, a.Name)
		return &kmsapi.Empty{}, nil
	}
}

// DeleteAlias deletes an alias; the key is unaffected.
func (s *Service) DeleteAlias(ctx context.Context, c *Caller, in *kmsapi.DeleteAliasRequest) (*kmsapi.Empty, error) {
	if err := checkAliasName(*in.AliasName); err != nil {
		return nil, err
	}
	// DeleteAlias needs permission on the alias and on its key.
	if err := s.authorizeAlias(ctx, c, "DeleteAlias", AliasARN(c.Region, c.Account, *in.AliasName)); err != nil {
		return nil, err
	}
	a, err := s.store.Alias(ctx, c.Account, c.Region, *in.AliasName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(KindNotFound, "Alias %s is not found.", AliasARN(c.Region, c.Account, *in.AliasName))
	}
	if err != nil {
		return nil, s.internal(ctx, "DeleteAlias", err)
	}
	if _, err := s.loadKey(ctx, c, "DeleteAlias", a.TargetKeyID, refKeyOnly); err != nil && KindOf(err) != KindNotFound {
		return nil, err
	}
	switch err := s.store.DeleteAlias(ctx, c.Account, c.Region, *in.AliasName); {
	case errors.Is(err, store.ErrNotFound):
		return nil, errorf(KindNotFound, "Alias %s is not found.", AliasARN(c.Region, c.Account, *in.AliasName))
	case err != nil:
		return nil, s.internal(ctx, "DeleteAlias", err)
	}
	s.cache.invalidateAlias(c.Account, c.Region, *in.AliasName)
	return &kmsapi.Empty{}, nil
}

// ListAliases lists the caller's aliases in the request's region, or those
// of one key.
func (s *Service) ListAliases(ctx context.Context, c *Caller, in *kmsapi.ListAliasesRequest) (*kmsapi.ListAliasesResponse, error) {
	if err := checkLimit(in.Limit, 100); err != nil {
		return nil, err
	}
	if err := s.authorizeAccount(ctx, c, "ListAliases"); err != nil {
		return nil, err
	}
	limit := 50
	if in.Limit != nil {
		limit = *in.Limit
	}
	after := deref(in.Marker)
	if after != "" && !strings.HasPrefix(after, "alias/") {
		return nil, errorf(KindInvalidMarker, "Invalid marker: %s", after)
	}
	var target string
	if in.KeyId != nil {
		k, err := s.readKey(ctx, c, "ListAliases", *in.KeyId, refKeyOnly)
		if err != nil {
			return nil, err
		}
		target = k.ID
	}
	as, err := s.store.ListAliases(ctx, c.Account, c.Region, target, after, limit+1)
	if err != nil {
		return nil, s.internal(ctx, "ListAliases", err)
	}
	out := &kmsapi.ListAliasesResponse{Aliases: []kmsapi.AliasListEntry{}}
	if len(as) > limit {
		as = as[:limit]
		out.Truncated = true
		out.NextMarker = as[limit-1].Name
	}
	for _, a := range as {
		out.Aliases = append(out.Aliases, kmsapi.AliasListEntry{
			AliasArn:        AliasARN(a.Region, a.Account, a.Name),
			AliasName:       a.Name,
			TargetKeyId:     a.TargetKeyID,
			CreationDate:    epochPtr(a.CreatedAt),
			LastUpdatedDate: epochPtr(a.UpdatedAt),
		})
	}
	return out, nil
}
