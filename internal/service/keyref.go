package service

import (
	"context"
	"errors"
	"strings"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/store"
)

// refForm says which key reference forms an operation accepts.
type refForm int

const (
	// refKeyOnly accepts a key ID or key ARN (AWS's "K" operations).
	refKeyOnly refForm = iota + 1
	// refAny also accepts an alias name or alias ARN ("A" operations).
	refAny
)

// ARN builds a key ARN.
func KeyARN(region, account, id string) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/" + id
}

// AliasARN builds an alias ARN; name includes "alias/".
func AliasARN(region, account, name string) string {
	return "arn:aws:kms:" + region + ":" + account + ":" + name
}

// arn is a parsed KMS ARN.
type arn struct {
	partition, region, account, resource string
}

// parseARN splits "arn:partition:kms:region:account:resource". ok is false
// for anything else.
func parseARN(s string) (a arn, ok bool) {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return a, false
	}
	var service string
	a.partition, rest, _ = strings.Cut(rest, ":")
	service, rest, _ = strings.Cut(rest, ":")
	a.region, rest, _ = strings.Cut(rest, ":")
	a.account, a.resource, ok = strings.Cut(rest, ":")
	if !ok || a.partition == "" || service != "kms" || a.region == "" || a.account == "" || a.resource == "" {
		return arn{}, false
	}
	return a, true
}

// validKeyID reports whether id has the shape of a key ID: a lower- or
// upper-case UUID with hyphens, or mrk- and 32 hex digits.
func validKeyID(id string) bool {
	if rest, ok := strings.CutPrefix(id, "mrk-"); ok {
		return len(rest) == 32 && isHex(rest)
	}
	if len(id) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHexByte(c) {
				return false
			}
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHexByte(s[i]) {
			return false
		}
	}
	return true
}

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// resolveRef turns a key reference into the key's store reference, without
// reading the key itself. Aliases are looked up in the store. The resolved
// key is recorded in the request's audit event (resources[]).
func (s *Service) resolveRef(ctx context.Context, c *Caller, op, keyID string, form refForm) (store.KeyRef, error) {
	ref, err := s.resolveRefOf(ctx, c, op, keyID, form)
	if err == nil {
		audit.SetResource(ctx, ref.Account, KeyARN(ref.Region, ref.Account, ref.ID))
	}
	return ref, err
}

func (s *Service) resolveRefOf(ctx context.Context, c *Caller, op, keyID string, form refForm) (store.KeyRef, error) {
	ref := store.KeyRef{Account: c.Account, Region: c.Region}
	if a, ok := parseARN(keyID); ok {
		if a.region != c.Region {
			return ref, errorf(KindNotFound, "Invalid arn %s", a.region)
		}
		switch {
		case strings.HasPrefix(a.resource, "key/"):
			id := strings.TrimPrefix(a.resource, "key/")
			if a.account != c.Account {
				return ref, s.crossAccountDenied(c, op, keyID)
			}
			if !validKeyID(id) {
				return ref, errorf(KindNotFound, "Invalid keyId '%s'", id)
			}
			ref.ID = id
			return ref, nil
		case strings.HasPrefix(a.resource, "alias/"):
			if form != refAny {
				return ref, errorf(KindNotFound, "Invalid keyId '%s'", keyID)
			}
			if a.account != c.Account {
				return ref, s.crossAccountDenied(c, op, keyID)
			}
			return s.aliasTarget(ctx, c, a.resource)
		default:
			return ref, errorf(KindInvalidArn, "Invalid arn %s", keyID)
		}
	}
	if strings.HasPrefix(keyID, "arn:") {
		return ref, errorf(KindInvalidArn, "Invalid arn %s", keyID)
	}
	if strings.HasPrefix(keyID, "alias/") {
		if form != refAny {
			return ref, errorf(KindNotFound, "Invalid keyId '%s'", keyID)
		}
		return s.aliasTarget(ctx, c, keyID)
	}
	if !validKeyID(keyID) {
		return ref, errorf(KindNotFound, "Invalid keyId '%s'", keyID)
	}
	ref.ID = strings.ToLower(keyID)
	return ref, nil
}

func (s *Service) aliasTarget(ctx context.Context, c *Caller, name string) (store.KeyRef, error) {
	ref := store.KeyRef{Account: c.Account, Region: c.Region}
	id, err := s.cache.alias(ctx, s.store, c.Account, c.Region, name)
	if errors.Is(err, store.ErrNotFound) {
		return ref, errorf(KindNotFound, "Alias %s is not found.", AliasARN(c.Region, c.Account, name))
	}
	if err != nil {
		return ref, s.internal(ctx, "resolve alias", err)
	}
	ref.ID = id
	return ref, nil
}

// crossAccountDenied is the answer to a reference into another account,
// until key policies and grants can allow it.
func (s *Service) crossAccountDenied(c *Caller, op, resource string) error {
	return errorf(KindAccessDenied, "User: %s is not authorized to perform: kms:%s on resource: %s because no resource-based policy allows the kms:%s action", c.ARN, op, resource, op)
}

// loadKey resolves keyID and reads the key. A missing key is NotFound with
// AWS's message.
func (s *Service) loadKey(ctx context.Context, c *Caller, op, keyID string, form refForm) (store.Key, error) {
	ref, err := s.resolveRef(ctx, c, op, keyID, form)
	if err != nil {
		return store.Key{}, err
	}
	k, err := s.store.Key(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return k, errorf(KindNotFound, "Key '%s' does not exist", KeyARN(ref.Region, ref.Account, ref.ID))
	}
	if err != nil {
		return k, s.internal(ctx, "read key", err)
	}
	return k, nil
}

// cachedKey resolves keyID and returns the key from the cache, reading the
// store only on a miss. For the cryptographic operations.
func (s *Service) cachedKey(ctx context.Context, c *Caller, op, keyID string) (*cachedKey, error) {
	ref, err := s.resolveRef(ctx, c, op, keyID, refAny)
	if err != nil {
		return nil, err
	}
	ck, err := s.cache.get(ctx, s.store, ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(KindNotFound, "Key '%s' does not exist", KeyARN(ref.Region, ref.Account, ref.ID))
	}
	if err != nil {
		return nil, s.internal(ctx, op, err)
	}
	return ck, nil
}
