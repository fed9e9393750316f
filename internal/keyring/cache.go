package keyring

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// material is one unwrapped key in the cache: a symmetric backing key
// (spec SYMMETRIC_DEFAULT, as NewSymmetricMaterial makes it), an HMAC key,
// or a parsed asymmetric key.
//
// Lifetime: refs counts one reference for the cache (while the material is
// in a shard's map) and one per call using it. Whoever drops the last
// reference zeroes the key, so eviction never pulls a key from under a call
// in progress. A reference is only taken under the shard's lock while the
// material is in the map, so once the count reaches zero it stays there.
type material struct {
	ref  MaterialRef
	spec keySpec
	key  secret // SYMMETRIC_DEFAULT: the backing key
	// macKey is the HMAC key: key's bytes for SYMMETRIC_DEFAULT (the
	// message-key KDF), the key itself for the HMAC specs; nil otherwise.
	macKey  []byte
	newHash func() hash.Hash
	// mac is HMAC keyed by macKey in its reset state, with the padded key
	// blocks precomputed. It is never written, only cloned, so it is safe
	// to share. Nil for asymmetric keys.
	mac hash.Hash
	// spare holds one clone of mac for reuse, so that a steady stream of
	// calls on one key allocates no HMAC state.
	spare atomic.Pointer[prf]
	// asym is the parsed key of the asymmetric specs (read-only while
	// referenced); nil otherwise.
	asym *asymKey
	refs atomic.Int32
	used atomic.Bool // CLOCK reference bit
	slot int         // index in the shard's ring; guarded by the shard's mu
	cost int64       // approximate heap bytes (materialCost), fixed
}

// prf is a keyed HMAC state checked out of a material.
type prf struct{ h hash.Hash }

// newMaterial returns a SYMMETRIC_DEFAULT material that owns key.
func newMaterial(ref MaterialRef, key secret) *material {
	return newMACMaterial(ref, specSymmetricDefault, key, key.bytes(), sha256.New)
}

// newHMACMaterial returns an HMAC material that owns macKey.
func newHMACMaterial(ref MaterialRef, spec keySpec, macKey []byte) *material {
	return newMACMaterial(ref, spec, secret{}, macKey, newHashFunc(spec.info().hash))
}

func newMACMaterial(ref MaterialRef, spec keySpec, key secret, macKey []byte, newHash func() hash.Hash) *material {
	mac := hmac.New(newHash, macKey)
	// Reset precomputes and marshals the inner and outer padded-key states;
	// after it, clones share those states read-only.
	mac.Reset()
	m := &material{ref: ref, spec: spec, key: key, macKey: macKey, newHash: newHash, mac: mac, slot: -1, cost: materialCost(spec)}
	m.refs.Store(1)
	return m
}

// newAsymMaterial returns a material that owns the parsed key a.
func newAsymMaterial(ref MaterialRef, a *asymKey) *material {
	m := &material{ref: ref, spec: a.spec, asym: a, slot: -1, cost: materialCost(a.spec)}
	m.refs.Store(1)
	return m
}

// getPRF returns a keyed HMAC state for the caller's exclusive use; hand it
// back with putPRF.
func (m *material) getPRF() *prf {
	if p := m.spare.Swap(nil); p != nil {
		return p
	}
	if c, ok := m.mac.(hash.Cloner); ok {
		if h, err := c.Clone(); err == nil {
			return &prf{h: h}
		}
	}
	// A hash without Clone (not the case for crypto/hmac over SHA-2).
	return &prf{h: hmac.New(m.newHash, m.macKey)}
}

func (m *material) putPRF(p *prf) {
	p.h.Reset()
	m.spare.CompareAndSwap(nil, p)
}

// release drops a reference and zeroes the key with the last one (all of
// it that Go lets the keyring reach: see asymKey.zero).
func (m *material) release() {
	if m.refs.Add(-1) == 0 {
		m.key.zero()
		clear(m.macKey)
		if m.asym != nil {
			m.asym.zero()
		}
		m.mac = nil
		m.spare.Store(nil)
	}
}

// cache holds unwrapped materials: bounded, sharded, evicting with the
// CLOCK (second chance) algorithm, and loading each missing ref at most once
// at a time. A hit takes a shard's read lock and two atomic operations and
// allocates nothing.
type cache struct {
	seed   maphash.Seed
	shards []shard
	load   func(context.Context, MaterialRef) (*material, error)
}

type shard struct {
	mu     sync.RWMutex
	items  map[MaterialRef]*material // guarded by mu
	ring   []*material               // guarded by mu; CLOCK order
	hand   int                       // guarded by mu; next ring slot to inspect
	max    int                       // capacity of ring
	bytes  int64                     // guarded by mu; sum of the ring's costs
	budget int64                     // bound of bytes (a lone entry may exceed it)
	calls  map[MaterialRef]*loadCall // guarded by mu; loads in progress
	closed bool                      // guarded by mu
	// Counters (atomic, per shard so that hits on different shards do
	// not share a cache line): lookups found in the map, lookups that
	// were not, loads run, entries evicted.
	hits, misses, loads, evictions atomic.Uint64
	_                              [64]byte // keep shards' locks on separate cache lines
}

// loadCall is a load in progress; callers that miss the same ref wait for
// it instead of loading again.
type loadCall struct {
	done      chan struct{}
	err       error // set before done is closed
	forgotten bool  // guarded by the shard's mu: Forget ran during the load
}

var errLoadPanicked = errors.New("keyring: material load panicked")

func newCache(size int, maxBytes int64, load func(context.Context, MaterialRef) (*material, error)) *cache {
	n := 1
	if size >= 1024 {
		n = 16
	}
	c := &cache{seed: maphash.MakeSeed(), shards: make([]shard, n), load: load}
	per := (size + n - 1) / n
	for i := range c.shards {
		c.shards[i] = shard{
			items:  make(map[MaterialRef]*material),
			calls:  make(map[MaterialRef]*loadCall),
			max:    per,
			budget: max(1, maxBytes/int64(n)),
		}
	}
	return c
}

func (c *cache) shard(ref MaterialRef) *shard {
	if len(c.shards) == 1 {
		return &c.shards[0]
	}
	h := maphash.String(c.seed, ref.KeyID) ^ uint64(ref.Version)*0x9e3779b97f4a7c15
	return &c.shards[h%uint64(len(c.shards))]
}

// get returns ref's material with a reference the caller must release.
func (c *cache) get(ctx context.Context, ref MaterialRef) (*material, error) {
	s := c.shard(ref)
	s.mu.RLock()
	m, ok := s.items[ref]
	if ok {
		m.refs.Add(1)
	}
	s.mu.RUnlock()
	if ok {
		if !m.used.Load() {
			m.used.Store(true)
		}
		s.hits.Add(1)
		return m, nil
	}
	s.misses.Add(1)
	return c.miss(ctx, s, ref)
}

func (c *cache) miss(ctx context.Context, s *shard, ref MaterialRef) (*material, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		if m, ok := s.items[ref]; ok {
			m.refs.Add(1)
			m.used.Store(true)
			s.mu.Unlock()
			return m, nil
		}
		call, ok := s.calls[ref]
		if !ok {
			call = &loadCall{done: make(chan struct{})}
			s.calls[ref] = call
			s.mu.Unlock()
			s.loads.Add(1)
			return c.fill(ctx, s, ref, call)
		}
		s.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if call.err != nil {
			// If the leader's request gave up, this one may still load.
			leaderGaveUp := errors.Is(call.err, context.Canceled) || errors.Is(call.err, context.DeadlineExceeded)
			if leaderGaveUp && ctx.Err() == nil {
				continue
			}
			return nil, call.err
		}
		// Loaded: look again (it may even have been evicted meanwhile).
	}
}

// fill runs the load for call and publishes the result.
func (c *cache) fill(ctx context.Context, s *shard, ref MaterialRef, call *loadCall) (m *material, err error) {
	finished := false
	defer func() {
		if !finished {
			m, err = nil, errLoadPanicked // the panic continues after this
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.calls, ref)
		switch {
		case err != nil:
		case s.closed:
			m.release()
			m, err = nil, ErrClosed
		case call.forgotten:
			// Not cached; the caller keeps the initial reference and the
			// material is zeroed when it releases it.
		default:
			s.insert(m)
			m.refs.Add(1) // the cache's reference and the caller's
		}
		call.err = err
		close(call.done)
	}()
	m, err = c.load(ctx, ref)
	finished = true
	return m, err
}

// insert adds m, first evicting with CLOCK until one more entry fits the
// shard's count and m's cost fits its byte budget (a material costlier
// than the whole budget is then cached alone). Evicted materials are
// zeroed once no call uses them. s.mu is held.
func (s *shard) insert(m *material) {
	for len(s.ring) > 0 && (len(s.ring) >= s.max || s.bytes+m.cost > s.budget) {
		s.evict()
	}
	s.items[m.ref] = m
	m.slot = len(s.ring)
	s.ring = append(s.ring, m)
	s.bytes += m.cost
}

// evict removes the first entry at or after the hand whose reference bit
// is clear, clearing the bits it passes (CLOCK, second chance: an
// approximation of least recently used). The ring is not empty. s.mu is
// held.
func (s *shard) evict() {
	for {
		if s.hand >= len(s.ring) {
			s.hand = 0
		}
		v := s.ring[s.hand]
		if v.used.Swap(false) {
			s.hand++
			continue
		}
		s.remove(v)
		s.evictions.Add(1)
		return
	}
}

// remove takes m out of the shard and drops the cache's reference. s.mu is
// held.
func (s *shard) remove(m *material) {
	delete(s.items, m.ref)
	s.bytes -= m.cost
	last := len(s.ring) - 1
	moved := s.ring[last]
	s.ring[m.slot] = moved
	moved.slot = m.slot
	s.ring[last] = nil
	s.ring = s.ring[:last]
	if s.hand >= len(s.ring) {
		s.hand = 0
	}
	m.slot = -1
	m.release()
}

func (c *cache) forget(ref MaterialRef) {
	s := c.shard(ref)
	s.mu.Lock()
	defer s.mu.Unlock()
	if call, ok := s.calls[ref]; ok {
		call.forgotten = true
	}
	if m, ok := s.items[ref]; ok {
		s.remove(m)
	}
}

// close empties the cache for good.
func (c *cache) close() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.closed = true
		for _, m := range s.ring {
			m.slot = -1
			m.release()
		}
		clear(s.ring)
		s.ring = nil
		s.bytes = 0
		clear(s.items)
		s.mu.Unlock()
	}
}

// size returns the number of cached materials and their summed cost.
func (c *cache) size() (n int, bytes int64) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.items)
		bytes += s.bytes
		s.mu.RUnlock()
	}
	return n, bytes
}

// CacheStats are the unwrapped-key cache's counters since the keyring
// opened, and its current size.
type CacheStats struct {
	// Hits and Misses count lookups that found the key unwrapped or not;
	// Loads counts the unwraps that misses caused (concurrent misses on
	// one key share a load); Evictions counts keys dropped for room.
	Hits, Misses, Loads, Evictions uint64
	// Entries and Bytes are the keys cached now and their approximate
	// heap cost.
	Entries int
	Bytes   int64
}

func (c *cache) stats() CacheStats {
	var st CacheStats
	for i := range c.shards {
		s := &c.shards[i]
		st.Hits += s.hits.Load()
		st.Misses += s.misses.Load()
		st.Loads += s.loads.Load()
		st.Evictions += s.evictions.Load()
	}
	st.Entries, st.Bytes = c.size()
	return st
}

// len returns the number of cached materials.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.items)
		s.mu.RUnlock()
	}
	return n
}
