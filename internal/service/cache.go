package service

import (
	"context"
	"maps"
	"strings"
	"sync"

	"github.com/trentkms/trent/internal/policy"
	"github.com/trentkms/trent/internal/store"
)

// keyCache holds key metadata and alias targets for the cryptographic
// operations, so that their path never reads the database for a key it has
// seen. Writes through this service update or drop entries at once; the
// management operations always read the store. It is safe for concurrent
// use.
//
// Several nodes sharing one database learn each other's changes through
// Invalidate (see the cluster notes in the README); a single node is
// always current.
type keyCache struct {
	mu      sync.RWMutex
	keys    map[store.KeyRef]*cachedKey // guarded by mu
	aliases map[aliasRef]string         // guarded by mu: alias -> target key ID
	max     int

	loadMu sync.Mutex
	loads  map[store.KeyRef]*keyLoad // guarded by loadMu: single flight per key
}

type aliasRef struct{ account, region, name string }

// cachedKey is an immutable snapshot: replaced, never modified.
type cachedKey struct {
	key store.Key
	// materialIDs maps backing versions to their KeyMaterialId.
	materialIDs map[uint32]string
	// arn is the key's ARN, built once.
	arn string
	// policy is the key policy, compiled once.
	policy *policy.Policy
	// grants are the key's grants as of the load.
	grants []store.Grant
}

type keyLoad struct {
	done chan struct{}
	ck   *cachedKey
	err  error
}

func newKeyCache(max int) *keyCache {
	return &keyCache{
		keys:    make(map[store.KeyRef]*cachedKey),
		aliases: make(map[aliasRef]string),
		loads:   make(map[store.KeyRef]*keyLoad),
		max:     max,
	}
}

// get returns the cached key, loading it from st on a miss (one load per key
// at a time). A missing key returns store.ErrNotFound and is not cached.
func (c *keyCache) get(ctx context.Context, st Store, ref store.KeyRef) (*cachedKey, error) {
	c.mu.RLock()
	ck := c.keys[ref]
	c.mu.RUnlock()
	if ck != nil {
		return ck, nil
	}
	c.loadMu.Lock()
	if l, ok := c.loads[ref]; ok {
		c.loadMu.Unlock()
		select {
		case <-l.done:
			return l.ck, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l := &keyLoad{done: make(chan struct{})}
	c.loads[ref] = l
	c.loadMu.Unlock()

	l.ck, l.err = loadCachedKey(ctx, st, ref)
	if l.err == nil {
		c.put(l.ck)
	}
	c.loadMu.Lock()
	delete(c.loads, ref)
	c.loadMu.Unlock()
	close(l.done)
	return l.ck, l.err
}

func loadCachedKey(ctx context.Context, st Store, ref store.KeyRef) (*cachedKey, error) {
	k, err := st.Key(ctx, ref)
	if err != nil {
		return nil, err
	}
	ms, err := st.KeyMaterials(ctx, ref)
	if err != nil {
		return nil, err
	}
	gs, err := st.Grants(ctx, ref)
	if err != nil {
		return nil, err
	}
	return newCachedKey(k, ms, gs), nil
}

func newCachedKey(k store.Key, ms []store.KeyMaterial, gs []store.Grant) *cachedKey {
	ck := &cachedKey{key: k, materialIDs: make(map[uint32]string, len(ms)), arn: KeyARN(k.Region, k.Account, k.ID),
		policy: compileKeyPolicy(k.Policy, k.PolicyPrincipals), grants: gs}
	for _, m := range ms {
		ck.materialIDs[m.Version] = m.MaterialID
	}
	return ck
}

// peek returns the cached key, or nil, without loading it.
func (c *keyCache) peek(ref store.KeyRef) *cachedKey {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.keys[ref]
}

// put stores a snapshot unless a newer version of the key is cached.
func (c *keyCache) put(ck *cachedKey) {
	ref := ck.key.Ref()
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.keys[ref]; ok && old.key.Version > ck.key.Version {
		return
	}
	if _, ok := c.keys[ref]; !ok && len(c.keys) >= c.max {
		for r := range c.keys { // evict an arbitrary entry
			delete(c.keys, r)
			break
		}
	}
	c.keys[ref] = ck
}

// updated records a key this node just wrote; materials of the key are
// unchanged unless ms is non-nil.
func (c *keyCache) updated(k store.Key, ms []store.KeyMaterial) {
	c.mu.Lock()
	old := c.keys[k.Ref()]
	c.mu.Unlock()
	if ms == nil && old == nil {
		return // not cached: the next use loads it
	}
	if old == nil {
		// Grants are unknown: the next use loads the key whole.
		return
	}
	ck := &cachedKey{key: k, materialIDs: old.materialIDs, arn: old.arn, policy: old.policy, grants: old.grants}
	if ms != nil {
		ck.materialIDs = newCachedKey(k, ms, nil).materialIDs
	}
	if k.Policy != old.key.Policy || !maps.Equal(k.PolicyPrincipals, old.key.PolicyPrincipals) {
		ck.policy = compileKeyPolicy(k.Policy, k.PolicyPrincipals)
	}
	c.put(ck)
}

// take drops a key and returns what was cached of it, or nil.
func (c *keyCache) take(ref store.KeyRef) *cachedKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	ck := c.keys[ref]
	delete(c.keys, ref)
	return ck
}

// deleted drops a destroyed key and every alias cached as pointing at it.
func (c *keyCache) deleted(ref store.KeyRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.keys, ref)
	for a, target := range c.aliases {
		if a.account == ref.Account && a.region == ref.Region && target == ref.ID {
			delete(c.aliases, a)
		}
	}
}

// alias returns an alias's target key ID, reading st on a miss.
func (c *keyCache) alias(ctx context.Context, st Store, account, region, name string) (string, error) {
	ar := aliasRef{account, region, name}
	c.mu.RLock()
	id, ok := c.aliases[ar]
	c.mu.RUnlock()
	if ok {
		return id, nil
	}
	a, err := st.Alias(ctx, account, region, name)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if len(c.aliases) >= c.max {
		clear(c.aliases)
	}
	// The name may be a view into a pooled request buffer: keep a copy.
	ar.name = strings.Clone(name)
	c.aliases[ar] = a.TargetKeyID
	c.mu.Unlock()
	return a.TargetKeyID, nil
}

// invalidateAlias drops an alias.
func (c *keyCache) invalidateAlias(account, region, name string) {
	c.mu.Lock()
	delete(c.aliases, aliasRef{account, region, name})
	c.mu.Unlock()
}

// Invalidate drops everything cached, for a node that learns that another
// node changed keys or aliases.
func (s *Service) Invalidate() {
	c := s.cache
	c.mu.Lock()
	clear(c.keys)
	clear(c.aliases)
	c.mu.Unlock()
}
