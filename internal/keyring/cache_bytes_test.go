package keyring

import (
	"math/rand/v2"
	"testing"
)

// TestCacheByteBudget loads a mix of specs, from 1 KiB symmetric keys to
// 136 KiB ML-DSA-87 keys, through a cache whose count bound is never
// reached: after every access the cached materials' summed cost stays
// within the byte budget, the accounting matches what is cached, and every
// evicted symmetric or HMAC material is zeroed.
func TestCacheByteBudget(t *testing.T) {
	const budget = 512 << 10
	k, src := newTestKeyring(t, Options{CacheSize: 1000, CacheBytes: budget})
	mix := []struct {
		spec string
		n    int
	}{
		{"ML_DSA_87", 8}, {"ML_DSA_44", 6}, {"ML_KEM_768", 10}, {"RSA_2048", 3},
		{"ECC_NIST_P256", 20}, {"HMAC_256", 20}, {"SYMMETRIC_DEFAULT", 40},
	}
	var refs []MaterialRef
	for _, m := range mix {
		for range m.n {
			ref := refN(len(refs))
			w, err := k.NewMaterial(ref, m.spec)
			if err != nil {
				t.Fatalf("NewMaterial %s: %v", m.spec, err)
			}
			src.put(ref, w)
			refs = append(refs, ref)
		}
	}
	var seen []*material
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		ref := refs[r.IntN(len(refs))]
		if i%3 == 0 {
			ref = refs[i%len(refs)] // and a sweep, so every ref is loaded
		}
		m := mustAcquire(t, k, ref)
		m.release()
		if m.asym == nil {
			seen = append(seen, m)
		}
		n, bytes := k.cache.size()
		if bytes > budget {
			t.Fatalf("access %d: %d materials cost %d bytes, over the budget of %d", i, n, bytes, budget)
		}
		var sum int64
		s := &k.cache.shards[0]
		s.mu.RLock()
		for _, c := range s.ring {
			sum += c.cost
		}
		s.mu.RUnlock()
		if sum != bytes {
			t.Fatalf("access %d: the shard counts %d bytes, its entries cost %d", i, bytes, sum)
		}
	}
	if n, bytes := k.cache.size(); n < 3 || bytes < budget/2 {
		t.Errorf("the cache ends with %d materials, %d bytes: the budget is not used", n, bytes)
	}
	s := &k.cache.shards[0]
	s.mu.RLock()
	defer s.mu.RUnlock()
	evicted := 0
	for _, m := range seen {
		if _, cached := s.items[m.ref]; cached && s.items[m.ref] == m {
			continue
		}
		evicted++
		for _, b := range m.macKey {
			if b != 0 {
				t.Fatalf("an evicted %s material is not zeroed", m.spec)
			}
		}
		if !m.key.isZero() {
			t.Fatalf("an evicted %s key is not zeroed", m.spec)
		}
	}
	if evicted == 0 {
		t.Error("no symmetric or HMAC material was evicted; the test proves nothing")
	}
}

// TestCacheByteBudgetLoneEntry: a material costlier than the whole budget
// is still cached, alone, so that a key in use is not reloaded per call.
func TestCacheByteBudgetLoneEntry(t *testing.T) {
	k, src := newTestKeyring(t, Options{CacheSize: 10, CacheBytes: 64 << 10}, refN(0)) // one shard
	big := refN(1)
	w, err := k.NewMaterial(big, "ML_DSA_65")
	if err != nil {
		t.Fatal(err)
	}
	src.put(big, w)
	mustAcquire(t, k, refN(0)).release()
	mustAcquire(t, k, big).release()
	if n, bytes := k.cache.size(); n != 1 || bytes != materialCost(specMLDSA65) {
		t.Errorf("cache holds %d materials, %d bytes; want the ML-DSA-65 key alone (%d)", n, bytes, materialCost(specMLDSA65))
	}
	if _, err := Open(testDomainKey(t), Options{CacheBytes: -1}); err == nil {
		t.Error("Open with a negative byte budget succeeded")
	}
}
