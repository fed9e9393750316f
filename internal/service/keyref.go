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
	return "arn:" + partition + ":kms:" + region + ":" + account + ":key/" + id
}

// AliasARN builds an alias ARN; name includes "alias/".
func AliasARN(region, account, name string) string {
	return "arn:" + partition + ":kms:" + region + ":" + account + ":" + name
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

// partition is the partition of every ARN Trent makes (KeyARN, AliasARN).
const partition = "aws"

// localARN refuses an ARN that names another region or another partition
// than the request's: the key or alias it names is not here. AWS answers
// an ARN of another region with NotFoundException "Invalid arn <region>"
// (as recorded from AWS KMS for a key ARN of another region); its answer
// for another partition (arn:aws-cn:..., arn:aws-us-gov:...) is not
// recorded, so Trent answers the same way, naming the partition, and
// never resolves such an ARN to a key of its own.
func localARN(c *Caller, a arn) error {
	if a.partition != partition {
		return errorf(KindNotFound, "Invalid arn %s", a.partition)
	}
	if a.region != c.Region {
		return errorf(KindNotFound, "Invalid arn %s", a.region)
	}
	return nil
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

// crossAccount reports whether op, a KMS action named without "kms:",
// accepts a key of another account (by key ARN or alias ARN): the table's
// Action.CrossAccount.
func crossAccount(op string) bool {
	a := actions[op]
	return a != nil && a.CrossAccount
}

// resolveRef turns a key reference into the key's store reference, without
// reading the key itself. Aliases are looked up in the store. A reference
// to a key of another account is allowed for the operations AWS allows it
// for; whether the caller may use that key is authorization's answer. The
// resolved key is recorded in the request's audit event (resources[]).
func (s *Service) resolveRef(ctx context.Context, c *Caller, op, keyID string, form refForm) (store.KeyRef, error) {
	ref, err := s.resolveRefOf(ctx, c, op, keyID, form)
	if err == nil {
		if audit.FromContext(ctx) != nil { // building the ARN allocates
			audit.SetResource(ctx, ref.Account, KeyARN(ref.Region, ref.Account, ref.ID))
		}
	}
	return ref, err
}

func (s *Service) resolveRefOf(ctx context.Context, c *Caller, op, keyID string, form refForm) (store.KeyRef, error) {
	ref := store.KeyRef{Account: c.Account, Region: c.Region}
	if a, ok := parseARN(keyID); ok {
		if err := localARN(c, a); err != nil {
			return ref, err
		}
		if a.account != c.Account && !crossAccount(op) {
			return ref, s.crossAccountDenied(c, op, keyID)
		}
		switch {
		case strings.HasPrefix(a.resource, "key/"):
			id := strings.TrimPrefix(a.resource, "key/")
			if !validKeyID(id) {
				return ref, errorf(KindNotFound, "Invalid keyId '%s'", id)
			}
			ref.Account = a.account
			ref.ID = strings.ToLower(id)
			return ref, nil
		case strings.HasPrefix(a.resource, "alias/"):
			if form != refAny {
				return ref, errorf(KindNotFound, "Invalid keyId '%s'", keyID)
			}
			c.requestAlias = a.resource
			return s.aliasTarget(ctx, c, op, a.account, a.resource)
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
		c.requestAlias = keyID
		return s.aliasTarget(ctx, c, op, c.Account, keyID)
	}
	if !validKeyID(keyID) {
		return ref, errorf(KindNotFound, "Invalid keyId '%s'", keyID)
	}
	ref.ID = strings.ToLower(keyID)
	return ref, nil
}

func (s *Service) aliasTarget(ctx context.Context, c *Caller, op, account, name string) (store.KeyRef, error) {
	ref := store.KeyRef{Account: account, Region: c.Region}
	id, err := s.cache.alias(ctx, s.store, account, c.Region, name)
	if errors.Is(err, store.ErrNotFound) {
		if account != c.Account {
			// Say nothing about another account's aliases.
			return ref, s.crossAccountDenied(c, op, AliasARN(c.Region, account, name))
		}
		return ref, errorf(KindNotFound, "Alias %s is not found.", AliasARN(c.Region, account, name))
	}
	if err != nil {
		return ref, s.internal(ctx, "resolve alias", err)
	}
	ref.ID = id
	return ref, nil
}

// crossAccountDenied is the answer to a reference into another account
// that the operation does not allow, or to another account's key that does
// not exist (which says nothing about whether it exists).
func (s *Service) crossAccountDenied(c *Caller, op, resource string) error {
	return errorf(KindAccessDenied, "User: %s is not authorized to perform: kms:%s on resource: %s because no resource-based policy allows the kms:%s action", c.ARN, op, resource, op)
}

// loadKey resolves keyID, reads the key and authorizes the caller for op
// on it. A missing key is NotFound with AWS's message.
func (s *Service) loadKey(ctx context.Context, c *Caller, op, keyID string, form refForm) (store.Key, error) {
	k, err := s.readKey(ctx, c, op, keyID, form)
	if err != nil {
		return k, err
	}
	if err := s.authorizeKey(ctx, c, op, &k, KeyARN(k.Region, k.Account, k.ID), nil); err != nil {
		return k, err
	}
	return k, nil
}

// readKey is loadKey without authorization, for operations that
// authorize by identity policy alone.
func (s *Service) readKey(ctx context.Context, c *Caller, op, keyID string, form refForm) (store.Key, error) {
	ref, err := s.resolveRef(ctx, c, op, keyID, form)
	if err != nil {
		return store.Key{}, err
	}
	k, err := s.store.Key(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return k, s.notFound(c, op, ref)
	}
	if err != nil {
		return k, s.internal(ctx, "read key", err)
	}
	return k, nil
}

func (s *Service) notFound(c *Caller, op string, ref store.KeyRef) error {
	arn := KeyARN(ref.Region, ref.Account, ref.ID)
	if ref.Account != c.Account {
		return s.crossAccountDenied(c, op, arn)
	}
	return errorf(KindNotFound, "Key '%s' does not exist", arn)
}

// cachedKey resolves keyID, returns the key from the cache (reading the
// store only on a miss) and authorizes the caller for op on it. For the
// cryptographic operations.
func (s *Service) cachedKey(ctx context.Context, c *Caller, op, keyID string) (*cachedKey, error) {
	ref, err := s.resolveRef(ctx, c, op, keyID, refAny)
	if err != nil {
		return nil, err
	}
	return s.cachedRef(ctx, c, op, ref)
}

// cachedRef is cachedKey for a resolved reference.
func (s *Service) cachedRef(ctx context.Context, c *Caller, op string, ref store.KeyRef) (*cachedKey, error) {
	ck, err := s.cache.get(ctx, s.store, ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.notFound(c, op, ref)
	}
	if err != nil {
		return nil, s.internal(ctx, op, err)
	}
	return s.authorizeCached(ctx, c, op, ck)
}

// authorizeCached authorizes the caller for op on a cached key, first
// loading any grant that a token in the request names and the cache does
// not know yet. It returns the key as authorized.
func (s *Service) authorizeCached(ctx context.Context, c *Caller, op string, ck *cachedKey) (*cachedKey, error) {
	if len(c.grantTokens) > 0 {
		var err error
		if ck, err = s.tokenGrants(ctx, c, ck); err != nil {
			return nil, err
		}
	}
	if err := s.authorizeKey(ctx, c, op, &ck.key, ck.arn, ck); err != nil {
		return nil, err
	}
	return ck, nil
}
